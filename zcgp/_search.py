"""`zcgp.search`: find a strong network of a space with a proxy (aging evolution, no training).

The budget is `minutes` (wall time, setup included) and/or `evaluations` (distinct networks
scored). A formula is ranked against a reference sample that is the search's own initial
population: scored once, counted as search evaluations, and cached on disk, so a repeated
search starts at once. With a run as the proxy, `pick` chooses from the run's cost Pareto
front the formula expected to find the best network within the budget (see `zcgp._pick`).
The result is a `SearchResult` whose `info` says what was searched with and how the time
was spent (setup, building, proxies, selection).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from zcgp.fitness.errors import ZcgpError


def _formula_source(proxy):
    """A Run for a run directory or Run (so a pick can be made), else None."""
    from zcgp.run import Run

    if isinstance(proxy, Run):
        return proxy
    if isinstance(proxy, (str, Path)) and Path(proxy).is_dir():
        return Run.load(proxy)
    return None


def resolve_workers(workers: int) -> int:
    """-1 = every core; else at least 1."""
    return os.cpu_count() or 1 if workers == -1 else max(int(workers), 1)


def search(space, proxy, *, minutes: float | None = None, evaluations: int | None = None, seed: int = 0,
           dataset: str = "cifar10", population: int = 50, sample_size: int = 10, batch: int = 8,
           proxy_source: str = "torch", data: str = "synthetic", batch_size: int = 32, device: str = "auto",
           threads: int | None = 1, workers: int = 1, pick: str = "auto", data_dir=None, on_batch=None):
    """Search `space` ("nb201", or a space object) maximizing `proxy`: a `zcgp.Proxy`, a Run, a run
    directory, proxy.json/proxy.py (read as data), a formula string, a hand-crafted proxy name, or
    "random". Returns a `SearchResult` (best_arch, best_score, evaluations, seconds, stop_reason,
    history, info)."""
    from zcgp.objectives import (
        FormulaObjective,
        ProxyObjective,
        RandomObjective,
        load_formula,
        make_measure,
        measure_reference,
        reference_cache_dir,
    )
    from zcgp.proxies.registry import PROXY_NAMES
    from zcgp.spaces import get_space
    from zcgp.spaces.search import aging_evolution

    start = time.perf_counter()
    if minutes is None and evaluations is None:
        raise ZcgpError("give a budget: minutes and/or evaluations")
    if minutes is not None and minutes <= 0:
        raise ZcgpError(f"minutes must be > 0, got {minutes}")
    space = get_space(space) if isinstance(space, str) else space
    if dataset not in space.tasks:
        raise ZcgpError(f"unknown dataset '{dataset}' for {space.name}; known: {', '.join(space.tasks)}")
    workers = resolve_workers(workers)
    info: dict = {"space": space.name, "dataset": dataset, "seed": seed, "proxy_source": proxy_source,
                  "workers": workers}
    initial = ()
    if isinstance(proxy, str) and proxy == "random":
        objective, searched, measure = RandomObjective(space, seed), space, None
        info["objective"] = "random search"
    elif isinstance(proxy, str) and proxy in PROXY_NAMES:
        measure, searched = make_measure(proxy_source, space, (proxy,), dataset, data=data, batch_size=batch_size,
                                         device=device, seed=seed, threads=threads, workers=workers,
                                         data_dir=data_dir)
        objective = ProxyObjective(proxy, measure)
        info["objective"] = f"proxy {proxy}"
    else:
        run = _formula_source(proxy)
        formula = load_formula(proxy if run is None else run)
        measure, searched = make_measure(proxy_source, space, formula.TERMINALS, dataset, data=data,
                                         batch_size=batch_size, device=device, seed=seed, threads=threads,
                                         workers=workers, data_dir=data_dir)
        if run is not None:
            formula, info["pick"] = _pick(run, pick, measure, space, dataset, minutes, start, proxy_source,
                                          seed, data_dir, reference_cache_dir())
        initial = searched.sample_distinct(population, np.random.default_rng([seed, 1]))
        reference, cached = measure_reference(measure, initial, formula.TERMINALS)
        objective = FormulaObjective(formula, measure, reference)
        info["objective"] = f"formula {formula.formula}"
        info["formula"], info["terminals"] = formula.formula, list(formula.TERMINALS)
        info["reference"] = {"networks": len(initial), "from_cache": cached}
    setup = time.perf_counter() - start
    scoring = [0.0]

    def timed(archs):
        began = time.perf_counter()
        try:
            return objective(archs)
        finally:
            scoring[0] += time.perf_counter() - began

    max_seconds = None if minutes is None else max(minutes * 60 - setup, 1e-3)
    measured = dict(measure.seconds) if measure is not None else {"building": 0.0, "proxies": 0.0}
    result = aging_evolution(searched, timed, population=population, sample_size=sample_size,
                             max_evaluations=evaluations, max_seconds=max_seconds, batch=batch, seed=seed,
                             on_batch=on_batch, initial=initial)
    total = time.perf_counter() - start
    spent = {k: (measure.seconds[k] if measure is not None else 0.0) - measured[k] for k in measured}
    # scoring is wall time in the objective; building / proxies are CPU seconds summed over workers
    info["seconds"] = {"setup": setup, "scoring": scoring[0], "selection": result.seconds - scoring[0],
                       "total": total, "building_cpu": spent["building"], "proxies_cpu": spent["proxies"]}
    result.info = info
    return result


def _pick(run, pick, measure, space, dataset, minutes, start, proxy_source, seed, data_dir, cache_dir):
    """The formula to search with, and a dict saying which and why."""
    from zcgp._pick import candidates, measured_cost, pick_formula
    from zcgp.fitness.tasks import load_tasks

    chosen = candidates(run)
    costs, cached = {}, True
    for _, c in chosen:
        if c.TERMINALS in costs:
            continue
        if proxy_source == "table" or pick == "best":
            costs[c.TERMINALS] = 0.0
            continue
        costs[c.TERMINALS], hit = measured_cost(measure.measure, space, c.TERMINALS, cache_dir, seed)
        cached &= hit
    task = load_tasks(f"{space.name}/{dataset}", data_dir)[0]
    seconds = None if minutes is None else minutes * 60 - (time.perf_counter() - start)
    index, reason = pick_formula(chosen, pick, seconds=seconds, costs=costs, table_task=task)
    name, formula = chosen[index]
    return formula, {"chosen": name, "formula": formula.formula, "reason": reason,
                     "seconds_per_network": costs[formula.TERMINALS], "costs_from_cache": cached,
                     "candidates": [{"name": n, "formula": p.formula, "seconds_per_network": costs[p.TERMINALS]}
                                    for n, p in chosen]}


def benchmark_accuracy(arch, table) -> dict:
    """{"index": i, task: {"test_accuracy", "percentile"}} of an NB201 architecture in `table`."""
    from zcgp.spaces.nb201 import to_index

    index = to_index(arch, table)
    out = {"index": index}
    for task, values in table.accuracy.items():
        acc = float(values[index])
        out[task] = {"test_accuracy": acc, "percentile": float(100.0 * (values < acc).mean())}
    return out
