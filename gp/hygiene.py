"""Formulas that cannot rank anything: refused with one line, never emitted by the engine.

Three kinds:
  * a non-finite constant (``nwot*1e400`` parses 1e400 as inf);
  * a constant formula (``nwot - nwot``, ``2*3``): the same value for every architecture;
  * a formula whose value is non-finite on every architecture (overflow everywhere), or
    everywhere but on a constant part.
On data (`degeneracy(dataset, code)`) the last two are judged per task, as the fitness
does: a formula is degenerate when no task where it is defined gets a finite,
non-constant score column.
Without data (`check_formula(tree)`, e.g. exporting a stored member) the formula is probed
on a fixed grid covering the transform's domain: [0, 1] under rank, else signed powers of
ten from 1e-6 to 1e12.
"""

from __future__ import annotations

import math

import numpy as np
from deap import gp

from zcgp.errors import ZcgpError
from zcgp.gp.formula import infix
from zcgp.gp.primitives import code_terminals, run_code, to_code

__all__ = ["CONSTANT", "NON_FINITE", "check_formula", "degeneracy"]

CONSTANT = "constant"
NON_FINITE = "non-finite"


def nonfinite_constant(tree) -> float | None:
    """The first non-finite constant of a tree, or None."""
    for node in tree:
        if not isinstance(node, gp.Primitive) and not isinstance(node.value, str) \
                and not math.isfinite(float(node.value)):
            return float(node.value)
    return None


def degeneracy(dataset, code) -> str | None:
    """Whether a formula ranks no task of `dataset` where it is defined, and why.

    Parameters
    ----------
    dataset : gp.dataset.Dataset
        The stacked, transformed tasks.
    code : tuple
        Flat prefix code (`gp.primitives.to_code`).

    Returns
    -------
    str or None
        CONSTANT when every task where the formula is defined gets a finite constant column,
        NON_FINITE when none gets a finite non-constant column and some get a non-finite
        value, else None (also when the formula is defined on no task).
    """
    with np.errstate(all="ignore"):
        values = np.broadcast_to(np.asarray(run_code(code, dataset.columns), dtype=float), (dataset.n,))
    used = code_terminals(code)
    defined = [b for b in dataset.blocks if dataset.imputed or not (used & b.missing)]
    if not defined:
        return None                      # undefined everywhere: reported as n/a, not degenerate
    blocks = [values[b.start:b.stop] for b in defined]
    if any(np.isfinite(v).all() and v.max() > v.min() for v in blocks):
        return None
    return CONSTANT if all(np.isfinite(v).all() for v in blocks) else NON_FINITE


def _probe_columns(terminals, transform: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    if transform == "rank":
        grid = np.linspace(0.0, 1.0, 101)
    else:
        powers = 10.0 ** np.arange(-6, 13)
        grid = np.concatenate([-powers[::-1], [0.0], powers])
    return {t: rng.permutation(grid) for t in terminals}


def _message(text: str, kind: str, where: str) -> str:
    if kind == NON_FINITE:
        return f"formula '{text}' gives inf or NaN wherever it is not constant{where}; it cannot rank them"
    return f"formula '{text}' is constant on every architecture{where}; it cannot rank them"


def check_formula(tree, dataset=None, transform: str = "rank", where: str = "") -> None:
    """Refuse a formula that cannot rank anything.

    Parameters
    ----------
    tree : deap.gp.PrimitiveTree
        The formula.
    dataset : gp.dataset.Dataset, optional
        Judge it on these tasks (`degeneracy`); without it, on the probe grid of `transform`.
    transform : str, default "rank"
        The input transform the formula's terminals come from (the probe grid's domain).
    where : str, default ""
        Appended to the message, e.g. " of the selected tasks".

    Raises
    ------
    ZcgpError
        One line when `tree` has a non-finite constant, or is constant or non-finite
        everywhere.

    Examples
    --------
    >>> from zcgp.gp.formula import parse_formula
    >>> from zcgp.gp.primitives import make_pset
    >>> pset = make_pset(["nwot"])
    >>> check_formula(parse_formula("log(nwot)", pset))
    >>> check_formula(parse_formula("nwot - nwot", pset))
    Traceback (most recent call last):
    ...
    zcgp.errors.ZcgpError: formula 'nwot - nwot' is constant on every architecture; it cannot rank them
    """
    text = infix(tree)
    bad = nonfinite_constant(tree)
    if bad is not None:
        raise ZcgpError(f"formula '{text}' has a non-finite constant ({bad}); use a finite number")
    code = to_code(tree)
    if dataset is not None:
        kind = degeneracy(dataset, code)
    else:
        terminals = sorted(code_terminals(code))
        if not terminals:
            kind = CONSTANT
        else:
            columns = _probe_columns(terminals, transform)
            n = len(next(iter(columns.values())))
            with np.errstate(all="ignore"):
                values = np.broadcast_to(np.asarray(run_code(code, columns), dtype=float), (n,))
            finite = np.isfinite(values)
            if finite.sum() >= 2 and values[finite].max() > values[finite].min():
                kind = None
            else:
                kind = CONSTANT if finite.all() else NON_FINITE
    if kind is not None:
        raise ZcgpError(_message(text, kind, where))
