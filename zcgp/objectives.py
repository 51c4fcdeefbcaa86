"""Search objectives: an evolved formula, one hand-crafted proxy, or random (any space).

An objective maps a list of architectures to one score each (higher is better). Raw proxy
values come from a measure (`zcgp.proxies.measure`): torch networks on a minibatch, or, in
lookup mode, a task's NAS-Bench-Suite-Zero table (only its architectures are reachable,
`TableSpace`). A formula sees its terminals transformed against a fixed reference sample of
random architectures, so the objective does not drift during the search. In `zcgp.search`
the reference is the search's own initial population (its first batch: scored once, inside
the budget, counted as search evaluations), its raw values cached on disk (`reference_cache_dir()`), so a second search
with the same settings pays nothing for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from zcgp import __version__
from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.io import atomic_write_json
from zcgp.proxies.measure import SharedMeasure, TableMeasure, TorchMeasure
from zcgp.proxies.registry import PROXY_NAMES

ENV_CACHE_DIR = "ZCGP_CACHE_DIR"
# input batch of a search's proxies: the pipeline formula's Spearman with NB201 accuracy is
# .908 against .912 at 32 (the tables' batch), at 0.57 of the cost (README, Search)
SEARCH_BATCH_SIZE = 16
# weight initialisations a search averages each proxy over: 2 found better cells than 1 in 3
# CPU-minutes (NB201 CIFAR-10, seeds 0-4: 94.11 +/- 0.21 against 94.00 +/- 0.37; README, Search)
SEARCH_INITS = 2

# ----------------------------------------------------------------------------- formulas

def load_formula(source):
    """A `zcgp.Proxy` from a run directory, an exported proxy.py/proxy.json (read as data,
    never imported) or a formula string; its terminals must be computable by the proxy module."""
    from zcgp.proxy import Proxy

    text = str(source)
    if not isinstance(source, Proxy) and not Path(text).exists() and text.endswith((".py", ".json")):
        raise ZcgpError(f"proxy file not found: {text}")
    formula = Proxy(source)
    unknown = [t for t in formula.TERMINALS if t not in PROXY_NAMES]
    if unknown:
        raise ZcgpError(f"the formula uses terminals the proxy module cannot compute: {', '.join(unknown)}; "
                        f"known: {', '.join(PROXY_NAMES)}")
    return formula


# ----------------------------------------------------------------------------- measures

class TableSpace:
    """A space restricted to the architectures a table covers (lookup mode), one member per
    canonical key. A mutation is the base space's mutation when it lands on a table member
    not proposed before, else an unproposed random member (so a converged search keeps
    exploring the table instead of re-proposing scored neighbours)."""

    MUTATION_TRIES = 32

    def __init__(self, space, archs: Sequence):
        self.base = space
        by_key: dict[str, object] = {}
        for arch in archs:
            by_key.setdefault(space.key(arch), space.normalize(arch))
        self.by_key = by_key
        self.members = list(by_key.values())
        self.member_set = set(self.members)
        self.proposed: set[str] = set()

    def _take(self, key: str):
        self.proposed.add(key)
        return self.by_key[key]

    def sample(self, rng):
        fresh = len(self.proposed) < len(self.members)
        for _ in range(self.MUTATION_TRIES):
            key = self.base.key(self.members[int(rng.integers(len(self.members)))])
            if key not in self.proposed or not fresh:
                return self._take(key)
        return self._take(next(k for k in self.by_key if k not in self.proposed))

    def mutate(self, arch, rng):
        for _ in range(self.MUTATION_TRIES):
            key = self.base.key(self.base.mutate(arch, rng))
            if key in self.by_key and key not in self.proposed:
                return self._take(key)
        return self.sample(rng)

    def sample_distinct(self, n: int, rng) -> list:
        return [self.members[i] for i in rng.permutation(len(self.members))[:n]]

    def __getattr__(self, name):
        return getattr(self.base, name)


def make_measure(space, names: Sequence[str], task: str, *, lookup: bool = False, data: str | None = "synthetic",
                 batch_size: int = SEARCH_BATCH_SIZE, device: str = "auto", seed: int = 0, threads: int | None = 1,
                 workers: int = 1, data_dir=None, inits: int = 1):
    """(SharedMeasure, the space to search): proxies computed by torch on freshly built networks
    (in `workers` processes; each value the mean over `inits` weight initialisations), or (lookup) read from the task's NAS-Bench-Suite-Zero table,
    searching its architectures only."""
    if lookup:
        table = load_table_task(space, task, data_dir)
        return SharedMeasure(TableMeasure(table, space, names), space), TableSpace(space, table.archs)
    num_classes, resolution = task_shape(space, task)
    measure = TorchMeasure(space, names, num_classes, data, resolution, batch_size, device, seed, threads, workers,
                           inits)
    return SharedMeasure(measure, space), space


def task_shape(space, task: str) -> tuple[int, int]:
    """(number of classes, input resolution) of a task of `space`."""
    tasks = getattr(space, "tasks", None) or {}
    if task not in tasks:
        raise ZcgpError(f"unknown task '{task}' for space {space.name}; known: {', '.join(tasks)}")
    return tasks[task]


def load_table_task(space, task: str, data_dir=None):
    """The NAS-Bench-Suite-Zero task `space.name/task`."""
    from zcgp.fitness.data import SPACE_FILES
    from zcgp.fitness.tasks import load_tasks

    if space.name not in SPACE_FILES:
        raise ZcgpError(f"space {space.name} has no NAS-Bench-Suite-Zero table (lookup needs one of "
                        f"{', '.join(SPACE_FILES)})")
    return load_tasks(f"{space.name}/{task}", data_dir)[0]


# ----------------------------------------------------------------------------- reference cache

def reference_cache_dir() -> Path:
    """$ZCGP_CACHE_DIR, else $XDG_CACHE_HOME/zcgp, else ~/.cache/zcgp."""
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "zcgp"


def _cache_file(measure: SharedMeasure, names, archs) -> Path | None:
    fields = getattr(measure.measure, "key_fields", None)
    if fields is None:                            # table values cost nothing: no cache
        return None
    keys = sorted(measure.space.key(a) for a in archs)
    blob = json.dumps({**fields, "names": sorted(names), "archs": keys, "version": __version__}, sort_keys=True)
    return reference_cache_dir() / f"reference-{hashlib.sha256(blob.encode()).hexdigest()[:20]}.json"


def load_reference(measure: SharedMeasure, archs: Sequence, names: Sequence[str]) -> bool:
    """Put the reference architectures' cached raw values (if any) into `measure`'s cache;
    True when they were all there. A cache that cannot be read is ignored."""
    path = _cache_file(measure, names, archs)
    if path is None or not path.is_file():
        return False
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        values = {measure.space.key(a): {n: (np.nan if stored[measure.space.key(a)][n] is None
                                             else float(stored[measure.space.key(a)][n])) for n in names}
                  for a in archs}
    except (OSError, ValueError, KeyError, TypeError):
        return False
    for key, row in values.items():
        measure.cache.setdefault(key, {}).update(row)
    return True


def store_reference(measure: SharedMeasure, archs: Sequence, names: Sequence[str]) -> None:
    """Write the reference architectures' raw values (when all were computed) to the disk cache."""
    path = _cache_file(measure, names, archs)
    keys = [measure.space.key(a) for a in archs]
    if path is None or not all(all(n in measure.cache.get(k, {}) for n in names) for k in keys):
        return
    try:
        atomic_write_json(path, {k: {n: measure.cache[k][n] for n in names} for k in keys})
    except OSError:
        pass


