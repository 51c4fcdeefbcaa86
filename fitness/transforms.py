"""Per-task input transforms of the proxy table, applied column-wise before any formula.

Missing values (NaN/inf) become the column's median after the transform, so every
transformed table is finite. The code between the `# --- transform` markers is numpy-only
and is copied verbatim into every exported proxy.py (see `gp.export`), so the standalone
module transforms exactly as the engine did.
"""

from __future__ import annotations

import warnings

import numpy as np

from zcgp.errors import ZcgpError

__all__ = ["DEFAULT_TRANSFORM", "TRANSFORMS", "apply_transform", "neutral_value", "task_columns", "transform",
           "vector_ranks"]

TRANSFORMS = ("rank", "log", "zscore", "raw")
DEFAULT_TRANSFORM = "rank"


# --- transform begin
def vector_ranks(values):
    """Average ranks (1-based, ties share the mean rank) of a 1-D array.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Finite values.

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        The rank of each value.
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    order = np.argsort(values)
    sorted_values = values[order]
    new_run = np.empty(n, dtype=bool)
    new_run[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=new_run[1:])
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], n) - 1
    run_id = np.cumsum(new_run) - 1
    ranks = np.empty(n, dtype=float)
    ranks[order] = (starts[run_id] + ends[run_id]) / 2.0 + 1.0
    return ranks


def transform(table, name):
    """Column-wise transform of an (n, p) table; NaN/inf entries become the column median.

    rank: average rank scaled to [0, 1] within the given rows; log: sign(x) * log1p|x|;
    zscore: (x - mean) / std (std 0 -> 1); raw: unchanged.

    Parameters
    ----------
    table : array_like of float, shape (n, p) or (n,)
        Raw proxy values, one column per proxy; a 1-D array is one column.
    name : str
        One of "rank", "log", "zscore", "raw".

    Returns
    -------
    numpy.ndarray of float, shape (n, p)
        The transformed table, finite wherever the transform of the finite entries is (a
        column without a finite entry becomes 0).

    Raises
    ------
    ValueError
        When `name` is not a transform (this code is numpy-only; `apply_transform` raises
        ZcgpError instead).
    """
    table = np.asarray(table, dtype=float)
    table = table[:, None] if table.ndim == 1 else table
    table = np.where(np.isfinite(table), table, np.nan)
    if name == "rank":
        out = np.full(table.shape, np.nan)
        for j in range(table.shape[1]):
            present = np.isfinite(table[:, j])
            m = int(present.sum())
            if m == 1:
                out[present, j] = 0.5
            elif m > 1:
                out[present, j] = (vector_ranks(table[present, j]) - 1.0) / (m - 1)
    elif name == "log":
        out = np.sign(table) * np.log1p(np.abs(table))
    elif name == "zscore":
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)    # all-NaN column -> filled below
            mean = np.nanmean(table, axis=0) if table.size else 0.0
            std = np.nanstd(table, axis=0)
        std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        out = (table - mean) / std
    elif name == "raw":
        out = table.copy()
    else:
        raise ValueError(f"unknown transform {name!r}")
    missing = np.isnan(out)
    if missing.any():
        all_missing = missing.all(axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fill = np.where(all_missing, 0.0, np.nanmedian(np.where(all_missing, 0.0, out), axis=0)
                            if out.shape[0] else 0.0)
        out = np.where(missing, fill, out)
    return out
# --- transform end


def apply_transform(values: np.ndarray, name: str = DEFAULT_TRANSFORM) -> np.ndarray:
    """Transform an (n, p) table column-wise; non-finite entries become the column median.

    Parameters
    ----------
    values : numpy.ndarray of float, shape (n, p) or (n,)
        Raw proxy values of n architectures, one column per proxy.
    name : str, default DEFAULT_TRANSFORM ("rank")
        One of TRANSFORMS (see `transform`).

    Returns
    -------
    numpy.ndarray of float, shape (n, p)
        The transformed table.

    Raises
    ------
    ZcgpError
        When `name` is not one of TRANSFORMS.

    Examples
    --------
    >>> apply_transform(np.array([[3.0], [1.0], [np.nan], [2.0]]))
    array([[1. ],
           [0. ],
           [0.5],
           [0.5]])
    """
    if name not in TRANSFORMS:
        raise ZcgpError(f"unknown transform '{name}'; choose from {', '.join(TRANSFORMS)}")
    return transform(values, name)


def neutral_value(transform: str) -> float:
    """What a proxy absent from a task becomes: the transform of a constant column.

    Parameters
    ----------
    transform : str
        One of TRANSFORMS.

    Returns
    -------
    float
        0.5 under "rank", 0.0 under the others.

    Raises
    ------
    ZcgpError
        When `transform` is not one of TRANSFORMS.

    Examples
    --------
    >>> neutral_value("rank"), neutral_value("log")
    (0.5, 0.0)
    """
    return float(apply_transform(np.zeros((2, 1)), transform)[0, 0])


def task_columns(task, terminals, rows, transform: str = DEFAULT_TRANSFORM, fill: float = 0.0) -> np.ndarray:
    """The (rows, terminals) input table of a task.

    The proxies the task has are transformed together within `rows` (`apply_transform`);
    every terminal the task lacks is the constant `fill`.

    Parameters
    ----------
    task : Task
        The task.
    terminals : sequence of str
        Proxy names, in column order.
    rows : array_like of int
        Row indices of the architectures (e.g. a train split).
    transform : str, default DEFAULT_TRANSFORM ("rank")
        One of TRANSFORMS.
    fill : float, default 0.0
        The value of a terminal the task lacks (e.g. `neutral_value`).

    Returns
    -------
    numpy.ndarray of float, shape (len(rows), len(terminals))
        The table, finite everywhere.

    Raises
    ------
    ZcgpError
        When `transform` is not one of TRANSFORMS.
    """
    rows = np.asarray(rows)
    present = [p for p in terminals if p in task.proxies]
    table = apply_transform(task.values[np.ix_(rows, [task.proxies.index(p) for p in present])], transform) \
        if present else np.zeros((rows.size, 0))
    out = np.full((rows.size, len(terminals)), float(fill))
    for j, p in enumerate(terminals):
        if p in present:
            out[:, j] = table[:, present.index(p)]
    return out
