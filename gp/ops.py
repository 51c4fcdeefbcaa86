"""Protected vectorized operators: numpy only, no zcgp imports.

This file is the single source of the operator semantics (the input transforms' source is
`fitness/transforms.py`). The engine evaluates trees with these functions, and `gp.export`
copies the code between the two `# --- ops` markers verbatim into every exported proxy.py,
so the standalone module computes exactly what the engine scored. Every operator maps finite
inputs to finite outputs except for float overflow (which the fitness treats as a failed
candidate); none raises or warns.
"""

import numpy as np

__all__ = ["EPS", "PRIMITIVES", "add", "fmax", "fmin", "mul", "neg", "pabs", "pdiv", "plog", "psqrt", "square", "sub",
           "tanh"]

# --- ops begin
EPS = 1e-10


def add(a, b):
    """a + b.

    Parameters
    ----------
    a, b : array_like or float
        The operands (broadcast together).

    Returns
    -------
    numpy.ndarray or float
        The sum.
    """
    return np.add(a, b)


def sub(a, b):
    """a - b.

    Parameters
    ----------
    a, b : array_like or float
        The operands (broadcast together).

    Returns
    -------
    numpy.ndarray or float
        The difference.
    """
    return np.subtract(a, b)


def mul(a, b):
    """a * b (an overflow gives inf, without a warning).

    Parameters
    ----------
    a, b : array_like or float
        The operands (broadcast together).

    Returns
    -------
    numpy.ndarray or float
        The product.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return np.multiply(a, b)


def pdiv(a, b):
    """a / b, and 1 where |b| <= EPS.

    Parameters
    ----------
    a, b : array_like or float
        The operands (broadcast together).

    Returns
    -------
    numpy.ndarray or float
        The protected quotient.
    """
    b = np.asarray(b, dtype=float)
    safe = np.abs(b) > EPS
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.where(safe, np.divide(a, np.where(safe, b, 1.0)), 1.0)


def plog(a):
    """log|a|, and 0 where |a| <= EPS.

    Parameters
    ----------
    a : array_like or float
        The operand.

    Returns
    -------
    numpy.ndarray or float
        The protected logarithm.
    """
    a = np.abs(np.asarray(a, dtype=float))
    safe = a > EPS
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(safe, np.log(np.where(safe, a, 1.0)), 0.0)


def psqrt(a):
    """sqrt|a|.

    Parameters
    ----------
    a : array_like or float
        The operand.

    Returns
    -------
    numpy.ndarray or float
        The square root of the absolute value.
    """
    return np.sqrt(np.abs(a))


def neg(a):
    """-a.

    Parameters
    ----------
    a : array_like or float
        The operand.

    Returns
    -------
    numpy.ndarray or float
        The negation.
    """
    return np.negative(a)


def pabs(a):
    """|a|.

    Parameters
    ----------
    a : array_like or float
        The operand.

    Returns
    -------
    numpy.ndarray or float
        The absolute value.
    """
    return np.abs(a)


def square(a):
    """a * a (an overflow gives inf, without a warning).

    Parameters
    ----------
    a : array_like or float
        The operand.

    Returns
    -------
    numpy.ndarray or float
        The square.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return np.multiply(a, a)


def fmin(a, b):
    """The elementwise minimum of a and b (NaN if either is NaN).

    Parameters
    ----------
    a, b : array_like or float
        The operands (broadcast together).

    Returns
    -------
    numpy.ndarray or float
        The minimum.
    """
    return np.minimum(a, b)


def fmax(a, b):
    """The elementwise maximum of a and b (NaN if either is NaN).

    Parameters
    ----------
    a, b : array_like or float
        The operands (broadcast together).

    Returns
    -------
    numpy.ndarray or float
        The maximum.
    """
    return np.maximum(a, b)


def tanh(a):
    """tanh(a), in [-1, 1].

    Parameters
    ----------
    a : array_like or float
        The operand.

    Returns
    -------
    numpy.ndarray or float
        The hyperbolic tangent.
    """
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
