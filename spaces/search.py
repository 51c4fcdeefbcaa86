"""Regularized (aging) evolution over any search space, driven by an injected objective.

The space supplies `sample(rng)`, `mutate(arch, rng)` and `key(arch)` (an isomorphism-aware
canonical key); the objective maps a list of architectures to one score each (higher is
better) and is called on batches, so a batched proxy module can share work across networks.
Architectures with the same key are scored once. Torch-free.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zcgp.errors import UserInputError

__all__ = ["BATCH", "POPULATION", "SAMPLE_SIZE", "AgingResult", "Objective", "aging_evolution"]

_MAX_STALE_BATCHES = 200
# the defaults of every search: population (a formula's reference sample too), tournament, batch
POPULATION, SAMPLE_SIZE, BATCH = 50, 10, 8
_NOVELTY_STEPS = 8          # a child already scored is mutated again, up to this many times
Objective = Callable[[Sequence[Any]], np.ndarray]


@dataclass
class AgingResult:
    """What `aging_evolution` found and how the search went.

    Parameters
    ----------
    best_arch : Any
        The best-scoring architecture (None when nothing was scored).
    best_score : float
        Its score (-inf when nothing was scored or every network failed).
    evaluations : int
        Distinct architectures (canonical keys) scored: the budget unit.
    proposals : int
        Children proposed, cache hits included.
    seconds : float
        Wall time of the search.
    interrupted : bool
        True when Ctrl-C stopped the search.
    stop_reason : str
        "evaluations", "time", "exhausted" (200 batches in a row found no unseen key) or
        "interrupted".
    history : list of dict
        One row per scored batch: seconds, evaluations, proposals, best_arch, best_score.
    info : dict
        What was searched with and where time went (filled in by callers).
    """

    best_arch: Any
    best_score: float
    evaluations: int                 # distinct architectures scored (the budget unit)
    proposals: int                   # children proposed, cache hits included
    seconds: float
    interrupted: bool
    stop_reason: str                 # evaluations | time | exhausted | interrupted
    history: list[dict] = field(default_factory=list)   # one row per scored batch
    info: dict = field(default_factory=dict)            # what was searched with, where time went


def _check_budget(max_evaluations, max_seconds) -> None:
    if max_evaluations is None and max_seconds is None:
        raise UserInputError("a search needs a budget: evaluations and/or seconds")
    if max_evaluations is not None and max_evaluations < 1:
        raise UserInputError(f"evaluation budget must be >= 1, got {max_evaluations}")
    if max_seconds is not None and max_seconds <= 0:
        raise UserInputError(f"time budget must be > 0 seconds, got {max_seconds}")


class _ScoreCache:
    """Scores by canonical key; only unseen keys reach the objective."""

    def __init__(self, space, objective: Objective):
        self.space, self.objective, self.scores, self.archs = space, objective, {}, {}

    def score(self, archs: list) -> np.ndarray:
        keys = [self.space.key(a) for a in archs]
        fresh = {}
        for arch, key in zip(archs, keys):
            if key not in self.scores and key not in fresh:
                fresh[key] = arch
        if fresh:
            values = np.asarray(self.objective(list(fresh.values())), dtype=float).ravel()
            if values.size != len(fresh):
                raise UserInputError(f"objective returned {values.size} scores for {len(fresh)} architectures")
            values = np.where(np.isfinite(values), values, -np.inf)     # failed networks rank last
            self.scores.update(zip(fresh, values.tolist()))
            self.archs.update(fresh)
        return np.array([self.scores[k] for k in keys])


def _novel(space, child, scored, batch_keys, rng) -> tuple[Any, str]:
    """(architecture, key): `child`, or when it was scored already (or proposed in this batch)
    a further mutation of it, up to _NOVELTY_STEPS; failing that a random sample. A converged
    population so keeps proposing unseen networks instead of idling on its scored neighbourhood."""
    for _ in range(_NOVELTY_STEPS):
        key = space.key(child)
        if key not in scored and key not in batch_keys:
            return child, key
        child = space.mutate(child, rng)
    child = space.sample(rng)
    return child, space.key(child)


def _proposals(space, propose: Callable[[], Any], count: int, scored, rng) -> list:
    """`count` children from `propose`, each unseen and distinct (`_novel`)."""
    children, keys = [], set()
    for _ in range(count):
        child, key = _novel(space, propose(), scored, keys, rng)
        children.append(child)
        keys.add(key)
    return children


def aging_evolution(space, objective: Objective, *, population: int = POPULATION, sample_size: int = SAMPLE_SIZE,
                    max_evaluations: int | None = None, max_seconds: float | None = None,
                    batch: int = BATCH, seed: int = 0, on_batch: Callable[[dict], None] | None = None,
                    initial: Sequence[Any] = (), parents: Sequence[Any] = (), screen=None) -> AgingResult:
    """Real et al.'s aging evolution: tournament parent, one mutation, oldest member dies.

    The population starts with `initial`, scored together as the first batch (a formula's
    reference sample), then `parents`, scored together as the next batch, then random samples.
    A child already scored is walked on by further mutations (`_novel`), so the whole budget
    goes to unseen networks. Stops at `max_evaluations` distinct scored architectures or after
    `max_seconds`, whichever comes first: a batch is cut to what the remaining time allows at
    the mean cost per network so far, so the budget is kept, not overshot by a batch. Ctrl-C
    stops cleanly and returns what was found so far.

    Parameters
    ----------
    space : SearchSpace
        Supplies `sample(rng)`, `mutate(arch, rng)` and `key(arch)`.
    objective : callable
        Maps a list of architectures to one score each (higher is better); non-finite scores
        rank last. Only architectures with unseen keys are passed.
    population : int
        Members kept alive (>= 2); the oldest dies when a child is added.
    sample_size : int
        Tournament size, 1..population: the best of this many random members is the parent.
    max_evaluations : int or None
        Stop after this many distinct architectures are scored.
    max_seconds : float or None
        Stop after this much wall time. At least one of the two budgets is needed.
    batch : int
        Children proposed and scored together.
    seed : int
        Seed of the search's numpy Generator (sampling, tournaments, mutations).
    on_batch : callable or None
        Called with each history row after its batch is scored.
    initial : sequence
        Architectures that open the population, scored as the first batch.
    parents : sequence
        Architectures scored as the batch after `initial` (not screened), joining the
        population as its youngest members: a warm start from known good networks.
    screen : object, optional
        Has `factor` and ``pick(children, keep, scores, archs)`` (`zcgp.nas.screen.Screen`).
        After the first batch, `factor` times as many children (random samples while the
        population fills, mutants after) are proposed and the screen keeps the batch it
        predicts best from cheap values; its time counts in the budget.

    Returns
    -------
    AgingResult
        The best architecture and score, the counts, the stop reason and the history
        (`info` left empty).

    Raises
    ------
    UserInputError
        When there is no budget, a budget is not positive, the population is below 2, the
        sample size is outside 1..population, or the objective returns the wrong number of
        scores.
    """
    _check_budget(max_evaluations, max_seconds)
    if population < 2 or not 1 <= sample_size <= population:
        raise UserInputError(f"need population >= 2 and 1 <= sample size <= population, got {population}, "
                             f"{sample_size}")
    rng = np.random.default_rng(seed)
    cache = _ScoreCache(space, objective)
    start = time.perf_counter()
    members: collections.deque = collections.deque()
    best = {"arch": None, "score": -np.inf}
    history: list[dict] = []
    proposals = stale = 0
    interrupted = False
    stop_reason = "time"

    def out_of_budget() -> bool:
        over_evals = max_evaluations is not None and len(cache.scores) >= max_evaluations
        over_time = max_seconds is not None and time.perf_counter() - start >= max_seconds
        return over_evals or over_time

    def room(cap: int = batch) -> int:
        left = cap if max_evaluations is None else min(cap, max_evaluations - len(cache.scores))
        if max_seconds is not None and timed[1]:
            per_eval = timed[0] / timed[1]
            left = min(left, int((max_seconds - (time.perf_counter() - start)) / per_eval))
        return left

    def mutant():
        picks = rng.choice(len(members), size=sample_size, replace=False)
        return space.mutate(max((members[i] for i in picks), key=lambda m: m[1])[0], rng)

    queued = [list(b) for b in (initial, parents) if len(b)]     # fixed batches, scored first
    timed = [0.0, 0]                    # objective seconds and fresh networks after the initial batch

    try:
        while not history or not out_of_budget():        # at least one batch is scored
            size = max(room(), 0 if history else 1)
            if size == 0:                                 # not even one more network fits in the time left
                break
            filling = len(members) < population
            factor = screen.factor if screen is not None and history and not queued else 1
            if queued:                                    # initial, then parents: each in one batch
                fixed = queued.pop(0)
                children = fixed[:max(room(len(fixed)), 0 if history else 1)]
                size = len(children)
            else:
                if filling:
                    size = min(size, population - len(members))
                if filling and factor == 1:
                    children = [space.sample(rng) for _ in range(size)]
                else:
                    children = _proposals(space, (lambda: space.sample(rng)) if filling else mutant, size * factor,
                                          cache.scores, rng)
            seen = len(cache.scores)
            before = time.perf_counter()
            if len(children) > size:                      # screened: the best-predicted batch goes on
                children = screen.pick(children, size, cache.scores, cache.archs)
            scores = cache.score(children)
            if history or not initial:                    # the initial batch may come from a cache
                timed[0] += time.perf_counter() - before
                timed[1] += len(cache.scores) - seen
            proposals += len(children)
            stale = 0 if len(cache.scores) > seen else stale + 1
            if stale >= _MAX_STALE_BATCHES:        # the space (or its reachable part) is exhausted
                stop_reason = "exhausted"
                break
            for child, score in zip(children, scores):
                members.append((child, float(score)))
                if len(members) > population:
                    members.popleft()
                if score > best["score"]:
                    best = {"arch": child, "score": float(score)}
            row = {"seconds": time.perf_counter() - start, "evaluations": len(cache.scores),
                   "proposals": proposals, "best_arch": best["arch"], "best_score": best["score"]}
            history.append(row)
            if on_batch is not None:
                on_batch(row)
    except KeyboardInterrupt:
        interrupted, stop_reason = True, "interrupted"
    if stop_reason == "time" and max_evaluations is not None and len(cache.scores) >= max_evaluations:
        stop_reason = "evaluations"
    return AgingResult(best["arch"], best["score"], len(cache.scores), proposals,
                        time.perf_counter() - start, interrupted, stop_reason, history)
