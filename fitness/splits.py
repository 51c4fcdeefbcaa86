"""Deterministic train/test splits shared by every command, so numbers are comparable."""

from __future__ import annotations

import zlib

import numpy as np

from zcgp.errors import ZcgpError

DEFAULT_TRAIN_FRACTION = 0.2


def split_indices(task_id: str, n: int, seed: int = 0,
                  train_fraction: float = DEFAULT_TRAIN_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) sorted index arrays; a function of (task id, n, seed, fraction) only."""
    if not 0.0 < train_fraction < 1.0:
        raise ZcgpError(f"train fraction must lie in (0, 1), got {train_fraction}")
    n_train = round(train_fraction * n)
    if n_train < 3 or n - n_train < 3:
        raise ZcgpError(f"task {task_id}: {n} architectures are too few for a {train_fraction} split")
    rng = np.random.default_rng([int(seed), zlib.crc32(task_id.encode())])
    perm = rng.permutation(n)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


def task_split(task, seed: int = 0, train_fraction: float = DEFAULT_TRAIN_FRACTION):
    return split_indices(task.id, task.n, seed, train_fraction)


def label_counts(tasks, seed: int = 0, train_fraction: float = DEFAULT_TRAIN_FRACTION) -> dict:
    """Which labels a formula evolved on the train splits of `tasks` has seen.

    Returns
    -------
    dict
        {"tasks": {task id: labeled architectures}, "spaces": {space: distinct labeled
        architectures over its tasks}}; a space absent from "spaces" had none (transfer).
    """
    per_task, per_space = {}, {}
    for task in tasks:
        rows = task_split(task, seed, train_fraction)[0]
        per_task[task.id] = int(rows.size)
        per_space.setdefault(task.space, set()).update(task.archs[i] for i in rows)
    return {"tasks": per_task, "spaces": {s: len(archs) for s, archs in per_space.items()}}
