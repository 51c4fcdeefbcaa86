import math
import random

import numpy as np
import pytest
from deap import gp, tools

from zcgp.errors import ZcgpError
from zcgp.fitness.aggregate import aggregate
from zcgp.fitness.rank import WORST
from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import task_split
from zcgp.fitness.tasks import Task
from zcgp.gp.archive import Entry, HallOfFame, ParetoFront
from zcgp.gp.dataset import Dataset, select_terminals
from zcgp.gp.evolution import Engine, Individual, _clone
from zcgp.gp.formula import parse_formula
from zcgp.gp.parallel import Evaluator
from zcgp.gp.primitives import to_code
from zcgp.gp.settings import EvolveSettings, GPConfig


def synthetic_task(task_id="syn/a", n=300, seed=0, target=lambda a, b, c: a * b, proxies=("a", "b", "c")):
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.5, 3.0, size=(n, len(proxies)))
    cols = dict(zip(proxies, values.T))
    y = target(*[cols.get(p) for p in ("a", "b", "c")])
    return Task(id=task_id, archs=tuple(f"arch{i}" for i in range(n)), proxies=tuple(proxies),
                values=values, target=np.asarray(y, dtype=float),
                cost={p: 0.1 * (k + 1) for k, p in enumerate(proxies)})


@pytest.fixture(scope="module")
def nb201():
    return load_tasks("nb201")


def _engine(tasks, seed=0, n_jobs=1, chunk=64, metric="kendall", **kw):
    terms, _ = select_terminals(tasks)
    data = Dataset.build(tasks, terms, "train", seed=seed, transform=kw.pop("transform", "rank"),
                         metric=metric)
    config = GPConfig(seed=seed, **{"population": 120, "generations": 6, **kw})
    return Engine(data, config, Evaluator(data, n_jobs=n_jobs, chunk=chunk))


def test_recovers_a_known_formula_with_tau_one():
    task = synthetic_task(target=lambda a, b, c: a * b + c)
    data = Dataset.build([task], ("a", "b", "c"), "train", transform="raw")
    engine = Engine(data, GPConfig(population=200, generations=15, seed=1)).run()
    assert engine.best.fitness == pytest.approx(1.0)
    test = Dataset.build([task], ("a", "b", "c"), "test", transform="raw")
    assert test.score([to_code(engine.tree(engine.best.key))])[0, 0] == pytest.approx(1.0)


def test_fitness_is_mean_kendall_over_tasks_and_matches_scipy(nb201):
    from scipy.stats import kendalltau
    terms, _ = select_terminals(nb201)
    data = Dataset.build(nb201, terms, "train")
    pset_tree = parse_formula("nwot + flops", Engine(data, GPConfig(population=2)).pset)
    per_task = data.score([to_code(pset_tree)])[0]
    for t, block in enumerate(data.blocks):
        x = data.columns["nwot"][block.start:block.stop] + data.columns["flops"][block.start:block.stop]
        y = nb201[t].target[task_split(nb201[t])[0]]
        assert per_task[t] == pytest.approx(kendalltau(x, y).statistic, abs=1e-12)
    assert data.aggregate(per_task) == pytest.approx(per_task.mean())


def test_constant_and_nonfinite_formulas_get_worst(nb201):
    engine = _engine(nb201)
    for text in ("2 * 3", "square(square(square(square(square(square(flops * 1e300))))))",
                 "nwot - nwot"):
        row = engine.dataset.score([to_code(parse_formula(text, engine.pset))])[0]
        assert (row == WORST).all(), text


def test_depth_limit_holds_for_every_operator():
    task = synthetic_task()
    data = Dataset.build([task], ("a", "b", "c"), "train")
    engine = Engine(data, GPConfig(population=50, generations=1, max_depth=4, init_max_depth=4, seed=0))
    random.seed(3)
    trees = [Individual(gp.genFull(engine.pset, 4, 4)) for _ in range(60)]
    assert all(t.height == 4 for t in trees)
    for _ in range(5):
        for i in range(0, len(trees) - 1, 2):
            a, b = engine.mate(_clone(trees[i]), _clone(trees[i + 1]))
            assert a.height <= 4 and b.height <= 4
        for name, _, op in engine.mutations:
            for t in trees:
                (child,) = op(_clone(t))
                assert child.height <= 4, name


