"""The interface every search space implements (torch-free; `build` imports torch lazily)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from typing import Any, ClassVar

import numpy as np

from zcgp.errors import UserInputError


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def parse_int_tuple(text: str, space: str) -> list[int]:
    """'(1, 2, 3)' or '[1, 2, 3]' -> [1, 2, 3]; UserInputError naming `space` otherwise."""
    inner = text.strip()
    if inner[:1] not in "([" or inner[-1:] not in ")]":
        raise UserInputError(f"malformed {space} architecture '{text}'")
    try:
        return [int(p) for p in inner[1:-1].split(",") if p.strip()]
    except ValueError:
        raise UserInputError(f"malformed {space} architecture '{text}': expected integers") from None


def task_shape(space, task: str) -> tuple[int, int]:
    """(number of classes, input resolution) of task `task` of `space`."""
    tasks = getattr(space, "tasks", None) or {}
    if task not in tasks:
        raise UserInputError(f"unknown task '{task}' for space {space.name}; known: {', '.join(tasks)}")
    return tasks[task]


def check_classes(num_classes: Any) -> int:
    """A positive number of classes, else UserInputError."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise UserInputError(f"number of classes must be a positive integer, got {num_classes!r}")
    return int(num_classes)


class SearchSpace(ABC):
    """A cell/architecture space: sample, mutate, canonical key and a torch network builder.

    Architectures are plain hashable values (NB201: a tuple of 6 op indices); every method
    also accepts the space's other spellings of an architecture (see `normalize`).
    """

    name: ClassVar[str] = ""
    tasks: ClassVar[dict[str, tuple[int, int]]] = {}     # task -> (number of classes, input resolution)

    @abstractmethod
    def normalize(self, arch: Any) -> Hashable:
        """The space's standard form of `arch`; raises UserInputError when malformed."""

    @abstractmethod
    def sample(self, rng: np.random.Generator | int | None = None) -> Hashable:
        """One architecture drawn uniformly at random."""

    @abstractmethod
    def mutate(self, arch: Any, rng: np.random.Generator | int | None = None) -> Hashable:
        """A neighbour of `arch` (one decision changed to another choice)."""

    @abstractmethod
    def key(self, arch: Any) -> str:
        """Isomorphism-aware canonical key: equivalent architectures share it."""

    @abstractmethod
    def build(self, arch: Any, num_classes: int = 10):
        """A freshly initialised `torch.nn.Module` of `arch`."""

    def to_string(self, arch: Any) -> str:
        """Human-readable form; defaults to the repr of the standard form."""
        return str(self.normalize(arch))

    def table_string(self, arch: Any) -> str:
        """The architecture's key in the NAS-Bench-Suite-Zero data file (its ARCH string)."""
        return str(self.normalize(arch))

    def describe(self, arch: Any) -> dict[str, Any]:
        """Identifying columns for result tables (user spelling, table ARCH string, canonical key)."""
        return {"arch": self.to_string(arch), "table_arch": self.table_string(arch), "key": self.key(arch)}

    def sample_distinct(self, n: int, rng: np.random.Generator | int | None = None,
                        max_tries: int | None = None) -> list:
        """`n` sampled architectures with pairwise different keys (fewer if the space runs out)."""
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
    `staticmethod` (`standard`, `sampler`, `mutator`, `keyer`) and implements `build`."""

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

