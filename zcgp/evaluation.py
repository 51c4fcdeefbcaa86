"""Score a formula, a run or an exported proxy on any tasks beside the baselines; the baselines alone."""

from __future__ import annotations

from zcgp.errors import ZcgpError
from zcgp.fitness.baselines import mean_row, task_baselines
from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.rank import METRICS
from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION
from zcgp.fitness.tasks import PROXY_ORDER, Task
from zcgp.gp.dataset import MISSING_MODES, Dataset
from zcgp.gp.hygiene import check_formula
from zcgp.gp.report import formula_rows, summary
from zcgp.proxy import Proxy
from zcgp.run import as_table, score_records


def _tasks(tasks, data, data_dir) -> list[Task]:
    if isinstance(tasks, (list, tuple)) and tasks and all(isinstance(t, Task) for t in tasks):
        return list(tasks)
    return load_tasks(tasks, data=data, data_dir=data_dir)


class Evaluation:
    """Per-task train/test scores of one formula beside the baselines.

    Parameters
    ----------
    result : dict
        Plain data: formula, transform, seed, train fraction, missing mode, terminals,
        metrics, per-task rows, summary per metric, the labels the formula saw.
    """

    def __init__(self, result: dict):
        self.result = result

    @property
    def scores(self):
        """Per task, in the first metric: the formula's train/test score beside the baselines."""
        return self.score_table(self.result["metrics"][0])

    def score_table(self, metric: str):
        """Per task, in `metric`: the formula's train/test score beside the baselines.

        Parameters
        ----------
        metric : str
            One of the metrics evaluated.
        """
        return as_table(score_records(self.result["tasks"], metric))


def evaluate(source, tasks="all", *, seed: int | None = None, train_fraction: float | None = None,
             transform: str | None = None, missing: str | None = None, index: int | None = None,
             metrics=METRICS, data=None, data_dir=None) -> Evaluation:
    """Score a formula per task, train and test split, beside the baselines.

    Parameters
    ----------
    source : str, Path, Run or Proxy
        A formula string, a Run, a run directory, an exported proxy.py / proxy.json.
    tasks : str or list
        The tasks (see `zcgp.load_tasks`).
    seed, train_fraction : optional
        The splits (default: the source run's, else 0 and 0.2).
    transform : str, optional
        Input transform (default: the source's, else rank).
    missing : str, optional
        A task lacking one of the formula's proxies: "impute" scores it with the neutral value
        there; any other mode of `gp.dataset.MISSING_MODES` leaves the formula undefined there
        (default: the source's).
    index : int, optional
        A hall-of-fame member of a run.
    metrics : sequence of str
        Any of `fitness.families.FITNESS_METRICS` (default: kendall and spearman).
    data, data_dir : optional
        A user table, or another directory of the shipped files.

    Returns
    -------
    Evaluation
        `.result` (plain data) and `.score_table(metric)`.

    Raises
    ------
    ZcgpError
        An unknown proxy, metric or missing mode; a degenerate formula on these tasks.
    """
    if missing is not None and missing not in MISSING_MODES:
        raise ZcgpError(f"unknown missing mode '{missing}'; choose from {', '.join(MISSING_MODES)}")
    metrics = tuple(dict.fromkeys(metrics))
    bad = [m for m in metrics if m not in FITNESS_METRICS]
    if bad or not metrics:
        raise ZcgpError(f"unknown metric '{bad[0] if bad else ''}'; choose from {', '.join(FITNESS_METRICS)}")
    proxy = source if isinstance(source, Proxy) else Proxy(source, transform=transform, index=index)
    chosen = _tasks(tasks, data, data_dir)
    transform = transform or proxy.transform
    info = proxy.info or {}
    seed = seed if seed is not None else (info.get("seed") or 0)
    fraction = train_fraction if train_fraction is not None else (info.get("train_fraction") or DEFAULT_TRAIN_FRACTION)
    known = {p for t in chosen for p in t.proxies} | {p for t in chosen for p in t.dropped}
    unknown = [p for p in proxy.terminals if p not in known]
    if unknown and unknown[0] in PROXY_ORDER:
        raise ZcgpError(f"proxy '{unknown[0]}' in formula '{proxy.formula}' is not available on any selected task")
    if unknown:
        raise ZcgpError(f"unknown terminal '{unknown[0]}' in formula '{proxy.formula}'; "
                        f"known: {', '.join(sorted(known))}")
    missing = missing or proxy.missing
    scored = Dataset.build(chosen, proxy.terminals, "all", transform=transform,
                           missing="impute" if missing == "impute" else "zero")
    check_formula(proxy.tree, scored, where=" of the selected tasks")
    rows = formula_rows(proxy.tree, chosen, proxy.terminals, seed, fraction, transform, missing=missing,
                        metrics=metrics)
    return Evaluation({"formula": str(proxy.tree), "formula_infix": proxy.formula, "transform": transform,
                       "seed": seed, "train_fraction": fraction, "missing": missing,
                       "terminals": list(proxy.terminals), "metrics": list(metrics), "tasks": rows,
                       "summary": {m: summary(rows, m) for m in metrics}, "labels": info.get("labels")})


def baselines(tasks="all", *, seed: int = 0, train_fraction: float = DEFAULT_TRAIN_FRACTION, metrics=METRICS,
              data=None, data_dir=None) -> dict:
    """Per task: every hand-crafted proxy, the best one (picked on train) and the linear-rank
    baseline, train and test split, in each of `metrics`; plus the mean test values.

    Parameters
    ----------
    tasks : str or list
        The tasks (see `zcgp.load_tasks`).
    seed, train_fraction :
        The splits.
    metrics : sequence of str
        Any of `fitness.families.FITNESS_METRICS`.
    data, data_dir : optional
        A user table, or another directory of the shipped files.

    Returns
    -------
    dict
        {"seed", "train_fraction", "tasks": [per-task rows], "mean_test": {metric: {...}}}.
    """
    rows = [task_baselines(t, seed, train_fraction, metrics) for t in _tasks(tasks, data, data_dir)]
    means = {m: {"best_proxy": mean_row(rows, ("best_proxy", "test", m)),
                 "linear_rank": mean_row(rows, ("linear_rank", "test", m))} for m in metrics}
    return {"seed": seed, "train_fraction": train_fraction, "tasks": rows, "mean_test": means}
