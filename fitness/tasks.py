"""The 19 NAS-Bench-Suite-Zero tasks as arrays: architectures x proxies, plus the target."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.data import SPACE_FILES, data_dir, read_space_file

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
    """One benchmark task: `values[i, j]` is proxy `proxies[j]` of architecture `archs[i]`."""

    id: str
    archs: tuple[str, ...]
    proxies: tuple[str, ...]
    values: np.ndarray                  # (n, p) float64, NaN where missing
    target: np.ndarray                  # (n,) float64, higher is better
    cost: dict[str, float]              # mean compute seconds per proxy, NaN when unknown
    dropped: dict[str, float] = field(default_factory=dict)  # unusable proxy -> coverage

    @property
    def space(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def n(self) -> int:
        return len(self.archs)

    def subset(self, rows) -> Task:
        """The same task restricted to `rows` (e.g. the labeled architectures of a draw)."""
        rows = np.asarray(rows, dtype=int)
        return replace(self, archs=tuple(self.archs[i] for i in rows), values=self.values[rows],
                       target=self.target[rows])

    def column(self, proxy: str) -> np.ndarray:
        try:
            return self.values[:, self.proxies.index(proxy)]
        except ValueError:
            raise ZcgpError(self.missing_message(proxy)) from None

    def missing_message(self, proxy: str) -> str:
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
    """Turn {arch: {proxy: score-or-{score,time}, val_accuracy: x}} into a Task."""
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
    """A Task from an (n, p) table (NaN = missing); proxies under MIN_COVERAGE are dropped."""
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
    """Task ids present in the data directory (only the given spaces' files are read)."""
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
    """'all', a space prefix ('nb201') or a comma list of ids -> list of ids (input order)."""
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
    """Load the selected tasks (see `resolve_selector`); reads only the files it needs."""
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
