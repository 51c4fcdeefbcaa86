"""Proxies of many architectures of a space, serially or through joblib processes (loky, dask).

Architectures are cut into fixed chunks in input order; a worker builds each network under
`torch.manual_seed(seed)`, loads the same seeded batch and calls `compute_proxies`, whose
passes are seeded per network. So every value is a function of (architecture, seed, batch)
alone and the result is identical for any n_jobs, backend or chunk size. (Threads are not
offered: network initialisation draws from torch's global generator, shared by threads.)
"""

from __future__ import annotations

import numpy as np

from zcgp.spaces.errors import UserInputError

BACKENDS = ("loky", "multiprocessing")


def _chunk(space_name: str, archs: list, names: tuple, num_classes: int, resolution: int, data: str,
           batch_size: int, seed: int, device: str, threads: int | None):
    import torch

    from zcgp.proxies.compute import compute_proxies
    from zcgp.proxies.data import load_batch
    from zcgp.spaces import get_space

    if threads:
        torch.set_num_threads(threads)
    space = get_space(space_name)
    inputs, targets = load_batch(data, batch_size, num_classes, resolution, seed)

    def networks():
        for arch in archs:
            torch.manual_seed(seed)
            yield space.build(arch, num_classes)

    result = compute_proxies(networks(), inputs, targets, names=names, device=device, seed=seed)
    return result.values, [(f.network, f.proxy, f.reason) for f in result.failures]


def compute_many(space_name: str, archs: list, names, *, num_classes: int, resolution: int,
                 data: str = "synthetic", batch_size: int = 32, seed: int = 0, device: str = "cpu",
                 n_jobs: int = 1, backend: str = "loky", scheduler: str | None = None, chunk: int = 4,
                 threads: int | None = None):
    """A `ProxyResult` over `archs` (input order), computed in chunks of `chunk` networks by
    `n_jobs` joblib workers (dask with `scheduler`); identical to n_jobs=1."""
    from zcgp.proxies.compute import Failure, ProxyResult

    if n_jobs == 0 or n_jobs < -1:
        raise UserInputError(f"--n-jobs must be a positive number or -1 (all cores), got {n_jobs}")
    if backend not in BACKENDS:
        raise UserInputError(f"unknown backend '{backend}'; choose from {', '.join(BACKENDS)}")
    names = tuple(names)
    pieces = [archs[i:i + chunk] for i in range(0, len(archs), chunk)]
    args = (names, num_classes, resolution, data, batch_size, seed, device, threads)
    if n_jobs == 1 and not scheduler:
        parts = [_chunk(space_name, piece, *args) for piece in pieces]
    else:
        import joblib
        if scheduler:
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
                    parts = joblib.Parallel(n_jobs=n_jobs)(
                        joblib.delayed(_chunk)(space_name, piece, *args) for piece in pieces)
            finally:
                client.close()
        else:
            parts = joblib.Parallel(n_jobs=n_jobs, backend=backend)(
                joblib.delayed(_chunk)(space_name, piece, *args) for piece in pieces)
    values = {name: np.concatenate([p[0][name] for p in parts]) if parts else np.empty(0) for name in names}
    failures, offset = [], 0
    for piece, (_, fails) in zip(pieces, parts):
        failures += [Failure(offset + i, proxy, reason) for i, proxy, reason in fails]
        offset += len(piece)
    return ProxyResult(values=values, failures=failures)
