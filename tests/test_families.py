"""Fitness families against scipy / sklearn on random data, ties included."""

import numpy as np
import pytest
from scipy import stats

from zcgp.fitness.families import FITNESS_METRICS, discordant_counts, score_many
from zcgp.fitness.rank import WORST

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _problem(seed, n, k, ties):
    rng = np.random.default_rng(seed)
    y, x = rng.normal(size=n), rng.normal(size=(k, n))
    if ties:
        y, x = np.round(y * 2), np.round(x * 2)
    return x, y


@pytest.mark.parametrize("seed,n,ties", [(0, 2, False), (1, 7, True), (2, 60, False), (3, 61, True),
                                         (4, 300, True), (5, 513, False)])
def test_weighted_kendall_equals_scipy(seed, n, ties):
    x, y = _problem(seed, n, 12, ties)
    x[0] = y                                          # perfect ranking
    got = score_many(x, y, "wkendall")
    want = np.array([stats.weightedtau(row, y).statistic for row in x])
    assert np.abs(got - want).max() < 1e-9
    assert got[0] == pytest.approx(1.0)


def test_weighted_kendall_crosses_chunks_and_degenerate_rows():
    x, y = _problem(7, 40, 300, False)
    x[5] = 3.0                                        # constant: scipy gives NaN, we give WORST
    x[6, 0] = np.nan
    got = score_many(x, y, "wkendall")
    assert got[5] == WORST and got[6] == WORST
    rows = [i for i in range(300) if i not in (5, 6)]
    want = np.array([stats.weightedtau(x[i], y).statistic for i in rows])
    assert np.abs(got[rows] - want).max() < 1e-9


def test_discordant_counts_brute_force():
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 33):
        seq = rng.integers(0, 4, (3, n))
        brute = [[sum(seq[r, q] > seq[r, p] for q in range(p)) + sum(seq[r, q] < seq[r, p] for q in range(p + 1, n))
                  for p in range(n)] for r in range(3)]
        assert (discordant_counts(seq) == np.array(brute)).all()


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("metric,k_fraction", [("ndcg", None), ("ndcg10", 0.1)])
def test_ndcg_equals_sklearn(metric, k_fraction, ties):
    x, y = _problem(11, 97, 10, ties)
    relevance = (stats.rankdata(y) - 1) / (y.size - 1)
    k = None if k_fraction is None else int(np.ceil(k_fraction * y.size))
    want = [sklearn_metrics.ndcg_score(relevance[None], row[None], k=k) for row in x]
    assert np.abs(score_many(x, y, metric) - want).max() < 1e-12


@pytest.mark.parametrize("metric,p", [("top1", 0.01), ("top5", 0.05), ("top10", 0.10)])
def test_top_precision_by_hand(metric, p):
    x, y = _problem(3, 400, 8, False)
    k = int(np.ceil(p * 400))
    want = [len(set(np.argsort(-row)[:k]) & set(np.argsort(-y)[:k])) / k for row in x]
    assert np.allclose(score_many(x, y, metric), want)


def test_top_precision_ties_count_fractionally():
    y = np.arange(10.0)                               # top 10% = the last architecture
    x = np.array([[0, 0, 0, 0, 0, 0, 0, 0, 1, 1.0]])  # it shares the top score with one other
    assert score_many(x, y, "top10")[0] == pytest.approx(0.5)


def test_every_family_scores_a_perfect_ranking_best():
    _, y = _problem(5, 200, 1, False)
    for metric in FITNESS_METRICS:
        assert score_many(y[None], y, metric)[0] == pytest.approx(1.0), metric
        assert score_many(-y[None], y, metric)[0] < score_many(y[None], y, metric)[0] - 0.2, metric


@pytest.mark.parametrize("seed,ties", [(0, False), (1, True), (2, True)])
def test_sample_families_equal_every_sample_enumerated(monkeypatch, seed, ties):
    import itertools

    import zcgp.fitness.families as families

    monkeypatch.setitem(families.SAMPLES, "sample3", (3, None))
    monkeypatch.setitem(families.SAMPLES, "sample3_p30", (3, 0.30))
    x, y = _problem(seed, 8, 4, ties)
    percentile = (stats.rankdata(y) - 1.0) / 7.0
    for row, mean, low in zip(x, score_many(x, y, "sample3"), score_many(x, y, "sample3_p30")):
        kept = []                                     # (percentile, probability) of each sample's best
        for sample in itertools.combinations(range(8), 3):
            sample = np.array(sample)
            best = sample[row[sample] == row[sample].max()]
            kept += [(percentile[b], 1.0 / best.size / 56.0) for b in best]
        assert mean == pytest.approx(sum(p * w for p, w in kept))
        kept.sort()
        cumulative = np.cumsum([w for _, w in kept])
        assert low == pytest.approx(kept[int(np.argmax(cumulative >= 0.30 - 1e-12))][0])


