"""Protected vectorized operators: numpy only, no zcgp imports.

This file is the single source of the operator semantics (the input transforms' source is
`fitness/transforms.py`). The engine evaluates trees with these functions, and `gp.export`
copies the code between the two `# --- ops` markers verbatim into every exported proxy.py,
so the standalone module computes exactly what the engine scored. Every operator maps finite
inputs to finite outputs except for float overflow (which the fitness treats as a failed
candidate); none raises or warns.
"""

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