def test_population_respects_depth_limit_and_cache_dedupes(nb201):
    engine = _engine(nb201, max_depth=5).run()
    assert max(ind.height for ind in engine.population) <= 5
    assert engine.evaluations < engine.lookups                # identical structures scored once
    assert engine.evaluations == len(engine.cache)
    assert [r["gen"] for r in engine.logbook] == list(range(7))
    assert engine.logbook[-1]["best"] == engine.best.fitness    # elitism: best never lost
    best_so_far = [r["hof_best"] for r in engine.logbook]
    assert best_so_far == sorted(best_so_far)


def test_same_seed_same_run_whatever_n_jobs(nb201):
    serial = _engine(nb201, seed=4).run()
    parallel = _engine(nb201, seed=4, n_jobs=2, chunk=16).run()     # many chunks over 2 workers
    def strip(book):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in book]

    assert serial.best == parallel.best
    assert strip(serial.logbook) == strip(parallel.logbook)
    assert [str(i) for i in serial.population] == [str(i) for i in parallel.population]
    other = _engine(nb201, seed=5).run()
    assert strip(other.logbook) != strip(serial.logbook)


def test_scores_do_not_depend_on_batch_composition(nb201):
    engine = _engine(nb201, generations=1).run()
    codes = [to_code(ind) for ind in engine.population]
    for metric in ("kendall", "spearman"):
        whole = engine.dataset.score(codes, metric)
        pieces = np.concatenate([engine.dataset.score(codes[i:i + 7], metric) for i in range(0, len(codes), 7)])
        single = np.stack([engine.dataset.score([c], metric)[0] for c in codes[:20]])
        np.testing.assert_array_equal(whole, pieces)
        np.testing.assert_array_equal(whole[:20], single)


def test_engine_does_not_disturb_global_random(nb201):
    random.seed(123)
    expected = random.random()
    random.seed(123)
    _engine(nb201, generations=2).run()
    assert random.random() == expected


def test_state_restore_continues_exactly(nb201):
    full = _engine(nb201, seed=2, generations=8).run()
    part = _engine(nb201, seed=2, generations=8)
    for _ in range(4):
        part.step()
    state = part.state()
    resumed = Engine.restore(state, part.dataset, Evaluator(part.dataset)).run()
    assert resumed.best == full.best
    assert [str(i) for i in resumed.population] == [str(i) for i in full.population]
    assert [e.key for e in resumed.front_size] == [e.key for e in full.front_size]
    other = _engine(load_tasks("nb301"), seed=2)
    with pytest.raises(ZcgpError, match="different data"):
        Engine.restore(state, other.dataset)


def _scored_candidates(count=60, seed=0):
    """Distinct random trees over a, b, c with hand-set fitness values (3 decimals: some ties)."""
    from zcgp.gp.primitives import canonical_key, make_pset
    pset = make_pset(("a", "b", "c"))
    rng = np.random.default_rng(seed)
    random.seed(seed)
    out, seen = [], set()
    while len(out) < count:
        ind = Individual(gp.genHalfAndHalf(pset, 0, 3))
        key = canonical_key(ind)
        if key not in seen:
            seen.add(key)
            ind.key = key
            ind.fitness.values = (round(float(rng.random()), 3),)
            out.append(ind)
    return out


def _pareto_fronts(points):
    """Brute-force non-dominated sorting of (fitness: max, size: min) points."""
    def dominates(p, q):
        return p[0] >= q[0] and p[1] <= q[1] and p != q
    remaining, fronts = set(range(len(points))), []
    while remaining:
        front = {i for i in remaining if not any(dominates(points[j], points[i]) for j in remaining)}
        fronts.append(front)
        remaining -= front
    return fronts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nsga2_keeps_exactly_the_first_pareto_fronts(seed):
    candidates = _scored_candidates(seed=seed)
    fronts = _pareto_fronts([(c.fitness.values[0], len(c)) for c in candidates])
    take = len(fronts[0]) + len(fronts[1]) + len(fronts[2])      # whole fronts: no crowding choice
    keep = {candidates[i].key for front in fronts[:3] for i in front}
    data = Dataset.build([synthetic_task()], ("a", "b", "c"), "train")
    nsga2 = Engine(data, GPConfig(population=take, elite=0, survivors="nsga2"))
    survivors = nsga2._survivors(candidates)
    assert sorted(s.key for s in survivors) == sorted(keep)
    # the default selector (double tournament) does not: it samples, with repeats
    default = Engine(data, GPConfig(population=take, elite=0))
    random.seed(seed)
    assert sorted(s.key for s in default._survivors(candidates)) != sorted(keep)


