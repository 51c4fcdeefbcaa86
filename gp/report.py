"""Score one formula per task (train and test, both metrics) beside the baselines; tables."""

from __future__ import annotations

import math

import numpy as np

from zcgp.fitness.baselines import task_baselines
from zcgp.fitness.rank import METRICS
from zcgp.gp.dataset import Dataset
from zcgp.gp.export import used_terminals
from zcgp.gp.primitives import to_code
from zcgp.util import format_table

__all__ = ["comparison_table", "formula_rows", "summary"]


def _num(x) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def formula_rows(tree, tasks, terminal_order, seed: int, train_fraction: float, transform: str,
                 roles: dict | None = None, missing: str = "exclude", metrics=METRICS) -> list[dict]:
    """One dict per task: the formula's train and test scores beside the task's baselines.

    A task lacking one of the formula's proxies is undefined (evolved None) unless `missing`
    is "impute", where the proxy is the transform's neutral constant there (listed under
    "imputed").

    Parameters
    ----------
    tree : deap.gp.PrimitiveTree
        The formula.
    tasks : sequence of Task
        The tasks to score on.
    terminal_order : sequence of str
        The run's terminals, in canonical order.
    seed : int
        The split seed.
    train_fraction : float
        The train fraction.
    transform : str
        The input transform the formula was evolved under.
    roles : dict of str to str, optional
        {task id: role}, e.g. "held out"; default "evolved on".
    missing : str, default "exclude"
        The run's missing-proxy mode.
    metrics : sequence of str, default METRICS
        Names in `fitness.families.FITNESS_METRICS`.

    Returns
    -------
    list of dict
        Per task: "task", "role", "evolved" ({"train": {metric: value}, "test": {...}} or
        None), "missing", "imputed", "best_proxy", "linear_rank", "proxies", "n_train" and
        "n_test" (the baselines as in `fitness.baselines.task_baselines`).
    """
    terminals = used_terminals(tree, terminal_order)
    code = to_code(tree)
    impute = missing == "impute"
    scores = {}
    for part in ("train", "test"):
        data = Dataset.build(tasks, terminals, part, seed, train_fraction, transform,
                             missing="impute" if impute else "zero")
        scores[part] = {m: data.score([code], m)[0] for m in metrics}
    rows = []
    for t, task in enumerate(tasks):
        base = task_baselines(task, seed, train_fraction, metrics)
        lacking = [p for p in terminals if p not in task.proxies]
        evolved = None if lacking and not impute else {part: {m: _num(scores[part][m][t]) for m in metrics}
                                                       for part in ("train", "test")}
        rows.append({"task": task.id, "role": (roles or {}).get(task.id, "evolved on"),
                     "evolved": evolved, "missing": [] if impute else lacking,
                     "imputed": lacking if impute else [],
                     "best_proxy": base["best_proxy"], "linear_rank": base["linear_rank"],
                     "proxies": base["proxies"], "n_train": base["n_train"], "n_test": base["n_test"]})
    return rows


def _get(row, *path):
    node = row
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node if isinstance(node, (int, float)) else None


def summary(rows: list[dict], metric: str = "kendall") -> dict:
    """Means over the tasks where the formula is defined, and how often it beats the best proxy.

    Parameters
    ----------
    rows : list of dict
        Rows of `formula_rows`.
    metric : str, default "kendall"
        The metric summarised.

    Returns
    -------
    dict
        "metric", "n_tasks", "n_defined", "mean_test" ({"evolved", "best_proxy",
        "linear_rank"}), "mean_train" ({"evolved"}) and "beats_best_proxy" (tasks where
        the formula's test score is higher); a mean is None when nothing is defined.
    """
    defined = [r for r in rows if r["evolved"] is not None]

    def mean(path):
        vals = [_get(r, *path) for r in defined]
        vals = [v for v in vals if v is not None]
        return float(np.mean(vals)) if vals else None

    beats = sum(1 for r in defined
                if (_get(r, "evolved", "test", metric) or -2) > (_get(r, "best_proxy", "test", metric) or -2))
    return {
        "metric": metric, "n_tasks": len(rows), "n_defined": len(defined),
        "mean_test": {"evolved": mean(("evolved", "test", metric)),
                      "best_proxy": mean(("best_proxy", "test", metric)),
                      "linear_rank": mean(("linear_rank", "test", metric))},
        "mean_train": {"evolved": mean(("evolved", "train", metric))},
        "beats_best_proxy": beats,
    }


def comparison_table(rows: list[dict], metric: str = "kendall") -> str:
    """A text table of the formula's test scores per task beside the baselines, with the means.

    Parameters
    ----------
    rows : list of dict
        Rows of `formula_rows`.
    metric : str, default "kendall"
        The metric shown.

    Returns
    -------
    str
        A title line, then the table (one row per task, a footer of means).
    """
    header = ["task", "evolved train", "evolved test", "best proxy", "best test", "linear test", "vs best"]
    body = []
    for r in rows:
        ev_train, ev_test = _get(r, "evolved", "train", metric), _get(r, "evolved", "test", metric)
        best = _get(r, "best_proxy", "test", metric)
        delta = f"{ev_test - best:+.3f}" if ev_test is not None and best is not None else \
            ("n/a: no " + ",".join(r["missing"]) if r["missing"] else "-")
        if r.get("imputed") and ev_test is not None:
            delta += f"  ({','.join(r['imputed'])} imputed)"
        body.append([r["task"], ev_train, ev_test, r["best_proxy"]["name"], best,
                     _get(r, "linear_rank", "test", metric), delta])
    s = summary(rows, metric)
    label = "mean" if s["n_defined"] == s["n_tasks"] else f"mean ({s['n_defined']} defined)"
    footer = [[label, s["mean_train"]["evolved"], s["mean_test"]["evolved"], "",
               s["mean_test"]["best_proxy"], s["mean_test"]["linear_rank"],
               f"{s['beats_best_proxy']}/{s['n_defined']} better"]]
    return f"test {metric} per task ({len(rows)} tasks)\n" + format_table(header, body, footer)
