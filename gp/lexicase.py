"""Epsilon-lexicase parent selection (automatic epsilon, La Cava et al. 2016).

Each parent is picked by filtering the population through the cases in a random order,
keeping those within the case's median absolute deviation of the best; cases are the tasks,
or tasks x fixed row subsamples (`case_subsets`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["PARENT_SELECTIONS", "case_subsets", "epsilon_lexicase"]

PARENT_SELECTIONS = ("tournament", "lexicase")


def case_subsets(n: int, splits: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`splits` disjoint sorted row subsets of a task (a fixed random partition).

    Parameters
    ----------
    n : int
        The task's rows.
    splits : int
        The number of subsets; their sizes differ by at most one.
    rng : numpy.random.Generator
        The source of the partition.

    Returns
    -------
    list of numpy.ndarray of int
        Sorted row indices; together they cover ``range(n)``.

    Examples
    --------
    >>> [part.size for part in case_subsets(10, 3, np.random.default_rng(0))]
    [4, 3, 3]
    """
    return [np.sort(part) for part in np.array_split(rng.permutation(n), splits)]


def epsilon_lexicase(cases: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` parent indices into the rows of `cases` (individuals x cases, higher = better).

    All selections run together: those starting with the same case share its survivor pool,
    then each row of an alive-mask is filtered through its own case order. Epsilon per case
    is the median absolute deviation of its finite values; a non-finite value is worst.

    Parameters
    ----------
    cases : numpy.ndarray of float, shape (N, C)
        The score of each individual on each case (e.g. per task).
    count : int
        The number of parents to draw.
    seed : int
        Seed of the case orders and of the final random pick among survivors.

    Returns
    -------
    numpy.ndarray of int64, shape (count,)
        Row indices into `cases`.

    Examples
    --------
    >>> cases = np.array([[1.0, 0.0], [0.0, 1.0], [0.4, 0.4]])
    >>> sorted(set(epsilon_lexicase(cases, 100, seed=1).tolist()))    # the generalist is never picked
    [0, 1]
    """
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
