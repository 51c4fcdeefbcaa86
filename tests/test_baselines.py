import numpy as np
import pytest
from scipy import stats

from zcgp.fitness import load_tasks
from zcgp.fitness.baselines import PAIRWISE_ALPHA, fit_linear_rank, fit_pairwise, mean_row, pair_weights, task_baselines
from zcgp.fitness.splits import task_split
from zcgp.fitness.transforms import TRANSFORMS, apply_transform


def test_proxy_baseline_values_equal_scipy_on_the_test_split():
    task = load_tasks("nb201/cifar10")[0]
    row = task_baselines(task, seed=0)
    train, test = task_split(task, 0)
    nwot = task.column("nwot")
    assert np.isnan(nwot).sum() == 1                     # baselines fill it with the median
    nwot = np.where(np.isnan(nwot), np.nanmedian(nwot), nwot)
    assert row["proxies"]["nwot"]["test"]["kendall"] == pytest.approx(
        stats.kendalltau(nwot[test], task.target[test]).statistic, abs=1e-12)
    assert row["proxies"]["synflow"]["train"]["spearman"] == pytest.approx(
        stats.spearmanr(task.column("synflow")[train], task.target[train]).statistic, abs=1e-12)
    best = row["best_proxy"]["name"]
    assert all(row["proxies"][best]["train"]["kendall"] >= v["train"]["kendall"] for v in row["proxies"].values())
    assert row["n_train"] == 145 and row["n_test"] == 580


def _reference_linear_rank(task, seed=0):
    """Independent linear-rank baseline: scipy ranks, sklearn least squares, scipy correlations."""
    from sklearn.linear_model import LinearRegression
    train, test = task_split(task, seed)
    columns = []
    for j in range(task.values.shape[1]):
        x = np.where(np.isfinite(task.values[:, j]), task.values[:, j], np.nan)
        present = ~np.isnan(x)
        r = np.full(x.size, np.nan)
        r[present] = (stats.rankdata(x[present]) - 1) / (present.sum() - 1)
        columns.append(np.where(present, r, np.median(r[present])))
    ranks = np.column_stack(columns)
    y = (stats.rankdata(task.target[train]) - 1) / (train.size - 1)      # the target's rank, not its value
    prediction = LinearRegression().fit(ranks[train], y).predict(ranks)
    return {part: {"kendall": stats.kendalltau(prediction[idx], task.target[idx]).statistic,
                   "spearman": stats.spearmanr(prediction[idx], task.target[idx]).statistic}
            for part, idx in (("train", train), ("test", test))}


def test_linear_rank_equals_sklearn_on_every_task_and_beats_best_proxy():
    rows = [task_baselines(t, seed=0) for t in load_tasks("all")]
    references = [_reference_linear_rank(t) for t in load_tasks("all")]
    for row, ref in zip(rows, references):
        for part in ("train", "test"):
            for metric in ("kendall", "spearman"):
                assert row["linear_rank"][part][metric] == pytest.approx(ref[part][metric], abs=1e-9), \
                    (row["task"], part, metric)
    linear = mean_row(rows, ("linear_rank", "test", "kendall"))
    assert linear == pytest.approx(np.mean([r["test"]["kendall"] for r in references]), abs=1e-12)
    assert linear == pytest.approx(0.612, abs=5e-4)              # the README's number
    assert mean_row(rows, ("best_proxy", "test", "kendall")) < linear


def test_fit_linear_rank_recovers_exact_weights():
    rng = np.random.default_rng(0)
    n = 50
    ranks = np.column_stack([rng.permutation(n) / (n - 1), rng.random(n), rng.random(n)])
    # the target's rank is exactly column 0 (any increasing function of it): weights (1, 0, 0)
    weights, intercept = fit_linear_rank(ranks, np.exp(3 * ranks[:, 0]))
    np.testing.assert_allclose(weights, [1.0, 0.0, 0.0], atol=1e-12)
    assert intercept == pytest.approx(0.0, abs=1e-12)
    # a decreasing function of column 1: rank = 1 - rank(column 1), weights (0, -1, 0), intercept 1
    column = (rng.permutation(n) / (n - 1))
    ranks[:, 1] = column
    weights, intercept = fit_linear_rank(ranks, -7.0 * column ** 3)
    np.testing.assert_allclose(weights, [0.0, -1.0, 0.0], atol=1e-12)
    assert intercept == pytest.approx(1.0, abs=1e-12)
    # any target: the least-squares fit of the target's [0, 1] rank (sklearn as reference)
    from sklearn.linear_model import LinearRegression
    target = rng.normal(size=n)
    weights, intercept = fit_linear_rank(ranks, target)
    ref = LinearRegression().fit(ranks, (stats.rankdata(target) - 1) / (n - 1))
    np.testing.assert_allclose(weights, ref.coef_, atol=1e-12)
    assert intercept == pytest.approx(ref.intercept_, abs=1e-12)



