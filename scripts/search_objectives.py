"""Objectives for `zcgp search`: an exported formula, one hand-crafted proxy, or random.

An objective maps a list of architectures to one score each (higher is better). The raw
proxy values come from a *measure*: the batched torch module on a minibatch
(`TorchMeasure`) or precomputed values in a NAS-Bench-Suite-Zero table (`TableMeasure`).
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

# ----------------------------------------------------------------------------- exported formulas

def load_formula(path: str | Path):
    """An exported proxy (a run directory, or proxy.py / proxy.json: its JSON description), read
    as data through the safe formula parser, never imported; its terminals must be computable."""
    from zcgp.proxy import Proxy

    path = Path(path)
    if not path.exists():
        raise ZcgpError(f"proxy not found: {path}")
    proxy = Proxy(path)
    unknown = [t for t in proxy.TERMINALS if t not in PROXY_NAMES]
    if unknown:
        raise ZcgpError(f"proxy {path} uses terminals the proxy module cannot compute: "
                        f"{', '.join(unknown)}; known: {', '.join(PROXY_NAMES)}")
    return proxy


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
    """Precomputed proxies from a task table: only architectures in the table can be scored."""

    def __init__(self, task, space, names: Sequence[str]):
        missing = [n for n in names if n not in task.proxies]
        if missing:
            raise ZcgpError(f"task {task.id} has no values for {', '.join(missing)}")
        self.space, self.names = space, tuple(names)
        self.rows = {space.normalize(a): i for i, a in enumerate(task.archs)}
        self.values = {n: task.column(n) for n in names}

    def __call__(self, archs: Sequence, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        idx = np.array([self.rows[self.space.normalize(a)] for a in archs], dtype=int)
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
    """A space restricted to the architectures a table covers (for `--proxy-source table`)."""

    def __init__(self, space, archs: Sequence):
        self.base = space
        self.members = [space.normalize(a) for a in archs]
        self.member_set = set(self.members)

    def sample(self, rng):
        return self.members[int(rng.integers(len(self.members)))]

    def mutate(self, arch, rng):
        for _ in range(32):                      # a random one-edge neighbour inside the table
            child = self.base.mutate(arch, rng)
            if child in self.member_set:
                return child
        return self.sample(rng)

    def sample_distinct(self, n: int, rng) -> list:
        picked, keys = [], set()
        for i in rng.permutation(len(self.members)):
            key = self.base.key(self.members[i])
            if key not in keys:
                keys.add(key)
                picked.append(self.members[i])
                if len(picked) == n:
                    break
        return picked

    def __getattr__(self, name):
        return getattr(self.base, name)


def make_measure(source: str, space, names: Sequence[str], dataset: str, *, data: str | None = "synthetic",
                 batch_size: int = 32, device: str = "auto", seed: int = 0, threads: int | None = 1,
                 data_dir=None):
    """(measure, the space to search): proxies computed by torch, or read from the task table
    (then only the table's architectures are reachable)."""
    if source == "table":
        from zcgp.fitness.tasks import load_tasks

        task = load_tasks(f"{space.name}/{dataset}", data_dir)[0]
        return TableMeasure(task, space, names), TableSpace(space, task.archs)
    num_classes, resolution = space.tasks[dataset]
    return TorchMeasure(space, names, num_classes, data, resolution, batch_size, device, seed, threads), space


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
