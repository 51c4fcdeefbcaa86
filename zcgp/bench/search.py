"""`zcgp bench search`'s measurements: searches with evolved formulas, hand-crafted proxies and
random search, side by side.

  * `timed_searches`: each search is one `zcgp.search` call as a user runs it (fresh
    networks, setup included), per objective and seed;
  * `compare_objectives`: every objective runs the same aging evolution for the same number
    of distinct networks; a shared cache computes each network's proxies once;
  * `seconds_per_network`: CPU seconds to build and score one fresh network.
"""

from __future__ import annotations

import time

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.nas.benchmark import Benchmark
from zcgp.nas.objectives import make_measure, make_objective
from zcgp.proxies.measure import MeasureSettings
from zcgp.searching import load_formula, search
from zcgp.spaces import get_space
from zcgp.spaces.search import POPULATION, SAMPLE_SIZE, aging_evolution

__all__ = ["compare_objectives", "seconds_per_network", "timed_searches"]


def timed_searches(space, objectives: dict, seeds, *, minutes: float, task: str, lookup: bool = False,
                   population: int = POPULATION, sample_size: int = SAMPLE_SIZE,
                   settings: MeasureSettings | None = None, workers: int = -1, data_dir=None,
                   progress=None) -> list[dict]:
    """One `zcgp.search` per (objective, seed): `objectives` maps a label to what `search`
    takes as its proxy (a label "NAME:MODE" picks with MODE). One record per search."""
    bench = Benchmark(space, task, table_only=lookup, data_dir=data_dir)
    records = []
    for label, source in objectives.items():
        mode = label.partition(":")[2] or "auto"
        for seed in seeds:
            result = search(space, source, minutes=minutes, seed=seed, task=task, lookup=lookup,
                            population=population, sample_size=sample_size, settings=settings, workers=workers,
                            pick=mode, data_dir=data_dir)
            record = {"objective": label, "seed": seed, "best_arch": result.best_string,
                      "evaluations": result.evaluations, "seconds": result.info["seconds"]["total"],
                      "benchmark": bench.lookup(result.best_arch), "info": result.info}
            records.append(record)
            if progress is not None:
                progress(record)
    return records


def compare_objectives(space, formula, objectives, seeds, *, evaluations: int = 100, task: str | None = None,
                       lookup: bool = True, population: int = 20, sample_size: int = 5, reference: int = 64,
                       settings: MeasureSettings | None = None, data_dir=None,
                       benchmark: Benchmark | None = None, progress=None) -> list[dict]:
    """One search per (objective, seed) at an equal budget of distinct networks; objectives are
    "evolved" (`formula`), "random" or proxy names. Returns one dict per run with the found
    architecture and its benchmark entry (None when not in the table)."""
    space = get_space(space) if isinstance(space, str) else space
    task = task or next(iter(space.tasks))
    formula = load_formula(formula) if formula is not None and "evolved" in objectives else None
    if "evolved" in objectives and formula is None:
        raise ZcgpError("the 'evolved' objective needs a formula (--proxy or --formula)")

    def names(objective: str) -> tuple[str, ...]:
        if objective == "evolved":
            return tuple(formula.terminals)
        return () if objective == "random" else (objective,)

    union = tuple(dict.fromkeys(n for o in objectives for n in names(o)))
    shared, searched = make_measure(space, union, task, lookup=lookup, settings=settings or MeasureSettings(),
                                    data_dir=data_dir)
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


def seconds_per_network(space, names, task: str | None = None, *, networks: int = 4,
                        settings: MeasureSettings | None = None, seed: int = 12345) -> float:
    """CPU (process) seconds to build and score one fresh network of `space` with proxies
    `names`, averaged over `networks` sampled ones (0 for no proxies)."""
    if not names:
        return 0.0
    measure, _ = make_measure(space, tuple(names), task or next(iter(space.tasks)),
                              settings=settings or MeasureSettings())
    archs = space.sample_distinct(networks, np.random.default_rng(seed))
    start = time.process_time()
    measure(archs)
    return (time.process_time() - start) / max(len(archs), 1)
