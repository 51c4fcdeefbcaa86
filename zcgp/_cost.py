"""Seconds per network of a run's formulas, measured on this machine by the batched proxy module.

`zcgp evolve` on one space with a network builder measures the chosen formula and each member
of its cost Pareto front: build one fresh network of the space and compute the formula's
proxies, as `zcgp search` does by default (its synthetic input batch and initialisations,
one worker, the first train task's input shape). Each distinct proxy set is measured once per machine: the values are
cached on disk beside the search's reference cache and keyed alike, so `zcgp search --pick
auto` later reads the same numbers instead of measuring again.
"""

from __future__ import annotations

import platform

from zcgp.fitness.errors import ZcgpError


def _space_of(result: dict):
    """(space, task) when every train task is of one space that zcgp can build, else None."""
    from zcgp.spaces import get_space
    from zcgp.spaces.errors import UserInputError

    ids = result["config"]["train_tasks"]
    names = {i.split("/", 1)[0] for i in ids}
    if len(names) != 1 or result["config"].get("data") is not None:
        return None
    try:
        space = get_space(names.pop())
    except (UserInputError, ZcgpError):
        return None
    task = ids[0].split("/", 1)[1]
    return (space, task) if task in getattr(space, "tasks", {}) else None


def measure_costs(result: dict, progress: bool = False) -> dict | None:
    """Add "seconds_per_network" to result["best"] and to each result["pareto_cost"] entry,
    measured here; returns what was measured on (space, task, device, batch), or None when the
    run's tasks are not of one buildable space (user tables, several spaces)."""
    from zcgp._pick import measured_cost
    from zcgp.objectives import (
        SEARCH_BATCH_SIZE,
        SEARCH_INITS,
        make_measure,
        reference_cache_dir,
    )
    from zcgp.proxies.registry import PROXY_NAMES
    from zcgp.proxy import Proxy

    found = _space_of(result)
    if found is None:
        return None
    space, task = found
    entries = [result["best"], *result.get("pareto_cost", [])]
    names = {e["formula"]: Proxy(e["formula"]).TERMINALS for e in entries}
    if any(t not in PROXY_NAMES for terminals in names.values() for t in terminals):
        return None
    union = tuple(dict.fromkeys(t for terminals in names.values() for t in terminals))
    measure, _ = make_measure(space, union, task, batch_size=SEARCH_BATCH_SIZE, device="auto", seed=0, threads=1,
                              inits=SEARCH_INITS)
    seconds: dict[tuple, float] = {(): 0.0}
    warm_up = True
    for terminals in sorted(set(names.values()), key=len):
        if terminals not in seconds:
            seconds[terminals], cached = measured_cost(measure.measure, space, terminals, reference_cache_dir(),
                                                       warm_up)
            warm_up &= cached
    for entry in entries:
        entry["seconds_per_network"] = seconds[names[entry["formula"]]]
    where = {"space": space.name, "task": task, "device": measure.measure.device.type, "batch_size": SEARCH_BATCH_SIZE,
             "inits": SEARCH_INITS, "machine": platform.node(), "threads": 1}
    if progress:
        import sys

        print(f"measured seconds per network on this machine ({space.name}, {where['device']}, batch "
              f"{SEARCH_BATCH_SIZE}): {len(seconds) - 1} proxy set(s)", file=sys.stderr)
    return where
