"""Per-task input transforms of the proxy table, applied column-wise before any formula.

Missing values (NaN) are filled with the column's median after the transform, so every
transformed table is finite. The exported proxy functions reproduce these exactly.
"""

from __future__ import annotations

import numpy as np

from fitness.errors import ZcgpError
from fitness.rank import average_ranks

TRANSFORMS = ("rank", "log", "zscore", "raw")
DEFAULT_TRANSFORM = "rank"


def _rank01(values: np.ndarray) -> np.ndarray:
    """Average ranks scaled to [0, 1] per column, NaNs left in place."""
    out = np.full(values.shape, np.nan)
    for j in range(values.shape[1]):
        present = np.isfinite(values[:, j])
        m = int(present.sum())
        if m == 1:
            out[present, j] = 0.5
        elif m > 1:
            out[present, j] = (average_ranks(values[present, j][None, :])[0] - 1.0) / (m - 1)
    return out


def _zscore(values: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(values, axis=0) if values.size else 0.0
        std = np.nanstd(values, axis=0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    return (values - mean) / std


def apply_transform(values: np.ndarray, name: str = DEFAULT_TRANSFORM) -> np.ndarray:
    """Transform an (n, p) table column-wise; NaN entries become the column median."""
    table = np.asarray(values, dtype=float)
    table = table[:, None] if table.ndim == 1 else table
    table = np.where(np.isfinite(table), table, np.nan)
    if name == "rank":
        out = _rank01(table)
    elif name == "log":
        out = np.sign(table) * np.log1p(np.abs(table))
    elif name == "zscore":
        out = _zscore(table)
    elif name == "raw":
        out = table.copy()
    else:
        raise ZcgpError(f"unknown transform '{name}'; choose from {', '.join(TRANSFORMS)}")
    missing = np.isnan(out)
    if missing.any():
        all_missing = missing.all(axis=0)
        fill = np.where(all_missing, 0.0, np.nanmedian(np.where(all_missing, 0.0, out), axis=0)
                        if out.shape[0] else 0.0)
        out = np.where(missing, fill, out)
    return out