class FixedRandom(random.Random):
    """A random stream whose random() always returns `r` (the other draws stay random)."""

    def __init__(self, r):
        super().__init__(0)
        self.r = r

    def random(self):
        return self.r


def _tiny_engine(**config):
    return Engine(Dataset.build([synthetic_task()], ("a", "b", "c"), "train"), GPConfig(**config))


def test_mutation_operator_choice_follows_the_weights(monkeypatch):
    engine = _tiny_engine(population=4)
    chosen = []
    engine.mutations = [(name, weight, lambda ind, name=name: (chosen.append(name) or (ind,)))
                        for name, weight in (("a", 2.0), ("b", 1.0), ("c", 1.0))]
    engine._mutation_total = 4.0
    from zcgp.gp import evolution
    for r, expected in ((0.0, "a"), (0.49, "a"), (0.5, "b"), (0.74, "b"), (0.75, "c"), (0.99, "c")):
        monkeypatch.setattr(evolution, "random", FixedRandom(r))
        engine.mutate("tree")
        assert chosen[-1] == expected, r


@pytest.mark.parametrize("cx, mut, r, kind", [
    (0.5, 0.3, 0.49, "cx"), (0.5, 0.3, 0.5, "mut"), (0.5, 0.3, 0.79, "mut"), (0.5, 0.3, 0.8, "copy"),
    (0.0, 0.0, 0.0, "copy"),
])
def test_offspring_count_and_kind_follow_the_probabilities(monkeypatch, cx, mut, r, kind):
    engine = _tiny_engine(population=6, offspring=9, cx_prob=cx, mut_prob=mut, seed=1)
    engine.step()
    calls = {"cx": 0, "mut": 0}
    real_mate, real_mutate = engine.mate, engine.mutate
    engine.mate = lambda a, b: (calls.__setitem__("cx", calls["cx"] + 1), real_mate(a, b))[1]
    engine.mutate = lambda ind: (calls.__setitem__("mut", calls["mut"] + 1), real_mutate(ind))[1]
    from zcgp.gp import evolution
    monkeypatch.setattr(evolution, "random", FixedRandom(r))          # the engine's draws
    children = engine._offspring()
    assert len(children) == 9
    assert calls == {"cx": 9 * (kind == "cx"), "mut": 9 * (kind == "mut")}
    assert all(c.fitness.valid for c in children) == (kind == "copy")


def test_offspring_crossover_with_a_population_of_two():
    engine = _tiny_engine(population=2, cx_prob=1.0, mut_prob=0.0, seed=3)
    engine.step()
    count = {"cx": 0}
    real_mate = engine.mate
    engine.mate = lambda a, b: (count.__setitem__("cx", count["cx"] + 1), real_mate(a, b))[1]
    with engine._random():
        engine._offspring()
    assert count["cx"] == 2


