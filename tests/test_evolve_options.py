"""Every GP option of `zcgp evolve` reaches the engine and does what it says.

The DEAP operators are wrapped with counting spies (calls still go through), and the
outcomes are checked against hand counts, the checkpoint's cache, or scipy.
"""

import json

import numpy as np
import pytest
from conftest import load_exported
from deap import gp, tools
from scipy import stats

from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import task_split
from zcgp.gp.checkpoint import load_checkpoint
from zcgp.gp.primitives import canonical_key, make_pset, parse_tree
from zcgp.scripts.cli import main

POP, GENS = 30, 2
BASE = ["evolve", "--tasks", "nb201/cifar10", "--population", str(POP), "--generations", str(GENS),
        "--seed", "0", "--quiet", "--no-plots"]


def evolve(tmp_path, *extra):
    out = tmp_path / "_".join(a.strip("-") for a in extra) if extra else tmp_path / "default"
    assert main([*BASE, *extra, "--out", str(out)]) == 0
    return json.loads((out / "result.json").read_text()), load_checkpoint(out), out


@pytest.fixture
def spies(monkeypatch):
    """Counts calls (and keyword arguments) of the DEAP operators the engine uses."""
    calls = {"cx": [], "tournament": [], "double": [], "nsga2": []}

    def spy(module, name, label):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[label].append(kwargs)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    spy(gp, "cxOnePoint", "cx")
    spy(tools, "selTournament", "tournament")
    spy(tools, "selDoubleTournament", "double")
    spy(tools, "selNSGA2", "nsga2")
    return calls


@pytest.mark.parametrize("cx, mut, crossovers, lookups", [
    ("1", "0", GENS * POP, POP + GENS * POP),       # every child a crossover child
    ("0", "1", 0, POP + GENS * POP),                # every child a mutant
    ("0", "0", 0, POP),                             # every child a copy: nothing new to score
])
def test_cx_and_mut_prob(tmp_path, spies, cx, mut, crossovers, lookups):
    result, state, _ = evolve(tmp_path, "--cx-prob", cx, "--mut-prob", mut)
    assert (result["config"]["cx_prob"], result["config"]["mut_prob"]) == (float(cx), float(mut))
    assert len(spies["cx"]) == crossovers
    assert result["timings"]["lookups"] == lookups
    if lookups == POP:
        assert [row["evals"] for row in state["logbook"]][1:] == [0] * GENS


def test_offspring_sets_lambda(tmp_path, spies):
    result, state, _ = evolve(tmp_path, "--offspring", "7", "--cx-prob", "1", "--mut-prob", "0")
    assert result["config"]["offspring"] == 7
    assert len(spies["cx"]) == GENS * 7
    assert result["timings"]["lookups"] == POP + GENS * 7
    assert all(row["evals"] <= 7 for row in state["logbook"][1:])
    assert len(state["population"]) == POP                  # mu stays


def test_tournament_and_parsimony_reach_the_selectors(tmp_path, spies):
    result, _, _ = evolve(tmp_path, "--tournament", "5", "--parsimony", "1.7")
    assert (result["config"]["tournament"], result["config"]["parsimony"]) == (5, 1.7)
    assert spies["tournament"] and {c["tournsize"] for c in spies["tournament"]} == {5}
    assert len(spies["double"]) == GENS and not spies["nsga2"]
    for c in spies["double"]:
        assert (c["fitness_size"], c["parsimony_size"], c["fitness_first"]) == (5, 1.7, True)
    for c in spies.values():
        c.clear()
    evolve(tmp_path)                                          # the defaults
    assert {c["tournsize"] for c in spies["tournament"]} == {3}
    assert {(c["fitness_size"], c["parsimony_size"]) for c in spies["double"]} == {(3, 1.4)}


def test_selection_nsga2_replaces_the_double_tournament(tmp_path, spies):
    result, nsga2_state, _ = evolve(tmp_path, "--survivors", "nsga2")
    assert result["config"]["survivors"] == "nsga2"
    assert len(spies["nsga2"]) == GENS and not spies["double"]
    _, default_state, _ = evolve(tmp_path)
    assert nsga2_state["population"] != default_state["population"]


def _population_keys(result, state):
    pset = make_pset(tuple(result["config"]["terminals"]))
    return {canonical_key(parse_tree(s, pset)) for s in state["population"]}


def _top(state, count):
    """The `count` best distinct formulas ever scored, from the checkpoint's cache."""
    ordered = sorted(state["cache"], key=lambda e: (-e[1], e[2], e[4], e[0]))      # fitness, size, cost, key
    return [e[0] for e in ordered[:count]]


def test_elite_equal_to_population_keeps_the_best_ever(tmp_path):
    # each generation keeps the best `population` distinct formulas of parents + children,
    # so the last population is the best `population` formulas ever scored
    result, state, _ = evolve(tmp_path, "--elite", str(POP))
    assert result["config"]["elite"] == POP
    fitness = {e[0]: e[1] for e in state["cache"]}
    best = sorted((fitness[key] for key in _top(state, POP)), reverse=True)
    assert sorted((fitness[k] for k in _population_keys(result, state)), reverse=True) == best
    default_result, default, _ = evolve(tmp_path)
    default_fitness = {e[0]: e[1] for e in default["cache"]}
    assert sorted((default_fitness[k] for k in _population_keys(default_result, default)), reverse=True) != \
        sorted((default_fitness[k] for k in _top(default, POP)), reverse=True)


def test_hof_size(tmp_path):
    result, state, out = evolve(tmp_path, "--hof-size", "4")
    assert result["config"]["hof_size"] == 4
    assert [e["formula"] for e in result["hall_of_fame"]] == _top(state, 4)
    assert len((out / "hall_of_fame.csv").read_text().splitlines()) == 1 + 4


@pytest.mark.parametrize("transform", ["log", "zscore", "raw"])
def test_transform_is_what_the_fitness_was_computed_on(tmp_path, transform):
    result, _, out = evolve(tmp_path, "--transform", transform)
    assert result["config"]["transform"] == transform
    module = load_exported(out / "proxy.py", f"proxy_{transform}")
    assert transform == module.TRANSFORM
    task = load_tasks("nb201/cifar10")[0]
    train = task_split(task, 0)[0]
    scores = module.proxy({p: task.column(p)[train] for p in module.TERMINALS})
    tau = stats.kendalltau(scores, task.target[train]).statistic
    assert result["best"]["train_fitness"] == pytest.approx(tau, abs=1e-12)
    assert np.isfinite(scores).all()


def test_terminals_heldout_keeps_only_what_the_test_space_has(tmp_path):
    result, _, _ = evolve(tmp_path, "--test-tasks", "nb101", "--terminals", "heldout")
    config = result["config"]
    assert "nwot" not in config["terminals"] and config["excluded_proxies"] == {
        "nwot": "not on the held-out --test-tasks"}
    assert set(config["terminals"]) == set(load_tasks("nb101")[0].proxies) & set(load_tasks("nb201/cifar10")[0].proxies)
    assert "nwot" not in result["best"]["formula"]
    plain, _, _ = evolve(tmp_path, "--test-tasks", "nb101")
    assert "nwot" in plain["config"]["terminals"]
    same, _, _ = evolve(tmp_path, "--terminals", "heldout")          # no unseen test task: no change
    assert same["config"]["terminals"] == plain["config"]["terminals"]
