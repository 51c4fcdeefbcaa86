"""zcgp: evolve zero-cost proxies for neural architecture search with genetic programming.

The API (everything the `zcgp` command does, the command only parses, calls and prints):
  load_tasks(names | "all", data=None)    shipped NAS-Bench-Suite-Zero tasks, or your own table
  evolve(tasks, *, seed, population, generations, fitness, n_jobs, scheduler, progress, **options) -> Run
  resume(directory, generations=None)     continue a checkpointed run exactly
  Run / Run.load(dir)                     .formula .hall_of_fame .pareto .scores .export() .sympy() .to_callable()
  Proxy(formula | Run | directory)        call on a dict of arrays, a DataFrame or a list of torch networks
  evaluate(source, tasks), baselines(tasks)
  ProxyRegressor                          scikit-learn estimator (extra `sklearn`)
  search(space, proxy, *, minutes | evaluations, seed)   `zcgp.search`: NAS with a proxy
Subpackages: `zcgp.spaces` (search spaces, aging evolution), `zcgp.proxies` (batched torch
proxies), `zcgp.fitness` (tables, splits, rank correlation, baselines), `zcgp.gp` (the DEAP
engine, export) and `zcgp.scripts` (the `zcgp` command line). Names load lazily: `import
zcgp` imports neither torch nor DEAP.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "load_tasks": "zcgp._tasks",
    "evolve": "zcgp._evolve",
    "resume": "zcgp._evolve",
    "Run": "zcgp.run",
    "Proxy": "zcgp.proxy",
    "evaluate": "zcgp._evaluate",
    "baselines": "zcgp._evaluate",
    "ProxyRegressor": "zcgp.estimator",
    "ZcgpError": "zcgp.fitness.errors",
    "search": "zcgp._search",        # a function: the module is _search so `zcgp.search` stays callable
    "SearchResult": "zcgp._search",
}
_SUBMODULES = ("spaces", "proxies", "fitness", "gp", "scripts")

__all__ = [
    "Proxy",
    "ProxyRegressor",
    "Run",
    "SearchResult",
    "ZcgpError",
    "baselines",
    "evaluate",
    "evolve",
    "fitness",
    "gp",
    "load_tasks",
    "proxies",
    "resume",
    "scripts",
    "search",
    "spaces",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"zcgp.{name}")
    raise AttributeError(f"module 'zcgp' has no attribute '{name}'")
