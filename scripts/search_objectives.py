"""Objectives for `zcgp search`: an exported formula, one hand-crafted proxy, or random.

An objective maps a list of architectures to one score each (higher is better). The raw
proxy values come from a *measure*: the batched torch module on a minibatch
(`TorchMeasure`) or precomputed values in a NAS-Bench-Suite-Zero table (`TableMeasure`).
A formula sees its terminals transformed against a fixed reference sample of random
architectures scored at the start, so the objective does not drift during the search.
"""

from __future__ import annotations

import importlib.util
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from fitness.errors import ZcgpError
from proxies.registry import PROXY_NAMES


# ----------------------------------------------------------------------------- exported formulas

def load_formula(path: str | Path):
    """Import an exported proxy.py (or DIR/proxy.py) and check its interface and terminals."""
    path = Path(path)
    if path.is_dir():
        path = path / "proxy.py"
    if not path.is_file():
        raise ZcgpError(f"proxy file not found: {path}")
    spec = importlib.util.spec_from_file_location(f"zcgp_formula_{zlib.crc32(str(path).encode())}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:                       # noqa: BLE001 - any failure is the file's
        raise ZcgpError(f"cannot load proxy file {path}: {type(exc).__name__}: {exc}") from None
    for attr in ("TERMINALS", "TRANSFORM", "FORMULA", "proxy"):
        if not hasattr(module, attr):
            raise ZcgpError(f"proxy file {path} lacks {attr}; export one with `zcgp export`")
    unknown = [t for t in module.TERMINALS if t not in PROXY_NAMES]
    if unknown:
        raise ZcgpError(f"proxy file {path} uses terminals the proxy module cannot compute: "
                        f"{', '.join(unknown)}; known: {', '.join(PROXY_NAMES)}")
    return module


# ----------------------------------------------------------------------------- measures

class TorchMeasure:
    """Raw proxies of freshly built networks on one minibatch (batched torch module)."""

    def __init__(self, space, names: Sequence[str], num_classes: int, data: str | None,
                 resolution: int, batch_size: int, device: str, seed: int):
        from proxies import compute_proxies, load_batch

        self.space, self.names, self.num_classes = space, tuple(names), num_classes
        self.device, self.seed, self._compute = device, seed, compute_proxies
        self.inputs, self.targets = load_batch(data, batch_size, num_classes, resolution, seed)

    def __call__(self, archs: Sequence) -> dict[str, np.ndarray]:
        networks = (self.space.build(a, self.num_classes) for a in archs)
        result = self._compute(networks, self.inputs, self.targets, names=self.names,
                               device=self.device, seed=self.seed)
        return {name: np.asarray(result[name], dtype=float) for name in self.names}


class TableMeasure:
    """Precomputed proxies from a task table: only architectures in the table can be scored."""

    def __init__(self, task, space, names: Sequence[str]):
        missing = [n for n in names if n not in task.proxies]
        if missing:
            raise ZcgpError(f"task {task.id} has no values for {', '.join(missing)}")
        self.space, self.names = space, tuple(names)
        self.rows = {space.normalize(a): i for i, a in enumerate(task.archs)}
        self.values = {n: task.column(n) for n in names}

    def __call__(self, archs: Sequence) -> dict[str, np.ndarray]:
        idx = np.array([self.rows[self.space.normalize(a)] for a in archs], dtype=int)
        return {n: self.values[n][idx] for n in self.names}


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


# ----------------------------------------------------------------------------- objectives

class FormulaObjective:
    """An exported formula, each architecture's terminals transformed against a fixed reference."""

    def __init__(self, module, measure, reference_archs: Sequence):
        self.module, self.measure = module, measure
        self.reference = measure(list(reference_archs))
        usable = np.all([np.isfinite(v) for v in self.reference.values()], axis=0)
        if usable.sum() < 2:
            raise ZcgpError("fewer than 2 reference architectures have finite proxy values")
        self.reference = {k: v[usable] for k, v in self.reference.items()}

    def __call__(self, archs: Sequence) -> np.ndarray:
        raw = self.measure(list(archs))
        out = np.empty(len(archs))
        for i in range(len(archs)):
            scores = {t: np.append(self.reference[t], raw[t][i]) for t in self.module.TERMINALS}
            if not all(np.isfinite(v[-1]) for v in scores.values()):
                out[i] = -np.inf
                continue
            out[i] = float(np.asarray(self.module.proxy(scores), dtype=float)[-1])
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
