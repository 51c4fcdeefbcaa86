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

TRANSFORMS = ("rank", "log", "zscore", "raw")
DEFAULT_TRANSFORM = "rank"


# --- transform begin
def vector_ranks(values):
    """Average ranks (1-based, ties share the mean rank) of a 1-D array."""
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
    """Transform an (n, p) table column-wise; non-finite entries become the column median."""
    if name not in TRANSFORMS:
        raise ZcgpError(f"unknown transform '{name}'; choose from {', '.join(TRANSFORMS)}")
    return transform(values, name)


def neutral_value(transform: str) -> float:
    """What a proxy absent from a task becomes: the transform of a constant column."""
    return float(apply_transform(np.zeros((2, 1)), transform)[0, 0])


def task_columns(task, terminals, rows, transform: str = DEFAULT_TRANSFORM, fill: float = 0.0) -> np.ndarray:
    """(rows, terminals) table of a task: the proxies it has transformed within `rows`
    (`apply_transform`), every terminal it lacks set to `fill` (e.g. `neutral_value`)."""
    rows = np.asarray(rows)
    present = [p for p in terminals if p in task.proxies]
    table = apply_transform(task.values[np.ix_(rows, [task.proxies.index(p) for p in present])], transform) \
        if present else np.zeros((rows.size, 0))
    out = np.full((rows.size, len(terminals)), float(fill))
    for j, p in enumerate(terminals):
        if p in present:
            out[:, j] = table[:, present.index(p)]
    return out
