import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from tests.conftest import examples
from zcgp.errors import ZcgpError
from zcgp.fitness.rank import (
    WORST,
    RankTarget,
    average_ranks,
    count_inversions,
    kendall_many,
    ranks_among,
    spearman_many,
)

# small integer pools make ties frequent; floats cover the tie-free path
values = st.one_of(st.integers(-3, 3).map(float), st.floats(-1e6, 1e6, allow_nan=False, width=64))


@st.composite
def problems(draw):
    n = draw(st.integers(2, 60))
    target = draw(arrays(float, n, elements=values))
    scores = draw(arrays(float, (draw(st.integers(1, 4)), n), elements=values))
    return scores, target


def _reference(fn, scores, target):
    out = []
    for row in scores:
        if np.ptp(row) == 0 or np.ptp(target) == 0:
            out.append(WORST)
        else:
            out.append(fn(row, target).statistic)
    return np.array(out)


@settings(max_examples=examples(300), deadline=None)
@given(problems())
def test_kendall_matches_scipy(problem):
    scores, target = problem
    assume(np.ptp(target) > 0)                  # a constant target: test_constant_target_is_worst
    np.testing.assert_allclose(kendall_many(scores, target), _reference(stats.kendalltau, scores, target), atol=1e-9)


@settings(max_examples=examples(300), deadline=None)
@given(problems())
def test_spearman_matches_scipy(problem):
    scores, target = problem
    assume(np.ptp(target) > 0)                  # a constant target: test_constant_target_is_worst
    np.testing.assert_allclose(spearman_many(scores, target), _reference(stats.spearmanr, scores, target), atol=1e-9)


@settings(max_examples=examples(200), deadline=None)
@given(arrays(float, st.integers(1, 80), elements=values))
def test_average_ranks_match_rankdata(row):
    np.testing.assert_allclose(average_ranks(row[None, :])[0], stats.rankdata(row))


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=300))
def test_count_inversions_matches_brute_force(seq):
    arr = np.array(seq)
    brute = sum(int((arr[:i] > arr[i]).sum()) for i in range(arr.size))
    assert count_inversions(arr[None, :])[0] == brute


def test_degenerate_candidates_get_worst_and_never_nan():
    target = np.array([1.0, 2.0, 3.0, 4.0])
    scores = np.array([[1, 2, 3, 4], [4, 3, 2, 1], [5, 5, 5, 5], [1, np.nan, 3, 4], [1, np.inf, 3, 4]], dtype=float)
    for metric in ("kendall", "spearman"):
        got = RankTarget(target).score(scores, metric)
        np.testing.assert_allclose(got, [1.0, -1.0, WORST, WORST, WORST], atol=1e-15)
    assert RankTarget(target).kendall(np.array([2.0, 1.0, 3.0, 4.0]))[0] == pytest.approx(2 / 3)


@settings(max_examples=examples(50), deadline=None)
@given(st.integers(2, 40), st.sampled_from([0.0, -3.5, 1e6]), st.integers(0, 2**32 - 1))
def test_constant_target_is_worst_where_scipy_is_nan(n, value, seed):
    target = np.full(n, value)
    scores = np.random.default_rng(seed).normal(size=(3, n))
    for metric, reference in (("kendall", stats.kendalltau), ("spearman", stats.spearmanr)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.ConstantInputWarning)
            assert np.isnan(reference(scores[0], target).statistic)        # undefined for scipy
        got = RankTarget(target).score(scores, metric)
        assert got.tolist() == [WORST] * 3, metric


