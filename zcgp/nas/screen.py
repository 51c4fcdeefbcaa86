"""Screening: cheap proxies pick which of a search's children pay for the full objective.

A `Screen` wraps a cheap measure (e.g. flops, params and synflow of a network: a hooked
forward and synflow's pass, a fraction of a gradient or Jacobian proxy's cost). When the
search proposes children, it proposes `factor` times as many; the screen measures their cheap
values and predicts the objective from them with a ridge fitted, online, on every network the
search has fully scored. Only the best-predicted children are fully scored. Features and
scores enter the fit as ranks in [0, 1] among the scored networks, so heavy tails (synflow,
flops) and the objective's scale do not matter. Torch-free; deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from zcgp.errors import UserInputError
from zcgp.fitness.rank import ranks_among

__all__ = ["Screen"]

_RIDGE = 1e-3        # relative to the number of rows: enough to keep collinear columns solvable


class Screen:
    """Predicts a search objective from cheap values and keeps the best-predicted children.

    Parameters
    ----------
    measure : callable
        Maps a list of architectures to an (n, c) array of cheap values (NaN where one failed).
    key : callable
        The space's canonical key of an architecture: features are measured once per key.
    factor : int
        Children proposed per child fully scored (>= 2).
    names : sequence of str
        What the c columns are (recorded in a search's result).
    """

    def __init__(self, measure: Callable[[Sequence[Any]], np.ndarray], key: Callable[[Any], str], factor: int,
                 names: Sequence[str] = ()):
        if int(factor) != factor or factor < 2:
            raise UserInputError(f"a screen proposes at least 2 children per scored one, got {factor}")
        self.measure, self.key, self.factor, self.names = measure, key, int(factor), tuple(names)
        self.features: dict[str, np.ndarray] = {}
        self.screened = 0            # candidates measured by the screen, the chosen ones included
        self.seconds = 0.0           # wall time in `measure`

    def _measure(self, archs: Sequence[Any]) -> None:
        fresh: dict[str, Any] = {}
        for arch in archs:
            k = self.key(arch)
            if k not in self.features:
                fresh.setdefault(k, arch)
        if not fresh:
            return
        began = time.perf_counter()
        values = np.asarray(self.measure(list(fresh.values())), dtype=float)
        self.seconds += time.perf_counter() - began
        if values.ndim != 2 or values.shape[0] != len(fresh):
            raise UserInputError(f"screen measure returned shape {values.shape} for {len(fresh)} architectures")
        self.features.update(zip(fresh, values))

    def pick(self, candidates: Sequence[Any], keep: int, scored: dict[str, float], archs: dict[str, Any]) -> list:
        """The `keep` candidates with the best predicted objective, in proposal order.

        Parameters
        ----------
        candidates : sequence
            Unscored architectures proposed by the search.
        keep : int
            How many go on to the full objective.
        scored : dict of str to float
            Canonical key -> objective of every network scored so far.
        archs : dict of str to Any
            Canonical key -> architecture of those networks (measured by the screen if needed).

        Returns
        -------
        list
            The chosen candidates (all of them when `keep` >= their number, or when fewer scored
            networks than columns + 2 have finite scores).
        """
        if keep >= len(candidates):
            return list(candidates)
        finite = [k for k, s in scored.items() if np.isfinite(s)]
        self._measure([archs[k] for k in finite] + list(candidates))
        self.screened += len(candidates)
        x_fit = np.array([self.features[k] for k in finite], dtype=float)
        if len(finite) < x_fit.shape[1] + 2:
            return list(candidates[:keep])
        x_new = np.array([self.features[self.key(a)] for a in candidates], dtype=float)
        columns = [np.sort(c[np.isfinite(c)]) for c in x_fit.T]
        fit = np.column_stack([ranks_among(ref, x_fit[:, j]) for j, ref in enumerate(columns)])
        new = np.column_stack([ranks_among(ref, x_new[:, j]) for j, ref in enumerate(columns)])
        y = np.array([scored[k] for k in finite])
        target = ranks_among(np.sort(y), y)
        mean_x, mean_y = fit.mean(axis=0), target.mean()
        centred = fit - mean_x
        gram = centred.T @ centred + _RIDGE * len(finite) * np.eye(centred.shape[1])
        weights = np.linalg.solve(gram, centred.T @ (target - mean_y))
        predicted = (new - mean_x) @ weights
        chosen = np.sort(np.argsort(-predicted, kind="stable")[:keep])
        return [candidates[i] for i in chosen]
