"""Hall of fame and Pareto fronts against brute-force references on random entries."""

import math

import numpy as np
import pytest

from zcgp.gp.archive import Entry, HallOfFame, ParetoFront, rank_key


def random_entries(seed, count=80):
    """Entries with repeats: a formula seen again is the same entry (as in a run)."""
    rng = np.random.default_rng(seed)
    distinct = []
    for i in range(60):
        cost = math.nan if rng.random() < 0.1 else float(rng.integers(1, 6)) / 4       # ties and unknown costs
        distinct.append(Entry(f"f{i:02d}", float(rng.integers(0, 8)) / 8, int(rng.integers(1, 12)),
                              int(rng.integers(1, 5)), cost, (0.1 * i,)))
    return [distinct[i] for i in rng.integers(0, len(distinct), count)]


def first_by_key(entries):
    return list({e.key: e for e in entries}.values())


def brute_front(entries, objective):
    """Non-dominated (max fitness, min objective) entries; of equal points the smallest key."""
    pool = [e for e in first_by_key(entries) if math.isfinite(getattr(e, objective))]
    front = []
    for e in pool:
        beaten = any(
            d.fitness >= e.fitness and getattr(d, objective) <= getattr(e, objective)
            and ((d.fitness, -getattr(d, objective)) != (e.fitness, -getattr(e, objective)) or d.key < e.key)
            for d in pool if d is not e)
        if not beaten:
            front.append(e)
    return sorted(front, key=lambda e: getattr(e, objective))


@pytest.mark.parametrize("seed", range(6))
def test_hall_of_fame_is_the_best_distinct_formulas(seed):
    entries = random_entries(seed)
    for size in (1, 5, 20, 200):
        hof = HallOfFame(size)
        for lo in range(0, len(entries), 13):          # fed in batches, as during a run
            hof.update(entries[lo:lo + 13])
        expected = sorted(first_by_key(entries), key=lambda e: (-e.fitness, e.size,
                                                                e.cost if math.isfinite(e.cost) else math.inf, e.key))
        assert list(hof) == expected[:size] and len(hof) == min(size, len(expected))
        assert [hof[i] for i in range(len(hof))] == list(hof)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("objective", ["size", "cost"])
def test_pareto_front_is_the_non_dominated_set(seed, objective):
    entries = random_entries(seed)
    front = ParetoFront(objective)
    for lo in range(0, len(entries), 17):
        front.update(entries[lo:lo + 17])
    assert list(front) == brute_front(entries, objective) and len(front) == len(list(front))
    fitness = [e.fitness for e in front]
    assert fitness == sorted(fitness) and len(set(fitness)) == len(fitness)     # strictly improving


def test_rank_key_orders_fitness_then_size_then_cost_then_key():
    a = Entry("b", 0.5, 3, 1, 1.0, ())
    assert rank_key(a) == (-0.5, 3, 1.0, "b")
    assert rank_key(Entry("b", 0.5, 3, 1, math.nan, ())) == (-0.5, 3, math.inf, "b")
    assert rank_key(Entry("b", 0.5, 3, 1, math.inf, ())) == (-0.5, 3, math.inf, "b")
    ordered = sorted([Entry("a", 0.5, 3, 1, 2.0, ()), Entry("z", 0.6, 9, 1, 9.0, ()), Entry("c", 0.5, 3, 1, 1.0, ()),
                      Entry("d", 0.5, 2, 1, 5.0, ()), Entry("b", 0.5, 3, 1, 1.0, ())], key=rank_key)
    assert [e.key for e in ordered] == ["z", "d", "b", "c", "a"]


def test_entry_round_trips_through_a_dict():
    e = Entry("add(a, b)", 0.25, 3, 2, 0.5, (0.1, math.nan))
    d = e.to_dict()
    assert d == {"key": "add(a, b)", "fitness": 0.25, "size": 3, "depth": 2, "cost": 0.5, "per_task": (0.1, math.nan)}
    back = Entry.from_dict({**d, "fitness": "0.25", "size": 3.0, "per_task": [0.1, "nan"]})
    assert back.key == e.key and back.fitness == 0.25 and back.size == 3 and isinstance(back.size, int)
    assert back.depth == 2 and back.cost == 0.5 and back.per_task[0] == 0.1 and math.isnan(back.per_task[1])


def test_unknown_front_objective():
    with pytest.raises(ValueError, match="depth"):
        ParetoFront("depth")
    assert HallOfFame().size == 20
