"""A user's own benchmark as tasks: a long table (CSV, or Parquet with pandas installed).

One row per (task, architecture): a task column, an architecture column, an accuracy column
(names configurable) and every other column a proxy. Proxy cells may be empty or 'nan'
(missing; a proxy with under 90% of a task's values present is not used on that task, as
with the shipped files); everything else must be numeric. Any problem is a one-line
`ZcgpError` naming the file, the row (the header is row 1) and the problem.
`write_csv` writes tasks in the same format, so the shipped tasks round-trip.
`read_candidates` reads architectures without labels (an arch column and proxy columns, what
`zcgp proxies` writes) for a predictor to score; `read_labels` the labeled architectures of one
task (an arch and an accuracy column, no proxy needed) for a predictor of the encoding.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.tasks import PROXY_ORDER, Task, make_task
from zcgp.util import atomic_write_text

__all__ = ["COLUMNS", "MIN_ARCHITECTURES", "SUFFIXES", "Candidates", "read_candidates", "read_labels", "read_table",
           "read_tables", "table_text", "write_csv"]

COLUMNS = {"task": "task", "arch": "arch", "accuracy": "accuracy"}
MIN_ARCHITECTURES = 10
SUFFIXES = (".csv", ".parquet")


def table_columns(columns: dict | None = None) -> dict:
    """The task / arch / accuracy column names, defaults filled in."""
    unknown = sorted(set(columns or {}) - set(COLUMNS))
    if unknown:
        raise ZcgpError(f"unknown table column role '{unknown[0]}'; roles: {', '.join(COLUMNS)}")
    return {**COLUMNS, **(columns or {})}


def _read_cells(path: Path) -> tuple[list[str], list[list[str]]]:
    """(header, rows of strings)."""
    if path.suffix == ".parquet":
        try:
            import pandas as pd
        except ImportError:
            raise ZcgpError(f"{path}: reading Parquet needs pandas and pyarrow installed") from None
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 -- pyarrow raises many types on a bad file
            raise ZcgpError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None
        header = [str(c) for c in frame.columns]
        rows = [["" if v is None else str(v) for v in row] for row in frame.itertuples(index=False)]
        return header, rows
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ZcgpError(f"cannot read {path}: {exc}") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ZcgpError(f"{path}: malformed CSV: {exc}") from None
    if not rows:
        raise ZcgpError(f"{path}: row 1: empty file (expected a header row)")
    return [c.strip() for c in rows[0]], rows[1:]


def _numbers(cells: np.ndarray, path: Path, column: str, first_row: int, allow_missing: bool) -> np.ndarray:
    """Floats of a column of strings ('' and nan = NaN); the first bad cell is a one-line error."""
    cleaned = np.char.strip(cells.astype(str))
    cleaned = np.where(cleaned == "", "nan", cleaned)
    try:
        values = cleaned.astype(float)
    except ValueError:
        for i, cell in enumerate(cleaned):
            try:
                float(cell)
            except ValueError:
                raise ZcgpError(f"{path}: row {first_row + i}: non-numeric value '{cell}' in column "
                                f"'{column}'") from None
        raise
    if not allow_missing:
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise ZcgpError(f"{path}: row {first_row + bad[0]}: NaN {column} (every architecture needs "
                            f"a finite {column})")
    return values


def _open(path, required: dict) -> tuple[Path, list[str], list[list[str]]]:
    """A table file's header and rows, refused with one line when its suffix is not supported,
    it is missing, or it lacks a column of `required` ({role: column name})."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ZcgpError(f"{path}: unsupported table format '{path.suffix}'; use .csv or .parquet")
    if not path.is_file():
        raise ZcgpError(f"table not found: {path}")
    header, rows = _read_cells(path)
    for role, name in required.items():
        if name not in header:
            raise ZcgpError(f"{path}: row 1: missing column '{name}' ({role}); columns: {', '.join(header)}")
    return path, header, rows


