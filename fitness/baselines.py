"""The numbers every evolved proxy is compared with, fitted on train splits only.

Per task (`task_baselines`):
- every hand-crafted proxy as it is (higher score = predicted better),
- the best one, picked by train Kendall,
- a least-squares model over the task's proxy ranks, fitted on its train split.
Across tasks (fitted on the train splits of some tasks, applied to others):
- `best_train_proxy`: the proxy with the best mean train Kendall;
- `fit_ridge`: ridge regression of each task's accuracy rank on its proxy ranks
  (`rank_features`, an absent proxy the neutral 0.5), stacked over the tasks;
- `fit_pairwise`: linear weights under the top-weighted pairwise logistic loss (`pair_weights`),
  pairs taken within each task;
- `fit_boosted`: a LightGBM regressor on the same features, when lightgbm is installed.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from zcgp.fitness.families import score as family_score
from zcgp.fitness.rank import METRICS, RankTarget, average_ranks
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION, task_split
from zcgp.fitness.tasks import Task
from zcgp.fitness.transforms import apply_transform, neutral_value, task_columns

__all__ = ["PAIRWISE_ALPHA", "RIDGE_ALPHA", "best_train_proxy", "boost_available", "fit_boosted", "fit_linear_rank",
           "fit_pairwise", "fit_ridge", "mean_row", "pair_weights", "rank_features", "target_rank", "task_baselines",
           "training_matrix"]


def split_scores(scores: np.ndarray, train_target: RankTarget, test_target: RankTarget,
                 train_idx: np.ndarray, test_idx: np.ndarray, metrics=METRICS) -> dict[str, np.ndarray]:
    """Scores of shape (k, n) -> {'train': {metric: (k,)}, 'test': {...}} (any FITNESS_METRICS).

    Parameters
    ----------
    scores : numpy.ndarray of float, shape (k, n) or (n,)
        Candidate scores over all n architectures of a task.
    train_target, test_target : RankTarget
        The task's target on its train and test rows.
    train_idx, test_idx : numpy.ndarray of int
        The train and test rows (`fitness.splits.task_split`).
    metrics : sequence of str, default METRICS
        Names in `fitness.families.FITNESS_METRICS`.

    Returns
    -------
    dict
        {"train": {metric: (k,) array}, "test": {metric: (k,) array}}.
    """
    scores = np.atleast_2d(scores)
    return {
        part: {m: family_score(target, scores[:, idx], m) for m in metrics}
        for part, target, idx in (("train", train_target, train_idx), ("test", test_target, test_idx))
    }


RIDGE_ALPHA = 1.0
PAIRWISE_ALPHA = 0.03        # L2 of `fit_pairwise`, on standardized inputs


def target_rank(y: np.ndarray) -> np.ndarray:
    """The target's average rank scaled to [0, 1] (the regression target of the baselines).

    Parameters
    ----------
    y : array_like of float, shape (n,)
        Accuracies.

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        0 for the worst architecture, 1 for the best; ties share their mean rank.

    Examples
    --------
    >>> target_rank([0.3, 0.1, 0.2])
    array([1. , 0. , 0.5])
    """
    y = np.asarray(y, dtype=float)
    return (average_ranks(y[None, :])[0] - 1.0) / max(y.size - 1, 1)


def fit_linear_rank(ranks: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
    """Least squares of the target's [0, 1] rank on proxy ranks (with intercept).

    Parameters
    ----------
    ranks : numpy.ndarray of float, shape (n, p)
        Per-proxy ranks of n architectures (e.g. `apply_transform(values, "rank")`).
    target : numpy.ndarray of float, shape (n,)
        Their accuracies (ranked by `target_rank`).

    Returns
    -------
    weights : numpy.ndarray of float, shape (p,)
        One weight per proxy.
    intercept : float
        The constant term; ``ranks @ weights + intercept`` predicts the target rank.
    """
    n = target.size
    y = target_rank(target)
    design = np.column_stack([ranks, np.ones(n)])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coef[:-1], float(coef[-1])


def _pick(table: dict, k: int) -> dict:
    return {part: {m: float(v[k]) for m, v in metrics.items()} for part, metrics in table.items()}


def task_baselines(task: Task, seed: int = 0, train_fraction: float = DEFAULT_TRAIN_FRACTION,
                   metrics=METRICS) -> dict:
    """Every hand-crafted proxy, the best one and the linear-rank model of one task.

    The best proxy is picked by train Kendall and the linear-rank model (`fit_linear_rank`)
    is fitted on the train split only; all are scored on both splits.

    Parameters
    ----------
    task : Task
        The task.
    seed : int, default 0
        The split seed.
    train_fraction : float, default DEFAULT_TRAIN_FRACTION (0.2)
        Share of the architectures in the train split.
    metrics : sequence of str, default METRICS
        Names in `fitness.families.FITNESS_METRICS` to score in; "kendall" is always added.

    Returns
    -------
    dict
        {"task", "n_train", "n_test", "proxies": {proxy: {"train": {metric: value},
        "test": {...}}}, "best_proxy": {"name", "train", "test"}, "linear_rank":
        {"weights": {proxy: weight}, "intercept", "train", "test"}}.

    Raises
    ------
    ZcgpError
        When the split is impossible (`fitness.splits.split_indices`) or a metric unknown.
    """
    metrics = tuple(dict.fromkeys(("kendall", *metrics)))        # the best proxy is picked by Kendall
    train_idx, test_idx = task_split(task, seed, train_fraction)
    train_target, test_target = RankTarget(task.target[train_idx]), RankTarget(task.target[test_idx])
    raw = np.where(np.isfinite(task.values), task.values, np.nan)
    filled = apply_transform(raw, "raw")                      # NaN -> column median
    table = split_scores(filled.T, train_target, test_target, train_idx, test_idx, metrics)
    proxies = {name: _pick(table, k) for k, name in enumerate(task.proxies)}
    best = max(task.proxies, key=lambda name: proxies[name]["train"]["kendall"])

    ranks = apply_transform(raw, "rank")
    weights, intercept = fit_linear_rank(ranks[train_idx], task.target[train_idx])
    prediction = ranks @ weights + intercept
    linear = _pick(split_scores(prediction, train_target, test_target, train_idx, test_idx, metrics), 0)
    return {
        "task": task.id,
        "n_train": int(train_idx.size),
        "n_test": int(test_idx.size),
        "proxies": proxies,
        "best_proxy": {"name": best, **proxies[best]},
        "linear_rank": {"weights": dict(zip(task.proxies, map(float, weights))),
                        "intercept": intercept, **linear},
    }


def mean_row(rows: list[dict], path: tuple[str, ...]) -> float:
    """Mean over tasks of the value at `path` (e.g. ('best_proxy', 'test', 'kendall')).

    Parameters
    ----------
    rows : list of dict
        Nested per-task results (e.g. `task_baselines` rows).
    path : tuple of str
        Keys leading to a number; a row where the path ends elsewhere is left out.

    Returns
    -------
    float
        The mean of the numbers found, NaN when there is none.

    Examples
    --------
    >>> mean_row([{"a": {"b": 1.0}}, {"a": {"b": 3.0}}, {"a": None}], ("a", "b"))
    2.0
    """
    values = []
    for row in rows:
        node = row
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, (int, float)):
            values.append(float(node))
    return float(np.mean(values)) if values else float("nan")


def rank_features(task: Task, terminals, rows) -> np.ndarray:
    """Per-task rank transform of the terminals on `rows`; an absent proxy is the neutral 0.5.

    Parameters
    ----------
    task : Task
        The task.
    terminals : sequence of str
        Proxy names, in column order.
    rows : array_like of int
        The architectures (row indices) ranked together.

    Returns
    -------
    numpy.ndarray of float, shape (len(rows), len(terminals))
        The features of the cross-task models (`fit_ridge`, `fit_boosted`).
    """
    return task_columns(task, terminals, rows, "rank", neutral_value("rank"))


def training_matrix(tasks, terminals, seed: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(features, target ranks) of the train splits of `tasks`, stacked.

    Parameters
    ----------
    tasks : sequence of Task
        The training tasks.
    terminals : sequence of str
        Proxy names, in column order (`rank_features`).
    seed : int
        The split seed.
    fraction : float
        The train fraction.

    Returns
    -------
    x : numpy.ndarray of float, shape (N, len(terminals))
        Rank features of every train architecture, task after task.
    y : numpy.ndarray of float, shape (N,)
        Their target ranks within their task (`target_rank`).
    """
    xs, ys = [], []
    for task in tasks:
        rows = task_split(task, seed, fraction)[0]
        xs.append(rank_features(task, terminals, rows))
        ys.append(target_rank(task.target[rows]))
    return np.concatenate(xs), np.concatenate(ys)


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float = RIDGE_ALPHA) -> tuple[np.ndarray, float]:
    """``sklearn.linear_model.Ridge(alpha)`` with an unpenalized intercept, in closed form.

    Parameters
    ----------
    x : numpy.ndarray of float, shape (N, p)
        Features.
    y : numpy.ndarray of float, shape (N,)
        Regression targets.
    alpha : float, default RIDGE_ALPHA (1.0)
        The L2 penalty on the weights.

    Returns
    -------
    coef : numpy.ndarray of float, shape (p,)
        The weights.
    intercept : float
        The constant term; ``x @ coef + intercept`` predicts `y`.
    """
    xm, ym = x.mean(axis=0), y.mean()
    xc = x - xm
    coef = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ (y - ym))
    return coef, float(ym - xm @ coef)


