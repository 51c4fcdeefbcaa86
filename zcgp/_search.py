"""`zcgp.search`: find a strong network of a space with a proxy (aging evolution, no training).

A thin call into the search code of `zcgp spaces` (measures and objectives as `zcgp search`
builds them); the budget is `minutes` and/or `evaluations` (distinct networks scored).
"""

from __future__ import annotations

from zcgp.fitness.errors import ZcgpError


def search(space, proxy, *, minutes: float | None = None, evaluations: int | None = None, seed: int = 0,
           dataset: str = "cifar10", population: int = 50, sample_size: int = 10, batch: int = 8,
           reference: int = 64, proxy_source: str = "torch", data: str = "synthetic", batch_size: int = 32,
           device: str = "auto", threads: int | None = 1, data_dir=None):
    """Search `space` ("nb201") maximizing `proxy`: a `zcgp.Proxy`, a Run, a run directory, a
    formula string, a hand-crafted proxy name, or "random". Returns a `SearchResult` (best_arch,
    best_score, evaluations, seconds, stop_reason, history)."""
    from zcgp.proxies.registry import PROXY_NAMES
    from zcgp.proxy import Proxy
    from zcgp.scripts.search_objectives import make_measure, make_objective
    from zcgp.spaces import get_space
    from zcgp.spaces.search import aging_evolution

    if minutes is None and evaluations is None:
        raise ZcgpError("give a budget: minutes and/or evaluations")
    space = get_space(space) if isinstance(space, str) else space
    if isinstance(proxy, str) and proxy == "random":
        objective, searched = make_objective("random", None, space, seed), space
    else:
        named = isinstance(proxy, str) and proxy in PROXY_NAMES
        formula = None if named else (proxy if isinstance(proxy, Proxy) else Proxy(proxy))
        names = (proxy,) if named else tuple(formula.TERMINALS)
        measure, searched = make_measure(proxy_source, space, names, dataset, data=data, batch_size=batch_size,
                                         device=device, seed=seed, threads=threads, data_dir=data_dir)
        objective = (make_objective(proxy, measure, searched, seed) if named else
                     make_objective("formula", measure, searched, seed, formula, reference))
    return aging_evolution(searched, objective, population=population, sample_size=sample_size,
                           max_evaluations=evaluations, max_seconds=None if minutes is None else minutes * 60,
                           batch=batch, seed=seed)
