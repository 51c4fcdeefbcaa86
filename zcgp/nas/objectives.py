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
from zcgp.fitness.rank import ranks_among
from zcgp.fitness.sources import space_task
from zcgp.proxies.measure import MeasureSettings, SharedMeasure, TableMeasure, TorchMeasure
from zcgp.proxies.registry import PROXY_NAMES
from zcgp.spaces.base import task_shape
from zcgp.spaces.table import TableSpace

__all__ = ["FormulaObjective", "ProxyObjective", "RandomObjective", "check_computable", "make_measure",
           "make_objective", "measured_terminals", "table_task"]


def check_computable(formula) -> None:
    """Check that the proxy module can compute every terminal of `formula`.

    Parameters
    ----------
    formula : Proxy
        A formula (`zcgp.Proxy`); its `terminals` are checked against
        `proxies.registry.PROXY_NAMES`.

    Raises
    ------
    ZcgpError
        When a terminal is not a proxy zcgp computes (e.g. a column only a user's table has);
        the message lists the unknown and the known names.
    """
    unknown = [t for t in formula.terminals if t not in PROXY_NAMES]
    if unknown:
        raise ZcgpError(f"the formula uses terminals the proxy module cannot compute: {', '.join(unknown)}; "
                        f"known: {', '.join(PROXY_NAMES)}")


def table_task(space, task: str, data_dir=None):
    """The NAS-Bench-Suite-Zero task `space.name/task`.

    Parameters
    ----------
    space : SearchSpace
        The space; only its `name` is read.
    task : str
        The task within the space, e.g. "cifar10" (case-insensitive).
    data_dir : str or os.PathLike, optional
        The directory of the JSON files (default: $ZCGP_DATA_DIR, else the shipped copies).

    Returns
    -------
    Task
        The task table (`fitness.sources.space_task`).

    Raises
    ------
    ZcgpError
        When `space` has no table, the task is unknown, or the file is missing or corrupt.
    """
    return space_task(space.name, task, data_dir)


def make_measure(space, names: Sequence[str], task: str, *, lookup: bool = False,
                 settings: MeasureSettings | None = None, workers: int = 1, data_dir=None, impute: bool = False):
    """The measure of a search's raw proxy values, and the space to search.

    Proxies are computed by torch on freshly built networks (in `workers` processes), or, with
    `lookup`, read from the task's NAS-Bench-Suite-Zero table; a lookup search can only reach the
    table's architectures.

    Parameters
    ----------
    space : SearchSpace
        The space searched.
    names : sequence of str
        The proxies the measure computes or reads when a call names none.
    task : str
        The task within the space: it sets the networks' classes and input resolution, or the
        table read.
    lookup : bool, default False
        Read the values from the task's table instead of computing them.
    settings : MeasureSettings, optional
        How torch measures (data, batch size, initialisations, seed, device, threads); default
        `MeasureSettings()`. Not used with `lookup`.
    workers : int, default 1
        Worker processes per call of the torch measure.
    data_dir : str or os.PathLike, optional
        The directory of the NAS-Bench-Suite-Zero JSON files (lookup only).
    impute : bool, default False
        Lookup only: leave out the names the table lacks (a formula with missing "impute" gives
        them its neutral value) instead of raising.

    Returns
    -------
    tuple of (SharedMeasure, SearchSpace)
        The cached measure, and `space` itself or (lookup) a `spaces.table.TableSpace` of the
        table's architectures.

    Raises
    ------
    ZcgpError
        When the task is unknown or (lookup) its table is missing or lacks one of `names` (and
        `impute` is False).
    """
    if lookup:
        table = table_task(space, task, data_dir)
        if impute:
            names = [n for n in names if n in table.proxies]
        return SharedMeasure(TableMeasure(table, space, names), space), TableSpace(space, table.archs)
    num_classes, resolution = task_shape(space, task)
    measure = TorchMeasure(space, names, num_classes, resolution, settings or MeasureSettings(), workers)
    return SharedMeasure(measure, space), space


def make_objective(kind: str, measure, space, seed: int, formula=None, reference: int = 64):
    """An objective by kind: "formula", "random", or a proxy name.

    Parameters
    ----------
    kind : str
        "formula" (needs `formula`), "random", or the name of one proxy of `measure`.
    measure : SharedMeasure
        The measure of raw proxy values (`make_measure`); not called for "random".
    space : SearchSpace
        The searched space: a "formula" objective's reference is sampled from it, "random" keys
        its scores by it.
    seed : int
        Seed of the reference sample and of the random scores.
    formula : Proxy, optional
        The formula of a "formula" objective.
    reference : int, default 64
        The number of distinct random architectures a "formula" objective's terminals are
        transformed against; they are measured here.

    Returns
    -------
    FormulaObjective, RandomObjective or ProxyObjective
        A callable mapping a list of architectures to one score each (higher is better).

    Raises
    ------
    ZcgpError
        When fewer than 2 reference architectures have finite values of every terminal.
    """
    if kind == "random":
        return RandomObjective(space, seed)
    if kind == "formula":
        archs = space.sample_distinct(reference, np.random.default_rng([seed, 1]))
        objective = FormulaObjective(formula, measure)
        objective.set_reference(measure(list(archs), objective.names))
        return objective
    return ProxyObjective(kind, measure)


