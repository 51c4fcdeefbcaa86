"""Hall of fame and Pareto fronts over every formula evaluated during a run.

Entries are keyed by the canonical formula string; orderings break ties by size and then
by the string itself, so an archive is a pure function of the set of evaluated formulas
(and a resumed run ends with the same archives as an uninterrupted one).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = ["Entry", "HallOfFame", "ParetoFront", "rank_key"]


@dataclass(frozen=True)
class Entry:
    """One evaluated formula with its train fitness and the numbers the archives order by.

    Parameters
    ----------
    key : str
        The canonical prefix formula (`gp.primitives.canonical_key`), a valid tree string.
    fitness : float
        The aggregated train fitness (WORST when the formula ranks nothing).
    size : int
        Nodes of the tree.
    depth : int
        Depth of the tree (0 = a single terminal).
    cost : float
        Summed mean compute seconds of the distinct proxies used (NaN when unknown).
    per_task : tuple of float
        Train score per task (then per lexicase case, if any); NaN where undefined.
    """
    key: str                 # canonical prefix formula (a valid tree string)
    fitness: float
    size: int                # nodes
    depth: int
    cost: float              # summed mean proxy seconds (NaN when unknown)
    per_task: tuple          # train score per task (NaN where undefined)

    def to_dict(self) -> dict:
        """The entry as a plain dict (the checkpoint and JSON form).

        Returns
        -------
        dict
            {field name: value}; `from_dict` reads it back.
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Entry:
        """An Entry from `to_dict`'s output, with each field converted to its type.

        Parameters
        ----------
        d : dict
            {"key", "fitness", "size", "depth", "cost", "per_task"}.

        Returns
        -------
        Entry
            The entry.
        """
        return cls(d["key"], float(d["fitness"]), int(d["size"]), int(d["depth"]),
                   float(d["cost"]), tuple(float(x) for x in d["per_task"]))


def rank_key(e: Entry):
    """Sort key, best first: higher fitness, then smaller, then cheaper, then by string.

    Parameters
    ----------
    e : Entry
        The entry; an unknown (NaN) cost sorts as infinitely expensive.

    Returns
    -------
    tuple
        (-fitness, size, cost, key).
    """
    cost = e.cost if math.isfinite(e.cost) else math.inf
    return (-e.fitness, e.size, cost, e.key)


class HallOfFame:
    """The `size` best distinct formulas seen so far, ordered by `rank_key`.

    Iterating, ``len`` and indexing go through `entries`.

    Parameters
    ----------
    size : int, default 20
        The most entries kept.

    Attributes
    ----------
    entries : list of Entry
        The members, best first.

    Examples
    --------
    >>> hof = HallOfFame(size=2)
    >>> hof.update([Entry("a", 0.5, 1, 0, 0.1, (0.5,)), Entry("b", 0.9, 5, 2, 0.2, (0.9,)),
    ...             Entry("c", 0.7, 3, 1, 0.2, (0.7,))])
    >>> [e.key for e in hof]
    ['b', 'c']
    """

    def __init__(self, size: int = 20):
        self.size = size
        self.entries: list[Entry] = []

    def update(self, entries) -> None:
        """Merge `entries` into the hall of fame; a formula already present keeps its entry.

        Parameters
        ----------
        entries : iterable of Entry
            Newly evaluated formulas (a key seen twice counts once).
        """
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
    """Non-dominated formulas for (max fitness, min `objective`).

    Scanning the formulas by objective ascending, one joins the front when its fitness beats
    every formula before it (among equal points the first key wins); entries with a
    non-finite objective (an unknown cost) are left out.

    Parameters
    ----------
    objective : str
        "size" (nodes) or "cost" (summed proxy seconds).

    Attributes
    ----------
    entries : list of Entry
        The front, by objective ascending (hence fitness ascending).

    Raises
    ------
    ValueError
        When `objective` is neither "size" nor "cost".

    Examples
    --------
    >>> front = ParetoFront("size")
    >>> front.update([Entry("a", 0.5, 1, 0, 0.1, (0.5,)), Entry("b", 0.9, 5, 2, 0.2, (0.9,)),
    ...               Entry("c", 0.7, 3, 1, 0.2, (0.7,)), Entry("d", 0.6, 4, 2, 0.2, (0.6,))])
    >>> [e.key for e in front]
    ['a', 'c', 'b']
    """

    def __init__(self, objective: str):
        if objective not in ("size", "cost"):
            raise ValueError(objective)
        self.objective = objective
        self.entries: list[Entry] = []

    def _point(self, e: Entry):
        return e.fitness, float(getattr(e, self.objective))

    def update(self, entries) -> None:
        """Recompute the front over its members and `entries`.

        Parameters
        ----------
        entries : iterable of Entry
            Newly evaluated formulas; a formula already present keeps its entry.
        """
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
