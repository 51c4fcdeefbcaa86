"""Scoring many formulas, serially or with joblib (loky, threading, multiprocessing, dask).

Formulas are cut into fixed-size chunks in a fixed order whatever the number of workers,
and each chunk is a pure function of (dataset, codes), so results do not depend on
--n-jobs or the backend.
"""

from __future__ import annotations

from typing import Self

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.gp.dataset import Dataset, score_chunk

__all__ = ["BACKENDS", "CHUNK", "Evaluator"]

BACKENDS = ("loky", "threading", "multiprocessing", "dask")
CHUNK = 64
# a chunk's formula values (chunk x architectures float64) stay within 16 MiB: on 19 tasks of
# 1e5 architectures 64 formulas at once would allocate (and page-fault) ~1 GB per chunk
CHUNK_ELEMENTS = 2 ** 21


class Evaluator:
    """Callable: list of codes -> (k, width) per-task scores. Use as a context manager.

    Inside ``with evaluator:`` a joblib pool (or a dask client) stays open across calls;
    outside, or with ``n_jobs=1`` and no dask, calls run serially. The result is the same
    for every `n_jobs` and backend.

    Parameters
    ----------
    dataset : Dataset
        The data formulas are scored on (`gp.dataset.score_chunk`).
    n_jobs : int, default 1
        Worker processes or threads, or -1 for all cores.
    backend : str, default "loky"
        One of BACKENDS; "dask" needs `scheduler`.
    scheduler : str, optional
        A dask scheduler address (e.g. "tcp://host:8786"); implies the dask backend.
    chunk : int, default CHUNK
        Formulas per chunk, the unit of work of one worker call (fewer on large datasets, so
        a chunk's values stay within 16 MiB).

    Raises
    ------
    ZcgpError
        When `backend` is unknown, `n_jobs` is 0 or below -1, or the dask backend has no
        scheduler; entering the context, when dask is not installed or the scheduler cannot
        be reached.
    """

    def __init__(self, dataset: Dataset, n_jobs: int = 1, backend: str = "loky",
                 scheduler: str | None = None, chunk: int = CHUNK):
        if backend not in BACKENDS:
            raise ZcgpError(f"unknown backend '{backend}'; choose from {', '.join(BACKENDS)}")
        if n_jobs == 0 or n_jobs < -1:
            raise ZcgpError(f"--n-jobs must be a positive number or -1 (all cores), got {n_jobs}")
        if backend == "dask" and not scheduler:
            raise ZcgpError("the dask backend needs --scheduler ADDRESS (e.g. tcp://host:8786)")
        if scheduler and backend != "dask":
            backend = "dask"
        self.dataset = dataset
        self.n_jobs = n_jobs
        self.backend = backend
        self.scheduler = scheduler
        self.chunk = chunk
        self._parallel = None
        self._client = None
        self._config = None

    @property
    def parallel(self) -> bool:
        """Whether calls go through joblib (n_jobs other than 1, or dask)."""
        return self.n_jobs != 1 or self.backend == "dask"

    def __enter__(self) -> Self:
        if not self.parallel:
            return self
        import joblib
        if self.backend == "dask":
            try:
                from dask.distributed import Client
            except ImportError:
                raise ZcgpError("the dask backend needs dask[distributed] installed") from None
            try:
                self._client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise ZcgpError(f"cannot connect to dask scheduler {self.scheduler}: {exc}") from None
            self._config = joblib.parallel_config(backend="dask")
            self._config.__enter__()
            self._parallel = joblib.Parallel(n_jobs=self.n_jobs)
        else:
            self._parallel = joblib.Parallel(n_jobs=self.n_jobs, backend=self.backend)
        self._parallel.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._parallel is not None:
            self._parallel.__exit__(None, None, None)
            self._parallel = None
        if self._config is not None:
            self._config.__exit__(None, None, None)
            self._config = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def __call__(self, codes) -> np.ndarray:
        codes = list(codes)
        if not codes:
            return np.empty((0, self.dataset.width))
        size = max(1, min(self.chunk, CHUNK_ELEMENTS // max(self.dataset.n, 1)))
        chunks = [codes[i:i + size] for i in range(0, len(codes), size)]
        if self._parallel is None or len(chunks) == 1:
            parts = [score_chunk(self.dataset, c) for c in chunks]
        else:
            from joblib import delayed
            parts = self._parallel(delayed(score_chunk)(self.dataset, c) for c in chunks)
        return np.concatenate(parts, axis=0)
