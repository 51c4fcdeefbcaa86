"""zcgp: evolve zero-cost proxies for neural architecture search with genetic programming.

The API (everything the `zcgp` command does; the command only parses, calls and prints):

- `load_tasks(names, data=None)`: the shipped NAS-Bench-Suite-Zero tasks, or your own table.
- `evolve(tasks, *, seed, population, generations, metric, n_jobs, ...)` -> `Run`;
  `resume(directory)` continues a checkpointed run exactly.
- `Run` / `Run.load(dir)`: `.formula`, `.hall_of_fame`, `.pareto`, `.scores`, `.labels`,
  `.export()`, `.sympy()`, `.to_callable()`.
- `Proxy(formula | Run | directory | proxy file)`: call it on a dict of arrays, a
  DataFrame or a list of torch networks.
- `evaluate(source, tasks)`, `baselines(tasks)`: what `zcgp evaluate` / `zcgp baselines` print.
- `search(space, proxy, *, minutes | evaluations, seed)` -> `SearchResult`: NAS with a proxy.
- `adapt(proxy, labels, method=...)` -> `Adaptation`: a better proxy from a few labeled
  architectures of a new space (few-shot); `combine(run)`: a run's formula combined with cheap
  proxies on the labels it was evolved on (what `search` does with a run by default).
- `predict(labels, candidates, predictor=..., features=...)` -> `Prediction`: rank a list of
  unlabeled architectures with a predictor fitted on a few labeled ones (few-shot).
- `build_suite(name)`: regenerate a shipped suite proxy (`suite`, `suite-without-SPACE`,
  `suite-combined`, `suite-combined-without-SPACE`).
- `ProxyRegressor`: the engine as a scikit-learn estimator (extra `sklearn`).
- `ZcgpError`: every bad input raises it (a `ValueError`).

Subpackages: `zcgp.spaces` (search spaces, aging evolution), `zcgp.proxies` (batched torch
proxies), `zcgp.fitness` (tables, splits, rank correlation, baselines), `zcgp.gp` (the DEAP
engine, export), `zcgp.nas` (the search's objectives, formula choice, costs, caches),
`zcgp.bench` (the benchmarks) and `zcgp.scripts` (the command line). Names load lazily:
`import zcgp` imports neither torch nor DEAP, and `dir(zcgp)` lists them all.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "load_tasks": "zcgp.fitness.sources",
    "evolve": "zcgp.evolving",
    "resume": "zcgp.evolving",
    "Run": "zcgp.run",
    "Proxy": "zcgp.proxy",
    "evaluate": "zcgp.evaluation",
    "baselines": "zcgp.evaluation",
    "Evaluation": "zcgp.evaluation",
    "ProxyRegressor": "zcgp.estimator",
    "ZcgpError": "zcgp.errors",
    "search": "zcgp.searching",
    "adapt": "zcgp.adapting",
    "Adaptation": "zcgp.adapting",
    "combine": "zcgp.adapting",
    "predict": "zcgp.predicting",
    "Prediction": "zcgp.predicting",
    "build_suite": "zcgp.suite",
    "SearchResult": "zcgp.searching",
}
_SUBMODULES = ("spaces", "proxies", "fitness", "gp", "nas", "bench", "scripts")

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"zcgp.{name}")
    raise AttributeError(f"module 'zcgp' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
