"""Turn a formula's per-task scores into one fitness (the task aggregations).

  * "mean": the plain mean over tasks (`aggregate`, which also handles undefined tasks:
    NaN counts 0, or under missing "skip" is left out);
  * "space-mean": the mean over spaces of the mean over each space's tasks (TransNAS, with
    7 tasks per space, no longer outweighs NB101 or NB301, with 1);
  * "space-min": the worst space's mean over its tasks (a group-robust fitness: no training
    space may be sacrificed for the others);
  * "min": the worst task;
  * "mean-std": mean - k * std over tasks;
  * "worst-quartile": the mean of the worst ceil(T / 4) tasks.
"""

from __future__ import annotations

import math

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.rank import WORST

AGGREGATIONS = ("mean", "space-mean", "space-min", "min", "mean-std", "worst-quartile")


def check_aggregation(how: str, k: float = 1.0) -> None:
    """Raise ZcgpError unless `how` is one of AGGREGATIONS and `k` a finite number >= 0."""
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


def aggregate(per_task, missing: str = "zero") -> float:
    """The mean of per-task scores, NaN marking a task where the formula is undefined: left
    out under missing "skip", counted 0 otherwise; WORST when defined nowhere."""
    per_task = np.asarray(per_task, dtype=float)
    defined = np.isfinite(per_task)
    if not defined.any():
        return WORST
    if missing == "skip":
        return float(per_task[defined].mean())
    return float(np.where(defined, per_task, 0.0).mean())
