"""zcgp.ProxyRegressor: scikit-learn's estimator checks and real values against scipy."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from scipy.stats import kendalltau
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

import zcgp
from zcgp.estimator import ProxyRegressor

# checks that cannot apply, with the reason
EXPECTED_FAILURES = {
    "check_methods_subset_invariance": "predict transforms every column within the rows passed in "
                                       "(rank by default), so a row's value depends on the batch",
}


def _expected(estimator):
    return EXPECTED_FAILURES


@parametrize_with_checks([ProxyRegressor(population=20, generations=1, random_state=0)],
                         expected_failed_checks=_expected)
def test_sklearn_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def nb201_frame():
    pd = pytest.importorskip("pandas")
    tasks = zcgp.load_tasks("nb201")
    proxies = ["flops", "params", "snip", "grad_norm", "fisher", "grasp", "plain", "l2_norm"]   # no NaN
    frames = [pd.DataFrame({p: t.values[:, t.proxies.index(p)] for p in proxies}) for t in tasks]
    X = pd.concat(frames, ignore_index=True)
    y = np.concatenate([t.target for t in tasks])
    groups = np.concatenate([[t.id] * t.n for t in tasks])
    return X, y, groups


def test_fit_score_equations_on_tasks_as_groups(nb201_frame):
    X, y, groups = nb201_frame
    est = ProxyRegressor(population=60, generations=3, random_state=0).fit(X, y, groups=groups)
    assert est.terminals_ == tuple(X.columns) and est.n_features_in_ == X.shape[1]
    pred = est.predict(X, groups=groups)
    taus = [kendalltau(pred[groups == g], y[groups == g]).statistic for g in dict.fromkeys(groups)]
    assert est.score(X, y, groups=groups) == pytest.approx(np.mean(taus), abs=1e-9)
    # fitness is the same mean within-group Kendall, computed by the engine on all rows
    assert est.fitness_ == pytest.approx(np.mean(taus), abs=1e-9)
    eq = est.equations_
    assert list(eq["fitness"]) == sorted(eq["fitness"], reverse=True) and eq["formula"][0] == est.formula_
    best = zcgp.Proxy(eq["equation"][0])            # the infix equation reproduces predict per group
    first = groups == groups[0]
    np.testing.assert_allclose(best(X[first]), pred[first], rtol=1e-12)
    assert str(est.sympy(0)) == str(zcgp.Proxy(eq["equation"][0]).sympy())
    # pooled ranking (no groups) differs from the within-group fitness
    assert est.score(X, y) != pytest.approx(est.score(X, y, groups=groups))


def test_warm_start_continues_and_clone_forgets(nb201_frame):
    X, y, groups = nb201_frame
    est = ProxyRegressor(population=40, generations=2, random_state=1, warm_start=True).fit(X, y, groups=groups)
    first = est.fitness_
    est.fit(X, y, groups=groups)
    assert est.n_generations_ == 4 and est.fitness_ >= first
    straight = ProxyRegressor(population=40, generations=4, random_state=1).fit(X, y, groups=groups)
    assert straight.formula_ == est.formula_             # a warm start continues exactly
    assert not hasattr(clone(est), "formula_")
    with pytest.raises(ValueError, match="warm start"):
        est.fit(X.iloc[:300], y[:300])


def test_grid_search_with_group_folds(nb201_frame):
    from sklearn.model_selection import GridSearchCV, GroupKFold
    X, y, groups = nb201_frame
    search = GridSearchCV(ProxyRegressor(generations=1, random_state=0), {"population": [10, 30]},
                          cv=GroupKFold(n_splits=3))
    search.fit(X, y, groups=groups)
    assert search.best_params_["population"] in (10, 30) and -1 <= search.best_score_ <= 1


def test_nan_cells_follow_missing_as_in_the_engine():
    """A NaN cell is its column's median after the transform; a column absent from a group
    (under 90 % present) is the neutral value there under impute, as `zcgp evolve` does."""
    from zcgp.fitness.tasks import make_task
    from zcgp.gp.dataset import Dataset
    from zcgp.gp.evolution import Engine
    from zcgp.gp.settings import GPConfig

    rng = np.random.default_rng(3)
    n = 40
    X = rng.random((2 * n, 3))
    y = X[:, 0] + X[:, 1] + 0.2 * rng.random(2 * n)
    groups = np.repeat(["a", "b"], n)
    X[3, 0] = np.nan                                 # one missing cell
    X[n:, 2] = np.nan                                # column x2 absent from group b
    est = ProxyRegressor(population=40, generations=2, random_state=0, feature_names=["p", "q", "r"])
    est.fit(X, y, groups=groups)
    assert est.terminals_ == ("p", "q", "r")
    pred = est.predict(X, groups=groups)
    assert np.isfinite(pred).all()
    # the same fit through the engine on the same tasks
    seed = int(np.random.RandomState(0).randint(2**31 - 1))
    tasks = [make_task(g, tuple(map(str, range(n))), ["p", "q", "r"], X[groups == g], y[groups == g], "x")
             for g in ("a", "b")]
    assert tasks[1].proxies == ("p", "q")
    data = Dataset.build(tasks, ("p", "q", "r"), "all", seed, missing="impute")
    engine = Engine(data, GPConfig(population=40, generations=2, seed=seed)).run()
    assert est.formula_ == engine.best.key and est.fitness_ == engine.best.fitness
    strict = ProxyRegressor(population=40, generations=2, random_state=0, missing="exclude").fit(X, y, groups)
    assert strict.terminals_ == ("x0", "x1")          # x2 is not on every group: no terminal
    assert np.isfinite(strict.predict(X, groups=groups)).all()
