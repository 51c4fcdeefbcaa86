"""The true accuracy of a found architecture: what a search is judged by (read only to report).

NB201: the NAS-Bench-201 test-accuracy table (every one of the 15,625 cells, all three
datasets); other spaces: the rows of the task's NAS-Bench-Suite-Zero table (validation
accuracy), where an architecture outside them is "not in the table".
"""

from __future__ import annotations

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import task_split
from zcgp.nas.objectives import table_task
from zcgp.spaces.nb201 import load_table, to_index

__all__ = ["Benchmark", "best_labeled", "labeled_best", "labels_alone", "objective_labels"]


class Benchmark:
    """True accuracy of found architectures: NB201's test-accuracy table for nb201 (every
    cell, all three datasets) unless `table_only`, else the task's NAS-Bench-Suite-Zero rows
    (validation accuracy; an architecture outside them is "not in the table").

    Accuracies are in percent, as the tables store them. Each lookup also gives the
    architecture's percentile: 100 times the share of the table's values strictly below it.

    Parameters
    ----------
    space : SearchSpace
        The searched space; its `name` picks the table and its `key` identifies architectures.
    task : str
        The task within the space, e.g. "cifar10"; `accuracy` reports this one.
    table_only : bool, default False
        For nb201, use the task's NAS-Bench-Suite-Zero rows (validation accuracy) instead of the
        full NB201 test-accuracy table.
    nb201_table : str, os.PathLike or None, optional
        The NB201 CSV table (`spaces.nb201.load_table`); None: $ZCGP_NB201_TABLE, else the
        shipped copy.
    data_dir : str or os.PathLike, optional
        The directory of the NAS-Bench-Suite-Zero JSON files (default: $ZCGP_DATA_DIR, else the
        shipped copies).

    Attributes
    ----------
    metric : str
        "test_accuracy" (the NB201 table) or "val_accuracy" (a NAS-Bench-Suite-Zero table).
    source : str
        Where the values come from: the NB201 table's path, or the task id and its size.

    Raises
    ------
    ZcgpError
        When the table cannot be read or the task is unknown (`UserInputError` for the NB201
        table).
    """

    def __init__(self, space, task: str, *, table_only: bool = False, nb201_table=None, data_dir=None):
        self.space, self.task = space, task
        if space.name == "nb201" and not table_only:
            self.nb201 = load_table(nb201_table)
            self.metric, self.source = "test_accuracy", self.nb201.path
            return
        self.nb201 = None
        table = table_task(space, task, data_dir)
        self.metric, self.source = "val_accuracy", f"{table.id} ({table.n} architectures)"
        self.values = np.asarray(table.target, dtype=float)
        self.rows: dict[str, int] = {}
        for i, arch in enumerate(table.archs):
            self.rows.setdefault(space.key(arch), i)

    def lookup(self, arch) -> dict[str, dict] | None:
        """Everything the benchmark knows about `arch`: accuracy and percentile per task.

        Parameters
        ----------
        arch : object
            An architecture of the space, in any spelling the space's `key` (or, for the NB201
            table, `spaces.nb201.to_index`) accepts.

        Returns
        -------
        dict of str to dict, or None
            {task: {metric: accuracy in percent, "percentile": percentile in [0, 100]}}: all three
            NB201 datasets from the NB201 table, else only `task`; None when `arch` is not among the
            table's rows.
        """
        if self.nb201 is not None:
            index = to_index(arch, self.nb201)
            return {t: self._entry(v, float(v[index])) for t, v in self.nb201.accuracy.items()}
        row = self.rows.get(self.space.key(arch))
        return None if row is None else {self.task: self._entry(self.values, float(self.values[row]))}

    def accuracy(self, arch) -> float | None:
        """The true accuracy (percent) of `arch` on this benchmark's task.

        Parameters
        ----------
        arch : object
            An architecture of the space, in any spelling the space's `key` accepts.

        Returns
        -------
        float or None
            `metric` of `arch` on `task`; None when it is not in the table.
        """
        found = self.lookup(arch)
        return None if found is None else found[self.task][self.metric]

    def _entry(self, values: np.ndarray, value: float) -> dict:
        return {self.metric: value, "percentile": float(100.0 * (values < value).mean())}


def objective_labels(labels: dict | None, space: str) -> dict:
    """Which labels a search objective saw, for its result.

    The tasks it was evolved on, how many labeled architectures of the searched `space` it saw
    (0: transfer; None: unknown, a formula given as text) and whether the search is in
    distribution.

    Parameters
    ----------
    labels : dict or None
        `fitness.splits.label_counts` of the objective ({} for a hand-crafted proxy or random
        search; None when unknown). Its "tasks" and "spaces" entries are read.
    space : str
        The searched space.

    Returns
    -------
    dict
        {"tasks": sorted task ids or None, "space_labels": int or None, "in_distribution": bool
        or None}; all three None when `labels` is None.
    """
    if labels is None:
        return {"tasks": None, "space_labels": None, "in_distribution": None}
    seen = int(labels.get("spaces", {}).get(space, 0))
    return {"tasks": sorted(labels.get("tasks", {})), "space_labels": seen, "in_distribution": seen > 0}