def _pairwise_objective(x, y, groups, coef, alpha):
    """The stated objective of fit_pairwise, pair by pair (coef in standardized units)."""
    z = x / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    total, weight = 0.0, 0.0
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        w = pair_weights(y[rows])
        for a, i in enumerate(rows):
            for b, j in enumerate(rows):
                if w[a, b]:
                    total += w[a, b] * np.log1p(np.exp(-(z[i] - z[j]) @ coef))
                    weight += w[a, b]
    return total / weight + alpha * coef @ coef


def test_fit_pairwise_minimizes_the_top_weighted_pair_loss_within_each_group():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 3)) * [1.0, 5.0, 0.2]
    y = x @ [1.0, -0.1, 2.0] + rng.normal(scale=0.5, size=24)
    groups = np.repeat([0, 1], 12)
    coef = fit_pairwise(x, y, groups) * x.std(axis=0)        # back to standardized units
    best = _pairwise_objective(x, y, groups, coef, PAIRWISE_ALPHA)
    for step in np.eye(3) * 1e-3:                            # a minimum: every nudge costs
        assert _pairwise_objective(x, y, groups, coef + step, PAIRWISE_ALPHA) > best
        assert _pairwise_objective(x, y, groups, coef - step, PAIRWISE_ALPHA) > best
    assert coef[0] > 0 and coef[2] > 0
    # pairs never cross groups: a column constant within each group gets no weight, and an
    # offset between the groups' accuracies it would explain is ignored
    shifted = np.column_stack([x, groups.astype(float)])
    within = fit_pairwise(shifted, y - 10.0 * groups, groups)
    assert abs(within[3]) < 1e-8
    assert fit_pairwise(shifted, y - 10.0 * groups)[3] < -0.1
    np.testing.assert_array_equal(fit_pairwise(x, np.ones(24)), np.zeros(3))   # all tied: nothing to order


def test_fit_pairwise_monotone_zeroes_the_weights_the_loss_would_make_negative():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 3)) * [1.0, 5.0, 0.2]
    y = x @ [1.0, -0.5, 2.0] + rng.normal(scale=0.3, size=24)
    groups = np.repeat([0, 1], 12)
    free = fit_pairwise(x, y, groups)
    bound = fit_pairwise(x, y, groups, monotone=True)
    assert free[1] < -0.01 and bound[1] == 0.0 and bound[0] > 0 and bound[2] > 0
    coef = bound * x.std(axis=0)
    best = _pairwise_objective(x, y, groups, coef, PAIRWISE_ALPHA)
    for step in np.eye(3)[[0, 2]] * 1e-3:                    # a minimum over the free weights
        assert _pairwise_objective(x, y, groups, coef + step, PAIRWISE_ALPHA) > best
        assert _pairwise_objective(x, y, groups, coef - step, PAIRWISE_ALPHA) > best
    assert _pairwise_objective(x, y, groups, coef + np.eye(3)[1] * 1e-3, PAIRWISE_ALPHA) > best   # into the bound
    np.testing.assert_allclose(fit_pairwise(x[:, [0, 2]], y, groups, monotone=True),   # no negative weight: as free
                               fit_pairwise(x[:, [0, 2]], y, groups), rtol=1e-2)


def test_transforms_fill_missing_and_follow_definitions():
    x = np.array([[1.0, np.nan], [3.0, 2.0], [2.0, 2.0], [-4.0, 5.0]])
    ranks = apply_transform(x, "rank")
    np.testing.assert_allclose(ranks[:, 0], [1 / 3, 1.0, 2 / 3, 0.0])
    np.testing.assert_allclose(ranks[:, 1], [0.25, 0.25, 0.25, 1.0])   # NaN -> median of ranks
    np.testing.assert_allclose(apply_transform(x, "log")[3, 0], -np.log(5.0))
    z = apply_transform(x, "zscore")
    assert z[:, 0].mean() == pytest.approx(0.0) and z[:, 0].std() == pytest.approx(1.0)
    for name in TRANSFORMS:
        assert np.isfinite(apply_transform(x, name)).all()
