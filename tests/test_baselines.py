import numpy as np
import pytest
from scipy import stats

from zcgp.fitness import load_tasks
from zcgp.fitness.baselines import fit_linear_rank, mean_row, task_baselines
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


def test_linear_rank_beats_best_proxy_on_average_and_matches_known_level():
    rows = [task_baselines(t, seed=0) for t in load_tasks("all")]
    linear = mean_row(rows, ("linear_rank", "test", "kendall"))
    best = mean_row(rows, ("best_proxy", "test", "kendall"))
    assert 0.58 < linear < 0.65          # the issue quotes about .61
    assert best < linear


def test_fit_linear_rank_recovers_exact_weights():
    rng = np.random.default_rng(0)
    ranks = rng.random((50, 3))
    target = ranks @ np.array([2.0, -1.0, 0.0])
    weights, _ = fit_linear_rank(ranks, target)
    order = stats.rankdata(ranks @ weights)
    assert stats.kendalltau(order, target).statistic > 0.9


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
