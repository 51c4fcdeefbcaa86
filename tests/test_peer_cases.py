"""Upstream test cases for the rank metrics, ported: scipy's own tests of kendalltau, spearmanr
and weightedtau (scipy/stats/tests/test_stats.py) and scikit-learn's of ndcg_score
(sklearn/metrics/tests/test_ranking.py). Each test takes the peer's inputs and expected values
and checks zcgp's implementation against them; the peer test is named in the docstring.

Where zcgp deliberately differs, a test named for the difference asserts zcgp's documented
behaviour and says what the peer returns: a constant or non-finite candidate, and any candidate
against a constant target, scores WORST (-1) where scipy gives NaN; a target with NaN or fewer
than 2 values is an error; NDCG's relevance is the target's rank in [0, 1], so the sklearn
values are those of ndcg_score called on that relevance.
"""

import random
import warnings
from itertools import combinations

import numpy as np
import pytest
from scipy import stats

from zcgp.errors import ZcgpError
from zcgp.fitness import rank as rank_module
from zcgp.fitness.families import FAMILIES, FITNESS_METRICS, score
from zcgp.fitness.rank import WORST, RankTarget

sklearn_metrics = pytest.importorskip("sklearn.metrics")

TOL = 1e-9


def zcgp(candidates, target, metric):
    """zcgp's values of `metric` for candidate rows (or one candidate) against one target."""
    rows = np.atleast_2d(np.asarray(candidates, dtype=float))
    return score(RankTarget(np.asarray(target, dtype=float)), rows, metric)


def one(candidate, target, metric):
    return float(zcgp(candidate, target, metric)[0])


def rank_relevance(target):
    """zcgp's NDCG relevance: the target's average rank, scaled to [0, 1]."""
    target = np.asarray(target, dtype=float)
    return (stats.rankdata(target) - 1.0) / (target.size - 1)


def sklearn_ndcg(candidate, target, k=None):
    return sklearn_metrics.ndcg_score(rank_relevance(target)[None], np.asarray(candidate, float)[None], k=k)


def ndcg10_k(n):
    return max(1, int(np.ceil(0.1 * n - 1e-9)))


def _peer_normal_draws():
    """The correlated normal pair of scipy's test_large_arrays / test_normal_draws."""
    rng = np.random.RandomState(7546)
    x = np.array([rng.normal(loc=1, scale=1, size=500), rng.normal(loc=1, scale=1, size=500)])
    return np.dot(np.linalg.cholesky([[1.0, 0.3], [0.3, 1.0]]), x)


# ---------------------------------------------------------------- scipy.stats.kendalltau

KENDALL_NO_TIES = [
    ([5, 2, 1, 3, 6, 4, 7, 8], [5, 2, 6, 3, 1, 8, 7, 4], 0.0),
    ([0, 5, 2, 1, 3, 6, 4, 7, 8], [5, 2, 0, 6, 3, 1, 8, 7, 4], 0.0),
    ([5, 2, 1, 3, 6, 4, 7], [5, 2, 6, 3, 1, 7, 4], -0.14285714286),
    ([2, 1, 3, 6, 4, 7, 8], [2, 6, 3, 1, 8, 7, 4], 0.047619047619),
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 1.0),
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 2, 1, 3, 4, 5, 6, 7, 8, 9], 0.9555555555555556),
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 2, 1, 3, 4, 6, 5, 7, 8, 9], 0.9111111111111111),
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], -1.0),
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [9, 7, 8, 6, 5, 4, 3, 2, 1, 0], -0.9555555555555556),
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [9, 7, 8, 6, 5, 3, 4, 2, 1, 0], -0.9111111111111111),
]


@pytest.mark.parametrize("x,y,expected", KENDALL_NO_TIES)
def test_kendalltau_no_ties(x, y, expected):
    """scipy TestKendallTau.test_kendalltau_no_ties (reference values from R, tau-b)."""
    assert one(x, y, "kendall") == pytest.approx(expected, abs=TOL)
    assert one(y, x, "kendall") == pytest.approx(expected, abs=TOL)      # tau is symmetric


def test_kendalltau_no_ties_many_candidates_at_once():
    """scipy test_kendalltau_no_ties: its six length-10 cases share x, so as one (k, n) batch."""
    cases = [(y, expected) for x, y, expected in KENDALL_NO_TIES if len(x) == 10]
    got = zcgp([y for y, _ in cases], np.arange(10), "kendall")
    np.testing.assert_allclose(got, [expected for _, expected in cases], rtol=0, atol=TOL)


