"""Where tasks come from: the shipped NAS-Bench-Suite-Zero files, or a user's own long table.

`load_tasks` is the one loader (`zcgp.load_tasks` is this function); `space_task` is one
shipped task of a search space, for a search's lookup mode and its benchmark table.
"""

from __future__ import annotations

from zcgp.errors import ZcgpError
from zcgp.fitness.data import SPACE_FILES
from zcgp.fitness.table import read_tables
from zcgp.fitness.tasks import Task, load_shipped, resolve_selector

__all__ = ["load_tasks", "space_task"]


def load_tasks(names="all", data=None, *, columns: dict | None = None, data_dir=None) -> list[Task]:
    """Tasks selected by `names`, from the shipped tables or from a user's table.

    Parameters
    ----------
    names : str or list of str
        "all", a space prefix ("nb201"), a task id ("nb201/cifar10"), a comma list or a list
        of these.
    data : str or path, optional
        A long table (.csv / .parquet, or a directory of them): one row per (task, arch),
        proxy columns and an accuracy column (`fitness.table`). Without it, the shipped tables.
    columns : dict, optional
        Renames the table's roles, e.g. {"accuracy": "val_acc"}.
    data_dir : str or path, optional
        A directory holding the five NAS-Bench-Suite-Zero JSON files (default:
        $ZCGP_DATA_DIR, else the copies shipped with zcgp).

    Returns
    -------
    list of Task
        In selection order.

    Raises
    ------
    ZcgpError
        An unknown task, a missing or corrupt file, a bad table (named with its row).

    Examples
    --------
    >>> import zcgp
    >>> [t.id for t in zcgp.load_tasks("nb201")]
    ['nb201/cifar10', 'nb201/cifar100', 'nb201/ImageNet16-120']
    """
    if data is None:
        return load_shipped(names, data_dir)
    tasks = read_tables(data, columns)
    by_id = {t.id: t for t in tasks}
    return [by_id[i] for i in resolve_selector(names, list(by_id))]


def space_task(space: str, task: str, data_dir=None) -> Task:
    """The shipped task `space/task`, e.g. ``space_task("nb201", "cifar10")``.

    Parameters
    ----------
    space : str
        A search space with a NAS-Bench-Suite-Zero table: a key of
        `fitness.data.SPACE_FILES` ("nb101", "nb201", "nb301", "tnb101_micro", "tnb101_macro").
    task : str
        The task within the space, e.g. "cifar10" or "ImageNet16-120" (case-insensitive).
    data_dir : str or path, optional
        A directory holding the JSON files (default: $ZCGP_DATA_DIR, else the shipped copies).

    Returns
    -------
    Task
        The task with id ``f"{space}/{task}"`` as spelled in the file.

    Raises
    ------
    ZcgpError
        When `space` has no table, the task is unknown, or the file is missing or corrupt.

    Examples
    --------
    >>> space_task("nb201", "imagenet16-120").id
    'nb201/ImageNet16-120'
    """
    if space not in SPACE_FILES:
        raise ZcgpError(f"space {space} has no NAS-Bench-Suite-Zero table (one of {', '.join(SPACE_FILES)} "
                        f"has)")
    return load_shipped(f"{space}/{task}", data_dir)[0]
