"""Which formula of a run to search with: the one expected to find the best network in the budget.

A formula's cost per network is measured on this machine (the batched module on a few
networks, cached on disk per space, input and proxy set); the budget then allows
N = seconds / cost networks. What N networks buy is estimated from the run's own data, the
task table of the searched space and dataset: the expected accuracy of the best of N
networks drawn uniformly from the table, ranked by the formula (exact, from order statistics).
That is a search without selection pressure, so it understates what aging evolution finds,
but it charges every formula the same way: precision at the top against how many networks
the budget affords.
"""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np

from zcgp import __version__
from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.io import atomic_write_json

PICKS = ("auto", "best", "cheapest")
COST_NETWORKS = 1
COST_SEED = 7                 # the same network(s) for every proxy set and search seed
COST_SHARE = 0.1              # at most this share of a time budget goes to measuring costs
MAX_CANDIDATES = 6            # the run's choice + up to 5 members of the cost front, spread over cost


def expected_best_of(scores: np.ndarray, accuracy: np.ndarray, n: int) -> float:
    """E[accuracy of the top-scored of `n` architectures drawn uniformly with replacement]."""
    ok = np.isfinite(scores) & np.isfinite(accuracy)
    scores, accuracy = scores[ok], accuracy[ok]
    if scores.size == 0:
        return float("nan")
    order = np.argsort(scores, kind="stable")
    s, a = scores[order], accuracy[order]
    # tied scores share their mean accuracy (the search cannot tell them apart)
    _, start, counts = np.unique(s, return_index=True, return_counts=True)
    a = np.repeat(np.add.reduceat(a, start) / counts, counts)
    t = s.size
    cdf = (np.arange(1, t + 1) / t) ** max(int(n), 1)
    weights = np.diff(np.concatenate([[0.0], cdf]))
    return float(weights @ a)


def _cost_file(cache_dir, fields: dict, names) -> object:
    """Keyed by space, input batch and shape, device and proxy set (not by the search seed)."""
    fields = {k: v for k, v in fields.items() if k != "seed"}
    blob = json.dumps({**fields, "names": sorted(names), "version": __version__}, sort_keys=True)
    return cache_dir / f"cost-{hashlib.sha256(blob.encode()).hexdigest()[:20]}.json"


def measured_cost(measure, space, names, cache_dir, warm_up: bool = True) -> tuple[float, bool]:
    """Seconds per network (build + proxies `names`) on this machine, and whether it was cached.
    `warm_up` first scores one network untimed (first-call allocations, worker start-up)."""
    path = _cost_file(cache_dir, measure.key_fields, names)
    if path.is_file():
        try:
            return float(json.loads(path.read_text(encoding="utf-8"))["seconds_per_network"]), True
        except (OSError, ValueError, KeyError, TypeError):
            pass
    archs = space.sample_distinct(COST_NETWORKS, np.random.default_rng(COST_SEED))
    if warm_up:
        measure(archs[:1], names)
    start = time.perf_counter()
    measure(archs, names)
    seconds = (time.perf_counter() - start) / len(archs)
    try:
        atomic_write_json(path, {"seconds_per_network": seconds, "names": sorted(names), **measure.key_fields})
    except OSError:
        pass
    return seconds, False


def candidates(run) -> list[tuple[str, object]]:
    """(name, Proxy): the run's chosen formula, then up to MAX_CANDIDATES - 1 members of its cost
    Pareto front spread evenly over it (formulas without terminals left out)."""
    from zcgp.proxy import Proxy

    front = []
    for i in range(len(run.result.get("pareto_cost", []))):
        try:
            proxy = Proxy(run, index=i, front="cost")
        except ZcgpError:                    # a degenerate member (constant, non-finite) is no candidate
            continue
        if proxy.TERMINALS:
            front.append((f"pareto_cost[{i}]", proxy))
    if len(front) > MAX_CANDIDATES - 1:
        keep = np.unique(np.linspace(0, len(front) - 1, MAX_CANDIDATES - 1).round().astype(int))
        front = [front[i] for i in keep]
    chosen = [("best", Proxy(run))]
    for name, proxy in front:
        if all(proxy.formula != c.formula for _, c in chosen):
            chosen.append((name, proxy))
    return chosen


def pick_formula(candidates: list, pick: str, *, seconds: float | None, costs: dict, table_task,
                 reference: int = 0) -> tuple:
    """(index into `candidates`, reason). `costs` maps a terminal tuple to seconds per network; a
    formula whose budget does not even cover its `reference` networks is not chosen by auto
    (unless none does: then the cheapest)."""
    if pick == "best":
        return 0, "the run's chosen formula (--pick best)"
    if pick == "cheapest":
        i = min(range(len(candidates)), key=lambda j: costs[candidates[j][1].TERMINALS])
        return i, "the cheapest formula on the cost front (--pick cheapest)"
    if pick != "auto":
        try:
            index = int(pick)
        except ValueError:
            raise ZcgpError(f"--pick must be auto, best, cheapest or a cost-front index, got '{pick}'") from None
        if not 0 <= index < len(candidates):
            raise ZcgpError(f"--pick {index} is out of range: the run has {len(candidates)} candidate(s)")
        return index, f"candidate {index} (--pick {index})"
    if seconds is None:
        return 0, "no time budget: the run's chosen formula"
    accuracy = table_task.target
    rows = []
    for name, proxy in candidates:
        cost = costs[proxy.TERMINALS]
        n = max(int(seconds / cost), 1) if cost > 0 else table_task.n
        scores = proxy.proxy({t: table_task.column(t) for t in proxy.TERMINALS if t in table_task.proxies})
        scores = np.broadcast_to(scores, accuracy.shape)
        rows.append((expected_best_of(scores, accuracy, n), n, cost))
    feasible = [j for j, r in enumerate(rows) if r[1] >= reference] or \
        [min(range(len(rows)), key=lambda j: rows[j][2])]
    best = max(feasible, key=lambda j: (rows[j][0], -rows[j][2]))
    expected, n, cost = rows[best]
    return best, (f"expected best of {n} networks at {cost:.3f} s each: {expected:.2f} % on the "
                              f"{table_task.id} table (the run's chosen formula: {rows[0][0]:.2f} % at "
                              f"{rows[0][1]} networks)")