def test_kendalltau_ties():
    """scipy TestKendallTau.test_kendalltau_ties: Kendall (1970)'s example (tau-b 0.85895569),
    R's cor.test on (12, 2, 1, 12, 2) / (1, 4, 7, 1, 0) (-0.4714...), and [1, 1, 2] with itself
    (tau-b exactly 1)."""
    x = [1, 2, 2, 4, 4, 6, 6, 8, 9, 9]
    y = [1, 2, 4, 4, 4, 4, 8, 8, 8, 10]
    assert one(x, y, "kendall") == pytest.approx(0.85895569, abs=1e-8)        # given to 8 digits
    assert one(y, x, "kendall") == pytest.approx(0.85895569, abs=1e-8)
    assert one([12, 2, 1, 12, 2], [1, 4, 7, 1, 0], "kendall") == pytest.approx(-0.47140452079103173, abs=TOL)
    assert one([1, 4, 7, 1, 0], [12, 2, 1, 12, 2], "kendall") == pytest.approx(-0.47140452079103173, abs=TOL)
    assert one([1, 1, 2], [1, 1, 2], "kendall") == pytest.approx(1.0, abs=TOL)


def test_kendalltau_large_arrays():
    """scipy TestKendallTau.test_large_arrays (float64): 500 correlated normal draws, 0.19291382765531062."""
    x = _peer_normal_draws()
    assert one(x[0], x[1], "kendall") == pytest.approx(0.19291382765531062, abs=TOL)
    assert one(x[1], x[0], "kendall") == pytest.approx(0.19291382765531062, abs=TOL)


@pytest.mark.parametrize("long_rows", [rank_module.LONG_ROWS, 10**9], ids=["scipy-path", "merge-path"])
def test_kendalltau_gh18139_overflow(monkeypatch, long_rows):
    """scipy TestKendallTau.test_kendalltau_gh18139_overflow: 2e5 draws from 7 classes (heavy
    ties), tau 0.0011816493905730343, on both of zcgp's paths (scipy's for n >= LONG_ROWS, and
    the vectorized merge forced by raising LONG_ROWS)."""
    random.seed(6272161)
    classes = [1, 2, 3, 4, 5, 6, 7]
    x = np.array(random.choices(classes, k=2 * 10**5), dtype=float)
    y = np.array(random.choices(classes, k=2 * 10**5), dtype=float)
    monkeypatch.setattr(rank_module, "LONG_ROWS", long_rows)
    assert one(x, y, "kendall") == pytest.approx(0.0011816493905730343, abs=TOL)


