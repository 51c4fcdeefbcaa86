"""The numbers every evolved proxy is compared with, per task, on the shared splits.

- every hand-crafted proxy as it is (higher score = predicted better),
- the best one, picked by train Kendall,
- a least-squares model over per-task proxy ranks, fitted on the train split.
"""

from __future__ import annotations

import numpy as np

from zcgp.fitness.rank import METRICS, RankTarget, average_ranks
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION, task_split
from zcgp.fitness.tasks import Task
from zcgp.fitness.transforms import apply_transform


def split_scores(scores: np.ndarray, train_target: RankTarget, test_target: RankTarget,
                 train_idx: np.ndarray, test_idx: np.ndarray) -> dict[str, np.ndarray]:
    """Scores of shape (k, n) -> {'train': {metric: (k,)}, 'test': {...}}."""
    scores = np.atleast_2d(scores)
    return {
        part: {m: target.score(scores[:, idx], m) for m in METRICS}
        for part, target, idx in (("train", train_target, train_idx), ("test", test_target, test_idx))
    }


def fit_linear_rank(ranks: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
    """Least squares of the target's [0, 1] rank on proxy ranks (with intercept)."""
    n = target.size
    y = (average_ranks(target[None, :])[0] - 1.0) / max(n - 1, 1)
    design = np.column_stack([ranks, np.ones(n)])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coef[:-1], float(coef[-1])


def _pick(table: dict, k: int) -> dict:
    return {part: {m: float(v[k]) for m, v in metrics.items()} for part, metrics in table.items()}


def task_baselines(task: Task, seed: int = 0, train_fraction: float = DEFAULT_TRAIN_FRACTION) -> dict:
    train_idx, test_idx = task_split(task, seed, train_fraction)
    train_target, test_target = RankTarget(task.target[train_idx]), RankTarget(task.target[test_idx])
    raw = np.where(np.isfinite(task.values), task.values, np.nan)
    filled = apply_transform(raw, "raw")                      # NaN -> column median
    table = split_scores(filled.T, train_target, test_target, train_idx, test_idx)
    proxies = {name: _pick(table, k) for k, name in enumerate(task.proxies)}
    best = max(task.proxies, key=lambda name: proxies[name]["train"]["kendall"])

    ranks = apply_transform(raw, "rank")
    weights, intercept = fit_linear_rank(ranks[train_idx], task.target[train_idx])
    prediction = ranks @ weights + intercept
    linear = _pick(split_scores(prediction, train_target, test_target, train_idx, test_idx), 0)
    return {
        "task": task.id,
        "n_train": int(train_idx.size),
        "n_test": int(test_idx.size),
        "proxies": proxies,
        "best_proxy": {"name": best, **proxies[best]},
        "linear_rank": {"weights": dict(zip(task.proxies, map(float, weights))),
                        "intercept": intercept, **linear},
    }


def mean_row(rows: list[dict], path: tuple[str, ...]) -> float:
    """Mean over tasks of the value at `path` (e.g. ('best_proxy', 'test', 'kendall'))."""
    values = []
    for row in rows:
        node = row
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, (int, float)):
            values.append(float(node))
    return float(np.mean(values)) if values else float("nan")
