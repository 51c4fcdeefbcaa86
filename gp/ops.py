"""Protected vectorized operators and input transforms: numpy only, no zcgp imports.

This file is the single source of the formula semantics. The engine evaluates trees with
these functions, and `gp.export` copies the code between the two `# --- ops` markers
verbatim into every exported proxy.py, so the standalone module computes exactly what the
engine scored. Every operator maps finite inputs to finite outputs except for float
overflow (which the fitness treats as a failed candidate); none raises or warns.
"""

import warnings

import numpy as np

# --- ops begin
EPS = 1e-10


def add(a, b):
    return np.add(a, b)


def sub(a, b):
    return np.subtract(a, b)


def mul(a, b):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.multiply(a, b)


def pdiv(a, b):
    """a / b, and 1 where |b| <= EPS."""
    b = np.asarray(b, dtype=float)
    safe = np.abs(b) > EPS
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.where(safe, np.divide(a, np.where(safe, b, 1.0)), 1.0)


def plog(a):
    """log|a|, and 0 where |a| <= EPS."""
    a = np.abs(np.asarray(a, dtype=float))
    safe = a > EPS
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(safe, np.log(np.where(safe, a, 1.0)), 0.0)


def psqrt(a):
    """sqrt|a|."""
    return np.sqrt(np.abs(a))


def neg(a):
    return np.negative(a)


def pabs(a):
    return np.abs(a)


def square(a):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.multiply(a, a)


def fmin(a, b):
    return np.minimum(a, b)


def fmax(a, b):
    return np.maximum(a, b)


def tanh(a):
    return np.tanh(a)


def average_ranks(values):
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
                out[present, j] = (average_ranks(table[present, j]) - 1.0) / (m - 1)
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
# --- ops end


# primitive name -> (function, arity, commutative); names are what formulas print
PRIMITIVES = {
    "add": (add, 2, True),
    "sub": (sub, 2, False),
    "mul": (mul, 2, True),
    "pdiv": (pdiv, 2, False),
    "plog": (plog, 1, False),
    "psqrt": (psqrt, 1, False),
    "neg": (neg, 1, False),
    "pabs": (pabs, 1, False),
    "square": (square, 1, False),
    "fmin": (fmin, 2, True),
    "fmax": (fmax, 2, True),
    "tanh": (tanh, 1, False),
}
