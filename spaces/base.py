"""The interface every search space implements (torch-free; `build` imports torch lazily)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from typing import Any, ClassVar

import numpy as np

from zcgp.errors import UserInputError

__all__ = ["FunctionSpace", "SearchSpace", "as_rng", "check_classes", "parse_int_tuple", "task_shape"]


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed or None (fresh entropy).

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        A Generator (returned as it is, so draws continue its stream), a seed, or None for
        fresh operating-system entropy.

    Returns
    -------
    numpy.random.Generator
        `rng` itself or ``numpy.random.default_rng(rng)``.

    Examples
    --------
    >>> int(as_rng(0).integers(10)) == int(as_rng(0).integers(10))
    True
    >>> g = as_rng(1)
    >>> as_rng(g) is g
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def parse_int_tuple(text: str, space: str) -> list[int]:
    """The integers of a tuple or list string: '(1, 2, 3)' or '[1, 2, 3]' -> [1, 2, 3].

    Parameters
    ----------
    text : str
        A bracketed, comma-separated list of integers (a trailing comma is allowed).
    space : str
        The space's name, used in the error message (e.g. "NB101").

    Returns
    -------
    list of int
        The integers in order.

    Raises
    ------
    UserInputError
        When `text` is not bracketed by () or [] or holds something other than integers.

    Examples
    --------
    >>> parse_int_tuple("(0, 2, 3)", "NB201")
    [0, 2, 3]
    >>> parse_int_tuple("[1,]", "NB201")
    [1]
    """
    inner = text.strip()
    if inner[:1] not in "([" or inner[-1:] not in ")]":
        raise UserInputError(f"malformed {space} architecture '{text}'")
    try:
        return [int(p) for p in inner[1:-1].split(",") if p.strip()]
    except ValueError:
        raise UserInputError(f"malformed {space} architecture '{text}': expected integers") from None


def task_shape(space, task: str) -> tuple[int, int]:
    """(number of classes, input resolution) of task `task` of `space`.

    Parameters
    ----------
    space : SearchSpace
        A space with a `tasks` mapping {task: (classes, resolution)} and a `name`.
    task : str
        A task of that space, e.g. "cifar10".

    Returns
    -------
    tuple of (int, int)
        The task's number of output classes and its input resolution in pixels.

    Raises
    ------
    UserInputError
        When `space` has no task `task`.

    Examples
    --------
    >>> from zcgp.spaces import get_space
    >>> task_shape(get_space("nb201"), "ImageNet16-120")
    (120, 16)
    """
    tasks = getattr(space, "tasks", None) or {}
    if task not in tasks:
        raise UserInputError(f"unknown task '{task}' for space {space.name}; known: {', '.join(tasks)}")
    return tasks[task]


def check_classes(num_classes: Any) -> int:
    """`num_classes` as an int when it is a positive integer (bool excluded).

    Parameters
    ----------
    num_classes : Any
        The number of output classes asked for.

    Returns
    -------
    int
        `num_classes` as a Python int.

    Raises
    ------
    UserInputError
        When `num_classes` is not an integer >= 1 (a bool or a float is refused).

    Examples
    --------
    >>> check_classes(10)
    10
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise UserInputError(f"number of classes must be a positive integer, got {num_classes!r}")
    return int(num_classes)


