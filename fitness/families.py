"""Fitness families beyond Kendall / Spearman, each scoring many candidates at once.

Every family takes a `RankTarget` (one task's target) and scores of shape (k, n):
  * "kendall_tiebreak": Kendall's tau-b with the candidate's ties broken at random (its
    expectation): tied pairs count zero and stay in the denominator, so a formula cannot
    gain by tying architectures (clipping ``min(0.5, x)`` under the rank transform ties the
    top half, which raises tau-b while it hides the top from a search). Equal to tau-b
    times sqrt(1 - candidate-tied pairs / all pairs).
  * "wkendall": scipy.stats.weightedtau with its defaults (hyperbolic weigher 1/(r+1),
    additive, averaged over the rank by (x, y) and by (y, x)); O(n log n) per candidate
    via per-element discordance counts from one bottom-up merge over all candidates.
  * "top1", "top5", "top10": precision at the top p % by accuracy: the share of the true
    top ceil(p n) architectures among the candidate's top ceil(p n); ties at either
    boundary count fractionally (the expectation over random tie-breaking).
  * "ndcg", "ndcg10": sklearn.metrics.ndcg_score (ties averaged) with the target's
    rank in [0, 1] as relevance, over the whole list or its top 10 %.
  * "sample500", "sample500_p10": what a search that scores 500 random architectures keeps:
    the accuracy percentile (the target's rank in [0, 1], 1 = the best) of the best-scored
    architecture of a uniform random sample of min(500, n), its expectation or its lower
    decile (one sample in ten keeps one no better), exactly (no sampling; ties in a
    candidate's scores broken at random).
A candidate with a non-finite value or no variance, or any candidate against a constant
target, scores WORST, as in `fitness.rank`; a perfect ranking gets NDCG exactly 1, never more.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

from zcgp.errors import ZcgpError
from zcgp.fitness.rank import (
    METRICS,
    WORST,
    RankTarget,
    _dense_ranks_and_ties,
    _run_starts,
)

__all__ = ["FAMILIES", "FITNESS_METRICS", "NDCG_FRACTIONS", "SAMPLES", "TOP_FRACTIONS", "discordant_counts", "score",
           "score_many"]

TOP_FRACTIONS = {"top1": 0.01, "top5": 0.05, "top10": 0.10}
NDCG_FRACTIONS = {"ndcg": None, "ndcg10": 0.10}
SAMPLES = {"sample500": (500, None), "sample500_p10": (500, 0.10)}   # name -> (sample size, quantile or mean)
FAMILIES = ("kendall_tiebreak", "wkendall", *TOP_FRACTIONS, *NDCG_FRACTIONS, *SAMPLES)
FITNESS_METRICS = METRICS + FAMILIES


def _run_lengths(sorted_rows: np.ndarray) -> np.ndarray:
    """Length of the run of equal values each entry of rows sorted along axis 1 belongs to."""
    n = sorted_rows.shape[1]
    new_run, start = _run_starts(sorted_rows)
    run_end = np.empty_like(new_run)
    run_end[:, -1] = True
    run_end[:, :-1] = new_run[:, 1:]
    end = np.minimum.accumulate(np.where(run_end, np.arange(n), n - 1)[:, ::-1], axis=1)[:, ::-1]
    return end - start + 1


def discordant_counts(seq: np.ndarray) -> np.ndarray:
    """Per position p of each row: #{q < p: seq[q] > seq[p]} + #{q > p: seq[q] < seq[p]}.

    Bottom-up merge: keys are (value, position, count); merging two sorted halves, a left
    entry overtakes the right entries before it (smaller), a right entry the left entries
    after it (greater). The count rides in the low bits, so nothing is scattered per level.

    Parameters
    ----------
    seq : numpy.ndarray of int, shape (k, n)
        Non-negative integers (e.g. dense ranks of y in the order of x).

    Returns
    -------
    numpy.ndarray of int64, shape (k, n)
        The number of entries each position is discordant with.

    Raises
    ------
    ZcgpError
        When n exceeds 2**19 (the keys would not fit in 64 bits).

    Examples
    --------
    >>> discordant_counts(np.array([[2, 0, 1]]))
    array([[2, 1, 1]])
    """
    k, n = seq.shape
    width = 1
    while width < n:
        width *= 2
    shift = max(int(width).bit_length(), 1)
    if 3 * shift > 62:
        raise ZcgpError(f"weighted Kendall supports up to {2 ** 19} architectures per task, got {n}")
    low = (1 << shift) - 1
    pad = int(seq.max(initial=0)) + 1
    keys = np.empty((k, width), dtype=np.int64)
    keys[:, :n] = seq.astype(np.int64) << (2 * shift)
    keys[:, n:] = pad << (2 * shift)
    keys |= np.arange(width, dtype=np.int64) << shift
    half = 1
    while half < width:
        span = 2 * half
        blocks = keys.reshape(k, width // span, span)
        blocks.sort(axis=-1, kind="stable")         # two sorted runs: a linear merge
        right = ((blocks >> shift) & half).astype(bool)     # came from the right half
        right_before = np.cumsum(right, axis=-1, dtype=np.int64) - right
        blocks += np.where(right, half - (np.arange(span) - right_before), right_before)
        half = span
    counts = np.empty((k, width), dtype=np.int64)
    np.put_along_axis(counts, (keys >> shift) & low, keys & low, axis=1)
    return counts[:, :n]


class _Prepared:
    """Target-side arrays of one task, derived from its RankTarget (computed once)."""

    def __init__(self, target: RankTarget):
        n = target.n
        self.n = n
        self.y_dense = target.y_group_key // n
        self.y_group = np.bincount(self.y_dense)[self.y_dense]           # size of each tie group
        self.constant = bool(self.y_group[0] == n)                        # all ties: no ranking
        ranks = target.y_rank_centered + (n + 1) / 2.0                    # average ranks, 1-based
        self.relevance = (ranks - 1.0) / max(n - 1, 1)
        self.top = {name: _top_weights(self.relevance[None, :], _top_k(n, f))[0]
                    for name, f in TOP_FRACTIONS.items()}
        ideal = np.sort(self.relevance)[::-1]
        self.ideal_gains = ideal
        self.by_target = np.argsort(-self.relevance, kind="stable")     # best architecture first
        self.ideal = {name: float((ideal * _discounts(n, f)).sum()) for name, f in NDCG_FRACTIONS.items()}


def _top_k(n: int, fraction: float) -> int:
    return max(1, min(n, math.ceil(fraction * n - 1e-9)))


def _discounts(n: int, fraction: float | None) -> np.ndarray:
    d = 1.0 / np.log2(np.arange(n) + 2.0)
    if fraction is not None:
        d[_top_k(n, fraction):] = 0.0
    return d


def _top_weights(s: np.ndarray, k: int) -> np.ndarray:
    """Probability that each entry is among the k largest of its row under random tie-breaking."""
    kth = -np.partition(-s, k - 1, axis=1)[:, k - 1:k]
    greater = s > kth
    equal = s == kth
    share = (k - greater.sum(axis=1, keepdims=True)) / equal.sum(axis=1, keepdims=True)
    return np.where(greater, 1.0, np.where(equal, share, 0.0))


def _prepared(target: RankTarget) -> _Prepared:
    prep = getattr(target, "_families", None)
    if prep is None:
        prep = _Prepared(target)
        target._families = prep
    return prep


def _weighted_kendall_rows(prep: _Prepared, s: np.ndarray) -> np.ndarray:
    k, n = s.shape
    x_dense, _ = _dense_ranks_and_ties(s)
    y_dense = np.broadcast_to(prep.y_dense, (k, n))
    order = np.argsort(x_dense * n + y_dense, axis=1, kind="stable")     # ascending by (x, y)
    xs = np.take_along_axis(x_dense, order, axis=1)
    ys = np.take_along_axis(y_dense, order, axis=1)
    d = discordant_counts(ys)
    gx = _run_lengths(xs) - 1
    gxy = _run_lengths(xs * n + ys) - 1
    gy = prep.y_group[order] - 1
    w_x = 1.0 / (n - np.arange(n, dtype=float))          # rank by (x, y) descending
    q = np.empty((k, n), dtype=np.int64)                   # position ascending by (y, x)
    np.put_along_axis(q, np.argsort(ys * n + xs, axis=1, kind="stable"),
                      np.broadcast_to(np.arange(n), (k, n)), axis=1)
    w_y = 1.0 / (n - q)
    taus = []
    for w in (np.broadcast_to(w_x, (k, n)), w_y):
        tot = (n - 1) * w.sum(axis=1)
        u = (w * gx).sum(axis=1)
        v = (w * gy).sum(axis=1)
        t = (w * gxy).sum(axis=1)
        dis = (w * d).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = (tot - u - v + t - 2.0 * dis) / np.sqrt(tot - u) / np.sqrt(tot - v)
        taus.append(np.clip(tau, -1.0, 1.0))
    tau = (taus[0] + taus[1]) / 2.0
    # scipy gives NaN when x or y is all ties (tot == u or tot == v, tested exactly there);
    # in floats tot - v is then 0 or a rounding residue and the quotient NaN, +-inf or huge,
    # which the clip above would turn into +-1: test it exactly instead
    degenerate = prep.constant | (gx == n - 1).all(axis=1)
    return np.where(np.isfinite(tau) & ~degenerate, tau, WORST)


def _top_rows(prep: _Prepared, s: np.ndarray, name: str) -> np.ndarray:
    k = _top_k(prep.n, TOP_FRACTIONS[name])
    return _top_weights(s, k) @ prep.top[name] / k


def _ndcg_rows(prep: _Prepared, s: np.ndarray, name: str) -> np.ndarray:
    k, n = s.shape
    # ties in s are ordered best target first: within a run of equal scores the relevance
    # then never increases, so a run holds one relevance only iff its two ends agree
    order = prep.by_target[np.argsort(-s[:, prep.by_target], axis=1, kind="stable")]
    ss = np.take_along_axis(s, order, axis=1)
    rel = prep.relevance[order]
    _, start = _run_starts(-ss)
    end = start + _run_lengths(-ss) - 1
    csum = np.concatenate([np.zeros((k, 1)), np.cumsum(rel, axis=1)], axis=1)
    run_mean = (np.take_along_axis(csum, end + 1, axis=1) - np.take_along_axis(csum, start, axis=1)) \
        / (end - start + 1)
    fraction = NDCG_FRACTIONS[name]
    dcg = run_mean @ _discounts(n, fraction)
    ideal = prep.ideal[name]
    if not ideal > 0:
        return np.full(k, WORST)
    # the two sums round differently: NDCG could exceed 1 by ~1e-13, or a perfect ranking
    # fall short of it. Clip, and give exactly 1 where every discounted position gets its
    # ideal gain from a run of one relevance (the tie-averaged gains are the ideal ones).
    top = n if fraction is None else _top_k(n, fraction)
    perfect = ((rel[:, :top] == prep.ideal_gains[:top])
               & (np.take_along_axis(rel, start[:, :top], axis=1)
                  == np.take_along_axis(rel, end[:, :top], axis=1))).all(axis=1)
    return np.where(perfect, 1.0, np.minimum(dcg / ideal, 1.0))


def _none_above(n: int, size: int) -> np.ndarray:
    """f[x] = C(n - x, size) / C(n, size), x = 0..n: the chance a random sample of `size` of n
    holds none of x given architectures."""
    left = n - np.arange(n + 1)
    some = left >= size
    f = np.zeros(n + 1)
    f[some] = np.exp(gammaln(left[some] + 1.0) - gammaln(left[some] - size + 1.0)
                     - gammaln(n + 1.0) + gammaln(n - size + 1.0))
    return f


def _sample_rows(prep: _Prepared, s: np.ndarray, name: str) -> np.ndarray:
    size, quantile = SAMPLES[name]
    n = s.shape[1]
    order = np.argsort(-s, axis=1, kind="stable")              # best-scored first
    ss = -np.take_along_axis(s, order, axis=1)
    _, start = _run_starts(ss)
    end = start + _run_lengths(ss)                             # a run of equal scores: [start, end)
    f = _none_above(n, min(size, n))
    prob = (f[start] - f[end]) / (end - start)                 # the sample's best is this one
    if quantile is None:
        return (prob * prep.relevance[order]).sum(axis=1)
    kept = np.empty_like(prob)                                 # per architecture, in the target's order
    np.put_along_axis(kept, order, prob, axis=1)
    worst_first = prep.by_target[::-1]
    first = np.argmax(np.cumsum(kept[:, worst_first], axis=1) >= quantile - 1e-12, axis=1)
    return prep.relevance[worst_first][first]


def score(target: RankTarget, scores, metric: str = "kendall") -> np.ndarray:
    """The value of `metric` of k candidates against one task.

    Parameters
    ----------
    target : RankTarget
        The task's target; the families' target-side arrays are computed on first use and
        kept on it.
    scores : array_like of float, shape (k, n) or (n,)
        Candidate scores over the target's architectures (higher = predicted better).
    metric : str, default "kendall"
        One of FITNESS_METRICS (see the module docstring).

    Returns
    -------
    numpy.ndarray of float, shape (k,)
        One value per candidate; WORST for a candidate with a non-finite value or without
        variance, and for every candidate against a constant target.

    Raises
    ------
    ZcgpError
        When `metric` is unknown or the rows do not have n values.

    Examples
    --------
    >>> from zcgp.fitness.rank import RankTarget
    >>> target = RankTarget([0.1, 0.2, 0.3, 0.4])
    >>> score(target, [[1, 2, 3, 4], [4, 3, 2, 1]], "ndcg")
    array([1.        , 0.61382731])
    >>> score(target, [1, 2, 3, 4], "top10")
    array([1.])
    """
    if metric in METRICS:
        return target.score(scores, metric)
    prep = _prepared(target)
    if prep.constant and metric in FAMILIES:
        # a constant target ranks nothing: WORST, as kendall / spearman give (where scipy's
        # weightedtau gives NaN, and sklearn's ndcg_score 1 to every candidate)
        return target._by_chunks(scores, lambda s: np.full(s.shape[0], WORST))
    if metric == "kendall_tiebreak":
        return target._by_chunks(scores, lambda s: target._kendall_rows(s, untied=True))
    if metric == "wkendall":
        return target._by_chunks(scores, lambda s: _weighted_kendall_rows(prep, s))
    if metric in TOP_FRACTIONS:
        return target._by_chunks(scores, lambda s: _top_rows(prep, s, metric))
    if metric in NDCG_FRACTIONS:
        return target._by_chunks(scores, lambda s: _ndcg_rows(prep, s, metric))
    if metric in SAMPLES:
        return target._by_chunks(scores, lambda s: _sample_rows(prep, s, metric))
    raise ZcgpError(f"unknown metric '{metric}'; choose from {', '.join(FITNESS_METRICS)}")


def score_many(scores, target, metric: str) -> np.ndarray:
    """`score` against a plain target vector.

    Parameters
    ----------
    scores : array_like of float, shape (k, n) or (n,)
        Candidate scores, one row per candidate.
    target : array_like of float, shape (n,)
        The accuracies (finite, at least 2).
    metric : str
        One of FITNESS_METRICS.

    Returns
    -------
    numpy.ndarray of float, shape (k,)
        One value per candidate (WORST for an invalid one).

    Raises
    ------
    ZcgpError
        As `RankTarget` and `score`.

    Examples
    --------
    >>> score_many([[1, 2, 4, 3]], [0.1, 0.2, 0.3, 0.4], "wkendall")
    array([0.52])
    """
    return score(RankTarget(target), scores, metric)
