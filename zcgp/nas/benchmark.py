"""The true accuracy of a found architecture: what a search is judged by (read only to report).

NB201: the NAS-Bench-201 test-accuracy table (every one of the 15,625 cells, all three
datasets); other spaces: the rows of the task's NAS-Bench-Suite-Zero table (validation
accuracy), where an architecture outside them is "not in the table".
"""

from __future__ import annotations

import numpy as np

from zcgp.nas.objectives import table_task
from zcgp.spaces.nb201 import load_table, to_index

__all__ = ["Benchmark"]


class Benchmark:
    """True accuracy of found architectures: NB201's test-accuracy table for nb201 (every
    cell, all three datasets) unless `table_only`, else the task's NAS-Bench-Suite-Zero rows
    (validation accuracy; an architecture outside them is "not in the table")."""

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
        """{task: {metric: value, "percentile": p}} of `arch`, or None when it is not in the table."""
        if self.nb201 is not None:
            index = to_index(arch, self.nb201)
            return {t: self._entry(v, float(v[index])) for t, v in self.nb201.accuracy.items()}
        row = self.rows.get(self.space.key(arch))
        return None if row is None else {self.task: self._entry(self.values, float(self.values[row]))}

    def accuracy(self, arch) -> float | None:
        found = self.lookup(arch)
        return None if found is None else found[self.task][self.metric]

    def _entry(self, values: np.ndarray, value: float) -> dict:
        return {self.metric: value, "percentile": float(100.0 * (values < value).mean())}