class SearchSpace(ABC):
    """A cell/architecture space: sample, mutate, canonical key and a torch network builder.

    Architectures are plain hashable values (NB201: a tuple of 6 op indices); every method
    also accepts the space's other spellings of an architecture (see `normalize`).

    A subclass implements `normalize`, `sample`, `mutate`, `key` and `build`, and sets the
    class attributes `name` (the registered name) and `tasks` ({task: (number of classes,
    input resolution)}). `to_string`, `table_string`, `describe` and `sample_distinct` have
    defaults. The constructor takes no parameters. A user space given to
    `zcgp.spaces.get_space` as 'package.module:Class' needs the same methods and `tasks`.
    """

    name: ClassVar[str] = ""
    tasks: ClassVar[dict[str, tuple[int, int]]] = {}     # task -> (number of classes, input resolution)

    @abstractmethod
    def normalize(self, arch: Any) -> Hashable:
        """The space's standard form of `arch`.

        Parameters
        ----------
        arch : Any
            An architecture in any spelling the space accepts.

        Returns
        -------
        Hashable
            The standard form: equal for every spelling of one architecture.

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid in this space.
        """

    @abstractmethod
    def sample(self, rng: np.random.Generator | int | None = None) -> Hashable:
        """One architecture drawn at random (the space's sampling distribution).

        Parameters
        ----------
        rng : numpy.random.Generator, int or None
            Generator or seed (see `as_rng`).

        Returns
        -------
        Hashable
            An architecture in standard form.
        """

    @abstractmethod
    def mutate(self, arch: Any, rng: np.random.Generator | int | None = None) -> Hashable:
        """A neighbour of `arch` (one decision changed to another choice).

        Parameters
        ----------
        arch : Any
            The parent, in any spelling the space accepts.
        rng : numpy.random.Generator, int or None
            Generator or seed (see `as_rng`).

        Returns
        -------
        Hashable
            The child in standard form.

        Raises
        ------
        UserInputError
            When `arch` is malformed.
        """

    @abstractmethod
    def key(self, arch: Any) -> str:
        """Isomorphism-aware canonical key: equivalent architectures share it.

        Parameters
        ----------
        arch : Any
            An architecture in any spelling the space accepts.

        Returns
        -------
        str
            The key; searches score one architecture per key.

        Raises
        ------
        UserInputError
            When `arch` is malformed.
        """

    @abstractmethod
    def build(self, arch: Any, num_classes: int = 10):
        """A freshly initialised `torch.nn.Module` of `arch` (imports torch).

        Parameters
        ----------
        arch : Any
            An architecture in any spelling the space accepts.
        num_classes : int
            Output classes of the classifier head.

        Returns
        -------
        torch.nn.Module
            The network, its weights drawn from torch's global RNG.

        Raises
        ------
        UserInputError
            When `arch` is malformed or `num_classes` is not a positive integer.
        """

    def to_string(self, arch: Any) -> str:
        """Human-readable form; defaults to the str of the standard form.

        Parameters
        ----------
        arch : Any
            An architecture in any spelling the space accepts.

        Returns
        -------
        str
            A spelling that `normalize` accepts back.
        """
        return str(self.normalize(arch))

    def table_string(self, arch: Any) -> str:
        """The architecture's key in the NAS-Bench-Suite-Zero data file (its ARCH string).

        Parameters
        ----------
        arch : Any
            An architecture in any spelling the space accepts.

        Returns
        -------
        str
            The data file's spelling; defaults to the str of the standard form.
        """
        return str(self.normalize(arch))

    def describe(self, arch: Any) -> dict[str, Any]:
        """Identifying columns for result tables (user spelling, table ARCH string, canonical key).

        Parameters
        ----------
        arch : Any
            An architecture in any spelling the space accepts.

        Returns
        -------
        dict
            {"arch": `to_string`, "table_arch": `table_string`, "key": `key`}.
        """
        return {"arch": self.to_string(arch), "table_arch": self.table_string(arch), "key": self.key(arch)}

    def sample_distinct(self, n: int, rng: np.random.Generator | int | None = None,
                        max_tries: int | None = None) -> list:
        """`n` sampled architectures with pairwise different keys (fewer if the space runs out).

        Parameters
        ----------
        n : int
            How many architectures to return.
        rng : numpy.random.Generator, int or None
            Generator or seed (see `as_rng`).
        max_tries : int or None
            Most samples drawn; default 50 * n + 1000.

        Returns
        -------
        list
            Up to `n` architectures in standard form, in the order drawn.

        Raises
        ------
        UserInputError
            When `n` is negative.
        """
        if n < 0:
            raise UserInputError(f"number of architectures must be >= 0, got {n}")
        rng = as_rng(rng)
        chosen, keys = [], set()
        tries = 0
        limit = max_tries if max_tries is not None else 50 * n + 1000
        while len(chosen) < n and tries < limit:
            tries += 1
            arch = self.sample(rng)
            key = self.key(arch)
            if key not in keys:
                keys.add(key)
                chosen.append(arch)
        return chosen


class FunctionSpace(SearchSpace):
    """A space whose encoding lives in module-level functions: a subclass names them with
    `staticmethod` (`standard`, `sampler`, `mutator`, `keyer`) and implements `build`.

    `normalize`, `sample`, `mutate` and `key` call `standard`, `sampler`, `mutator` and
    `keyer` with the same arguments; their contracts are those of `SearchSpace`. The
    constructor takes no parameters.
    """

    standard: Any
    sampler: Any
    mutator: Any
    keyer: Any

    def normalize(self, arch: Any) -> Hashable:
        return self.standard(arch)

    def sample(self, rng: np.random.Generator | int | None = None) -> Hashable:
        return self.sampler(rng)

    def mutate(self, arch: Any, rng: np.random.Generator | int | None = None) -> Hashable:
        return self.mutator(arch, rng)

    def key(self, arch: Any) -> str:
        return self.keyer(arch)

