"""Measures: raw proxy values of a list of architectures of a space, one array per proxy name.

`TorchMeasure` builds each network (initial weights seeded by (seed, canonical key), so a
value never depends on the batch it is scored in or on what was scored before) and runs the
batched module on one minibatch (with `inits` > 1, on that many seeded initialisations of the
network, each value their mean); with `workers > 1` the networks are split over joblib
worker processes (one torch thread each), with values identical to one worker.
`TableMeasure` reads precomputed values from a task table (duck-typed: `archs`, `proxies`,
`column(name)`). `SharedMeasure` caches values per (architecture key, proxy).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence

import numpy as np
from zcgp.spaces.errors import UserInputError


def _build(space, arch, seed: int, num_classes: int, init: int = 0):
    import torch

    salt = f"{seed}:{space.key(arch)}" if init == 0 else f"{seed}:{init}:{space.key(arch)}"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(zlib.crc32(salt.encode()))
        return space.build(arch, num_classes)


def _measure_chunk(space, archs, names, num_classes, inputs, targets, device, seed, threads, inits=1):
    """Worker body: build and measure `archs` (each value the mean over `inits` weight
    initialisations); returns (values, build seconds, proxy seconds)."""
    import torch
    from zcgp.proxies.compute import compute_proxies

    if threads:
        torch.set_num_threads(threads)
    values = {n: np.empty(len(archs)) for n in names}
    build = proxy = 0.0
    for i, arch in enumerate(archs):         # one network in memory at a time
        runs = []
        for init in range(inits):
            start = time.perf_counter()
            net = _build(space, arch, seed, num_classes, init)
            middle = time.perf_counter()
            runs.append(compute_proxies(net, inputs, targets, names=names, device=device, seed=seed + init))
            proxy += time.perf_counter() - middle
            build += middle - start
        for n in names:
            values[n][i] = float(np.mean([r[n][0] for r in runs]))
    return values, build, proxy


class TorchMeasure:
    """Raw proxies of freshly built networks on one minibatch (batched torch module)."""

    def __init__(self, space, names: Sequence[str], num_classes: int, data: str | None, resolution: int,
                 batch_size: int, device: str, seed: int, threads: int | None = 1, workers: int = 1,
                 inits: int = 1):
        import torch
        from zcgp.proxies.compute import resolve_device
        from zcgp.proxies.data import load_batch

        if workers < 1:
            raise UserInputError(f"workers must be >= 1, got {workers}")
        if inits < 1:
            raise UserInputError(f"inits must be >= 1, got {inits}")
        if threads:
            torch.set_num_threads(threads)
        self.space, self.names, self.num_classes = space, tuple(names), num_classes
        self.device = resolve_device(device)
        self.seed, self.threads, self.inits = seed, threads, inits
        self.workers = 1 if self.device.type == "cuda" else workers
        self.inputs, self.targets = load_batch(data, batch_size, num_classes, resolution, seed)
        self.seconds = {"building": 0.0, "proxies": 0.0}
        self.key_fields = {"space": space.name, "data": data or "synthetic", "batch_size": batch_size,
                           "resolution": resolution, "num_classes": num_classes, "seed": seed,
                           "device": self.device.type, "inits": inits}

    def _chunks(self, archs: list) -> list[list]:
        n = min(self.workers, len(archs))
        return [archs[i::n] for i in range(n)]

    def __call__(self, archs: Sequence, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        names = tuple(names or self.names)
        archs = list(archs)
        args = (names, self.num_classes, self.inputs, self.targets, self.device, self.seed, self.threads or 1,
                self.inits)
        if self.workers == 1 or len(archs) < 2:
            parts = [_measure_chunk(self.space, archs, *args)]
            chunks = [archs]
        else:
            from joblib import Parallel, delayed

            chunks = self._chunks(archs)
            parts = Parallel(n_jobs=len(chunks), backend="loky")(
                delayed(_measure_chunk)(self.space, chunk, *args) for chunk in chunks)
        out = {n: np.empty(len(archs)) for n in names}
        n = len(chunks)
        for j, (values, build, proxy) in enumerate(parts):
            self.seconds["building"] += build
            self.seconds["proxies"] += proxy
            for name in names:
                out[name][j::n] = values[name]
        return out


class TableMeasure:
    """Precomputed proxies from a task table: only architectures in the table can be scored
    (found by canonical key, so any spelling of a table network works)."""

    def __init__(self, task, space, names: Sequence[str]):
        missing = [n for n in names if n not in task.proxies]
        if missing:
            raise UserInputError(f"task {task.id} has no values for {', '.join(missing)}")
        self.space, self.names = space, tuple(names)
        self.rows: dict[str, int] = {}
        for i, arch in enumerate(task.archs):
            self.rows.setdefault(space.key(arch), i)
        self.values = {n: task.column(n) for n in names}
        self.seconds = {"building": 0.0, "proxies": 0.0}

    def __call__(self, archs: Sequence, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        idx = np.array([self.rows[self.space.key(a)] for a in archs], dtype=int)
        return {n: self.values[n][idx] for n in (names or self.names)}


class SharedMeasure:
    """Caches a measure's values per (architecture key, proxy), so each network's proxies are
    computed once and only the ones asked for; `view(names)` is a measure of a subset."""

    def __init__(self, measure, space):
        self.measure, self.space, self.cache = measure, space, {}
        self.names = measure.names

    @property
    def seconds(self) -> dict:
        return self.measure.seconds

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
        """A measure of `names` only (a subset asked for is honoured)."""
        return lambda archs, subset=None: self(archs, subset or names)