def _labeled_tasks(labels: dict | None, space: str, task: str) -> list[str]:
    """The labeled task ids of `space` that count: the searched task's alone when it is labeled,
    else every labeled task of the space."""
    ids = [t for t in (labels or {}).get("tasks", {}) if t.split("/", 1)[0] == space]
    own = f"{space}/{task}"
    return [own] if own in ids else ids


def labeled_best(space, task: str, labels: dict, seed: int, train_fraction: float, count: int | None = 1,
                 data_dir=None) -> tuple[str, list] | None:
    """The labeled architectures of the searched space with the best validation accuracy.

    Among the labeled rows of the searched task (else of the space's labeled tasks, the one
    whose best row ranks highest within its own labeled rows), the `count` best by validation
    accuracy.

    Parameters
    ----------
    space : SearchSpace
        The searched space; its `name` and `normalize` are used.
    task : str
        The searched task, e.g. "cifar10".
    labels : dict
        `fitness.splits.label_counts` of the objective, optionally with "archs" ({task id:
        labeled architectures}, written by an adapted proxy); "tasks" and "archs" are read.
    seed : int
        The split seed of the run that produced the labels.
    train_fraction : float
        The train fraction of that run, in (0, 1); the labeled rows are the train split
        (`fitness.splits.task_split`) unless "archs" lists them.
    count : int or None, default 1
        How many, best first; None: every labeled architecture.
    data_dir : str or os.PathLike, optional
        The directory of the NAS-Bench-Suite-Zero JSON files (default: $ZCGP_DATA_DIR, else the
        shipped copies).

    Returns
    -------
    tuple of (str, list of (architecture, float)) or None
        The labeled task id and its best architectures (standard form) with their validation
        accuracy, best first; None when the space has no labels or they are of a user's own
        table.
    """
    ids = _labeled_tasks(labels, space.name, task)
    if not ids:
        return None
    listed = labels.get("archs", {})             # an adapted proxy names its labeled architectures
    try:
        loaded = load_tasks(ids, data_dir=data_dir)
    except ZcgpError:                             # labels of a user's own table: not shipped
        return None
    best = None
    for labeled in loaded:
        if labeled.id in listed:
            rows = _listed_rows(space, labeled, listed[labeled.id])
        else:
            rows = task_split(labeled, seed, train_fraction)[0]
        values = labeled.target[rows]
        i = int(np.argmax(values))
        rank = float((values < values[i]).mean() if len(ids) > 1 else values[i])
        if best is None or rank > best[0]:
            best = (rank, labeled, rows[np.argsort(-values, kind="stable")[:count]])
    _, labeled, rows = best
    return labeled.id, [(space.normalize(labeled.archs[r]), float(labeled.target[r])) for r in rows]


def _listed_rows(space, task, archs) -> np.ndarray:
    """The row of each listed architecture: its own string, else the first row of its cell (a
    table may spell a cell otherwise); never a second row of a cell, whose label was not given."""
    exact, first = {}, {}
    for i, a in enumerate(task.archs):
        exact.setdefault(a, i)
        first.setdefault(space.key(a), i)
    rows = {exact[a] if a in exact else first.get(space.key(a)) for a in archs}
    return np.array(sorted(rows - {None}), dtype=int)


def labels_alone(benchmark: Benchmark, labels: dict, seed: int, train_fraction: float, data_dir=None) -> dict | None:
    """What the labels of the searched space buy alone, the baseline a search should beat: the
    labeled architecture with the best validation accuracy (`labeled_best`), looked up in the
    benchmark.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark of the search; its space and task are used.
    labels, seed, train_fraction, data_dir
        As `labeled_best`.

    Returns
    -------
    dict or None
        {"arch": string, "labeled_task": task id, "val_accuracy": percent,
        "labeled_architectures": labels of the space's tasks, "benchmark": `Benchmark.lookup` of
        the architecture}; None when the space has no labels or they are of a user's own table.
    """
    found = labeled_best(benchmark.space, benchmark.task, labels, seed, train_fraction, 1, data_dir)
    if found is None:
        return None
    task_id, best = found
    ids = _labeled_tasks(labels, benchmark.space.name, benchmark.task)
    return best_labeled(benchmark, best, task_id, int(sum(labels["tasks"].get(i, 0) for i in ids)))


def best_labeled(benchmark: Benchmark, labeled, labeled_task: str, count: int) -> dict:
    """"Labels alone" of labeled architectures given best first: the first, looked up in the benchmark.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark of the search.
    labeled : sequence of (architecture, float)
        The labeled architectures with their accuracy, best first.
    labeled_task : str
        Where the labels come from (a task id, a table file).
    count : int
        How many labeled architectures of the space there are.

    Returns
    -------
    dict
        As `labels_alone`'s.
    """
    arch, accuracy = labeled[0]
    return {"arch": benchmark.space.to_string(arch), "labeled_task": labeled_task, "val_accuracy": float(accuracy),
            "labeled_architectures": int(count), "benchmark": benchmark.lookup(arch)}
