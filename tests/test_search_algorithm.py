
import numpy as np
import pytest

from zcgp.errors import UserInputError
from zcgp.spaces.search import aging_evolution


class BitSpace:
    """Toy space: 12-bit strings; the key ignores nothing (every string distinct)."""

    def __init__(self, bits=12):
        self.bits = bits

    def sample(self, rng):
        return tuple(int(b) for b in rng.integers(0, 2, self.bits))

    def mutate(self, arch, rng):
        i = int(rng.integers(self.bits))
        return arch[:i] + (1 - arch[i],) + arch[i + 1:]

    def key(self, arch):
        return arch


def ones(archs):
    return np.array([sum(a) for a in archs], dtype=float)


class CountingSpace(BitSpace):
    """Records every proposed architecture (samples and mutants) in order."""

    def __init__(self, bits=12):
        super().__init__(bits)
        self.proposed, self.parents = [], []

    def sample(self, rng):
        arch = super().sample(rng)
        self.proposed.append(arch)
        return arch

    def mutate(self, arch, rng):
        self.parents.append((arch, len(self.proposed)))
        child = super().mutate(arch, rng)
        self.proposed.append(child)
        return child


def test_finds_optimum_of_toy_objective_and_counts_evaluations():
    calls = []

    def objective(archs):
        calls.append(list(archs))
        return ones(archs)

    space = CountingSpace()
    result = aging_evolution(space, objective, population=20, sample_size=5, max_evaluations=400, seed=0)
    assert result.best_arch == (1,) * 12 and result.best_score == 12.0
    scored = [a for batch in calls for a in batch]
    assert len(scored) == len(set(scored)) == result.evaluations <= 400     # each distinct arch scored once
    assert set(scored) <= set(space.proposed)
    # a mutant already scored is walked on to an unseen one: every child handed over is new
    assert result.proposals == result.evaluations < len(space.proposed)
    assert result.history[-1]["best_score"] == 12.0 and not result.interrupted


def test_a_converged_population_keeps_finding_unseen_networks():
    """Once every member is the optimum, its one-step mutants are all scored; further mutation
    steps reach new ones, so the whole budget is spent instead of stopping as exhausted."""
    calls = []

    def objective(archs):
        calls.append(len(archs))
        return ones(archs)

    result = aging_evolution(BitSpace(12), objective, population=10, sample_size=10, max_evaluations=1500, seed=0)
    assert result.stop_reason == "evaluations" and result.evaluations == sum(calls) == 1500


class TournamentSpace(BitSpace):
    """Records each parent with the population it was drawn from (the last 10 scored, batch 1);
    a mutation of the previous mutant is a novelty step, not a parent draw."""

    def __init__(self, bits):
        super().__init__(bits)
        self.scored, self.parents, self.last = [], [], None

    def mutate(self, arch, rng):
        if arch is not self.last:
            self.parents.append((arch, list(self.scored[-10:])))
        self.last = super().mutate(arch, rng)
        return self.last


@pytest.mark.parametrize("sample_size", [1, 3, 10])
def test_sample_size_is_the_tournament_size(sample_size):
    """With sample size = population every parent is the best member; a smaller tournament
    sometimes picks a worse one."""
    space = TournamentSpace(16)

    def objective(archs):
        space.scored.extend(archs)
        return ones(archs)

    aging_evolution(space, objective, population=10, sample_size=sample_size, max_evaluations=60, batch=1, seed=2)
    best_parent = [sum(parent) == max(map(sum, population)) for parent, population in space.parents]
    assert len(best_parent) > 20
    assert all(best_parent) == (sample_size == 10)


def test_same_seed_same_trajectory_other_seed_differs():
    runs = [aging_evolution(BitSpace(), ones, population=10, sample_size=3, max_evaluations=60, seed=s)
            for s in (3, 3, 4)]
    trace = [[(h["evaluations"], h["best_arch"]) for h in r.history] for r in runs]
    assert trace[0] == trace[1] and trace[0] != trace[2]


def test_budgets_are_respected():
    result = aging_evolution(BitSpace(), ones, population=10, sample_size=3, max_evaluations=37, batch=8, seed=1)
    assert result.evaluations == 37 and result.stop_reason == "evaluations"

    clock = [0.0]                             # a fake clock: each network costs exactly 1 s

    def costly(archs):
        clock[0] += len(archs)
        return ones(archs)

    import zcgp.spaces.search as search_module

    real = search_module.time.perf_counter
    search_module.time.perf_counter = lambda: clock[0]
    try:
        result = aging_evolution(BitSpace(40), costly, population=10, sample_size=3, max_seconds=100.5, seed=1)
    finally:
        search_module.time.perf_counter = real
    # the last batch is cut to the networks that still fit: the budget is kept, not overshot
    last, before = result.history[-1]["evaluations"], result.history[-2]["evaluations"]
    assert last - before < 8 and clock[0] == last == 100 and result.stop_reason == "time"


def test_initial_members_are_scored_first_and_once():
    calls = []

    def spy(archs):
        calls.append(list(archs))
        return ones(archs)

    initial = [(1,) * 8, (0,) * 8, (1, 0) * 4]
    result = aging_evolution(BitSpace(8), spy, population=4, sample_size=2, max_evaluations=10, batch=2,
                             seed=3, initial=initial)
    assert calls[0] == initial                      # one first batch, whatever the batch size
    assert result.evaluations == 10 and result.best_score == 8.0
    assert sum(len(c) for c in calls) == 10          # every architecture reached the objective once


def test_exhausted_space_stops_and_failed_networks_rank_last():
    result = aging_evolution(BitSpace(3), ones, population=4, sample_size=2, max_evaluations=100, seed=0)
    assert result.evaluations == 8 and result.best_score == 3.0 and result.stop_reason == "exhausted"

    def flaky(archs):
        return np.array([np.nan if sum(a) == 3 else sum(a) for a in archs], dtype=float)

    result = aging_evolution(BitSpace(3), flaky, population=4, sample_size=2, max_evaluations=8, seed=0)
    assert result.best_score == 2.0


def test_interrupt_returns_partial_result():
    count = {"n": 0}

    def interrupting(archs):
        count["n"] += 1
        if count["n"] == 3:
            raise KeyboardInterrupt
        return ones(archs)

    result = aging_evolution(BitSpace(), interrupting, population=10, sample_size=3, max_evaluations=1000, seed=0)
    assert result.interrupted and result.stop_reason == "interrupted"
    assert result.evaluations == 10                   # batches of 8 + 2 (fill the population), the third interrupted
    assert result.best_arch is not None and result.best_score == sum(result.best_arch)
    assert result.history[-1]["best_arch"] == result.best_arch


def test_bad_budgets():
    with pytest.raises(UserInputError, match="needs a budget"):
        aging_evolution(BitSpace(), ones)
    with pytest.raises(UserInputError, match="sample size"):
        aging_evolution(BitSpace(), ones, population=5, sample_size=6, max_evaluations=10)
