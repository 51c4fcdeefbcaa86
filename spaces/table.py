"""A space restricted to the architectures of a table (a search's lookup mode)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["TableSpace"]


class TableSpace:
    """A space restricted to the architectures a table covers (lookup mode), one member per
    canonical key. A mutation is the base space's mutation when it lands on a table member
    not proposed before, else an unproposed random member (so a converged search keeps
    exploring the table instead of re-proposing scored neighbours).

    Every other attribute (`key`, `normalize`, `build`, `name`, `tasks`, ...) is the base
    space's. Members are kept in the base space's standard form.

    Parameters
    ----------
    space : SearchSpace
        The base space the table's architectures belong to.
    archs : sequence
        The table's architectures in any spelling of `space`; the first of each canonical
        key is kept.

    Raises
    ------
    UserInputError
        When an architecture is malformed in `space`.
    """

    MUTATION_TRIES = 32

    def __init__(self, space, archs: Sequence):
        self.base = space
        by_key: dict[str, object] = {}
        for arch in archs:
            by_key.setdefault(space.key(arch), space.normalize(arch))
        self.by_key = by_key
        self.members = list(by_key.values())
        self.member_set = set(self.members)
        self.proposed: set[str] = set()

    def _take(self, key: str):
        self.proposed.add(key)
        return self.by_key[key]

    def sample(self, rng):
        """A random table member not proposed before (once all are proposed, any member).

        Tries `MUTATION_TRIES` uniform draws, then takes the first unproposed member. The
        member is marked proposed.

        Parameters
        ----------
        rng : numpy.random.Generator
            The search's generator.

        Returns
        -------
        Hashable
            A table member in standard form.
        """
        fresh = len(self.proposed) < len(self.members)
        for _ in range(self.MUTATION_TRIES):
            key = self.base.key(self.members[int(rng.integers(len(self.members)))])
            if key not in self.proposed or not fresh:
                return self._take(key)
        return self._take(next(k for k in self.by_key if k not in self.proposed))

    def mutate(self, arch, rng):
        """The base space's mutation of `arch` when it lands on an unproposed table member
        (up to `MUTATION_TRIES` tries), else `sample(rng)`.

        Parameters
        ----------
        arch : Any
            The parent, any spelling of the base space.
        rng : numpy.random.Generator
            The search's generator.

        Returns
        -------
        Hashable
            A table member in standard form, now marked proposed.
        """
        for _ in range(self.MUTATION_TRIES):
            key = self.base.key(self.base.mutate(arch, rng))
            if key in self.by_key and key not in self.proposed:
                return self._take(key)
        return self.sample(rng)

    def sample_distinct(self, n: int, rng) -> list:
        """`n` different table members in random order (all of them when `n` exceeds the table).

        Does not mark them proposed.

        Parameters
        ----------
        n : int
            How many members to return.
        rng : numpy.random.Generator
            The search's generator.

        Returns
        -------
        list
            Up to `n` members in standard form.
        """
        return [self.members[i] for i in rng.permutation(len(self.members))[:n]]

    def __getattr__(self, name):
        return getattr(self.base, name)
