"""Which formula of a run to search with: the one expected to find the best network in the budget.

A formula's cost per network is measured on this machine (`nas.cost`, cached per space,
input and proxy set); the budget then allows N = seconds / cost networks. What N networks
buy is estimated from the labels the run was evolved on, and only those: for each of its
training tasks, the expected accuracy percentile of the best of N architectures drawn
uniformly from the task's labeled (train-split) rows, ranked by the formula (exact, from
order statistics), averaged over the tasks. No label of a task's test split, or of a space
the run never saw, is read, so a zero-shot search stays zero-shot. That is a search without
selection pressure, so it understates what aging evolution finds, but it charges every
formula the same way: precision at the top against how many networks the budget affords.

Candidates are duck-typed formulas (`zcgp.Proxy`): `.terminals`, `.formula`, `.score(values)`.
"""

from __future__ import annotations

import time

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.nas.cost import measured_cost

PICKS = ("combined", "auto", "best", "cheapest")    # "combined": `zcgp.searching`, the rest here
COST_SHARE = 0.1              # at most this share of a time budget goes to measuring costs
MAX_CANDIDATES = 6            # the run's choice + up to 5 members of the cost front, spread over cost

__all__ = ["COST_SHARE", "MAX_CANDIDATES", "PICKS", "check_pick", "choose_formula", "expected_best_of",
           "pick_formula", "spread"]


def check_pick(pick: str) -> str:
    """Check a --pick value: one of PICKS, or a cost-front index written as digits.

    Parameters
    ----------
    pick : str
        "combined", "auto", "best", "cheapest", or a non-negative integer such as "2".

    Returns
    -------
    str
        `pick` unchanged.

    Raises
    ------
    ZcgpError
        When `pick` is anything else; the message names --pick.
    """
    if pick in PICKS or (isinstance(pick, str) and pick.isdigit()):
        return pick
    raise ZcgpError(f"--pick must be combined, auto, best, cheapest or a cost-front index, got '{pick}'")


def expected_best_of(scores: np.ndarray, accuracy: np.ndarray, n: int) -> float:
    """Expected accuracy of the top-scored of `n` architectures drawn uniformly with replacement.

    Exact, from order statistics: the top-scored of `n` draws is at score rank i or below with
    probability (i / T) ** n, T the number of architectures. Architectures with tied scores share
    their mean accuracy (a search cannot tell them apart). Pairs where the score or the accuracy
    is not finite are dropped first.

    Parameters
    ----------
    scores : numpy.ndarray
        One score per architecture, higher is better (a formula's or proxy's values).
    accuracy : numpy.ndarray
        The architectures' accuracy (or accuracy percentile), aligned with `scores`.
    n : int
        How many architectures are drawn; values below 1 count as 1.

    Returns
    -------
    float
        The expected accuracy, in the units of `accuracy`; NaN when no pair is finite.

    Examples
    --------
    >>> import numpy as np
    >>> acc = np.array([10.0, 20.0, 30.0])
    >>> expected_best_of(np.array([1.0, 2.0, 3.0]), acc, 1)
    20.0
    >>> round(expected_best_of(np.array([1.0, 2.0, 3.0]), acc, 2), 4)
    24.4444
    >>> expected_best_of(np.array([1.0, 1.0, 1.0]), acc, 5)
    20.0
    """
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


def spread(items: list, k: int) -> list:
    """At most `k` of `items`, spread evenly over the list, the first and the last kept.

    Parameters
    ----------
    items : list
        The items, in their order (e.g. a cost Pareto front, cheapest first).
    k : int
        The most items to keep.

    Returns
    -------
    list
        A new list: all of `items` when there are at most `k`, else `k` (or, after rounding
        duplicates away, fewer) of them at evenly spaced positions, in their order.
    """
    if len(items) <= k:
        return list(items)
    keep = np.unique(np.linspace(0, len(items) - 1, k).round().astype(int))
    return [items[i] for i in keep]