def measured_terminals(formula, measure) -> tuple[str, ...]:
    """The terminals of `formula` that `measure` provides, in the formula's order.

    Parameters
    ----------
    formula : Proxy
        The formula; its `terminals` and `missing` are read.
    measure : SharedMeasure or callable
        A measure; its `available` names the proxies it can provide (a table's columns), and
        None or no such attribute means every proxy.

    Returns
    -------
    tuple of str
        Every terminal when the measure provides all of them; else those it provides, when the
        formula imputes the others.

    Raises
    ------
    ZcgpError
        When the measure lacks a terminal and the formula does not impute (missing "exclude"),
        or lacks every terminal.
    """
    have = getattr(measure, "available", None)
    if have is None:
        return tuple(formula.terminals)
    present = tuple(t for t in formula.terminals if t in have)
    lacking = [t for t in formula.terminals if t not in have]
    if lacking and (formula.missing != "impute" or not present):
        why = "none of its terminals" if not present else "missing 'exclude' (it does not impute)"
        raise ZcgpError(f"the measure lacks {', '.join(lacking)} of formula {formula.formula}: {why}")
    return present


class FormulaObjective:
    """A formula (`zcgp.Proxy`), each architecture's terminals transformed against a fixed reference.

    Formulas with min/max often put many networks on one plateau. Exact ties are broken by the
    mean rank of the formula's own terminals within the reference, added at a 1e-9 relative
    scale, so a plateau is ordered by the consensus of its proxies instead of by arrival order.

    Calling it with a list of architectures returns one float per architecture, -inf where a
    terminal is not finite. Only the terminals the measure has are measured (`measured_terminals`);
    the formula imputes the others (missing "impute").

    Parameters
    ----------
    formula : Proxy
        The formula; its `terminals`, `score(values)` and transforms are used.
    measure : SharedMeasure or callable
        Maps (architectures, terminal names) to name -> array of raw values.
    reference_values : dict, optional
        Terminal name -> raw values of the reference architectures (`set_reference`); without
        it, the architectures of the first call are the reference.
    """

    TIE_SCALE = 1e-9

    def __init__(self, formula, measure, reference_values: dict | None = None):
        """Without `reference_values`, the architectures of the first call are the reference."""
        self.formula, self.measure, self.reference = formula, measure, None
        self.names = measured_terminals(formula, measure)
        if reference_values is not None:
            self.set_reference(reference_values)

    def set_reference(self, values: dict) -> None:
        """Fix the reference the terminals are transformed against.

        Only reference architectures with finite values of every terminal are kept.

        Parameters
        ----------
        values : dict of str to numpy.ndarray
            Terminal name -> raw values of the reference architectures, aligned; every measured
            terminal (`names`) must be present.

        Raises
        ------
        ZcgpError
            When fewer than 2 reference architectures have finite values of every terminal.
        """
        names = self.names
        usable = np.all([np.isfinite(values[t]) for t in names], axis=0) if names else None
        if names and usable.sum() < 2:
            raise ZcgpError("fewer than 2 reference architectures have finite proxy values")
        self.reference = {t: np.sort(values[t][usable]) for t in names}

    def _consensus(self, raw: dict, i: int) -> float:
        """Mean over terminals of the candidate's rank in [0, 1] among the reference values."""
        ranks = [ranks_among(self.reference[t], raw[t][i]) for t in self.names]
        return float(np.mean(ranks)) if ranks else 0.0

    def __call__(self, archs: Sequence) -> np.ndarray:
        raw = self.measure(list(archs), self.names)
        if self.reference is None:
            self.set_reference(raw)
        out = np.empty(len(archs))
        for i in range(len(archs)):
            scores = {t: np.append(self.reference[t], raw[t][i]) for t in self.names}
            if not all(np.isfinite(v[-1]) for v in scores.values()):
                out[i] = -np.inf
                continue
            value = float(np.asarray(self.formula.score(scores), dtype=float)[-1])
            out[i] = value + self.TIE_SCALE * max(1.0, abs(value)) * self._consensus(raw, i)
        return out


class ProxyObjective:
    """One hand-crafted proxy as it is (higher is better).

    Calling it with a list of architectures returns the proxy's raw values, unchanged.

    Parameters
    ----------
    name : str
        The proxy, one of the measure's names.
    measure : SharedMeasure or callable
        Maps (architectures, names) to name -> array of raw values.
    """

    def __init__(self, name: str, measure):
        self.name, self.measure = name, measure

    def __call__(self, archs: Sequence) -> np.ndarray:
        return self.measure(list(archs), (self.name,))[self.name]


class RandomObjective:
    """Random search: a seeded pseudo-random score per architecture key.

    Calling it with a list of architectures returns one score in [0, 1) each, a function of
    the seed and the architecture's key (CRC-32), so an architecture scores the same every
    time and in every process.

    Parameters
    ----------
    space : SearchSpace
        Keys the architectures (`space.key`).
    seed : int
        Seed of the scores.
    """

    def __init__(self, space, seed: int):
        self.space, self.seed = space, seed

    def __call__(self, archs: Sequence) -> np.ndarray:
        return np.array([np.random.default_rng([self.seed, zlib.crc32(self.space.key(a).encode())]).random()
                         for a in archs])
