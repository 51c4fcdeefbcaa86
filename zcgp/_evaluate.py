"""Score a formula, a run or an exported proxy on any tasks beside the baselines; the baselines alone."""

from __future__ import annotations

from zcgp._tasks import load_tasks
from zcgp.fitness.baselines import mean_row, task_baselines
from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.rank import METRICS
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION
from zcgp.fitness.tasks import PROXY_ORDER, Task
from zcgp.gp.dataset import Dataset
from zcgp.gp.hygiene import check_formula
from zcgp.gp.report import formula_rows, summary
from zcgp.proxy import Proxy
from zcgp.run import as_table, score_records


def _tasks(tasks, data, data_dir) -> list[Task]:
    if isinstance(tasks, (list, tuple)) and tasks and all(isinstance(t, Task) for t in tasks):
        return list(tasks)
    return load_tasks(tasks, data=data, data_dir=data_dir)


class Evaluation:
    """Per-task train/test scores of one formula beside the baselines (`result` is plain data)."""

    def __init__(self, result: dict):
        self.result = result

    @property
    def scores(self):
        return self.score_table("kendall")

    def score_table(self, metric: str):
        return as_table(score_records(self.result["tasks"], metric))


def evaluate(source, tasks="all", *, seed: int | None = None, train_fraction: float | None = None,
             transform: str | None = None, missing: str | None = None, index: int | None = None,
             data=None, data_dir=None) -> Evaluation:
    """Score `source` (formula string, Run, run directory, proxy.py/.json or Proxy) per task.

    seed, train_fraction, transform, missing default to the source run's (else 0, 0.2, rank,
    exclude). A task lacking one of the formula's proxies is undefined unless missing is impute."""
    if missing is not None and missing not in ("impute", "exclude"):
        raise ZcgpError(f"unknown missing mode '{missing}'; choose from impute, exclude")
    proxy = source if isinstance(source, Proxy) else Proxy(source, transform=transform, index=index)
    chosen = _tasks(tasks, data, data_dir)
    transform = transform or proxy.TRANSFORM
    info = getattr(proxy, "info", {}) or {}
    seed = seed if seed is not None else (info.get("seed") or 0)
    fraction = train_fraction if train_fraction is not None else (info.get("train_fraction") or DEFAULT_TRAIN_FRACTION)
    known = {p for t in chosen for p in t.proxies} | {p for t in chosen for p in t.dropped}
    unknown = [p for p in proxy.TERMINALS if p not in known]
    if unknown and unknown[0] in PROXY_ORDER:
        raise ZcgpError(f"proxy '{unknown[0]}' in formula '{proxy.formula}' is not available on any selected task")
    if unknown:
        raise ZcgpError(f"unknown terminal '{unknown[0]}' in formula '{proxy.formula}'; "
                        f"known: {', '.join(sorted(known))}")
    missing = missing or proxy.MISSING
    scored = Dataset.build(chosen, proxy.TERMINALS, "all", transform=transform,
                           missing="impute" if missing == "impute" else "zero")
    check_formula(proxy.tree, scored, where=" of the selected tasks")
    rows = formula_rows(proxy.tree, chosen, proxy.TERMINALS, seed, fraction, transform, missing=missing)
    return Evaluation({"formula": str(proxy.tree), "formula_infix": proxy.formula, "transform": transform,
                       "seed": seed, "train_fraction": fraction, "missing": missing,
                       "terminals": list(proxy.TERMINALS), "tasks": rows,
                       "summary": {m: summary(rows, m) for m in METRICS}})


def baselines(tasks="all", *, seed: int = 0, train_fraction: float = DEFAULT_TRAIN_FRACTION, data=None,
              data_dir=None) -> dict:
    """Per task: every hand-crafted proxy, the best one (picked on train) and the linear-rank
    baseline, train and test, both metrics; plus the mean test values."""
    rows = [task_baselines(t, seed, train_fraction) for t in _tasks(tasks, data, data_dir)]
    means = {m: {"best_proxy": mean_row(rows, ("best_proxy", "test", m)),
                 "linear_rank": mean_row(rows, ("linear_rank", "test", m))} for m in METRICS}
    return {"seed": seed, "train_fraction": train_fraction, "tasks": rows, "mean_test": means}