def _percentiles(y: np.ndarray) -> np.ndarray:
    """Each value's accuracy percentile within `y` (ties share it), so tasks of any scale average."""
    order = np.argsort(np.argsort(y, kind="stable"), kind="stable")
    return 100.0 * order / max(y.size - 1, 1)


def pick_formula(candidates: list, pick: str, *, seconds: float | None, costs: dict, labeled=(),
                 reference: int = 0) -> tuple[int, str]:
    """Which candidate formula to search with, and why.

    "best" is candidate 0 (the run's choice), "cheapest" the one with the lowest cost, a digit
    string that index. "auto" estimates, for each candidate, the accuracy percentile of the best
    of N = `seconds` / cost networks (`expected_best_of`, averaged over the labeled tasks) and
    takes the highest, the cheaper on a tie. Only the labeled rows in `labeled` are read. A
    formula whose budget does not cover its `reference` networks is not chosen by auto, unless
    none does: then the cheapest.

    Parameters
    ----------
    candidates : list of (str, Proxy)
        (name, formula) pairs, the run's chosen formula first; a formula has `.terminals`,
        `.score(values)` and `.missing`.
    pick : str
        "auto", "best", "cheapest" or a candidate index as digits (`check_pick`).
    seconds : float or None
        The search's time budget left, in seconds; None: no budget (auto picks candidate 0).
    costs : dict of tuple to float
        A formula's terminal tuple -> seconds per network (0: free, e.g. table lookups; then N is
        every labeled row).
    labeled : sequence of (Task, numpy.ndarray), default ()
        The labeled (train-split) rows of each task the run was evolved on; empty: auto picks
        candidate 0.
    reference : int, default 0
        The number of networks a search scores before it starts (its reference population).

    Returns
    -------
    tuple of (int, str)
        The index into `candidates` and a one-line reason for the result.

    Raises
    ------
    ZcgpError
        When `pick` is not valid or is an index out of range.
    """
    if pick == "best":
        return 0, "the run's chosen formula (--pick best)"
    if pick == "cheapest":
        i = min(range(len(candidates)), key=lambda j: costs[candidates[j][1].terminals])
        return i, "the cheapest formula on the cost front (--pick cheapest)"
    if pick != "auto":
        index = int(check_pick(pick))
        if not 0 <= index < len(candidates):
            raise ZcgpError(f"--pick {index} is out of range: the run has {len(candidates)} candidate(s)")
        return index, f"candidate {index} (--pick {index})"
    if seconds is None or not labeled:
        return 0, "no time budget: the run's chosen formula" if seconds is None else \
            "no labeled rows to estimate from: the run's chosen formula"
    rows = []
    for _, formula in candidates:
        cost = costs[formula.terminals]
        expected = []
        for task, idx in labeled:
            n = max(int(seconds / cost), 1) if cost > 0 else idx.size
            values = {t: task.column(t)[idx] for t in formula.terminals if t in task.proxies}
            if len(values) < len(formula.terminals) and formula.missing != "impute":
                continue
            scores = np.broadcast_to(formula.score(values), idx.shape)
            expected.append(expected_best_of(scores, _percentiles(task.target[idx]), n))
        n = max(int(seconds / cost), 1) if cost > 0 else None
        rows.append((float(np.mean(expected)) if expected else -np.inf, n, cost))
    feasible = [j for j, r in enumerate(rows) if r[1] is None or r[1] >= reference] or \
        [min(range(len(rows)), key=lambda j: rows[j][2])]
    best = max(feasible, key=lambda j: (rows[j][0], -rows[j][2]))
    expected, n, cost = rows[best]
    count = sum(idx.size for _, idx in labeled)
    return best, (f"expected best of {n or 'all'} networks at {cost:.3f} s each: percentile {expected:.1f} "
                  f"on the {count} labeled architectures of its {len(labeled)} training task(s) (the run's "
                  f"chosen formula: {rows[0][0]:.1f} at {rows[0][1] or 'all'} networks)")