# ----------------------------------------------------------------------------- objectives

def make_objective(kind: str, measure, space, seed: int, formula=None, reference: int = 64):
    """'formula' (needs `formula`; its reference: `reference` random architectures), 'random',
    or a proxy name -> objective callable."""
    if kind == "random":
        return RandomObjective(space, seed)
    if kind == "formula":
        archs = space.sample_distinct(reference, np.random.default_rng([seed, 1]))
        objective = FormulaObjective(formula, measure)
        objective.set_reference(measure(list(archs), formula.TERMINALS))
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
        names = self.formula.TERMINALS
        usable = np.all([np.isfinite(values[t]) for t in names], axis=0) if names else None
        if names and usable.sum() < 2:
            raise ZcgpError("fewer than 2 reference architectures have finite proxy values")
        self.reference = {t: np.sort(values[t][usable]) for t in names}

    def _consensus(self, raw: dict, i: int) -> float:
        """Mean over terminals of the candidate's rank in [0, 1] among the reference values."""
        ranks = []
        for t in self.formula.TERMINALS:
            ref = self.reference[t]
            below = np.searchsorted(ref, raw[t][i], "left")
            upto = np.searchsorted(ref, raw[t][i], "right")
            ranks.append((below + upto) / (2.0 * ref.size))
        return float(np.mean(ranks)) if ranks else 0.0

    def __call__(self, archs: Sequence) -> np.ndarray:
        raw = self.measure(list(archs), self.formula.TERMINALS)
        if self.reference is None:
            self.set_reference(raw)
        out = np.empty(len(archs))
        for i in range(len(archs)):
            scores = {t: np.append(self.reference[t], raw[t][i]) for t in self.formula.TERMINALS}
            if not all(np.isfinite(v[-1]) for v in scores.values()):
                out[i] = -np.inf
                continue
            value = float(np.asarray(self.formula.proxy(scores), dtype=float)[-1])
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