def pair_weights(y) -> np.ndarray:
    """The weighted ranking loss's pair weights: W[i, j] = 1 / log2(2 + r_i) when y_i > y_j, else 0.

    Parameters
    ----------
    y : array of float
        True accuracies (higher = better).

    Returns
    -------
    numpy.ndarray
        (n, n) float64; r_i is architecture i's position by true accuracy (0 = the best;
        the number of strictly better architectures, so ties share a position).
    """
    y = np.asarray(y, dtype=float).ravel()
    better = y[:, None] > y[None, :]
    position = (y[None, :] > y[:, None]).sum(axis=1)
    return np.where(better, (1.0 / np.log2(2.0 + position))[:, None], 0.0)


def fit_pairwise(x: np.ndarray, y: np.ndarray, groups=None, alpha: float = PAIRWISE_ALPHA,
                 monotone: bool = False) -> np.ndarray:
    """Linear weights whose scores order `y` under the top-weighted pairwise logistic loss.

    Minimizes sum_ij W_ij log(1 + exp(-(s_i - s_j))) / sum W + alpha |w|^2 over the pairs of
    each group (`pair_weights`: a mistake near the top costs most), s = standardized x @ w;
    L-BFGS-B from zero, deterministic.

    Parameters
    ----------
    x : numpy.ndarray of float, shape (N, p)
        Features.
    y : numpy.ndarray of float, shape (N,)
        Accuracies (higher = better); only their order within a group is used.
    groups : array of int, shape (N,), optional
        The task of each row (pairs never cross tasks); default one group.
    alpha : float, default PAIRWISE_ALPHA (0.03)
        The L2 penalty on the weights of the standardized features.
    monotone : bool, default False
        Every weight >= 0: the score never falls when a feature rises (each feature already
        oriented so that higher = better).

    Returns
    -------
    numpy.ndarray of float, shape (p,)
        Weights in the units of `x`: ``x @ w`` scores the rows (higher = better).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    groups = np.zeros(y.size, dtype=int) if groups is None else np.asarray(groups)
    scale = x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = x / scale
    diffs, weights = [], []
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        w = pair_weights(y[rows])
        i, j = np.nonzero(w)
        diffs.append(z[rows[i]] - z[rows[j]])
        weights.append(w[i, j])
    d, w = np.concatenate(diffs), np.concatenate(weights)
    if not w.size:                                   # every label tied: nothing to order
        return np.zeros(x.shape[1])
    w = w / w.sum()

    def loss(coef):
        margin = d @ coef
        value = w @ np.logaddexp(0.0, -margin) + alpha * coef @ coef
        return value, -(d.T @ (w * 0.5 * (1.0 - np.tanh(margin / 2.0)))) + 2.0 * alpha * coef

    bounds = [(0.0, None)] * x.shape[1] if monotone else None
    return minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds).x / scale


def boost_available() -> bool:
    """Whether the optional lightgbm is installed (`pip install zcgp[boost]`).

    Returns
    -------
    bool
        True when ``import lightgbm`` succeeds.
    """
    try:
        import lightgbm  # noqa: F401
    except ImportError:
        return False
    return True


def fit_boosted(x: np.ndarray, y: np.ndarray, seed: int = 0):
    """A LightGBM regressor (200 trees, rate 0.05, 31 leaves, one thread) fitted on (x, y).

    Parameters
    ----------
    x : numpy.ndarray of float, shape (N, p)
        Features.
    y : numpy.ndarray of float, shape (N,)
        Regression targets.
    seed : int, default 0
        The regressor's random_state.

    Returns
    -------
    lightgbm.LGBMRegressor
        The fitted model (its `predict` scores new architectures).

    Raises
    ------
    ImportError
        When lightgbm is not installed (see `boost_available`).
    """
    from lightgbm import LGBMRegressor

    return LGBMRegressor(n_estimators=200, learning_rate=0.05, num_leaves=31, random_state=seed, n_jobs=1,
                         verbose=-1).fit(x, y)


def best_train_proxy(tasks, seed: int, fraction: float, among=None) -> str:
    """The proxy with the best mean train Kendall over `tasks` (absent = 0 on that task).

    Parameters
    ----------
    tasks : sequence of Task
        The training tasks.
    seed : int
        The split seed.
    fraction : float
        The train fraction.
    among : collection of str, optional
        Only these proxies are candidates (default: every proxy of the tasks).

    Returns
    -------
    str
        The proxy's name; ties go to the name that sorts last.
    """
    names = [p for p in dict.fromkeys(p for t in tasks for p in t.proxies) if among is None or p in among]
    totals = dict.fromkeys(names, 0.0)
    for task in tasks:
        rows = task_split(task, seed, fraction)[0]
        target = RankTarget(task.target[rows])
        filled = apply_transform(task.values[rows], "raw")
        for name, tau in zip(task.proxies, target.kendall(filled.T)):
            if name in totals:
                totals[name] += tau
    return max(names, key=lambda n: (totals[n], n))
