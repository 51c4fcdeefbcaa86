"""Seconds per network of a proxy set on this machine: measured once, cached, read by every search.

`measured_cost` builds one fresh network of the space (always the same one: COST_SEED) and
times its proxies after an untimed warm-up network; the result is cached by the measure's
key without its seed (`nas.cache`). `measure_costs` does this for a run's final formula and
its cost Pareto front, at the search's default measurement, and writes the numbers into the
run's result (`zcgp evolve --measure-cost`).
"""

from __future__ import annotations

import platform
import sys
import time

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.gp.export import used_terminals
from zcgp.gp.primitives import make_pset, parse_tree
from zcgp.nas.cache import cache_file, read_cached, write_cached
from zcgp.nas.objectives import make_measure
from zcgp.proxies.measure import MeasureSettings
from zcgp.proxies.registry import PROXY_NAMES
from zcgp.spaces import get_space

COST_NETWORKS = 1
COST_SEED = 7                 # the same network(s) for every proxy set and search seed

__all__ = ["COST_NETWORKS", "COST_SEED", "measure_costs", "measured_cost"]


def _cost_file(measure, names):
    fields = {k: v for k, v in measure.key_fields.items() if k != "seed"}
    return cache_file("cost", fields, names=sorted(names))


def measured_cost(measure, space, names, warm_up: bool = True) -> tuple[float, bool]:
    """Seconds per network to build a network and compute proxies `names` on it, measured once.

    Times COST_NETWORKS fresh networks of `space` (sampled with COST_SEED, so always the same
    ones) after an optional untimed warm-up network. The result is cached on disk by the
    measure's `key_fields` without the seed, and the proxy names (`nas.cache`); a cached value
    is returned without measuring.

    Parameters
    ----------
    measure : TorchMeasure
        The measure to time; its `key_fields` key the cache.
    space : SearchSpace
        The space the networks are sampled from.
    names : sequence of str
        The proxies computed on each network.
    warm_up : bool, default True
        First score one network untimed (first-call allocations, worker start-up).

    Returns
    -------
    tuple of (float, bool)
        The wall-clock seconds per network, and whether it came from the cache.
    """
    path = _cost_file(measure, names)
    stored = read_cached(path)
    if isinstance(stored, dict) and isinstance(stored.get("seconds_per_network"), (int, float)):
        return float(stored["seconds_per_network"]), True
    archs = space.sample_distinct(COST_NETWORKS, np.random.default_rng(COST_SEED))
    if warm_up:
        measure(archs[:1], names)
    start = time.perf_counter()
    measure(archs, names)
    seconds = (time.perf_counter() - start) / len(archs)
    write_cached(path, {"seconds_per_network": seconds, "names": sorted(names), **measure.key_fields})
    return seconds, False


def _space_of(result: dict):
    """(space, task) when every train task is of one space zcgp can build, else None."""
    ids = result["config"]["train_tasks"]
    names = {i.split("/", 1)[0] for i in ids}
    if len(names) != 1 or result["config"].get("data") is not None:
        return None
    try:
        space = get_space(names.pop())
    except ZcgpError:
        return None
    task = ids[0].split("/", 1)[1]
    return (space, task) if task in getattr(space, "tasks", {}) else None


def measure_costs(result: dict, progress: bool = False) -> dict | None:
    """Measure the seconds per network of a run's final formula and of its cost Pareto front.

    Adds "seconds_per_network" to result["best"] and to each entry of result["pareto_cost"], in
    place, measured on this machine at the search's default measurement (`MeasureSettings()`)
    on the run's first train task; a formula without terminals costs 0.

    Parameters
    ----------
    result : dict
        A run's result: "config" ("train_tasks", "terminals", "data") and "best" are read,
        "pareto_cost" when present.
    progress : bool, default False
        Print one line on standard error when done.

    Returns
    -------
    dict or None
        Where it was measured: {"space", "task", "device", "batch_size", "inits", "machine",
        "threads"}; None, with nothing added, when the run's tasks are not of one buildable space
        (user tables, several spaces) or a formula uses a terminal the proxy module cannot compute.
    """
    found = _space_of(result)
    if found is None:
        return None
    space, task = found
    order = tuple(result["config"]["terminals"])
    pset = make_pset(order)
    entries = [result["best"], *result.get("pareto_cost", [])]
    names = {e["formula"]: used_terminals(parse_tree(e["formula"], pset), order) for e in entries}
    if any(t not in PROXY_NAMES for terminals in names.values() for t in terminals):
        return None
    union = tuple(dict.fromkeys(t for terminals in names.values() for t in terminals))
    settings = MeasureSettings()
    measure, _ = make_measure(space, union, task, settings=settings)
    seconds: dict[tuple, float] = {(): 0.0}
    warm_up = True
    for terminals in sorted(set(names.values()), key=len):
        if terminals not in seconds:
            seconds[terminals], cached = measured_cost(measure.measure, space, terminals, warm_up)
            warm_up &= cached
    for entry in entries:
        entry["seconds_per_network"] = seconds[names[entry["formula"]]]
    where = {"space": space.name, "task": task, "device": measure.measure.device.type,
             "batch_size": settings.batch_size, "inits": settings.inits, "machine": platform.node(),
             "threads": settings.threads}
    if progress:
        print(f"measured seconds per network on this machine ({space.name}, {where['device']}, batch "
              f"{settings.batch_size}): {len(seconds) - 1} proxy set(s)", file=sys.stderr)
    return where