def _table_seconds(table_tasks) -> dict[str, float]:
    """The data files' mean seconds per proxy (first finite value over the tasks)."""
    seconds: dict[str, float] = {}
    for table in table_tasks:
        for proxy, value in table.cost.items():
            if np.isfinite(value):
                seconds.setdefault(proxy, value)
    return seconds


def choose_formula(chosen, pick: str, measure, space, labeled, *, minutes, start, lookup: bool,
                   population: int) -> tuple[object, dict]:
    """The formula to search with among `chosen`, and a record of which one and why.

    Costs are measured on this machine (`nas.cost.measured_cost`, cached), cheapest first by the
    tables' proxy times of the labeled tasks; once COST_SHARE of the budget has gone, the rest are
    extrapolated from those times (scaled by the median measured-to-table ratio). With `lookup`
    or `pick` "best" nothing is measured and every cost is 0. Then `pick_formula` chooses with
    the budget that is left.

    Parameters
    ----------
    chosen : list of (str, Proxy)
        (name, formula) candidates, the run's chosen formula first.
    pick : str
        "auto", "best", "cheapest" or a candidate index as digits (`check_pick`).
    measure : SharedMeasure
        The search's measure; its `measure` (a `TorchMeasure`) is timed.
    space : SearchSpace
        The searched space; cost networks are sampled from it.
    labeled : list of (Task, numpy.ndarray)
        The labeled rows of each task the run was evolved on (`zcgp.searching.labeled_rows`).
    minutes : float or None
        The search's time budget in minutes; None: no budget.
    start : float
        `time.perf_counter()` when the search started; the budget counts from it.
    lookup : bool
        Whether the search reads proxy values from a table (no cost to measure).
    population : int
        The search's initial population, passed to `pick_formula` as `reference`.

    Returns
    -------
    tuple of (Proxy, dict)
        The formula, and {"chosen": name, "formula": text, "reason": str, "seconds_per_network":
        float, "costs_from_cache": bool, "costs_estimated": terminal lists extrapolated,
        "candidates": [{"name", "formula", "seconds_per_network"}]}.

    Raises
    ------
    ZcgpError
        When `pick` is not valid or is an index out of range.
    """
    costs, cached, estimated = {}, True, []
    if lookup or pick == "best":                  # table values cost nothing; best needs no costs
        costs = {f.terminals: 0.0 for _, f in chosen}
    else:
        times = _table_seconds(task for task, _ in labeled)

        def table_cost(names) -> float:
            return sum(times.get(n, 0.0) for n in names)

        limit = None if minutes is None else COST_SHARE * minutes * 60
        warm_up = True
        for _, f in sorted(chosen, key=lambda item: table_cost(item[1].terminals)):
            if f.terminals in costs:
                continue
            if limit is not None and time.perf_counter() - start > limit and costs:
                estimated.append(f.terminals)
                continue
            costs[f.terminals], hit = measured_cost(measure.measure, space, f.terminals, warm_up)
            cached &= hit
            warm_up &= hit
        if estimated:
            ratios = [costs[t] / table_cost(t) for t in costs if table_cost(t) > 0]
            factor = float(np.median(ratios)) if ratios else 1.0
            for t in estimated:
                costs[t] = factor * table_cost(t) or max(costs.values())
    seconds = None if minutes is None else minutes * 60 - (time.perf_counter() - start)
    index, reason = pick_formula(chosen, pick, seconds=seconds, costs=costs, labeled=labeled,
                                 reference=population)
    name, formula = chosen[index]
    return formula, {"chosen": name, "formula": formula.formula, "reason": reason,
                     "seconds_per_network": costs[formula.terminals], "costs_from_cache": cached,
                     "costs_estimated": [list(t) for t in estimated],
                     "candidates": [{"name": n, "formula": f.formula, "seconds_per_network": costs[f.terminals]}
                                    for n, f in chosen]}