def _check_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """One line for a table without data rows or with a row of the wrong length."""
    if not rows:
        raise ZcgpError(f"{path}: row 2: no data rows")
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ZcgpError(f"{path}: row {i + 2}: {len(row)} values, the header has {len(header)}")


def read_table(path, columns: dict | None = None) -> list[Task]:
    """Tasks of one long table (.csv, or .parquet with pandas and pyarrow installed).

    Parameters
    ----------
    path : str or path
        The table file.
    columns : dict, optional
        Renames of the roles "task", "arch" and "accuracy", e.g. {"accuracy": "val_acc"};
        every other column is a proxy.

    Returns
    -------
    list of Task
        One per task id, in order of first appearance (see `fitness.tasks.make_task`).

    Raises
    ------
    ZcgpError
        One line naming the file, the row (the header is row 1) and the problem, e.g. an
        unsupported suffix, a missing file or column, a duplicate column or (task, arch), a
        non-numeric cell, a missing accuracy, a task with fewer than MIN_ARCHITECTURES rows.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from zcgp.fitness.tasks import make_task
    >>> archs = [f"a{i}" for i in range(10)]
    >>> mine = make_task("mine/t1", archs, ["nwot"], np.arange(10.0)[:, None], np.arange(10.0) / 10, "example")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     tasks = read_table(write_csv([mine], Path(tmp) / "mine.csv"))
    >>> [(t.id, t.n, t.proxies) for t in tasks]
    [('mine/t1', 10, ('nwot',))]
    """
    names = table_columns(columns)
    path, header, rows = _open(path, names)
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise ZcgpError(f"{path}: row 1: duplicate column '{dup}'")
    proxies = [c for c in header if c not in (names["task"], names["arch"], names["accuracy"])]
    if not proxies:
        raise ZcgpError(f"{path}: row 1: no proxy columns besides {', '.join(names.values())}")
    _check_rows(path, header, rows)
    cells = np.array(rows, dtype=object).reshape(len(rows), len(header))
    col = {c: j for j, c in enumerate(header)}
    task_ids = [str(v).strip() for v in cells[:, col[names["task"]]]]
    archs = [str(v).strip() for v in cells[:, col[names["arch"]]]]
    for i, (t, a) in enumerate(zip(task_ids, archs)):
        if not t or not a:
            raise ZcgpError(f"{path}: row {i + 2}: empty {'task' if not t else 'arch'} value")
    accuracy = _numbers(cells[:, col[names["accuracy"]]], path, names["accuracy"], 2, allow_missing=False)
    values = np.column_stack([_numbers(cells[:, col[p]], path, p, 2, allow_missing=True) for p in proxies])
    values = np.where(np.isfinite(values), values, np.nan)
    seen: dict[tuple[str, str], int] = {}
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(zip(task_ids, archs)):
        if key in seen:
            raise ZcgpError(f"{path}: row {i + 2}: duplicate (task, arch) ({key[0]}, {key[1]}), first at row "
                            f"{seen[key] + 2}")
        seen[key] = i
        groups.setdefault(key[0], []).append(i)
    tasks = []
    for task_id, idx in groups.items():
        if len(idx) < MIN_ARCHITECTURES:
            raise ZcgpError(f"{path}: row {idx[0] + 2}: task '{task_id}' has {len(idx)} architecture(s); "
                            f"at least {MIN_ARCHITECTURES} are needed")
        idx = np.asarray(idx)
        tasks.append(make_task(task_id, [archs[i] for i in idx], proxies, values[idx], accuracy[idx], str(path)))
    return tasks


