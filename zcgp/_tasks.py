"""`zcgp.load_tasks`: the shipped NAS-Bench-Suite-Zero tasks, or a user's own table."""

from __future__ import annotations

from zcgp.fitness import tasks as shipped
from zcgp.fitness.table import read_tables
from zcgp.fitness.tasks import Task, resolve_selector


def load_tasks(names="all", data=None, *, columns: dict | None = None, data_dir=None) -> list[Task]:
    """Tasks selected by `names`: "all", a space prefix ("nb201"), a task id or a list of them.

    data: a long table (.csv / .parquet, or a directory of them; one row per (task, arch),
    proxy columns, an accuracy column; `columns` renames the roles, e.g. {"accuracy": "acc"}).
    Without it, the shipped tables (or the JSON files in `data_dir`)."""
    if data is None:
        return shipped.load_tasks(names, data_dir)
    tasks = read_tables(data, columns)
    by_id = {t.id: t for t in tasks}
    return [by_id[i] for i in resolve_selector(names, list(by_id))]
