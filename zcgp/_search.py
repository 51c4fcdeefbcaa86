"""`zcgp.search`: find a strong network of a space with a proxy (aging evolution, no training).

The objective is an evolved formula (a `zcgp.Proxy`, a Run, a run directory, an exported
proxy file or a formula string), a hand-crafted proxy name, or "random". Proxies are
computed by the batched torch module on freshly built networks (in `workers` processes,
values identical to one), or, in lookup mode, read from the space's NAS-Bench-Suite-Zero
table (only its architectures are searched). The budget is `minutes` (wall time, setup
included; a batch is cut to the time left) and/or `evaluations`. A formula is ranked
against the search's own initial population (scored once, counted as evaluations, cached on
disk). With a run as the proxy, `pick` chooses from the run's cost Pareto front the formula
expected to find the best network in the budget (`zcgp._pick`). The found network is looked
up in the benchmark: the NAS-Bench-201 test-accuracy table (all 15,625 cells) for nb201,
else the task's table (validation accuracy of its rows).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zcgp._pick import candidates
from zcgp.fitness.errors import ZcgpError
from zcgp.objectives import (
    SEARCH_BATCH_SIZE,
    SEARCH_INITS,
    FormulaObjective,
    ProxyObjective,
    RandomObjective,
    load_formula,
    load_reference,
    load_table_task,
    make_measure,
    make_objective,
    reference_cache_dir,
    store_reference,
)


@dataclass
class SearchResult:
    """What `zcgp.search` found: the best architecture (standard form and user spelling),
    its objective score, the budget used and the best-so-far history (one row per batch)."""

    space: Any
    task: str
    objective: str                    # description of the objective
    best_arch: Any
    best_string: str
    best_score: float
    evaluations: int                  # distinct networks scored
    proposals: int
    seconds: float                    # setup (reference networks) included
    setup_seconds: float
    interrupted: bool
    stop_reason: str                  # evaluations | time | exhausted | interrupted
    history: list[dict] = field(default_factory=list)
    info: dict = field(default_factory=dict)    # pick, reference, seconds (setup, scoring, selection), workers

    def network(self, num_classes: int | None = None):
        """A freshly initialised torch network of the best architecture."""
        classes = num_classes or self.space.tasks[self.task][0]
        return self.space.build(self.best_arch, classes)


def resolve_workers(workers: int) -> int:
    """-1 = every core; else at least 1."""
    return (os.cpu_count() or 1) if workers == -1 else max(int(workers), 1)


def _run_of(proxy):
    """A Run for a run directory or a Run (a pick can be made among its formulas), else None."""
    from zcgp.run import Run

    if isinstance(proxy, Run):
        return proxy
    if isinstance(proxy, (str, Path)) and Path(proxy).is_dir():
        return Run.load(proxy)
    return None


def _objective(space, proxy, *, task, lookup, seed, population, pick, minutes, start, options, info):
    """(objective, the space searched, the initial population, measure or None)."""
    from zcgp.proxies.registry import PROXY_NAMES

    if isinstance(proxy, str) and proxy == "random":
        searched = make_measure(space, (), task, lookup=True, data_dir=options["data_dir"])[1] if lookup else space
        info["objective"] = "random search"
        return RandomObjective(searched, seed), searched, (), None
    if isinstance(proxy, str) and proxy in PROXY_NAMES:
        measure, searched = make_measure(space, (proxy,), task, lookup=lookup, seed=seed, **options)
        info["objective"] = f"proxy {proxy}"
        return ProxyObjective(proxy, measure), searched, (), measure
    run = _run_of(proxy)
    if run is None:
        formula = load_formula(proxy)
        names = formula.TERMINALS
    else:
        chosen = [(n, load_formula(p)) for n, p in candidates(run)]
        names = tuple(dict.fromkeys(t for _, p in chosen for t in p.TERMINALS))
    measure, searched = make_measure(space, names, task, lookup=lookup, seed=seed, **options)
    if run is not None:
        formula, info["pick"] = _pick(chosen, pick, measure, space, task, minutes, start, lookup,
                                      options["data_dir"], population)
    initial = searched.sample_distinct(population, np.random.default_rng([seed, 1]))
    cached = load_reference(measure, initial, formula.TERMINALS)
    if not cached and not lookup and minutes is not None:
        affordable = _affordable(initial, formula, measure, space, minutes * 60 - (time.perf_counter() - start),
                                 info.get("pick", {}).get("seconds_per_network"))
        if len(affordable) < len(initial):        # a shorter reference may be cached on its own
            initial = affordable
            cached = load_reference(measure, initial, formula.TERMINALS)
    info["objective"] = f"formula {formula.formula}"
    info["formula"], info["terminals"] = formula.formula, list(formula.TERMINALS)
    info["reference"] = {"networks": len(initial), "from_cache": cached}
    return FormulaObjective(formula, measure), searched, initial, measure


REFERENCE_SHARE = 0.5      # at most this share of the time left goes to the reference (first batch)
MIN_REFERENCE = 8


def _affordable(initial, formula, measure, space, seconds_left, cost=None) -> list:
    """The first networks of `initial` whose scoring fits REFERENCE_SHARE of the time left, at
    least MIN_REFERENCE: an expensive formula on a short budget gets a smaller reference instead
    of a first batch that outlasts the budget."""
    from zcgp._pick import measured_cost

    if not cost:
        cost, _ = measured_cost(measure.measure, space, formula.TERMINALS, reference_cache_dir())
    fits = int(REFERENCE_SHARE * max(seconds_left, 0.0) / cost) if cost > 0 else len(initial)
    return list(initial[:max(MIN_REFERENCE, min(len(initial), fits))])


def search(space, proxy, *, minutes: float | None = None, evaluations: int | None = None, seed: int = 0,
           task: str | None = None, lookup: bool = False, population: int = 50, sample_size: int = 10,
           batch: int = 8, data: str = "synthetic", batch_size: int = SEARCH_BATCH_SIZE, device: str = "auto",
           threads: int | None = 1, workers: int = 1, pick: str = "auto", data_dir=None, inits: int = SEARCH_INITS,
           on_batch=None) -> SearchResult:
    """Search `space` (a name such as "nb301", "package.module:Class", or a space object)
    maximizing `proxy` for at most `minutes` (setup included) and/or `evaluations` distinct
    networks. `task` defaults to the space's first task; `workers=-1` scores on every core;
    `inits` > 1 averages each proxy over that many weight initialisations of a network.
    Returns a `SearchResult`; its `info` says what was searched with and where time went."""
    from zcgp.spaces import get_space
    from zcgp.spaces.search import aging_evolution

    start = time.perf_counter()
    if minutes is None and evaluations is None:
        raise ZcgpError("give a budget: minutes and/or evaluations")
    if minutes is not None and minutes <= 0:
        raise ZcgpError(f"minutes must be > 0, got {minutes}")
    space = get_space(space) if isinstance(space, str) else space
    task = task or next(iter(space.tasks))
    workers = resolve_workers(workers)
    info: dict = {"space": space.name, "task": task, "seed": seed, "lookup": lookup, "workers": workers,
                  "inits": inits}
    options = {"data": data, "batch_size": batch_size, "device": device, "threads": threads, "workers": workers,
               "data_dir": data_dir, "inits": inits}
    objective, searched, initial, measure = _objective(space, proxy, task=task, lookup=lookup, seed=seed,
                                                       population=population, pick=pick, minutes=minutes,
                                                       start=start, options=options, info=info)
    if measure is not None:                     # one process on a GPU
        info["workers"] = getattr(measure.measure, "workers", 1)
    setup = time.perf_counter() - start
    scoring = [0.0]

    def timed(archs):
        began = time.perf_counter()
        try:
            return objective(archs)
        finally:
            scoring[0] += time.perf_counter() - began

    before = dict(measure.seconds) if measure is not None else {"building": 0.0, "proxies": 0.0}
    seconds = None if minutes is None else max(minutes * 60 - setup, 1e-3)
    if info["objective"] == "random search":      # uniform sampling: the population never fills up
        population = 10**12
    found = aging_evolution(searched, timed, population=population, sample_size=sample_size,
                            max_evaluations=evaluations, max_seconds=seconds, batch=batch, seed=seed,
                            on_batch=on_batch, initial=initial)
    if found.best_arch is None:
        raise ZcgpError("the search stopped before scoring any network")
    if initial and not info["reference"]["from_cache"]:
        store_reference(measure, initial, objective.formula.TERMINALS)
    spent = {k: (measure.seconds[k] if measure is not None else 0.0) - before[k] for k in before}
    # scoring: wall time in the objective; building / proxies: CPU seconds summed over workers
    info["seconds"] = {"setup": setup, "scoring": scoring[0], "selection": found.seconds - scoring[0],
                       "total": time.perf_counter() - start, "building_cpu": spent["building"],
                       "proxies_cpu": spent["proxies"]}
    return SearchResult(space=space, task=task, objective=info["objective"], best_arch=found.best_arch,
                        best_string=space.to_string(found.best_arch), best_score=found.best_score,
                        evaluations=found.evaluations, proposals=found.proposals, seconds=setup + found.seconds,
                        setup_seconds=setup, interrupted=found.interrupted, stop_reason=found.stop_reason,
                        history=[{**row, "seconds": row["seconds"] + setup} for row in found.history], info=info)


def _table_seconds(space) -> dict[str, float]:
    """The data files' mean seconds per proxy on `space`'s tasks (empty without a table)."""
    from zcgp.fitness.data import SPACE_FILES
    from zcgp.fitness.tasks import load_tasks

    seconds: dict[str, float] = {}
    for table in load_tasks(space.name) if space.name in SPACE_FILES else ():
        for proxy, value in table.cost.items():
            if np.isfinite(value):
                seconds.setdefault(proxy, value)
    return seconds


def _pick(chosen, pick, measure, space, task, minutes, start, lookup, data_dir, population):
    """The formula to search with among `chosen` [(name, Proxy)], and a dict saying which and why."""
    from zcgp._pick import COST_SHARE, measured_cost, pick_formula

    costs, cached, estimated = {}, True, []
    if lookup or pick == "best":                  # table values cost nothing; best needs no costs
        costs = {c.TERMINALS: 0.0 for _, c in chosen}
    else:
        table = _table_seconds(space)

        def table_cost(names) -> float:
            return sum(table.get(n, 0.0) for n in names)

        limit = None if minutes is None else COST_SHARE * minutes * 60
        warm_up = True
        # cheap first (by the tables' proxy times); past the time share, extrapolate from them
        for _, c in sorted(chosen, key=lambda item: table_cost(item[1].TERMINALS)):
            if c.TERMINALS in costs:
                continue
            if limit is not None and time.perf_counter() - start > limit and costs:
                estimated.append(c.TERMINALS)
                continue
            costs[c.TERMINALS], hit = measured_cost(measure.measure, space, c.TERMINALS, reference_cache_dir(),
                                                    warm_up)
            cached &= hit
            warm_up &= hit
        if estimated:
            ratios = [costs[t] / table_cost(t) for t in costs if table_cost(t) > 0]
            factor = float(np.median(ratios)) if ratios else 1.0
            for t in estimated:
                costs[t] = factor * table_cost(t) or max(costs.values())
    table = load_table_task(space, task, data_dir)
    seconds = None if minutes is None else minutes * 60 - (time.perf_counter() - start)
    index, reason = pick_formula(chosen, pick, seconds=seconds, costs=costs, table_task=table,
                                 reference=population)
    name, formula = chosen[index]
    return formula, {"chosen": name, "formula": formula.formula, "reason": reason,
                     "seconds_per_network": costs[formula.TERMINALS], "costs_from_cache": cached,
                     "costs_estimated": [list(t) for t in estimated],
                     "candidates": [{"name": n, "formula": p.formula, "seconds_per_network": costs[p.TERMINALS]}
                                    for n, p in chosen]}


class Benchmark:
    """True accuracy of found architectures: NB201's test-accuracy table for nb201 (every
    cell, all three datasets) unless `table_only`, else the task's NAS-Bench-Suite-Zero rows
    (validation accuracy; an architecture outside them is "not in the table")."""

    def __init__(self, space, task: str, *, table_only: bool = False, nb201_table=None, data_dir=None):
        self.space, self.task = space, task
        if space.name == "nb201" and not table_only:
            from zcgp.spaces.nb201 import load_table

            self.nb201 = load_table(nb201_table)
            self.metric, self.source = "test_accuracy", self.nb201.path
            return
        self.nb201 = None
        table = load_table_task(space, task, data_dir)
        self.metric, self.source = "val_accuracy", f"{table.id} ({table.n} architectures)"
        self.values = np.asarray(table.target, dtype=float)
        self.rows: dict[str, int] = {}
        for i, arch in enumerate(table.archs):
            self.rows.setdefault(space.key(arch), i)

    def lookup(self, arch) -> dict[str, dict] | None:
        """{task: {metric: value, "percentile": p}} of `arch`, or None when it is not in the table."""
        if self.nb201 is not None:
            from zcgp.spaces.nb201 import to_index

            index = to_index(arch, self.nb201)
            return {t: self._entry(v, float(v[index])) for t, v in self.nb201.accuracy.items()}
        row = self.rows.get(self.space.key(arch))
        return None if row is None else {self.task: self._entry(self.values, float(self.values[row]))}

    def accuracy(self, arch) -> float | None:
        found = self.lookup(arch)
        return None if found is None else found[self.task][self.metric]

    def _entry(self, values: np.ndarray, value: float) -> dict:
        return {self.metric: value, "percentile": float(100.0 * (values < value).mean())}


def compare_objectives(space, formula, objectives, seeds, *, evaluations: int = 100, task: str | None = None,
                       lookup: bool = True, population: int = 20, sample_size: int = 5, reference: int = 64,
                       data: str = "synthetic", batch_size: int = SEARCH_BATCH_SIZE, device: str = "auto",
                       threads: int | None = 1, data_dir=None, benchmark: Benchmark | None = None,
                       progress=None) -> list[dict]:
    """One search per (objective, seed) at an equal budget of distinct networks; objectives are
    "evolved" (`formula`), "random" or proxy names. A shared cache computes each network's
    proxies once for all runs. Returns one dict per run with the found architecture and its
    benchmark entry (None when not in the table)."""
    from zcgp.spaces import get_space
    from zcgp.spaces.search import aging_evolution

    space = get_space(space) if isinstance(space, str) else space
    task = task or next(iter(space.tasks))
    formula = load_formula(formula) if formula is not None and "evolved" in objectives else None
    if "evolved" in objectives and formula is None:
        raise ZcgpError("the 'evolved' objective needs a formula (--proxy or --formula)")

    def names(objective: str) -> tuple[str, ...]:
        if objective == "evolved":
            return tuple(formula.TERMINALS)
        return () if objective == "random" else (objective,)

    union = tuple(dict.fromkeys(n for o in objectives for n in names(o)))
    base, searched = make_measure(space, union, task, lookup=lookup, data=data, batch_size=batch_size,
                                  device=device, seed=0, threads=threads, data_dir=data_dir)
    shared = base
    bench = benchmark or Benchmark(space, task, table_only=lookup, data_dir=data_dir)
    runs = []
    for objective in objectives:
        for seed in seeds:
            kind = "formula" if objective == "evolved" else objective
            fn = make_objective(kind, shared.view(names(objective)), searched, seed, formula, reference)
            found = aging_evolution(searched, fn, population=population, sample_size=sample_size,
                                    max_evaluations=evaluations, seed=seed)
            entry = bench.lookup(found.best_arch)
            runs.append({"objective": objective, "seed": seed, "best_arch": space.to_string(found.best_arch),
                         "evaluations": found.evaluations, "seconds": found.seconds,
                         "accuracy": None if entry is None else entry[task][bench.metric],
                         "percentile": None if entry is None else entry[task]["percentile"],
                         "benchmark": entry, "networks_computed": len(shared.cache)})
            if progress is not None:
                progress(runs[-1])
    return runs


def seconds_per_network(space, names, task: str | None = None, *, networks: int = 4, data: str = "synthetic",
                        batch_size: int = SEARCH_BATCH_SIZE, device: str = "auto", threads: int | None = 1, seed: int = 12345) -> float:
    """CPU (process) seconds to build and score one fresh network of `space` with proxies
    `names`, averaged over `networks` sampled ones (0 for no proxies)."""
    if not names:
        return 0.0
    space_task = task
    measure, _ = make_measure(space, tuple(names), space_task or next(iter(space.tasks)), data=data,
                              batch_size=batch_size, device=device, seed=0, threads=threads)
    archs = space.sample_distinct(networks, np.random.default_rng(seed))
    start = time.process_time()
    measure(archs)
    return (time.process_time() - start) / max(len(archs), 1)