@dataclass(frozen=True)
class Candidates:
    """Architectures to score, with their proxies and no label: a table of `zcgp proxies`.

    Parameters
    ----------
    header : tuple of str
        Every column, in file order.
    rows : tuple of tuple of str
        The cells, one tuple per architecture.
    archs : tuple of str
        The arch column.
    source : str
        Where the table comes from (named in errors).
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    archs: tuple[str, ...]
    source: str

    def values(self, proxies) -> np.ndarray:
        """The named columns as floats, NaN where empty, 'nan' or infinite.

        Parameters
        ----------
        proxies : sequence of str
            Column names.

        Returns
        -------
        numpy.ndarray of float, shape (n, len(proxies))

        Raises
        ------
        ZcgpError
            A missing column, or a non-numeric cell (named with its row).
        """
        absent = [p for p in proxies if p not in self.header]
        if absent:
            raise ZcgpError(f"{self.source}: row 1: no column '{absent[0]}' (a proxy of the labeled table); "
                            f"columns: {', '.join(self.header)}")
        cells = np.array(self.rows, dtype=object).reshape(len(self.rows), len(self.header))
        out = np.column_stack([_numbers(cells[:, self.header.index(p)], Path(self.source), p, 2, allow_missing=True)
                               for p in proxies]) if proxies else np.zeros((len(self.rows), 0))
        return np.where(np.isfinite(out), out, np.nan)


def read_candidates(path, arch: str = "arch") -> Candidates:
    """The unlabeled architectures of a .csv / .parquet table: an arch column and proxy columns
    (what `zcgp proxies --out FILE` writes); other columns are kept as they are.

    Parameters
    ----------
    path : str or path
        The table file.
    arch : str, default "arch"
        The architecture column.

    Returns
    -------
    Candidates

    Raises
    ------
    ZcgpError
        One line naming the file and the row: a missing file or arch column, a duplicate column or
        architecture, a row of the wrong length, no data row.
    """
    path, header, rows = _open(path, {"arch": arch})
    if len(set(header)) != len(header):
        raise ZcgpError(f"{path}: row 1: duplicate column '{next(c for c in header if header.count(c) > 1)}'")
    _check_rows(path, header, rows)
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        name = row[header.index(arch)].strip()
        if not name:
            raise ZcgpError(f"{path}: row {i + 2}: empty arch value")
        if name in seen:
            raise ZcgpError(f"{path}: row {i + 2}: duplicate arch {name}, first at row {seen[name] + 2}")
        seen[name] = i
    return Candidates(header=tuple(header), rows=tuple(tuple(r) for r in rows), archs=tuple(seen), source=str(path))


def read_labels(path, task: str | None = None, columns: dict | None = None) -> tuple[list[str], np.ndarray]:
    """The labeled architectures of one task in a .csv / .parquet table: an arch and an accuracy
    column; a task column is optional, other columns (proxies) are ignored.

    Parameters
    ----------
    path : str or path
        The table file.
    task : str, optional
        The task id whose rows are read when the table's task column holds several (e.g.
        "nb201/cifar10"); a table of one task (or without a task column) is read whole.
    columns : dict, optional
        Renames of the roles "task", "arch" and "accuracy", as `read_table`'s.

    Returns
    -------
    (list of str, numpy.ndarray of float)
        The architectures as spelled in the table and their accuracy, in file order.

    Raises
    ------
    ZcgpError
        One line naming the file and the row: a missing file or column, a row of the wrong
        length, a duplicate architecture, a non-numeric or missing accuracy, several tasks and
        none of them `task`, no data row.
    """
    names = table_columns(columns)
    path, header, rows = _open(path, {role: names[role] for role in ("arch", "accuracy")})
    _check_rows(path, header, rows)
    index = list(range(len(rows)))
    if names["task"] in header:
        tasks = [row[header.index(names["task"])].strip() for row in rows]
        distinct = list(dict.fromkeys(tasks))
        if len(distinct) > 1:
            if task not in distinct:
                raise ZcgpError(f"{path}: the table holds tasks {', '.join(distinct)}; none is {task}")
            index = [i for i in index if tasks[i] == task]
    arch_col, accuracy_col = header.index(names["arch"]), header.index(names["accuracy"])
    archs, accuracy, seen = [], np.empty(len(index)), {}
    for j, i in enumerate(index):
        name, cell = rows[i][arch_col].strip(), rows[i][accuracy_col].strip()
        if not name:
            raise ZcgpError(f"{path}: row {i + 2}: empty arch value")
        if name in seen:
            raise ZcgpError(f"{path}: row {i + 2}: duplicate arch {name}, first at row {seen[name] + 2}")
        try:
            accuracy[j] = float(cell)
        except ValueError:
            raise ZcgpError(f"{path}: row {i + 2}: non-numeric value '{cell}' in column '{names['accuracy']}'") \
                from None
        if not math.isfinite(accuracy[j]):
            raise ZcgpError(f"{path}: row {i + 2}: NaN {names['accuracy']} (every architecture needs a finite "
                            f"{names['accuracy']})")
        seen[name] = i
        archs.append(name)
    return archs, accuracy


def table_files(data) -> list[Path]:
    """A table file, or every .csv / .parquet file of a directory (sorted)."""
    path = Path(data)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
        if not files:
            raise ZcgpError(f"no .csv or .parquet table in directory {path}")
        return files
    return [path]


def read_tables(data, columns: dict | None = None) -> list[Task]:
    """Tasks of one table, or of every .csv / .parquet table in a directory (sorted by name).

    Parameters
    ----------
    data : str or path
        A table file or a directory of them.
    columns : dict, optional
        Renames of the roles "task", "arch" and "accuracy" (see `read_table`).

    Returns
    -------
    list of Task
        File by file, each in order of first appearance.

    Raises
    ------
    ZcgpError
        As `read_table`; also when a directory holds no table, or a task id appears in two
        files.
    """
    tasks, where = [], {}
    for file in table_files(data):
        for task in read_table(file, columns):
            if task.id in where:
                raise ZcgpError(f"{file}: task '{task.id}' is also in {where[task.id]}")
            where[task.id] = file
            tasks.append(task)
    return tasks


def _cell(x: float) -> str:
    return "" if not math.isfinite(x) else repr(float(x))


def table_text(tasks: list[Task], columns: dict | None = None) -> str:
    """The tasks as one long CSV table, the format `read_table` reads.

    Parameters
    ----------
    tasks : list of Task
        The tasks, written in order.
    columns : dict, optional
        Renames of the roles "task", "arch" and "accuracy" in the header.

    Returns
    -------
    str
        The CSV text: header, then one row per (task, architecture); proxies in canonical
        order (`fitness.tasks.PROXY_ORDER`, others alphabetically), a missing value empty,
        numbers as ``repr`` of the float (exact round trip).

    Raises
    ------
    ZcgpError
        When `columns` names an unknown role.

    Examples
    --------
    >>> import numpy as np
    >>> from zcgp.fitness.tasks import make_task
    >>> task = make_task("mine/t1", ["a", "b"], ["nwot"], np.array([[1.0], [2.0]]), np.array([0.5, 0.7]),
    ...                  "example")
    >>> print(table_text([task]), end="")
    task,arch,nwot,accuracy
    mine/t1,a,1.0,0.5
    mine/t1,b,2.0,0.7
    """
    names = table_columns(columns)
    present = {p for t in tasks for p in t.proxies}
    proxies = [p for p in PROXY_ORDER if p in present] + sorted(present - set(PROXY_ORDER))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([names["task"], names["arch"], *proxies, names["accuracy"]])
    for task in tasks:
        index = [task.proxies.index(p) if p in task.proxies else None for p in proxies]
        for i, arch in enumerate(task.archs):
            row = task.values[i]
            writer.writerow([task.id, arch, *("" if j is None else _cell(row[j]) for j in index),
                             _cell(task.target[i])])
    return buffer.getvalue()


def write_csv(tasks: list[Task], path, columns: dict | None = None) -> Path:
    """Write the tasks as one long CSV table (`table_text`), atomically.

    Parameters
    ----------
    tasks : list of Task
        The tasks, written in order.
    path : str or path
        The file to write; missing parent directories are created.
    columns : dict, optional
        Renames of the roles "task", "arch" and "accuracy" in the header.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    ZcgpError
        When `columns` names an unknown role.
    """
    path = Path(path)
    atomic_write_text(path, table_text(tasks, columns))
    return path
