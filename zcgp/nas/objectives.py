"""Search objectives: an evolved formula, one hand-crafted proxy, or random (any space).

An objective maps a list of architectures to one score each (higher is better). Raw proxy
values come from a measure (`make_measure`): torch networks on a minibatch
(`proxies.measure`), or, in lookup mode, a task's NAS-Bench-Suite-Zero table (only its
architectures are reachable, `spaces.table.TableSpace`). A formula sees its terminals
transformed against a fixed reference sample of architectures, so the objective does not
drift during the search. In `zcgp.search` the reference is the search's own initial
population (its first batch: scored once, inside the budget, counted as search evaluations),
its raw values cached on disk (`nas.cache`), so a second search with the same settings pays
nothing for it.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.sources import space_task
from zcgp.proxies.measure import MeasureSettings, SharedMeasure, TableMeasure, TorchMeasure
from zcgp.proxies.registry import PROXY_NAMES
from zcgp.spaces.base import task_shape
from zcgp.spaces.table import TableSpace

__all__ = ["FormulaObjective", "ProxyObjective", "RandomObjective", "check_computable", "make_measure",
           "make_objective", "table_task"]


def check_computable(formula) -> None:
    """ZcgpError unless the proxy module can compute every terminal of `formula` (a Proxy)."""
    unknown = [t for t in formula.terminals if t not in PROXY_NAMES]
    if unknown:
        raise ZcgpError(f"the formula uses terminals the proxy module cannot compute: {', '.join(unknown)}; "
                        f"known: {', '.join(PROXY_NAMES)}")


def table_task(space, task: str, data_dir=None):
    """The NAS-Bench-Suite-Zero task `space.name/task`."""
    return space_task(space.name, task, data_dir)


def make_measure(space, names: Sequence[str], task: str, *, lookup: bool = False,
                 settings: MeasureSettings | None = None, workers: int = 1, data_dir=None):
    """(SharedMeasure, the space to search): proxies computed by torch on freshly built
    networks (in `workers` processes), or (lookup) read from the task's table, searching its
    architectures only."""
    if lookup:
        table = table_task(space, task, data_dir)
        return SharedMeasure(TableMeasure(table, space, names), space), TableSpace(space, table.archs)
    num_classes, resolution = task_shape(space, task)
    measure = TorchMeasure(space, names, num_classes, resolution, settings or MeasureSettings(), workers)
    return SharedMeasure(measure, space), space


def make_objective(kind: str, measure, space, seed: int, formula=None, reference: int = 64):
    """'formula' (needs `formula`; its reference: `reference` random architectures), 'random',
    or a proxy name -> objective callable."""
    if kind == "random":
        return RandomObjective(space, seed)
    if kind == "formula":
        archs = space.sample_distinct(reference, np.random.default_rng([seed, 1]))
        objective = FormulaObjective(formula, measure)
        objective.set_reference(measure(list(archs), formula.terminals))
        return objective
    return ProxyObjective(kind, measure)


class FormulaObjective:
    """A formula (`zcgp.Proxy`), each architecture's terminals transformed against a fixed reference.

    Formulas with min/max often put many networks on one plateau. Exact ties are broken by the
    mean rank of the formula's own terminals within the reference, added at a 1e-9 relative
    scale, so a plateau is ordered by the consensus of its proxies instead of by arrival order.
    """

    TIE_SCALE = 1e-9

    def __init__(self, formula, measure, reference_values: dict | None = None):
        """Without `reference_values`, the architectures of the first call are the reference."""
        self.formula, self.measure, self.reference = formula, measure, None
        if reference_values is not None:
            self.set_reference(reference_values)

    def set_reference(self, values: dict) -> None:
        names = self.formula.terminals
        usable = np.all([np.isfinite(values[t]) for t in names], axis=0) if names else None
        if names and usable.sum() < 2:
            raise ZcgpError("fewer than 2 reference architectures have finite proxy values")
        self.reference = {t: np.sort(values[t][usable]) for t in names}

    def _consensus(self, raw: dict, i: int) -> float:
        """Mean over terminals of the candidate's rank in [0, 1] among the reference values."""
        ranks = []
        for t in self.formula.terminals:
            ref = self.reference[t]
            below = np.searchsorted(ref, raw[t][i], "left")
            upto = np.searchsorted(ref, raw[t][i], "right")
            ranks.append((below + upto) / (2.0 * ref.size))
        return float(np.mean(ranks)) if ranks else 0.0

    def __call__(self, archs: Sequence) -> np.ndarray:
        raw = self.measure(list(archs), self.formula.terminals)
        if self.reference is None:
            self.set_reference(raw)
        out = np.empty(len(archs))
        for i in range(len(archs)):
            scores = {t: np.append(self.reference[t], raw[t][i]) for t in self.formula.terminals}
            if not all(np.isfinite(v[-1]) for v in scores.values()):
                out[i] = -np.inf
                continue
            value = float(np.asarray(self.formula.score(scores), dtype=float)[-1])
            out[i] = value + self.TIE_SCALE * max(1.0, abs(value)) * self._consensus(raw, i)
        return out


class ProxyObjective:
    """One hand-crafted proxy as it is (higher is better)."""

    def __init__(self, name: str, measure):
        self.name, self.measure = name, measure

    def __call__(self, archs: Sequence) -> np.ndarray:
        return self.measure(list(archs), (self.name,))[self.name]


class RandomObjective:
    """Random search: a seeded pseudo-random score per architecture key."""

    def __init__(self, space, seed: int):
        self.space, self.seed = space, seed

    def __call__(self, archs: Sequence) -> np.ndarray:
        return np.array([np.random.default_rng([self.seed, zlib.crc32(self.space.key(a).encode())]).random()
                         for a in archs])
