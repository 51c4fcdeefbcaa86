"""The 19 NAS-Bench-Suite-Zero tasks as arrays: architectures x proxies, plus the target."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.data import SPACE_FILES, data_dir, read_space_file

__all__ = ["MIN_COVERAGE", "PROXY_ORDER", "Task", "build_task", "load_shipped", "make_task", "resolve_selector",
           "task_ids"]

# Canonical column order; proxies found in a file beyond these follow alphabetically.
PROXY_ORDER = (
    "flops", "params", "synflow", "snip", "grad_norm", "jacov",
    "nwot", "fisher", "grasp", "plain", "l2_norm", "epe_nas", "zen",
)
TARGET = "val_accuracy"
META_FIELDS = {"idx", "arch", TARGET}
SENTINEL = 1e8          # |x| >= SENTINEL marks a missing value in the files
MIN_COVERAGE = 0.9      # a proxy is usable on a task when >= 90% of its values are present
NB101_TOP = "nasbench101"


@dataclass(frozen=True, eq=False)
class Task:
    """One benchmark task: `values[i, j]` is proxy `proxies[j]` of architecture `archs[i]`.

    Build one with `make_task` (which drops proxies under MIN_COVERAGE) or load them with
    `fitness.sources.load_tasks`; a Task is immutable and compares by identity.

    Parameters
    ----------
    id : str
        "space/name", e.g. "nb201/cifar10"; the part before the first "/" is the `space`.
    archs : tuple of str
        Architecture identifiers, one per row.
    proxies : tuple of str
        Proxy names, one per column of `values`.
    values : numpy.ndarray of float, shape (n, p)
        Proxy values, NaN where missing.
    target : numpy.ndarray of float, shape (n,)
        The accuracy of each architecture (higher is better).
    cost : dict of str to float
        Mean compute seconds of each proxy per architecture, NaN when unknown.
    dropped : dict of str to float, optional
        Proxies left out as unusable on this task, with their coverage (share of values
        present).

    Examples
    --------
    >>> from zcgp.fitness.sources import load_tasks
    >>> task = load_tasks("nb201/cifar10")[0]
    >>> task.space, task.values.shape == (task.n, len(task.proxies))
    ('nb201', True)
    """

    id: str
    archs: tuple[str, ...]
    proxies: tuple[str, ...]
    values: np.ndarray                  # (n, p) float64, NaN where missing
    target: np.ndarray                  # (n,) float64, higher is better
    cost: dict[str, float]              # mean compute seconds per proxy, NaN when unknown
    dropped: dict[str, float] = field(default_factory=dict)  # unusable proxy -> coverage

    @property
    def space(self) -> str:
        """The search space: the id up to its first "/"."""
        return self.id.split("/", 1)[0]

    @property
    def n(self) -> int:
        """The number of architectures."""
        return len(self.archs)

    def subset(self, rows) -> Task:
        """The same task restricted to `rows` (e.g. the labeled architectures of a draw).

        Parameters
        ----------
        rows : array_like of int
            Row indices, in the order wanted (repeats allowed).

        Returns
        -------
        Task
            A task with the same id, proxies, cost and dropped proxies, and the given rows of
            `archs`, `values` and `target`.
        """
        rows = np.asarray(rows, dtype=int)
        return replace(self, archs=tuple(self.archs[i] for i in rows), values=self.values[rows],
                       target=self.target[rows])

    def column(self, proxy: str) -> np.ndarray:
        """The values of one proxy over all architectures.

        Parameters
        ----------
        proxy : str
            A name in `proxies`.

        Returns
        -------
        numpy.ndarray of float, shape (n,)
            A view of the column of `values` (NaN where missing).

        Raises
        ------
        ZcgpError
            When the task has no such proxy (`missing_message` says whether it was dropped).
        """
        try:
            return self.values[:, self.proxies.index(proxy)]
        except ValueError:
            raise ZcgpError(self.missing_message(proxy)) from None

    def missing_message(self, proxy: str) -> str:
        """The one-line explanation of why `proxy` is not a column of this task.

        Parameters
        ----------
        proxy : str
            A proxy name not in `proxies`.

        Returns
        -------
        str
            Its coverage when it was dropped as unusable, else the list of known proxies.
        """
        if proxy in self.dropped:
            return (f"proxy '{proxy}' is not usable on task {self.id} "
                    f"(only {self.dropped[proxy]:.0%} of values present)")
        return f"unknown proxy '{proxy}' on task {self.id}; known: {', '.join(self.proxies)}"


def _as_score(value) -> float:
    if isinstance(value, dict):
        value = value.get("score")
    try:
        x = float(value)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) and abs(x) < SENTINEL else math.nan


def _as_time(value) -> float:
    if isinstance(value, dict):
        t = value.get("time")
        if isinstance(t, (int, float)) and math.isfinite(t):
            return float(t)
    return math.nan


def _proxy_names(records: dict) -> list[str]:
    names = {k for r in records.values() for k in r if k not in META_FIELDS}
    known = [p for p in PROXY_ORDER if p in names]
    return known + sorted(names - set(known))


def build_task(task_id: str, records: dict, source: str) -> Task:
    """Turn one task's records from a NAS-Bench-Suite-Zero file into a Task.

    Parameters
    ----------
    task_id : str
        The task id, e.g. "nb201/cifar10".
    records : dict
        {arch: {proxy: score or {"score": x, "time": seconds}, "val_accuracy": accuracy}};
        a non-numeric score or one with ``|x| >= 1e8`` counts as missing.
    source : str
        Where the records come from, e.g. the file's path (named in errors).

    Returns
    -------
    Task
        Proxies in PROXY_ORDER (others after, alphabetically); those under MIN_COVERAGE are
        dropped.

    Raises
    ------
    ZcgpError
        When there are no architectures, an accuracy is missing or not a finite number, or no
        proxy is usable.

    Examples
    --------
    >>> records = {"a0": {"nwot": {"score": 3.0, "time": 0.5}, "synflow": 1e9, "val_accuracy": 90.0},
    ...            "a1": {"nwot": 2.0, "synflow": 2.0, "val_accuracy": 91.0}}
    >>> task = build_task("mine/t1", records, "example")
    >>> task.proxies, task.cost, task.dropped
    (('nwot',), {'nwot': 0.5}, {'synflow': 0.5})
    """
    if not isinstance(records, dict) or not records:
        raise ZcgpError(f"task {task_id} in {source} has no architectures")
    archs = tuple(records)
    try:
        target = np.array([float(r[TARGET]) for r in records.values()])
    except (KeyError, TypeError, ValueError):
        raise ZcgpError(f"task {task_id} in {source}: an architecture lacks a numeric {TARGET}") from None
    if not np.isfinite(target).all():
        raise ZcgpError(f"task {task_id} in {source}: {TARGET} has non-finite values")
    names = _proxy_names(records)
    values = np.array([[_as_score(r.get(p)) for p in names] for r in records.values()], dtype=float)
    times = np.array([[_as_time(r.get(p)) for p in names] for r in records.values()], dtype=float)
    return make_task(task_id, archs, names, values.reshape(len(archs), len(names)), target, source,
                     times.reshape(len(archs), len(names)))


def make_task(task_id: str, archs, names, values: np.ndarray, target: np.ndarray, source: str,
              times: np.ndarray | None = None) -> Task:
    """A Task from an (n, p) table; proxies under MIN_COVERAGE are dropped.

    Parameters
    ----------
    task_id : str
        The task id ("space/name").
    archs : sequence of str
        Architecture identifiers, one per row.
    names : sequence of str
        Proxy names, one per column of `values`.
    values : numpy.ndarray of float, shape (n, p)
        Proxy values, NaN where missing.
    target : numpy.ndarray of float, shape (n,)
        The accuracies (higher is better).
    source : str
        Where the table comes from (named in errors).
    times : numpy.ndarray of float, shape (n, p), optional
        Seconds to compute each value, NaN where unknown; the cost of a proxy is the mean of
        its known times (NaN when none is known, and everywhere without `times`).

    Returns
    -------
    Task
        The task, with the proxies of at least MIN_COVERAGE (90%) present values, in the
        order of `names`.

    Raises
    ------
    ZcgpError
        When no proxy is usable.

    Examples
    --------
    >>> import numpy as np
    >>> task = make_task("mine/t1", ["a", "b"], ["nwot"], np.array([[1.0], [2.0]]), np.array([0.5, 0.7]),
    ...                  "example")
    >>> task.n, task.proxies
    (2, ('nwot',))
    """
    names = list(names)
    coverage = np.isfinite(values).mean(axis=0) if names else np.zeros(0)
    usable = coverage >= MIN_COVERAGE
    if not usable.any():
        raise ZcgpError(f"task {task_id} in {source} has no usable proxy")
    if times is None:
        times = np.full(values.shape, np.nan)
    counted = np.isfinite(times).sum(axis=0)
    mean_time = np.where(counted > 0, np.nansum(times, axis=0) / np.maximum(counted, 1), np.nan)
    keep = [i for i in range(len(names)) if usable[i]]
    return Task(
        id=task_id,
        archs=tuple(archs),
        proxies=tuple(names[i] for i in keep),
        values=np.ascontiguousarray(values[:, keep]),
        target=np.asarray(target, dtype=float),
        cost={names[i]: float(mean_time[i]) for i in keep},
        dropped={names[i]: float(coverage[i]) for i in range(len(names)) if not usable[i]},
    )


def _space_tasks(space: str, directory) -> dict[str, dict]:
    payload = read_space_file(space, directory)
    if space == "nb101":
        payload = payload.get(NB101_TOP, payload)
    return {f"{space}/{name}": records for name, records in payload.items()}


def task_ids(data_dir_override=None, spaces=None) -> list[str]:
    """Task ids present in the data directory.

    Parameters
    ----------
    data_dir_override : str or path, optional
        The data directory (default: $ZCGP_DATA_DIR, else the shipped copies).
    spaces : sequence of str, optional
        Keys of `fitness.data.SPACE_FILES` whose files are read (default: all five).

    Returns
    -------
    list of str
        Ids ("space/name") in file order, space by space.

    Raises
    ------
    ZcgpError
        When the directory or a file is missing or corrupt.

    Examples
    --------
    >>> task_ids(spaces=["nb201"])
    ['nb201/cifar10', 'nb201/cifar100', 'nb201/ImageNet16-120']
    """
    directory = data_dir(data_dir_override)
    return [tid for space in (spaces or SPACE_FILES) for tid in _space_tasks(space, directory)]


def _spaces_named(parts: list[str]) -> list[str]:
    """Spaces whose files a selection needs; unknown prefixes need all (to list valid ids)."""
    spaces = []
    for part in parts:
        prefix = part.lower().split("/", 1)[0]
        if prefix not in SPACE_FILES:
            return list(SPACE_FILES)
        spaces.append(prefix)
    return [s for s in SPACE_FILES if s in spaces]


def _selector_parts(selector) -> list[str]:
    if selector is None:
        selector = "all"
    parts = selector if isinstance(selector, list) else selector.split(",")
    parts = [p.strip() for p in parts if p.strip()]
    if not parts:
        raise ZcgpError("empty task selection; use 'all', a space (e.g. nb201) or task ids")
    return parts


def resolve_selector(selector: str | list[str] | None, known: list[str]) -> list[str]:
    """The task ids a selection names, in the order named (each id once).

    Parameters
    ----------
    selector : str, list of str or None
        "all" (also None), a space prefix ("nb201"), a task id ("nb201/cifar10"), a comma
        list or a list of these; matching ignores case.
    known : list of str
        The ids to choose from.

    Returns
    -------
    list of str
        Ids of `known`, spelled as there.

    Raises
    ------
    ZcgpError
        When the selection is empty or a part matches no id (the message lists the valid
        ones).

    Examples
    --------
    >>> resolve_selector("NB201,nb101/cifar10", ["nb101/cifar10", "nb201/cifar10", "nb201/cifar100"])
    ['nb201/cifar10', 'nb201/cifar100', 'nb101/cifar10']
    """
    lower = {k.lower(): k for k in known}
    chosen: list[str] = []
    for part in _selector_parts(selector):
        key = part.lower().rstrip("/")
        if key == "all":
            hits = known
        elif key in lower:
            hits = [lower[key]]
        else:
            hits = [k for k in known if k.lower().startswith(key + "/")]
        if not hits:
            raise ZcgpError(f"unknown task '{part}'; valid: all, {', '.join(SPACE_FILES)}, {', '.join(known)}")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def load_shipped(selector: str | list[str] | None = "all", data_dir_override=None) -> list[Task]:
    """Load the selected tasks from the NAS-Bench-Suite-Zero files; reads only the files needed.

    Parameters
    ----------
    selector : str, list of str or None, default "all"
        A selection as in `resolve_selector`.
    data_dir_override : str or path, optional
        The data directory (default: $ZCGP_DATA_DIR, else the shipped copies).

    Returns
    -------
    list of Task
        In selection order.

    Raises
    ------
    ZcgpError
        When a part of the selection is unknown, or a file is missing or corrupt.
    """
    directory = data_dir(data_dir_override)
    parts = _selector_parts(selector)
    spaces = list(SPACE_FILES) if any(p.lower() == "all" for p in parts) else _spaces_named(parts)
    records = {space: _space_tasks(space, directory) for space in spaces}
    ids = resolve_selector(parts, [tid for space in spaces for tid in records[space]])
    tasks = {}
    for space in spaces:
        source = str(directory / SPACE_FILES[space])
        for tid in (i for i in ids if i.startswith(space + "/")):
            tasks[tid] = build_task(tid, records[space][tid], source)
    return [tasks[tid] for tid in ids]
