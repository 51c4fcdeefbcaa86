"""The one path from architectures to proxy values: build each network, compute its proxies.

Seeding rule (every command and the API use it, so `zcgp proxies` and `zcgp search` agree to
the last bit for the same architecture, seed and batch): the weights of initialisation `i`
of an architecture are drawn under `torch.manual_seed(crc32(f"{seed}:{key}"))` for i = 0 and
`crc32(f"{seed}:{i}:{key}")` for i > 0, where `key` is the space's canonical key, in a forked
RNG state; that network's passes then run under `torch.manual_seed(seed + i)`
(`proxies.compute`). A value is the mean over `inits` initialisations. So a value depends
on (architecture, seed, batch, inits) alone: never on the other networks, their order, the
chunking or the number of workers. The input batch is `load_batch(data, batch_size, classes,
resolution, seed)`.

`measure_networks` computes values and failures for a list of architectures, serially or
in joblib workers (loky, multiprocessing, or dask with a scheduler address); `TorchMeasure`
is that as a callable over a search's batches; `TableMeasure` reads precomputed values from
a task table; `SharedMeasure` caches values per (architecture key, proxy).
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from zcgp.errors import UserInputError

BACKENDS = ("loky", "multiprocessing")     # joblib backends for networks; dask via a scheduler

__all__ = ["BACKENDS", "MeasureSettings", "SharedMeasure", "TableMeasure", "TorchMeasure", "build_network",
           "measure_networks"]


@dataclass(frozen=True)
class MeasureSettings:
    """How proxies of freshly built networks are measured (the defaults of `zcgp search`,
    `zcgp proxies` and `zcgp.search`).

    Parameters
    ----------
    data : str
        "synthetic" (a seeded random batch) or "cifar10:/path/to/cifar-10-batches-py".
    batch_size : int
        Inputs in the one minibatch. 16 ranks NB201 about as 32 (the tables' batch) does, at
        about 0.6 of the cost (docs: results, proxies).
    inits : int
        Weight initialisations each value is averaged over (R times the cost per network,
        less noise from the initial weights).
    seed : int
        Seed of the weights, the batch and the passes (see the module docstring).
    device : str
        "auto" (CUDA when available), "cpu", "cuda" or "cuda:N".
    threads : int or None
        torch CPU threads per process (None or 0: torch's choice).

    Examples
    --------
    >>> settings = MeasureSettings(batch_size=32).validate()
    >>> settings.to_dict()
    {'data': 'synthetic', 'batch_size': 32, 'inits': 2, 'seed': 0, 'device': 'auto', 'threads': 1}
    >>> MeasureSettings(inits=0).validate()
    Traceback (most recent call last):
    ...
    zcgp.errors.UserInputError: inits must be >= 1, got 0
    """

    data: str = "synthetic"
    batch_size: int = 16
    inits: int = 2
    seed: int = 0
    device: str = "auto"
    threads: int | None = 1

    def validate(self) -> MeasureSettings:
        """Check the settings that need no torch or data access.

        The data spec and the device are checked where they are used (`load_batch`,
        `resolve_device`).

        Returns
        -------
        MeasureSettings
            These settings, unchanged.

        Raises
        ------
        UserInputError
            When `batch_size` or `inits` is below 1 or `threads` is negative.
        """
        if self.batch_size < 1:
            raise UserInputError(f"batch size must be >= 1, got {self.batch_size}")
        if self.inits < 1:
            raise UserInputError(f"inits must be >= 1, got {self.inits}")
        if self.threads is not None and self.threads < 0:
            raise UserInputError(f"threads must be >= 0, got {self.threads}")
        return self

    def to_dict(self) -> dict:
        """The settings as a plain dict (for run records and result files).

        Returns
        -------
        dict
            Field name -> value, in field order.
        """
        return asdict(self)


def build_network(space, arch, seed: int, num_classes: int, init: int = 0):
    """Initialisation `init` of `arch`, its weights seeded by (seed, init, canonical key).

    The weights are drawn under ``torch.manual_seed(crc32(salt))`` in a forked CPU RNG state,
    salt ``f"{seed}:{key}"`` for init 0 and ``f"{seed}:{init}:{key}"`` otherwise (see the
    module docstring), so the caller's RNG is untouched.

    Parameters
    ----------
    space : SearchSpace
        Builds (`space.build`) and keys (`space.key`) the network.
    arch : Any
        An architecture of `space`.
    seed : int
        The measurement seed.
    num_classes : int
        Output classes of the network.
    init : int
        Which initialisation (0, 1, ...).

    Returns
    -------
    torch.nn.Module
        The freshly built network.

    Raises
    ------
    UserInputError
        When `arch` is malformed in `space` or `num_classes` is not a positive integer.
    """
    import torch

    salt = f"{seed}:{space.key(arch)}" if init == 0 else f"{seed}:{init}:{space.key(arch)}"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(zlib.crc32(salt.encode()))
        return space.build(arch, num_classes)


def _measure_chunk(space, archs, names, num_classes, inputs, targets, device, seed, threads, inits):
    """Worker body: (values, failures [(position, proxy, reason)], build s, proxy s) of `archs`,
    each value the mean over `inits` initialisations, one network in memory at a time."""
    import torch

    from zcgp.proxies.compute import compute_proxies

    if threads:
        torch.set_num_threads(threads)
    values = {n: np.empty(len(archs)) for n in names}
    failures: list[tuple[int, str, str]] = []
    build = proxy = 0.0
    for i, arch in enumerate(archs):
        runs = []
        for init in range(inits):
            start = time.perf_counter()
            net = build_network(space, arch, seed, num_classes, init)
            middle = time.perf_counter()
            result = compute_proxies(net, inputs, targets, names=names, device=device, seed=seed + init)
            proxy += time.perf_counter() - middle
            build += middle - start
            runs.append(result)
            failures += [(i, f.proxy, f.reason) for f in result.failures]
        for n in names:
            values[n][i] = float(np.mean([r[n][0] for r in runs]))
    unique = list(dict.fromkeys(failures))           # one line per (network, proxy) over the inits
    return values, unique, build, proxy


def _pieces(archs: list, n_jobs: int, chunk: int | None) -> list[list]:
    if chunk is None:
        chunk = max(1, math.ceil(len(archs) / max(n_jobs, 1)))
    return [archs[i:i + chunk] for i in range(0, len(archs), chunk)]


def _run_pieces(space, pieces, args, n_jobs: int, backend: str, scheduler: str | None, bar=None) -> list:
    def tick(parts):
        out = []
        for part, piece in zip(parts, pieces):
            out.append(part)
            if bar is not None:
                bar.update(len(piece))
        return out

    if (n_jobs == 1 and not scheduler) or len(pieces) < 2:
        return tick(_measure_chunk(space, piece, *args) for piece in pieces)
    import joblib

    jobs = (joblib.delayed(_measure_chunk)(space, piece, *args) for piece in pieces)
    if not scheduler:
        return tick(joblib.Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")(jobs))
    try:
        from dask.distributed import Client
    except ImportError:
        raise UserInputError("--scheduler needs dask[distributed] installed") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise UserInputError(f"cannot connect to dask scheduler {scheduler}: {exc}") from None
    try:
        with joblib.parallel_config(backend="dask"):
            return tick(joblib.Parallel(n_jobs=n_jobs, return_as="generator")(jobs))
    finally:
        client.close()


def measure_networks(space, archs: Sequence, names: Sequence[str], num_classes: int, resolution: int,
                     settings: MeasureSettings = MeasureSettings(), *, n_jobs: int = 1, backend: str = "loky",
                     scheduler: str | None = None, chunk: int | None = None, inputs=None, targets=None,
                     progress: bool = False):
    """A `ProxyResult` of proxies `names` for `archs` (input order), built and measured under the
    seeding rule of this module; identical for any `n_jobs`, `backend`, `scheduler` or `chunk`.

    Parameters
    ----------
    space : SearchSpace
        Builds the networks (`space.build`) and keys them (`space.key`).
    archs : sequence
        Architectures of `space`.
    names : sequence of str
        Proxy names (`proxies.registry`).
    num_classes, resolution : int
        The task's output classes and input resolution.
    settings : MeasureSettings
        Batch, initialisations, seed, device, threads.
    n_jobs : int
        Worker processes (-1: every core).
    backend : str
        A joblib backend of BACKENDS (ignored with `scheduler`).
    scheduler : str or None
        A dask.distributed scheduler address.
    chunk : int or None
        Networks per job (default: an even share per worker).
    inputs, targets : torch.Tensor or None
        The minibatch (default: `load_batch` from the settings).
    progress : bool
        A progress bar on stderr (networks done; pieces of at most 4 networks).

    Returns
    -------
    ProxyResult
        name -> float64 array, NaN where a proxy failed; `failures` lists them; `seconds`
        holds the CPU seconds spent "building" and on "proxies", summed over workers.

    Raises
    ------
    UserInputError
        When the settings, `n_jobs`, `backend`, the device or the data spec are invalid, a
        proxy name is unknown, an architecture is malformed, or the dask scheduler cannot be
        reached (or dask is not installed).
    """
    from zcgp.proxies.compute import Failure, ProxyResult, resolve_device
    from zcgp.proxies.data import load_batch

    settings.validate()
    if n_jobs == 0 or n_jobs < -1:
        raise UserInputError(f"--n-jobs must be a positive number or -1 (all cores), got {n_jobs}")
    if backend not in BACKENDS:
        raise UserInputError(f"unknown backend '{backend}'; choose from {', '.join(BACKENDS)}")
    device = resolve_device(settings.device)
    if inputs is None:
        inputs, targets = load_batch(settings.data, settings.batch_size, num_classes, resolution, settings.seed)
    names, archs = tuple(names), list(archs)
    workers = 1 if device.type == "cuda" else n_jobs
    if workers == -1:
        import os

        workers = os.cpu_count() or 1
    pieces = _pieces(archs, workers, chunk if chunk is not None or not progress else 4)
    args = (names, num_classes, inputs, targets, device, settings.seed, settings.threads, settings.inits)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(archs), desc="proxies", unit="net")
    try:
        parts = _run_pieces(space, pieces, args, workers, backend, scheduler, bar)
    finally:
        if bar is not None:
            bar.close()
    values = {n: np.concatenate([p[0][n] for p in parts]) if parts else np.empty(0) for n in names}
    failures, offset = [], 0
    for piece, (_, fails, _, _) in zip(pieces, parts):
        failures += [Failure(offset + i, proxy, reason) for i, proxy, reason in fails]
        offset += len(piece)
    seconds = {"building": sum(p[2] for p in parts), "proxies": sum(p[3] for p in parts)}
    return ProxyResult(values=values, failures=failures, seconds=seconds)


class TorchMeasure:
    """Raw proxies of freshly built networks of `space` (`measure_networks` as a callable).

    Calling it with a list of architectures (and optionally a subset of names) returns
    name -> float64 array of their values (NaN where a proxy failed); `seconds` accumulates
    the time spent building networks and computing proxies. The batch is loaded once, at
    construction.

    Parameters
    ----------
    space : SearchSpace
        Builds and keys the networks.
    names : sequence of str
        The proxies computed when a call names none.
    num_classes : int
        Output classes of the networks.
    resolution : int
        Input resolution of the batch.
    settings : MeasureSettings
        Data, batch size, initialisations, seed, device and threads.
    workers : int
        Worker processes per call (1 on CUDA).

    Raises
    ------
    UserInputError
        When the settings, `workers`, the device or the data spec are invalid.
    """

    def __init__(self, space, names: Sequence[str], num_classes: int, resolution: int,
                 settings: MeasureSettings = MeasureSettings(), workers: int = 1):
        import torch

        from zcgp.proxies.compute import resolve_device
        from zcgp.proxies.data import load_batch

        settings.validate()
        if workers < 1:
            raise UserInputError(f"workers must be >= 1, got {workers}")
        if settings.threads:
            torch.set_num_threads(settings.threads)
        self.space, self.names, self.num_classes, self.resolution = space, tuple(names), num_classes, resolution
        self.settings = settings
        self.device = resolve_device(settings.device)
        self.workers = 1 if self.device.type == "cuda" else workers
        self.inputs, self.targets = load_batch(settings.data, settings.batch_size, num_classes, resolution,
                                               settings.seed)
        self.seconds = {"building": 0.0, "proxies": 0.0}
        self.key_fields = {"space": space.name, "data": settings.data, "batch_size": settings.batch_size,
                           "resolution": resolution, "num_classes": num_classes, "seed": settings.seed,
                           "device": self.device.type, "inits": settings.inits}

    def __call__(self, archs: Sequence, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        result = measure_networks(self.space, archs, tuple(names or self.names), self.num_classes,
                                  self.resolution, self.settings, n_jobs=self.workers, inputs=self.inputs,
                                  targets=self.targets)
        for kind, seconds in result.seconds.items():
            self.seconds[kind] += seconds
        return dict(result.values)


class TableMeasure:
    """Precomputed proxies from a task table: only architectures in the table can be scored
    (found by canonical key, so any spelling of a table network works).

    Calling it with a list of architectures (and optionally other names of the table) returns
    name -> array of their table values; an architecture not in the table raises KeyError.
    `available` is every proxy of the table; `seconds` stays zero.

    Parameters
    ----------
    task : Task
        A task table with `id`, `archs`, `proxies` and `column(name)` (`zcgp.fitness.tasks`).
    space : SearchSpace
        The table's space; its `key` finds the rows.
    names : sequence of str
        The proxies read when a call names none.

    Raises
    ------
    UserInputError
        When the task has no values for one of `names`.
    """

    def __init__(self, task, space, names: Sequence[str]):
        self.space, self.names, self.task = space, tuple(names), task
        self.available = frozenset(task.proxies)
        self.values: dict[str, np.ndarray] = {}
        self._read(self.names)
        self.rows: dict[str, int] = {}
        for i, arch in enumerate(task.archs):
            self.rows.setdefault(space.key(arch), i)
        self.seconds = {"building": 0.0, "proxies": 0.0}

    def _read(self, names: Sequence[str]) -> None:
        """Load the table columns of `names` not loaded yet; raise naming those the table lacks."""
        missing = [n for n in names if n not in self.available]
        if missing:
            raise UserInputError(f"task {self.task.id} has no values for {', '.join(missing)}")
        for n in names:
            if n not in self.values:
                self.values[n] = self.task.column(n)

    def __call__(self, archs: Sequence, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        idx = np.array([self.rows[self.space.key(a)] for a in archs], dtype=int)
        names = tuple(names or self.names)
        self._read(names)
        return {n: self.values[n][idx] for n in names}


class SharedMeasure:
    """Caches a measure's values per (architecture key, proxy), so each network's proxies are
    computed once and only the ones asked for; `view(names)` is a measure of a subset.

    Calling it with a list of architectures (and optionally names) asks `measure` only for
    the (key, proxy) values not cached yet and returns name -> array for all of them.
    `available` is the wrapped measure's (a table's proxies), None when it computes any proxy.

    Parameters
    ----------
    measure : TorchMeasure or TableMeasure
        The measure computing missing values; it has `names` and `seconds`.
    space : SearchSpace
        Keys the architectures (`space.key`).
    """

    def __init__(self, measure, space):
        self.measure, self.space, self.cache = measure, space, {}
        self.names = measure.names
        self.available = getattr(measure, "available", None)

    @property
    def seconds(self) -> dict:
        """The wrapped measure's time spent building networks and computing proxies."""
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
        """A measure of `names` only (a subset asked for is honoured).

        Parameters
        ----------
        names : sequence of str
            The proxies the view computes when a call names none.

        Returns
        -------
        callable
            ``view(archs, subset=None)`` -> name -> array, sharing this cache.
        """
        return lambda archs, subset=None: self(archs, subset or names)
