"""Search objectives: an evolved formula, one hand-crafted proxy, or random (any space).

An objective maps a list of architectures to one score each (higher is better). The raw
proxy values come from a *measure*: the batched torch module on a minibatch
(`TorchMeasure`) or precomputed values in a NAS-Bench-Suite-Zero table (`TableMeasure`,
lookup mode: only the table's architectures are reachable, `TableSpace`).
A formula sees its terminals transformed against a fixed reference sample of random
architectures scored at the start, so the objective does not drift during the search.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from zcgp.fitness.errors import ZcgpError
from zcgp.proxies.registry import PROXY_NAMES

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

class TorchMeasure:
    """Raw proxies of freshly built networks on one minibatch (batched torch module).

    Each network's initial weights are seeded by (seed, canonical key), so a network's
    values do not depend on the batch it is scored in or on what was scored before.
    """

    def __init__(self, space, names: Sequence[str], num_classes: int, data: str | None,
                 resolution: int, batch_size: int, device: str, seed: int, threads: int | None = 1):
        import torch

        from zcgp.proxies import compute_proxies, load_batch

        if threads:
            torch.set_num_threads(threads)
        self.space, self.names, self.num_classes = space, tuple(names), num_classes
        self.device, self.seed, self._compute, self._torch = device, seed, compute_proxies, torch
        self.inputs, self.targets = load_batch(data, batch_size, num_classes, resolution, seed)

    def _build(self, arch):
        with self._torch.random.fork_rng(devices=[]):
            self._torch.manual_seed(zlib.crc32(f"{self.seed}:{self.space.key(arch)}".encode()))
            return self.space.build(arch, self.num_classes)

    def __call__(self, archs: Sequence, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        names = tuple(names or self.names)
        networks = (self._build(a) for a in archs)
        result = self._compute(networks, self.inputs, self.targets, names=names,
                               device=self.device, seed=self.seed)
        return {name: np.asarray(result[name], dtype=float) for name in names}


class TableMeasure:
    """Precomputed proxies from a task table: only architectures in the table can be scored
    (found by canonical key, so any spelling of a table network works)."""

    def __init__(self, task, space, names: Sequence[str]):
        missing = [n for n in names if n not in task.proxies]
        if missing:
            raise ZcgpError(f"task {task.id} has no values for {', '.join(missing)}")
        self.space, self.names = space, tuple(names)
        self.rows: dict[str, int] = {}
        for i, arch in enumerate(task.archs):
            self.rows.setdefault(space.key(arch), i)
        self.values = {n: task.column(n) for n in names}

    def __call__(self, archs: Sequence, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        idx = np.array([self.rows[self.space.key(a)] for a in archs], dtype=int)
        return {n: self.values[n][idx] for n in (names or self.names)}


class SharedMeasure:
    """Caches a measure's values per (architecture key, proxy), so runs with different
    objectives and seeds compute each network's proxies once and only the ones they need;
    `view(names)` is a measure of a subset."""

    def __init__(self, measure, space):
        self.measure, self.space, self.cache = measure, space, {}

    def __call__(self, archs: Sequence, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        names = tuple(names or self.measure.names)
        keys = [self.space.key(a) for a in archs]
        todo: dict[tuple, dict] = {}                 # missing names -> {key: arch}
        for key, arch in zip(keys, archs):
            missing = tuple(n for n in names if n not in self.cache.get(key, {}))
            if missing:
                todo.setdefault(missing, {})[key] = arch
        for missing, group in todo.items():
            values = self.measure(list(group.values()), missing)
            for i, key in enumerate(group):
                self.cache.setdefault(key, {}).update({n: float(values[n][i]) for n in missing})
        return {n: np.array([self.cache[k][n] for k in keys]) for n in names}

    def view(self, names: Sequence[str]):
        return lambda archs: self(archs, names)


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
                 batch_size: int = 32, device: str = "auto", seed: int = 0, threads: int | None = 1,
                 data_dir=None):
    """(measure, the space to search): proxies computed by torch on freshly built networks,
    or (lookup) read from the task's NAS-Bench-Suite-Zero table, searching its architectures only."""
    if lookup:
        table = load_table_task(space, task, data_dir)
        return TableMeasure(table, space, names), TableSpace(space, table.archs)
    num_classes, resolution = task_shape(space, task)
    return TorchMeasure(space, names, num_classes, data, resolution, batch_size, device, seed, threads), space


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


# ----------------------------------------------------------------------------- objectives

def make_objective(kind: str, measure, space, seed: int, formula=None, reference: int = 64):
    """'formula' (needs `formula`), 'random', or a proxy name -> objective callable."""
    if kind == "random":
        return RandomObjective(space, seed)
    if kind == "formula":
        archs = space.sample_distinct(reference, np.random.default_rng([seed, 1]))
        return FormulaObjective(formula, measure, archs)
    return ProxyObjective(kind, measure)


class FormulaObjective:
    """An exported formula, each architecture's terminals transformed against a fixed reference.

    Formulas with min/max often put many networks on one plateau (e.g. 15% of NB201 tie at the
    top of a clipped formula). Exact ties are broken by the mean rank of the formula's own
    terminals within the reference, added at a 1e-9 relative scale, so a plateau is ordered by
    the consensus of its proxies instead of by arrival order.
    """

    TIE_SCALE = 1e-9

    def __init__(self, module, measure, reference_archs: Sequence):
        self.module, self.measure = module, measure
        self.reference = measure(list(reference_archs))
        usable = np.all([np.isfinite(v) for v in self.reference.values()], axis=0)
        if usable.sum() < 2:
            raise ZcgpError("fewer than 2 reference architectures have finite proxy values")
        self.reference = {k: np.sort(v[usable]) for k, v in self.reference.items()}

    def _consensus(self, raw: dict, i: int) -> float:
        """Mean over terminals of the candidate's rank in [0, 1] among the reference values."""
        ranks = []
        for t in self.module.TERMINALS:
            ref = self.reference[t]
            below = np.searchsorted(ref, raw[t][i], "left")
            upto = np.searchsorted(ref, raw[t][i], "right")
            ranks.append((below + upto) / (2.0 * ref.size))
        return float(np.mean(ranks))

    def __call__(self, archs: Sequence) -> np.ndarray:
        raw = self.measure(list(archs))
        out = np.empty(len(archs))
        for i in range(len(archs)):
            scores = {t: np.append(self.reference[t], raw[t][i]) for t in self.module.TERMINALS}
            if not all(np.isfinite(v[-1]) for v in scores.values()):
                out[i] = -np.inf
                continue
            value = float(np.asarray(self.module.proxy(scores), dtype=float)[-1])
            out[i] = value + self.TIE_SCALE * max(1.0, abs(value)) * self._consensus(raw, i)
        return out


class ProxyObjective:
    """One hand-crafted proxy as it is (higher is better)."""

    def __init__(self, name: str, measure):
        self.name, self.measure = name, measure

    def __call__(self, archs: Sequence) -> np.ndarray:
        return self.measure(list(archs))[self.name]


class RandomObjective:
    """Random search: a seeded pseudo-random score per architecture key."""

    def __init__(self, space, seed: int):
        self.space, self.seed = space, seed

    def __call__(self, archs: Sequence) -> np.ndarray:
        return np.array([np.random.default_rng([self.seed, zlib.crc32(self.space.key(a).encode())]).random()
                         for a in archs])