def test_sample500_of_a_space_of_500_or_fewer_keeps_the_top_scored():
    x, y = _problem(6, 300, 3, False)
    percentile = (stats.rankdata(y) - 1.0) / 299.0
    np.testing.assert_allclose(score_many(x, y, "sample500"), percentile[x.argmax(axis=1)])
    np.testing.assert_allclose(score_many(x, y, "sample500_p10"), percentile[x.argmax(axis=1)])
    x, y = _problem(7, 2000, 1, False)                # a larger space: the mean over samples
    rng = np.random.default_rng(0)
    percentile = (stats.rankdata(y) - 1.0) / 1999.0
    draws = [percentile[s[x[0, s].argmax()]] for s in (rng.choice(2000, 500, replace=False) for _ in range(4000))]
    assert score_many(x, y, "sample500")[0] == pytest.approx(np.mean(draws), abs=0.005)
    assert score_many(x, y, "sample500_p10")[0] == pytest.approx(np.quantile(draws, 0.10), abs=0.01)


@pytest.mark.parametrize("seed,n,ties", [(0, 2, False), (1, 7, True), (3, 61, True), (4, 300, True), (5, 513, False)])
def test_kendall_tiebreak_is_pairwise_sign_sum_over_untied_denominator(seed, n, ties):
    x, y = _problem(seed, n, 9, ties)
    x[0] = 1.0                                        # constant: WORST
    got = score_many(x, y, "kendall_tiebreak")
    assert got[0] == WORST
    i, j = np.triu_indices(n, 1)
    y_tied = int((y[i] == y[j]).sum())
    for r in range(1, 9):
        s = float((np.sign(x[r, i] - x[r, j]) * np.sign(y[i] - y[j])).sum())
        want = s / np.sqrt(i.size * (i.size - y_tied))
        assert got[r] == pytest.approx(want, abs=1e-12)
        if not ties:                                  # no candidate ties: tau-b itself
            assert got[r] == pytest.approx(stats.kendalltau(x[r], y).statistic, abs=1e-12)


def test_kendall_tiebreak_same_on_scipy_path(monkeypatch):
    from zcgp.fitness import rank as rank_module
    x, y = _problem(9, 80, 6, True)
    merged = score_many(x, y, "kendall_tiebreak")
    monkeypatch.setattr(rank_module, "LONG_ROWS", 10)          # scipy's kendalltau, then the untie factor
    np.testing.assert_allclose(score_many(x, y, "kendall_tiebreak"), merged, atol=1e-12)
    assert (np.abs(merged) < np.abs(score_many(x, y, "kendall"))).all()   # every row has ties: shrunk


def test_kendall_tiebreak_is_the_mean_tau_b_over_random_tie_breaking():
    x, y = _problem(8, 12, 1, True)
    rng = np.random.default_rng(0)
    draws = [stats.kendalltau(x[0] + 1e-6 * rng.random(12), y).statistic for _ in range(4000)]
    assert score_many(x, y, "kendall_tiebreak")[0] == pytest.approx(np.mean(draws), abs=0.01)


def test_kendall_tiebreak_refuses_the_clipping_gain():
    """Tying the top of a ranking that is random there raises tau-b; the tie-broken Kendall falls."""
    rng = np.random.default_rng(3)
    y = rng.normal(size=400)
    top = np.quantile(y, 0.7)
    x = np.where(y < top, y, top + rng.random(400))              # no signal in the top 30 %
    clipped = np.minimum(x, top)
    tau_b = score_many(np.stack([x, clipped]), y, "kendall")
    broken = score_many(np.stack([x, clipped]), y, "kendall_tiebreak")
    assert tau_b[1] > tau_b[0]
    assert broken[1] < broken[0]