def test_survivors_order_and_deduplication_match_deap():
    """Double tournament over the candidates in their order; repeats are dropped (each formula
    kept at its last position) unless fewer distinct formulas than the population exist."""
    candidates = _scored_candidates(count=12, seed=4)
    with_repeats = candidates + candidates[:3]
    last_occurrences = [c for i, c in enumerate(with_repeats) if c.key not in {d.key for d in with_repeats[i + 1:]}]
    for population, pool, given in ((12, candidates, candidates), (12, last_occurrences, with_repeats),
                                    (14, with_repeats, with_repeats)):
        engine = _tiny_engine(population=population, elite=0)
        random.seed(9)
        got = [s.key for s in engine._survivors(given)]
        random.seed(9)
        expected = [s.key for s in tools.selDoubleTournament(pool, population, fitness_size=3, parsimony_size=1.4,
                                                             fitness_first=True)]
        assert got == expected, population
    # an elite never holds the same formula twice, even when duplicates are kept
    best = max(candidates, key=lambda c: (c.fitness.values[0], -len(c)))
    engine = _tiny_engine(population=14, elite=3)
    survivors = engine._survivors(candidates + [best])
    ranked = sorted(candidates, key=lambda c: (-c.fitness.values[0], len(c), c.key))
    assert [s.key for s in survivors[:3]] == [c.key for c in ranked[:3]]


@pytest.mark.parametrize("selection", ["double-tournament", "nsga2"])
def test_elite_keeps_the_best_distinct_formulas_first(selection):
    candidates = _scored_candidates()
    twin = Individual(candidates[0])                # a duplicate of a candidate must not take two places
    twin.key, twin.fitness.values = candidates[0].key, candidates[0].fitness.values
    ranked = sorted(candidates, key=lambda c: (-c.fitness.values[0], len(c), c.key))
    data = Dataset.build([synthetic_task()], ("a", "b", "c"), "train")
    for elite in (0, 1, 5, 20):
        engine = Engine(data, GPConfig(population=20, elite=elite, survivors=selection))
        random.seed(0)
        survivors = engine._survivors(candidates + [twin])
        assert len(survivors) == 20
        assert [s.key for s in survivors[:elite]] == [c.key for c in ranked[:elite]]


def test_partial_proxies_scored_only_where_present():
    a = synthetic_task("syn/a", proxies=("a", "b", "c"), target=lambda a, b, c: a + c)
    b = synthetic_task("syn/b", seed=1, proxies=("a", "b"), target=lambda a, b, c: a)
    assert select_terminals([a, b])[0] == ("a", "b")
    terms, excluded = select_terminals([a, b], "zero")
    assert terms == ("a", "b", "c") and not excluded
    assert "missing on 1 task(s): syn/b" in select_terminals([a, b])[1]["c"]
    zero = Dataset.build([a, b], terms, "train", transform="raw", missing="zero")
    skip = Dataset.build([a, b], terms, "train", transform="raw", missing="skip")
    pset = Engine(zero, GPConfig(population=2)).pset
    row = zero.score([to_code(parse_formula("a + c", pset))])[0]
    assert row[0] == pytest.approx(1.0) and math.isnan(row[1])
    assert zero.aggregate(row) == pytest.approx(0.5) and skip.aggregate(row) == pytest.approx(1.0)
    assert aggregate(np.array([np.nan, np.nan])) == WORST
    with pytest.raises(ZcgpError, match="not usable|unknown proxy"):
        Dataset.build([a, b], terms, "train")


def test_cost_is_summed_mean_time_of_used_proxies(nb201):
    engine = _engine(nb201)
    code = to_code(parse_formula("nwot * nwot + flops", engine.pset))
    expected = np.mean([t.cost["nwot"] for t in nb201]) + np.mean([t.cost["flops"] for t in nb201])
    assert engine.dataset.cost(code) == pytest.approx(expected)


def test_archives():
    entries = [Entry(f"f{i}", fit, size, 1, cost, ()) for i, (fit, size, cost) in enumerate(
        [(0.5, 3, 1.0), (0.6, 5, 0.5), (0.4, 1, 2.0), (0.6, 7, 0.2), (0.3, 9, math.nan)])]
    hof = HallOfFame(3)
    hof.update(entries)
    assert [e.key for e in hof] == ["f1", "f3", "f0"]
    by_size, by_cost = ParetoFront("size"), ParetoFront("cost")
    by_size.update(entries)
    by_cost.update(entries)
    assert [(e.fitness, e.size) for e in by_size] == [(0.4, 1), (0.5, 3), (0.6, 5)]
    assert [(e.fitness, e.cost) for e in by_cost] == [(0.6, 0.2)]