@pytest.mark.parametrize("x,y", [([2, 2, 2], [2, 2, 2]), ([2, 0, 2], [2, 2, 2]), ([2, 2, 2], [2, 0, 2])])
@pytest.mark.parametrize("metric", FITNESS_METRICS)
def test_constant_candidate_scores_worst_where_scipy_gives_nan(x, y, metric):
    """scipy TestKendallTau.test_degenerate_input and TestCorrSpearmanr2.test_tie0 (only ties
    in one or both inputs): scipy returns NaN for kendalltau, spearmanr and weightedtau. zcgp
    scores WORST in every fitness metric, for a constant candidate and for a constant target."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in (stats.kendalltau, stats.spearmanr, stats.weightedtau):
            assert np.isnan(fn(x, y).statistic)
    assert zcgp(x, y, metric).tolist() == [WORST]


def test_nan_candidate_scores_worst_where_scipy_propagates_nan():
    """scipy TestKendallTau.test_nan_policy and TestCorrSpearmanr(2).test_nan_policies:
    arange(10) with x[9] = NaN against itself gives NaN (nan_policy='propagate'). zcgp has no
    nan_policy: a candidate with NaN or +-inf scores WORST in every metric; a target with NaN
    is an error."""
    x = np.arange(10.0)
    x[9] = np.nan
    assert np.isnan(stats.kendalltau(x, x).statistic) and np.isnan(stats.spearmanr(x, x).statistic)
    target = np.arange(10.0)
    inf = np.arange(10.0)
    inf[3] = np.inf
    for metric in FITNESS_METRICS:
        got = zcgp([x, inf, target], target, metric)
        assert got[:2].tolist() == [WORST, WORST] and got[2] == pytest.approx(1.0, abs=TOL), metric
    with pytest.raises(ZcgpError, match="target has non-finite values"):
        RankTarget(x)


# ---------------------------------------------------------------- scipy.stats.spearmanr

NASTY = {   # Wilkinson's "nasty" data sets, as in scipy's test_stats.py
    "X": np.array([1, 2, 3, 4, 5, 6, 7, 8, 9], float),
    "BIG": np.array([99999991, 99999992, 99999993, 99999994, 99999995, 99999996, 99999997, 99999998,
                     99999999], float),
    "LITTLE": np.array([0.99999991, 0.99999992, 0.99999993, 0.99999994, 0.99999995, 0.99999996,
                        0.99999997, 0.99999998, 0.99999999], float),
    "HUGE": np.array([1e+12, 2e+12, 3e+12, 4e+12, 5e+12, 6e+12, 7e+12, 8e+12, 9e+12], float),
    "TINY": np.array([1e-12, 2e-12, 3e-12, 4e-12, 5e-12, 6e-12, 7e-12, 8e-12, 9e-12], float),
    "ROUND": np.array([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5], float),
}
NASTY_PAIRS = [("X", "X")] + list(combinations(NASTY, 2)) + [(a, a) for a in list(NASTY)[1:]]


@pytest.mark.parametrize("a,b", NASTY_PAIRS, ids=[f"{a}-{b}" for a, b in NASTY_PAIRS])
def test_spearmanr_nasty_datasets(a, b):
    """scipy TestCorrSpearmanr.test_sXX ... test_sROUNDROUND (W.II.D): every pair of X, BIG,
    LITTLE, HUGE, TINY, ROUND correlates 1 (scipy: assert_approx_equal); the same holds for
    Kendall's tau and the weighted tau, and every family scores the pair as a perfect ranking
    (NDCG exactly 1)."""
    for metric in FITNESS_METRICS:
        got = one(NASTY[a], NASTY[b], metric)
        assert got == pytest.approx(1.0, abs=TOL) and got <= 1.0, metric
    assert one(NASTY[a], NASTY[b], "ndcg") == 1.0 and one(NASTY[a], NASTY[b], "ndcg10") == 1.0


def test_zero_dataset_scores_worst_where_scipy_gives_nan():
    """scipy TestCorrSpearmanr (W.II.D docstring): correlations with ZERO are undefined (scipy:
    NaN). zcgp: WORST, with ZERO as the candidate or as the target."""
    zero = np.zeros(9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        assert np.isnan(stats.spearmanr(NASTY["X"], zero).statistic)
    for metric in FITNESS_METRICS:
        assert one(zero, NASTY["X"], metric) == WORST, metric
        assert one(NASTY["X"], zero, metric) == WORST, metric


def test_spearmanr_vs_r():
    """scipy TestCorrSpearmanr2.test_spearmanr_vs_r (R's cor.test): 0.82078268166812329."""
    assert one([1, 2, 3, 4, 5], [5, 6, 7, 8, 7], "spearman") == pytest.approx(0.82078268166812329, abs=TOL)
    assert one([5, 6, 7, 8, 7], [1, 2, 3, 4, 5], "spearman") == pytest.approx(0.82078268166812329, abs=TOL)


def test_spearmanr_normal_draws():
    """scipy TestCorrSpearmanr2.test_normal_draws: 500 correlated normal draws, 0.28659685838743354."""
    x = _peer_normal_draws()
    assert one(x[0], x[1], "spearman") == pytest.approx(0.28659685838743354, abs=TOL)


def test_spearmanr_3cols():
    """scipy TestCorrSpearmanr.test_3cols: arange(6) against itself, its negation and
    [0, 1, 2, 3, 5, 4]: 1, -1, 0.94285714 (to 8 digits), scored as one batch of three."""
    x1 = np.arange(6.0)
    got = zcgp([x1, -x1, [0, 1, 2, 3, 5, 4]], x1, "spearman")
    np.testing.assert_allclose(got, [1.0, -1.0, 0.94285714], rtol=0, atol=1e-8)


def test_spearmanr_corr_1_and_tie1():
    """scipy TestCorrSpearmanr2.test_corr_1 ([1, 1, 2] with itself: 1) and test_tie1 (rho of
    [1, 2, 3, 4] / [1, 2, 2, 3] is Pearson's r of the average ranks [1, 2, 3, 4] / [1, 2.5, 2.5, 4])."""
    assert one([1, 1, 2], [1, 1, 2], "spearman") == pytest.approx(1.0, abs=TOL)
    pearson = np.corrcoef([1.0, 2.0, 3.0, 4.0], [1.0, 2.5, 2.5, 4.0])[0, 1]
    assert one([1, 2, 3, 4], [1, 2, 2, 3], "spearman") == pytest.approx(pearson, abs=TOL)
    assert one([1, 2, 2, 3], [1, 2, 3, 4], "spearman") == pytest.approx(pearson, abs=TOL)


def test_spearmanr_gh_issue_6061_windows_overflow():
    """scipy TestCorrSpearmanr2.test_gh_issue_6061_windows_overflow: range(2000) with three
    swaps, rho = 1 - 6 * 2 * (9^2 + 424^2 + 1074^2) / (2000 (2000^2 - 1)) = 0.998 (the peer
    appends a NaN pair and omits it; zcgp has no nan_policy, so the pair is left out here)."""
    x = np.arange(2000.0)
    y = x.copy()
    for i, j in ((0, 9), (10, 434), (435, 1509)):
        y[i], y[j] = y[j], y[i]
    assert one(x, y, "spearman") == pytest.approx(0.998, abs=TOL)


def test_spearmanr_gh_8111_bool_against_float():
    """scipy TestCorrSpearmanr.test_gh_8111: a boolean (x > .5) against the float x, n = 100,
    0.865895477 (its NaN-omitting variants have no zcgp counterpart)."""
    x = np.random.RandomState(234568).rand(100)
    assert one(x > 0.5, x, "spearman") == pytest.approx(0.865895477, abs=1e-9)
    assert one(x, x > 0.5, "spearman") == pytest.approx(0.865895477, abs=1e-9)


def test_spearmanr_gh_11111_constant_scores_worst_where_scipy_gives_nan():
    """scipy TestCorrSpearmanr2.test_gh_11111 / test_ties_axis_1: a constant input (ones(10)
    against a sparse vector, ones(4) against 1..4) gives NaN in scipy; zcgp gives WORST, with
    the constant as candidate or as target."""
    ones = np.ones(10)
    y = np.array([0, 0.009783728115345005, 0, 0, 0.0019759230121848587, 0.0007535430349118562,
                  0.0002661781514710257, 0, 0, 0.0007835762419683435])
    for metric in ("spearman", "kendall", "wkendall"):
        assert one(ones, y, metric) == WORST and one(y, ones, metric) == WORST
        assert one(np.ones(4), [1, 2, 3, 4], metric) == WORST and one([1, 2, 3, 4], np.ones(4), metric) == WORST


# ---------------------------------------------------------------- scipy.stats.weightedtau

def test_weightedtau():
    """scipy TestWeightedTau.test_weightedtau (and the weightedtau docstring): with the default
    parameters (additive hyperbolic, rank=True), (12, 2, 1, 12, 2) / (1, 4, 7, 1, 0) gives
    -0.56694968153682723, whatever the dtype and in either order (rank=True is symmetric); its
    unit-weigher variant is Kendall's tau, -0.47140452079103173."""
    x, y = [12, 2, 1, 12, 2], [1, 4, 7, 1, 0]
    assert one(x, y, "wkendall") == pytest.approx(-0.56694968153682723, abs=TOL)
    assert one(y, x, "wkendall") == pytest.approx(-0.56694968153682723, abs=TOL)
    assert one(np.asarray(x, dtype=np.int16), np.asarray(y, dtype=np.float64), "wkendall") \
        == pytest.approx(-0.56694968153682723, abs=TOL)
    assert one(x, y, "kendall") == pytest.approx(-0.47140452079103173, abs=TOL)


def test_weightedtau_ties_on_both_sides():
    """scipy TestWeightedTau.test_weightedtau ("more than one NaN" case, before its NaNs):
    (12, 2, 1, 12, 1) / (1, 4, 7, 1, 1) gives -0.6615242347139803."""
    x, y = [12.0, 2.0, 1.0, 12.0, 1.0], [1.0, 4.0, 7.0, 1.0, 1.0]
    assert one(x, y, "wkendall") == pytest.approx(-0.6615242347139803, abs=TOL)
    assert one(y, x, "wkendall") == pytest.approx(-0.6615242347139803, abs=TOL)


def test_weightedtau_nan_candidate_scores_worst_where_scipy_ranks_nan_lowest():
    """scipy TestWeightedTau.test_weightedtau (NaNs): scipy treats NaN as the smallest score, so
    y = (1, 4, 7, 1, NaN) still gives -0.56694968153682723, and (12, 2, NaN, 12, NaN) against
    (1, 4, 7, 1, 1) -0.6615242347139803. zcgp scores a candidate with NaN WORST and refuses a
    target with NaN; the peer's value is what zcgp gives with NaN replaced by a value below all
    others."""
    assert stats.weightedtau([12, 2, 1, 12, 2], [1, 4, 7, 1, np.nan]).statistic \
        == pytest.approx(-0.56694968153682723, abs=TOL)
    assert one([1, 4, 7, 1, np.nan], [12, 2, 1, 12, 2], "wkendall") == WORST
    assert one([12, 2, np.nan, 12, np.nan], [1, 4, 7, 1, 1], "wkendall") == WORST
    with pytest.raises(ZcgpError, match="non-finite"):
        RankTarget(np.array([1, 4, 7, 1, np.nan]))
    assert one([1, 4, 7, 1, -100], [12, 2, 1, 12, 2], "wkendall") == pytest.approx(-0.56694968153682723, abs=TOL)
    assert one([12, 2, -5, 12, -5], [1, 4, 7, 1, 1], "wkendall") == pytest.approx(-0.6615242347139803, abs=TOL)


def test_weightedtau_too_few_values_is_an_error_where_scipy_gives_nan():
    """scipy TestWeightedTau.test_weightedtau ("All ties"): [] / [] and [0] / [0] give NaN
    (SmallSampleWarning). zcgp refuses a target of fewer than 2 architectures (ZcgpError)."""
    for target in ([], [0.0]):
        with pytest.raises(ZcgpError, match="at least 2"):
            RankTarget(np.array(target))


def _weighted_tau_quadratic(x, y):
    """scipy's weightedtau with its defaults by its definition, O(n^2): pairs weigh
    1/(r_i + 1) + 1/(r_j + 1), r the decreasing lexicographic rank by (x, y), then by (y, x)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    taus = []
    for a, b in ((x, y), (y, x)):
        order = np.lexsort((b, a))[::-1]                 # largest (a, b) first: rank 0
        rank = np.empty(x.size, dtype=int)
        rank[order] = np.arange(x.size)
        tot = u = v = con_minus_dis = 0.0
        for i, j in combinations(range(x.size), 2):
            w = 1.0 / (rank[i] + 1) + 1.0 / (rank[j] + 1)
            tot += w
            u += w * (x[i] == x[j])
            v += w * (y[i] == y[j])
            con_minus_dis += w * np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])
        taus.append(con_minus_dis / np.sqrt(tot - u) / np.sqrt(tot - v))
    return (taus[0] + taus[1]) / 2.0


def test_weightedtau_vs_quadratic():
    """scipy TestWeightedTau.test_weightedtau_vs_quadratic: rankings with ties (value i
    repeated i times, i < s, for s = 3..9), shuffled by default_rng(42), against a quadratic
    implementation of the definition. The peer checks fixed rank arrays; zcgp's family is the
    default rank=True, so the quadratic reference here averages the two lexicographic ranks
    (and scipy's default value is checked too)."""
    rng = np.random.default_rng(42)
    for s in range(3, 10):
        a = [i for i in range(s) for _ in range(i)]
        b = list(a)
        rng.shuffle(a)
        rng.shuffle(b)
        expected = _weighted_tau_quadratic(a, b)
        assert stats.weightedtau(a, b).statistic == pytest.approx(expected, abs=1e-12)
        assert one(a, b, "wkendall") == pytest.approx(expected, abs=TOL)
        assert one(b, a, "wkendall") == pytest.approx(expected, abs=TOL)


def test_wkendall_constant_target_scores_worst_not_best():
    """Fix: weighted Kendall of a constant target gave +1 (the best fitness) for candidates
    with ties, where the rounding residue of tot - v made the quotient +-inf and the clip +1.
    scipy's weightedtau returns NaN (y all ties); zcgp now gives WORST, as Kendall and Spearman
    do, and so does every other family (sklearn's ndcg_score gives 1 for constant relevance)."""
    rng = np.random.default_rng(1)
    for n in range(2, 120):
        for value in (0.0, -3.5, 1e6):
            target = np.full(n, value)
            x = rng.normal(size=(4, n))
            x[1] = np.round(x[1])
            x[1, 0] = 5.0
            x[2] = rng.integers(0, 3, n)
            x[2, :2] = [0, 1]
            for metric in FITNESS_METRICS:
                assert zcgp(x, target, metric).tolist() == [WORST] * 4, (n, value, metric)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(stats.weightedtau(x[1], target).statistic)
        assert sklearn_metrics.ndcg_score(rank_relevance(target)[None], x[1][None]) == pytest.approx(1.0)


def test_constant_target_scores_worst_in_every_family_at_scale():
    """Constant targets beyond the small sizes: Kendall (both paths), Spearman and every family
    give WORST for every candidate, as scipy gives NaN for the correlations."""
    for n in (1000, rank_module.LONG_ROWS):
        target = np.full(n, 0.7)
        x = np.random.default_rng(n).integers(0, 5, (2, n)).astype(float)
        for metric in FITNESS_METRICS:
            assert zcgp(x, target, metric).tolist() == [WORST, WORST], (n, metric)


# ---------------------------------------------------------------- sklearn.metrics.ndcg_score

@pytest.mark.parametrize("metric", ["ndcg", "ndcg10"])
def test_ndcg_invariant(metric):
    """sklearn test_ndcg_invariant: y_true = arange(70) as 7 rows of 10, y_score = y_true plus
    uniform(-0.2, 0.2) noise (RandomState(0)), then plus 1000: NDCG 1 (the order is unchanged).
    zcgp gives exactly 1.0, never 1 + 1e-16."""
    y_true = np.arange(70).reshape(7, 10).astype(float)
    y_score = y_true + np.random.RandomState(0).uniform(-0.2, 0.2, size=y_true.shape)
    for shift in (0.0, 1000.0):
        for target, candidate in zip(y_true, y_score + shift):
            assert one(candidate, target, metric) == 1.0


def test_ndcg_ignore_ties_with_k():
    """sklearn test_ndcg_ignore_ties_with_k: arange(12) as two rows of 6 ranked by themselves,
    k = 3: NDCG 1. zcgp's ndcg10 (k = 1 of 6) and ndcg give exactly 1.0."""
    for row in np.arange(12.0).reshape(2, 6):
        assert one(row, row, "ndcg10") == 1.0 and one(row, row, "ndcg") == 1.0
        assert sklearn_metrics.ndcg_score(row[None], row[None], k=3) == pytest.approx(1.0)


def test_ndcg_toy_examples_with_rank_relevance():
    """sklearn test_ndcg_toy_examples: y_true = 3 * eye(7)[:5], y_score = 6, 5, ..., 0 (and with
    uniform(-0.2, 0.2) noise): sklearn's NDCG of row i is 1 / log2(i + 2), the relevance being
    binary. zcgp's relevance is the target's rank in [0, 1]: the six tied zeros get 5/12, the
    3 gets 1, so NDCG_i = (1/log2(i+2) + 5/12 sum_{j != i} 1/log2(j+2)) / (1 + 5/12 sum_{j>0} 1/log2(j+2)),
    which is sklearn's ndcg_score on that relevance."""
    y_true = 3 * np.eye(7)[:5]
    y_score = np.tile(np.arange(6, -1, -1), (5, 1)).astype(float)
    noisy = y_score + np.random.RandomState(0).uniform(-0.2, 0.2, size=y_score.shape)
    d = 1.0 / np.log2(np.arange(7) + 2.0)
    for i in range(5):
        assert sklearn_metrics.ndcg_score(y_true[i][None], y_score[i][None]) == pytest.approx(d[i])
        expected = (d[i] + 5 / 12 * (d.sum() - d[i])) / (1 + 5 / 12 * d[1:].sum())
        for candidate in (y_score[i], noisy[i]):
            assert one(candidate, y_true[i], "ndcg") == pytest.approx(expected, abs=TOL)
            assert one(candidate, y_true[i], "ndcg") == pytest.approx(sklearn_ndcg(candidate, y_true[i]), abs=TOL)
        # ndcg10 (k = 1 of 7): the top position holds the 3 only for row 0
        assert one(y_score[i], y_true[i], "ndcg10") == (1.0 if i == 0 else pytest.approx(5 / 12, abs=TOL))


def test_ndcg_constant_target_scores_worst_where_sklearn_gives_one():
    """sklearn test_ndcg_toy_examples (second part): y_true = 3 * ones((5, 7)) gives NDCG 1 for
    any ranking. zcgp: a constant target ranks nothing, so every candidate scores WORST, as in
    Kendall and Spearman."""
    y_true = 3 * np.ones(7)
    y_score = np.arange(6, -1, -1.0)
    assert sklearn_metrics.ndcg_score(y_true[None], y_score[None]) == pytest.approx(1.0)
    assert one(y_score, y_true, "ndcg") == WORST and one(y_score, y_true, "ndcg10") == WORST


def test_dcg_ties():
    """sklearn test_dcg_ties: y_true = arange(5); scores tied in two groups (y_score[3:] = 1,
    the rest 0) average the gains within each group: DCG = sum(d[:2]) mean(rel[3:]) +
    sum(d[2:]) mean(rel[:3]). With zcgp's relevance (0, .25, .5, .75, 1), NDCG is that over
    the ideal sum(d * (1, .75, .5, .25, 0)). The peer's all-zero y_score is a constant
    candidate: sklearn averages it to a DCG, zcgp scores it WORST."""
    y_true = np.arange(5.0)
    rel = np.array([0, 0.25, 0.5, 0.75, 1.0])
    d = 1.0 / np.log2(np.arange(5) + 2.0)
    y_score = np.zeros(5)
    y_score[3:] = 1
    expected = (d[:2].sum() * rel[3:].mean() + d[2:].sum() * rel[:3].mean()) / (d * rel[::-1]).sum()
    assert one(y_score, y_true, "ndcg") == pytest.approx(expected, abs=TOL)
    assert one(y_score, y_true, "ndcg") == pytest.approx(sklearn_ndcg(y_score, y_true), abs=TOL)
    assert one(np.zeros(5), y_true, "ndcg") == WORST


def test_ndcg_score():
    """sklearn test_ndcg_score / _test_ndcg_score_for: y_true, y_score from RandomState(0)
    (100 rows of 10), and binary multilabel y_true (make_multilabel_classification,
    random_state=0) ranked by 1 - y_true: NDCG <= the ideal, which is 1, and equals
    DCG / ideal DCG (sklearn on zcgp's rank relevance). The peer's all-zero rows (ideal DCG 0,
    sklearn NDCG 0) are constant targets: zcgp scores them WORST."""
    datasets = pytest.importorskip("sklearn.datasets")
    y_true, y_score = np.random.RandomState(0).random_sample((2, 100, 10))
    _, multilabel = datasets.make_multilabel_classification(random_state=0, n_classes=10)
    multilabel = multilabel.astype(float)
    cases = list(zip(y_true, y_score)) + list(zip(multilabel, 1 - multilabel))
    constant_rows = 0
    for target, candidate in cases:
        for metric in ("ndcg", "ndcg10"):
            got, ideal = zcgp([candidate, target], target, metric)
            if np.ptp(target) == 0:
                constant_rows += 1
                assert sklearn_metrics.ndcg_score(target[None], candidate[None]) == 0.0
                assert got == WORST and ideal == WORST
                continue
            k = None if metric == "ndcg" else ndcg10_k(target.size)
            assert got == pytest.approx(sklearn_ndcg(candidate, target, k=k), abs=1e-12)
            assert got <= ideal == 1.0
    assert constant_rows == 2 * 9                         # the peer's nine all-zero rows, two metrics


def test_ndcg_negative_target_is_ranked_where_sklearn_raises():
    """sklearn test_ndcg_negative_ndarray_warn: y_true (-0.89, -0.53, -0.47, 0.39, 0.56) is
    refused (ValueError: "should not be used on negative y_true values"; earlier a FutureWarning
    and 396.0329). zcgp ranks the target, so negative accuracies are fine: NDCG is sklearn's
    on the rank relevance."""
    y_true = np.array([-0.89, -0.53, -0.47, 0.39, 0.56])
    y_score = np.array([0.07, 0.31, 0.75, 0.33, 0.27])
    with pytest.raises(ValueError, match="negative y_true"):
        sklearn_metrics.ndcg_score(y_true[None], y_score[None])
    assert one(y_score, y_true, "ndcg") == pytest.approx(sklearn_ndcg(y_score, y_true), abs=TOL)


def test_ndcg_error_single_document():
    """sklearn test_ndcg_error_single_document: one document is an error ("only meaningful when
    there is more than 1 document"); zcgp refuses a one-architecture target likewise."""
    with pytest.raises(ValueError, match="more than 1 document"):
        sklearn_metrics.ndcg_score([[1]], [[1]])
    with pytest.raises(ZcgpError, match="at least 2"):
        RankTarget(np.array([1.0]))


def test_ndcg_docstring_ties_at_the_top():
    """sklearn ndcg_score docstring: scores (1, 0, 0, 0, 1) tie the two best documents at k = 1,
    so the gain there is their average. zcgp, y = 0..9 with the two best tied (ndcg10, k = 1):
    (1 + 8/9) / 2 = 17/18; tying two different relevances is never a perfect ranking."""
    y = np.arange(10.0)
    s = y.copy()
    s[-1] = s[-2]
    assert one(s, y, "ndcg10") == pytest.approx(17 / 18, abs=TOL)
    assert one(s, y, "ndcg10") == pytest.approx(sklearn_ndcg(s, y, k=1), abs=TOL)
    assert one(s, y, "ndcg") < 1.0
    assert one(s, y, "ndcg") == pytest.approx(sklearn_ndcg(s, y), abs=TOL)


def test_ndcg_never_exceeds_one_and_a_perfect_ranking_is_exactly_one():
    """Fix: the candidate's and the ideal DCG are summed differently, so NDCG came out as
    1 + 4e-13 or 1 - 2e-14 for perfect rankings. Now every perfect ranking (monotone in the
    target, ties kept, or ties broken) is exactly 1.0, and no ranking exceeds 1."""
    rng = np.random.default_rng(0)
    for n in [*range(2, 300, 7), 1000, 5000, 20000]:
        for ties in (False, True):
            y = rng.normal(size=n)
            if ties:
                y = np.round(y * 3)
            by_y = np.empty(n)
            by_y[np.argsort(y, kind="stable")] = np.arange(n)     # breaks the target's ties
            perfect = np.stack([y, 3 * y + 1, np.exp(y / 10), by_y])
            near = np.tile(by_y, (6, 1))
            for row, p in zip(near, rng.integers(0, n - 1, 6)):    # swap two neighbours in rank
                i, j = np.flatnonzero(row == p)[0], np.flatnonzero(row == p + 1)[0]
                row[i], row[j] = p + 1, p
            for metric in ("ndcg", "ndcg10"):
                assert zcgp(perfect, y, metric).tolist() == [1.0] * 4, (n, ties, metric)
                assert (zcgp(near, y, metric) <= 1.0).all(), (n, ties, metric)


def test_every_family_is_bounded_by_one_against_peers():
    """Cross-check on random data with ties: wkendall equals scipy's weightedtau, ndcg / ndcg10
    sklearn's ndcg_score on the rank relevance, and no family leaves [-1, 1]."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(2, 80))
        y = rng.integers(0, 4, n).astype(float)
        if np.ptp(y) == 0:
            continue
        x = rng.integers(0, 4, (3, n)).astype(float)
        x = x[np.ptp(x, axis=1) > 0]
        for metric in FAMILIES:
            got = zcgp(x, y, metric)
            assert ((got >= -1.0) & (got <= 1.0)).all(), metric
        np.testing.assert_allclose(zcgp(x, y, "wkendall"), [stats.weightedtau(r, y).statistic for r in x],
                                   rtol=0, atol=TOL)
        np.testing.assert_allclose(zcgp(x, y, "ndcg"), [sklearn_ndcg(r, y) for r in x], rtol=0, atol=1e-12)
        np.testing.assert_allclose(zcgp(x, y, "ndcg10"), [sklearn_ndcg(r, y, k=ndcg10_k(n)) for r in x],
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed,scale", [(4, 3), (5, 3), (0, 30), (1, 30)])
def test_ndcg_of_an_imperfect_ranking_is_clipped_to_one(seed, scale):
    """Fix: tying the two lowest target groups is an imperfect ranking (NDCG below 1, by far
    less than the rounding at n = 50,000), yet its quotient came out 8e-14 to 7e-13 above 1
    for these draws: clipped to 1.0, never above (sklearn on the same relevance agrees to 1e-12)."""
    y = np.round(np.random.default_rng(seed).normal(size=50_000) * scale)
    low = np.unique(y)[:2]
    s = np.where(y == low[0], low[1], y)
    got = one(s, y, "ndcg")
    assert got <= 1.0
    assert got == pytest.approx(sklearn_ndcg(s, y), abs=1e-12)


def test_ndcg10_tie_across_the_cut_is_averaged_not_perfect():
    """sklearn's tie averaging (ndcg_score docstring, k = 1, tied top scores) when the tied run
    crosses the cut: y has its best value twice (architectures 0 and 2), the candidate ties
    0, 1, 2 at the top. The gain at the single ndcg10 position is the run's mean, (2a + b) / 3
    over the ideal a: not a perfect ranking, though the run's first and last entries by index
    both hold the best relevance."""
    y = np.array([9.0, 5.0, 9.0, 0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 7.0])
    s = np.array([10.0, 10.0, 10.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    rel = rank_relevance(y)
    a, b = rel[0], rel[1]
    assert one(s, y, "ndcg10") == pytest.approx((2 * a + b) / 3 / a, abs=TOL)
    assert one(s, y, "ndcg10") == pytest.approx(sklearn_ndcg(s, y, k=1), abs=TOL)
    assert one(s, y, "ndcg10") < 1.0
