"""Selection levers for generalization: task aggregations and epsilon-lexicase parent selection.

Aggregations turn a formula's per-task scores into one fitness:
  * "mean": the plain mean over tasks;
  * "space-mean": the mean over spaces of the mean over each space's tasks (TransNAS, with
    7 tasks per space, no longer outweighs NB101 or NB301, with 1);
  * "space-min": the worst space's mean over its tasks (a group-robust fitness: no training
    space may be sacrificed for the others);
  * "min": the worst task;
  * "mean-std": mean - k * std over tasks;
  * "worst-quartile": the mean of the worst ceil(T / 4) tasks.
Epsilon-lexicase (automatic epsilon, La Cava et al. 2016) picks each parent by filtering the
population through the cases in a random order, keeping those within the case's median
absolute deviation of the best; cases are the tasks, or tasks x fixed row subsamples.
"""

from __future__ import annotations

import math

import numpy as np
from zcgp.fitness.errors import ZcgpError

AGGREGATIONS = ("mean", "space-mean", "space-min", "min", "mean-std", "worst-quartile")
PARENT_SELECTIONS = ("tournament", "lexicase")


def check_aggregation(how: str, k: float = 1.0) -> None:
    if how not in AGGREGATIONS:
        raise ZcgpError(f"unknown aggregation '{how}'; choose from {', '.join(AGGREGATIONS)}")
    if not (math.isfinite(k) and k >= 0):
        raise ZcgpError(f"--aggregate-k must be a finite number >= 0, got {k}")


def aggregate_tasks(values, how: str = "mean", k: float = 1.0, spaces=None) -> float:
    """One fitness from finite per-task scores (`spaces`: each task's space, for space-mean/-min)."""
    v = np.asarray(values, dtype=float)
    if how == "mean":
        return float(v.mean())
    if how in ("space-mean", "space-min"):
        names = np.asarray(spaces)
        means = [v[names == s].mean() for s in dict.fromkeys(spaces)]
        return float(np.mean(means) if how == "space-mean" else np.min(means))
    if how == "min":
        return float(v.min())
    if how == "mean-std":
        return float(v.mean() - k * v.std())
    if how == "worst-quartile":
        return float(np.sort(v)[:math.ceil(v.size / 4)].mean())
    raise ZcgpError(f"unknown aggregation '{how}'; choose from {', '.join(AGGREGATIONS)}")


def case_subsets(n: int, splits: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`splits` disjoint sorted row subsets of a task (a fixed random partition)."""
    return [np.sort(part) for part in np.array_split(rng.permutation(n), splits)]


def epsilon_lexicase(cases: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` parent indices into the rows of `cases` (individuals x cases, higher = better).

    All selections run together: those starting with the same case share its survivor pool,
    then each row of an alive-mask is filtered through its own case order."""
    cases = np.where(np.isfinite(cases), cases, -np.inf)
    n_cases = cases.shape[1]
    rng = np.random.default_rng(seed)
    finite = np.where(np.isfinite(cases), cases, np.nan)
    with np.errstate(invalid="ignore"):
        median = np.nanmedian(finite, axis=0)
        eps = np.nanmedian(np.abs(finite - median), axis=0)
    eps = np.where(np.isfinite(eps), eps, 0.0)
    orders = rng.permuted(np.tile(np.arange(n_cases), (count, 1)), axis=1)
    chosen = np.empty(count, dtype=np.int64)
    for first in np.unique(orders[:, 0]):
        sel = np.flatnonzero(orders[:, 0] == first)
        column = cases[:, first]
        pool = np.flatnonzero(column >= column.max() - eps[first])
        alive = np.ones((sel.size, pool.size), dtype=bool)
        sub = cases[pool]
        for j in range(1, n_cases):
            if pool.size == 1:
                break
            case = orders[sel, j]
            values = sub[:, case].T
            best = np.where(alive, values, -np.inf).max(axis=1, keepdims=True)
            alive &= values >= best - eps[case][:, None]
        draw = rng.random(alive.shape) * alive
        chosen[sel] = pool[np.argmax(draw, axis=1)]
    return chosen