@pytest.mark.parametrize("bad, message", [
    ({"population": 1}, "--population must be at least 2"),
    ({"generations": -1}, "--generations must be >= 0"),
    ({"offspring": -1}, "--offspring must be >= 0"),
    ({"max_depth": 1}, "--max-depth must lie in [2, 17]"),
    ({"max_depth": 18}, "--max-depth must lie in [2, 17]"),
    ({"init_min_depth": 3, "init_max_depth": 2}, "need 0 <= init min depth <= init max depth"),
    ({"init_min_depth": -1}, "need 0 <= init min depth <= init max depth"),
    ({"cx_prob": 0.8, "mut_prob": 0.5}, "--cx-prob and --mut-prob must be >= 0 and sum to at most 1"),
    ({"cx_prob": -0.1}, "--cx-prob and --mut-prob must be >= 0 and sum to at most 1"),
    ({"mut_prob": -0.1}, "--cx-prob and --mut-prob must be >= 0 and sum to at most 1"),
    ({"tournament": 0}, "--tournament must be >= 1"),
    ({"parsimony": 3.0}, "--parsimony must lie in [1, 2]"),
    ({"parsimony": 0.9}, "--parsimony must lie in [1, 2]"),
    ({"survivors": "x"}, "--survivors must be one of double-tournament, nsga2"),
    ({"elite": -1}, "--elite must be >= 0"),
    ({"hof_size": 0}, "--hof-size must be >= 1"),
    ({"parents": "x"}, "--parents must be one of tournament, lexicase"),
])
def test_config_validation(bad, message):
    with pytest.raises(ZcgpError) as exc:
        GPConfig(**bad).validate()
    assert str(exc.value) == message


def test_config_edges_are_valid_and_clamped():
    edge = GPConfig(population=2, generations=0, offspring=0, max_depth=2, init_min_depth=0, init_max_depth=9,
                    cx_prob=0.6, mut_prob=0.4, tournament=1, parsimony=1.0, elite=10, hof_size=1).validate()
    assert (edge.elite, edge.init_max_depth, edge.lam) == (2, 2, 2)
    assert GPConfig(max_depth=17, parsimony=2.0, offspring=7).validate().lam == 7
    assert GPConfig(init_min_depth=3, init_max_depth=3, max_depth=2).validate().init_min_depth == 2


def test_dask_backend_gives_the_same_scores(nb201):
    from dask import distributed  # in the dev extra: this test never skips
    engine = _engine(nb201, generations=0).run()
    codes = [to_code(ind) for ind in engine.population]
    expected = Evaluator(engine.dataset)(codes)
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=None)
    try:
        with Evaluator(engine.dataset, n_jobs=2, backend="dask", scheduler=cluster.scheduler_address,
                       chunk=16) as evaluator:
            np.testing.assert_array_equal(evaluator(codes), expected)
    finally:
        cluster.close()
    with pytest.raises(ZcgpError, match="--scheduler"):
        Evaluator(engine.dataset, backend="dask")


def test_impute_gives_missing_terminals_the_neutral_value():
    from zcgp.fitness.transforms import neutral_value
    assert [neutral_value(t) for t in ("rank", "log", "zscore", "raw")] == [0.5, 0.0, 0.0, 0.0]
    a = synthetic_task("syn/a", proxies=("a", "b", "c"), target=lambda a, b, c: a + c)
    b = synthetic_task("syn/b", seed=1, proxies=("a", "b"), target=lambda a, b, c: a)
    terms, excluded = select_terminals([a, b], "impute")
    assert terms == ("a", "b", "c") and not excluded
    assert select_terminals([a, b], "exclude")[0] == ("a", "b")
    ranked = Dataset.build([a, b], terms, "train", missing="impute")
    assert ranked.imputed and ranked.description["missing"] == "impute"
    block = ranked.blocks[1]
    assert block.missing == {"c"}
    np.testing.assert_array_equal(ranked.columns["c"][block.start:block.stop], 0.5)
    data = Dataset.build([a, b], terms, "train", transform="raw", missing="impute")
    np.testing.assert_array_equal(data.columns["c"][block.start:block.stop], 0.0)
    pset = Engine(data, GPConfig(population=2)).pset
    # a + c is defined on both tasks: exact on syn/a, and reduces to a (also exact) on syn/b
    row = data.score([to_code(parse_formula("a + c", pset))])[0]
    np.testing.assert_allclose(row, [1.0, 1.0])
    assert data.aggregate(row) == pytest.approx(1.0)
    # a formula of the missing terminal only is a constant there: WORST, not NaN
    assert data.score([to_code(parse_formula("c", pset))])[0][1] == WORST
    with pytest.raises(ZcgpError, match="missing-proxy mode"):
        Dataset.build([a, b], terms, "train", missing="bogus")