def test_tiny_n_and_errors():
    assert kendall_many(np.array([[2.0, 1.0]]), np.array([0.0, 1.0]))[0] == -1.0
    with pytest.raises(ZcgpError, match="at least 2"):
        RankTarget(np.array([1.0]))
    with pytest.raises(ZcgpError) as exc:
        RankTarget(np.array([1.0, np.nan]))
    assert str(exc.value) == "target has non-finite values"
    with pytest.raises(ZcgpError, match="do not match 3"):
        RankTarget(np.arange(3.0)).kendall(np.zeros((2, 4)))
    with pytest.raises(ZcgpError) as exc:
        RankTarget(np.arange(3.0)).score(np.zeros((1, 3)), "pearson")
    assert str(exc.value) == "unknown metric 'pearson'; choose from kendall, spearman"
    scores = np.array([[3.0, 1.0, 2.0], [1.0, 2.0, 2.0]])
    np.testing.assert_array_equal(RankTarget(np.arange(3.0)).score(scores), kendall_many(scores, np.arange(3.0)))


def test_perfect_agreement_is_exactly_one_never_beyond():
    """With ties, tau-b and rho of a monotone relation can round to 1 + 2e-16: clipped to +-1."""
    rng = np.random.default_rng(0)
    for n in range(2, 300, 3):
        target = rng.integers(0, max(2, n // 3), n).astype(float)
        if np.ptp(target) == 0:
            continue
        monotone = np.stack([3 * target + 1, np.exp(target / 50), -2 * target, -target ** 3])
        for metric in ("kendall", "spearman"):
            got = RankTarget(target).score(monotone, metric)
            np.testing.assert_allclose(got, [1.0, 1.0, -1.0, -1.0], rtol=0, atol=1e-15)
            assert np.abs(got).max() <= 1.0, (n, metric, got)


def test_heavy_ties_on_both_sides_match_scipy():
    """Fixed problems (beside the property tests): few distinct values in target and scores."""
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(2, 70))
        target = rng.integers(0, int(rng.integers(2, 6)), n).astype(float)
        if np.ptp(target) == 0:
            continue
        scores = rng.integers(0, int(rng.integers(2, 6)), (3, n)).astype(float)
        np.testing.assert_allclose(kendall_many(scores, target), _reference(stats.kendalltau, scores, target),
                                   atol=1e-12)
        np.testing.assert_allclose(spearman_many(scores, target), _reference(stats.spearmanr, scores, target),
                                   atol=1e-12)


def _inversions_by_merge_sort(seq):
    def sort(a):
        if len(a) <= 1:
            return a, 0
        left, x = sort(a[:len(a) // 2])
        right, y = sort(a[len(a) // 2:])
        merged, count, i, j = [], x + y, 0, 0
        while i < len(left) and j < len(right):
            if right[j] < left[i]:
                merged.append(right[j])
                count += len(left) - i
                j += 1
            else:
                merged.append(left[i])
                i += 1
        return merged + left[i:] + right[j:], count
    return sort(list(seq))[1]


@pytest.mark.parametrize("top", [16383, 30000])
def test_count_inversions_near_the_int32_key_limit(top):
    """40,000 values (merge width 2**16, keys shifted by 17 bits) up to `top`: the sort keys
    reach 2**31 (top 16383: the padding value 16384 << 17) or beyond, so they need int64."""
    rng = np.random.default_rng(top)
    seq = rng.integers(0, top + 1, 40_000)
    seq[rng.integers(40_000)] = top
    assert count_inversions(seq[None, :])[0] == _inversions_by_merge_sort(seq)


def test_large_batch_crosses_chunks():
    rng = np.random.default_rng(0)
    target = np.round(rng.normal(size=300), 1)
    scores = np.round(rng.normal(size=(600, 300)), 1)
    got = kendall_many(scores, target)
    for k in (0, 255, 256, 599):
        assert got[k] == pytest.approx(stats.kendalltau(scores[k], target).statistic, abs=1e-12)


def test_ranks_among_is_the_mid_rank_in_the_reference_and_nan_ranks_last():
    reference = np.array([1.0, 2.0, 2.0, 4.0])
    np.testing.assert_allclose(ranks_among(reference, np.array([0.5, 2.0, 3.0, 9.0, np.nan])),
                               [0.0, 0.5, 0.75, 1.0, 0.0])
    assert float(ranks_among(reference, 1.0)) == 0.125
