"""Deterministic train/test splits shared by every command, so numbers are comparable."""

from __future__ import annotations

import zlib

import numpy as np

from zcgp.errors import ZcgpError

__all__ = ["DEFAULT_TRAIN_FRACTION", "label_counts", "split_indices", "task_split"]

DEFAULT_TRAIN_FRACTION = 0.2


def split_indices(task_id: str, n: int, seed: int = 0,
                  train_fraction: float = DEFAULT_TRAIN_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """The (train, test) split of a task's architectures.

    The split is a function of (task id, n, seed, fraction) only, so every command, process
    and machine draws the same rows.

    Parameters
    ----------
    task_id : str
        The task id, e.g. "nb201/cifar10"; it seeds the draw together with `seed`.
    n : int
        The number of architectures of the task.
    seed : int, default 0
        The split seed.
    train_fraction : float, default DEFAULT_TRAIN_FRACTION (0.2)
        Share of the architectures in the train split, in (0, 1); the train size is
        ``round(train_fraction * n)``.

    Returns
    -------
    train, test : numpy.ndarray of int
        Sorted, disjoint row indices that together cover ``range(n)``.

    Raises
    ------
    ZcgpError
        When `train_fraction` is not in (0, 1), or either part would hold fewer than 3
        architectures.

    Examples
    --------
    >>> train, test = split_indices("nb201/cifar10", 10, seed=0, train_fraction=0.3)
    >>> train.size, test.size
    (3, 7)
    >>> sorted(train.tolist() + test.tolist()) == list(range(10))
    True
    """
    if not 0.0 < train_fraction < 1.0:
        raise ZcgpError(f"train fraction must lie in (0, 1), got {train_fraction}")
    n_train = round(train_fraction * n)
    if n_train < 3 or n - n_train < 3:
        raise ZcgpError(f"task {task_id}: {n} architectures are too few for a {train_fraction} split")
    rng = np.random.default_rng([int(seed), zlib.crc32(task_id.encode())])
    perm = rng.permutation(n)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


def task_split(task, seed: int = 0, train_fraction: float = DEFAULT_TRAIN_FRACTION):
    """The (train, test) split of a task: `split_indices` of its id and size.

    Parameters
    ----------
    task : Task
        The task (its `id` and `n` are used).
    seed : int, default 0
        The split seed.
    train_fraction : float, default DEFAULT_TRAIN_FRACTION (0.2)
        Share of the architectures in the train split, in (0, 1).

    Returns
    -------
    train, test : numpy.ndarray of int
        Sorted row indices into the task's arrays.

    Raises
    ------
    ZcgpError
        As `split_indices`.
    """
    return split_indices(task.id, task.n, seed, train_fraction)


def label_counts(tasks, seed: int = 0, train_fraction: float = DEFAULT_TRAIN_FRACTION) -> dict:
    """Which labels a formula evolved on the train splits of `tasks` has seen.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks evolved on.
    seed : int, default 0
        The split seed of the run.
    train_fraction : float, default DEFAULT_TRAIN_FRACTION (0.2)
        The train fraction of the run.

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