def test_inner_validation_split_and_final_selection(nb201):
    from zcgp.gp.dataset import inner_split
    from zcgp.gp.final import select_final
    task = nb201[0]
    train, _ = task_split(task, 1)
    fit, val = inner_split(task.id, train, 1)
    assert np.array_equal(np.sort(np.concatenate([fit, val])), train) and not set(fit) & set(val)
    assert val.size == round(0.25 * train.size)
    assert np.array_equal(inner_split(task.id, train, 1)[1], val)
    assert not np.array_equal(inner_split(task.id, train, 2)[1], val)
    terms, _ = select_terminals(nb201)
    fit_data = Dataset.build(nb201, terms, "fit", seed=1)
    val_data = Dataset.build(nb201, terms, "validation", seed=1)
    assert fit_data.n + val_data.n == Dataset.build(nb201, terms, "train", seed=1).n
    assert fit_data.fingerprint() != val_data.fingerprint()
    engine = Engine(fit_data, GPConfig(population=60, generations=2, seed=1)).run()
    assert select_final(engine) == (engine.best, [])
    chosen, rows = select_final(engine, val_data)
    scores = val_data.score([to_code(engine.tree(r["entry"].key)) for r in rows])
    assert [r["validation"] for r in rows] == [val_data.aggregate(s) for s in scores]
    assert [r["validation_per_task"] for r in rows] == [tuple(float(x) for x in s) for s in scores]
    assert chosen is rows[0]["entry"] and rows[0]["validation"] == max(r["validation"] for r in rows)
    assert len(rows) == len({e.key for e in list(engine.hof) + list(engine.front_size)})


def test_final_pick_passes_over_a_member_that_ties_what_its_terminals_tell_apart(monkeypatch):
    from zcgp.gp import final
    a = synthetic_task("syn/a", proxies=("a", "b", "c"), target=lambda a, b, c: a + b)
    b = synthetic_task("syn/b", seed=1, proxies=("a", "b"), target=lambda a, b, c: a)
    terms, _ = select_terminals([a, b], "impute")
    data = Dataset.build([a, b], terms, "train", missing="impute")
    engine = Engine(data, GPConfig(population=20, generations=1, seed=0)).run()
    codes = [to_code(engine.tree(k)) for k in ("fmin(0.5, a)", "a", "fmin(a, b)", "fmin(a, c)", "fmin(0.9, a)", "0.5")]
    # clipping at the median ties half the architectures; c, the neutral 0.5 on syn/b, ties them all there
    assert final.collapsed(data, codes).tolist() == [True, False, False, False, False, False]
    clip = Entry("fmin(0.5, a)", 2.0, 3, 1, 0.0, (2.0, 2.0))        # the best train fitness of all
    engine.hof.update([clip])
    assert engine.hof[0] == clip
    kept = final.archive_members(engine, usable=True)
    assert kept and clip not in kept
    assert final.capped_best(engine, None, usable=True) == kept[0] and final.capped_best(engine, 3, usable=True) != clip
    assert final.archive_members(engine)[0] == clip == final.capped_best(engine, 3)   # the inner folds' view
    settings = EvolveSettings(select="inner-loso")
    entry, info = final.final_entry(engine, settings, [a, b], terms, 0, inner=(3, {}))
    assert entry == final.capped_best(engine, 3, usable=True) != clip and info["size_cap"] == 3
    monkeypatch.setattr(final, "TIE_SLACK", -1.0)                    # every member collapses: all kept
    monkeypatch.setattr(final, "TIE_FLOOR", -1000)
    assert final.archive_members(engine, usable=True)[0] == clip
