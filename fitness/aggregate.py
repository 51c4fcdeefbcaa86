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

__all__ = ["AGGREGATIONS", "aggregate", "aggregate_tasks", "check_aggregation"]

AGGREGATIONS = ("mean", "space-mean", "space-min", "min", "mean-std", "worst-quartile")


def check_aggregation(how: str, k: float = 1.0) -> None:
    """Check an aggregation and its `k` before a run starts.

    Parameters
    ----------
    how : str
        The aggregation, one of AGGREGATIONS.
    k : float, default 1.0
        The weight of the standard deviation under "mean-std"; checked for every `how`.

    Raises
    ------
    ZcgpError
        When `how` is not one of AGGREGATIONS, or `k` is not a finite number >= 0.

    Examples
    --------
    >>> check_aggregation("space-min")
    >>> check_aggregation("median")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zcgp.errors.ZcgpError: unknown aggregation 'median'; choose from mean, space-mean, ...
    """
    if how not in AGGREGATIONS:
        raise ZcgpError(f"unknown aggregation '{how}'; choose from {', '.join(AGGREGATIONS)}")
    if not (math.isfinite(k) and k >= 0):
        raise ZcgpError(f"--aggregate-k must be a finite number >= 0, got {k}")


def aggregate_tasks(values, how: str = "mean", k: float = 1.0, spaces=None) -> float:
    """One fitness from finite per-task scores under the aggregation `how`.

    Parameters
    ----------
    values : array_like of float, shape (T,)
        One finite score per task (an undefined task is already 0 or left out, see `aggregate`).
    how : str, default "mean"
        One of AGGREGATIONS (see the module docstring).
    k : float, default 1.0
        The weight of the standard deviation under "mean-std" (population std, ddof 0).
    spaces : sequence of str, optional
        Each task's search space, in the order of `values`; needed by "space-mean" and
        "space-min" only.

    Returns
    -------
    float
        The aggregated fitness.

    Raises
    ------
    ZcgpError
        When `how` is not one of AGGREGATIONS.

    Examples
    --------
    >>> aggregate_tasks([0.2, 0.4, 0.9], "min")
    0.2
    >>> aggregate_tasks([0.25, 0.75, 1.0], "space-mean", spaces=["nb201", "nb201", "nb101"])
    0.75
    """
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
    """The mean of per-task scores, NaN marking a task where the formula is undefined.

    Parameters
    ----------
    per_task : array_like of float, shape (T,)
        One score per task; NaN (or any non-finite value) where the formula is undefined,
        e.g. it uses a proxy the task lacks.
    missing : str, default "zero"
        "skip": undefined tasks are left out of the mean; any other value: they count 0.

    Returns
    -------
    float
        The mean, or WORST when the formula is defined on no task.

    Examples
    --------
    >>> aggregate([0.5, float("nan")])
    0.25
    >>> aggregate([0.5, float("nan")], missing="skip")
    0.5
    >>> aggregate([float("nan")])
    -1.0
    """
    per_task = np.asarray(per_task, dtype=float)
    defined = np.isfinite(per_task)
    if not defined.any():
        return WORST
    if missing == "skip":
        return float(per_task[defined].mean())
    return float(np.where(defined, per_task, 0.0).mean())
