"""Hall of fame and Pareto fronts over every formula evaluated during a run.

Entries are keyed by the canonical formula string; orderings break ties by size and then
by the string itself, so an archive is a pure function of the set of evaluated formulas
(and a resumed run ends with the same archives as an uninterrupted one).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Entry:
    key: str                 # canonical prefix formula (a valid tree string)
    fitness: float
    size: int                # nodes
    depth: int
    cost: float              # summed mean proxy seconds (NaN when unknown)
    per_task: tuple          # train score per task (NaN where undefined)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Entry:
        return cls(d["key"], float(d["fitness"]), int(d["size"]), int(d["depth"]),
                   float(d["cost"]), tuple(float(x) for x in d["per_task"]))


def rank_key(e: Entry):
    """Best first: higher fitness, then smaller, then cheaper, then by string."""
    cost = e.cost if math.isfinite(e.cost) else math.inf
    return (-e.fitness, e.size, cost, e.key)


class HallOfFame:
    """The `size` best distinct formulas seen so far."""

    def __init__(self, size: int = 20):
        self.size = size
        self.entries: list[Entry] = []

    def update(self, entries) -> None:
        known = {e.key for e in self.entries}
        merged = self.entries + [e for e in entries if e.key not in known and not known.add(e.key)]
        self.entries = sorted(merged, key=rank_key)[:self.size]

    def __iter__(self):
        return iter(self.entries)

    def __len__(self):
        return len(self.entries)

    def __getitem__(self, i):
        return self.entries[i]


class ParetoFront:
    """Non-dominated formulas for (max fitness, min `objective`), objective 'size' or 'cost'."""

    def __init__(self, objective: str):
        if objective not in ("size", "cost"):
            raise ValueError(objective)
        self.objective = objective
        self.entries: list[Entry] = []

    def _point(self, e: Entry):
        return e.fitness, float(getattr(e, self.objective))

    def update(self, entries) -> None:
        pool = {e.key: e for e in self.entries}
        for e in entries:
            if math.isfinite(self._point(e)[1]):
                pool.setdefault(e.key, e)
        # sort by objective ascending, fitness descending, then key: sweep keeps strict improvers
        ordered = sorted(pool.values(), key=lambda e: (self._point(e)[1], -e.fitness, e.key))
        front, best = [], -math.inf
        for e in ordered:
            if e.fitness > best:
                front.append(e)
                best = e.fitness
        self.entries = front

    def __iter__(self):
        return iter(self.entries)

    def __len__(self):
        return len(self.entries)
