"""`ProxyRegressor`: the GP engine as a scikit-learn estimator (optional extra `sklearn`).

X holds proxy columns (a DataFrame, or an array with `feature_names`), y the accuracy, and
`groups` marks tasks: fitness is the rank correlation within each group, averaged over
groups, exactly as in `zcgp evolve`. `predict` returns the formula's values with every
column transformed within the rows passed in (per group when `groups` is given), so its
values order architectures (higher = better) but are not accuracies; `score` is the mean
within-group Kendall tau-b. `equations_` is the hall of fame, `sympy(i)` one member.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.rank import RankTarget
from zcgp.fitness.tasks import Task
from zcgp.fitness.transforms import apply_transform
from zcgp.gp.dataset import Dataset
from zcgp.gp.evolution import Engine, GPConfig
from zcgp.gp.formula import infix
from zcgp.gp.parallel import Evaluator
from zcgp.gp.primitives import (
    check_terminal_names,
    make_pset,
    parse_tree,
    run_code,
    to_code,
)
from zcgp.gp.simplify import to_sympy
from zcgp.run import as_table


def _terminal_names(names, n_features: int) -> tuple[str, ...]:
    """Proxy names as formula terminals; a name that cannot be one becomes x<j>."""
    out = []
    for j in range(n_features):
        name = str(names[j]) if names is not None and j < len(names) else f"x{j}"
        try:
            check_terminal_names([name])
        except ZcgpError:
            name = f"x{j}"
        out.append(name if name not in out else f"x{j}")
    return tuple(out)


def _group_index(groups, n: int) -> list[np.ndarray]:
    """Row indices of each group, groups in order of first appearance."""
    if groups is None:
        return [np.arange(n)]
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.shape[0] != n:
        raise ValueError(f"groups must be 1-d with one entry per sample ({n}), got shape {groups.shape}")
    _, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    order = np.argsort(first)
    return [np.flatnonzero(inverse == k) for k in order]


class ProxyRegressor(RegressorMixin, BaseEstimator):
    """Evolve one proxy formula over the columns of X that ranks y within each group.

    Parameters mirror `zcgp evolve`: population, generations, metric (kendall | spearman),
    input_transform (rank | log | zscore | raw, per column within each group), max_depth,
    parsimony, hof_size; random_state (int for reproducible fits), n_jobs (parallel
    evaluation), warm_start (fit again on the same data continues the evolution for another
    `generations`), feature_names (terminal names for array input; a DataFrame's columns
    otherwise), progress (a progress bar)."""

    def __init__(self, population: int = 500, generations: int = 20, metric: str = "kendall",
                 input_transform: str = "rank", max_depth: int = 7, parsimony: float = 1.4, hof_size: int = 20,
                 random_state=None, n_jobs: int = 1, warm_start: bool = False, feature_names=None,
                 progress: bool = False):
        self.population = population
        self.generations = generations
        self.metric = metric
        self.input_transform = input_transform
        self.max_depth = max_depth
        self.parsimony = parsimony
        self.hof_size = hof_size
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.warm_start = warm_start
        self.feature_names = feature_names
        self.progress = progress

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True      # predictions rank, they do not estimate y
        return tags

    def _dataset(self, X, y, parts, seed: int) -> Dataset:
        tasks = []
        for k, rows in enumerate(parts):
            if rows.size < 2:
                raise ValueError(f"group {k} has {rows.size} sample; rank correlation needs at least 2 per group")
            tasks.append(Task(f"group{k}", tuple(str(i) for i in rows), self.terminals_,
                              np.ascontiguousarray(X[rows]), np.asarray(y[rows], dtype=float),
                              {t: float("nan") for t in self.terminals_}))
        try:
            return Dataset.build(tasks, self.terminals_, "all", seed, transform=self.input_transform,
                                 metric=self.metric, missing="exclude")
        except ZcgpError as exc:
            raise ValueError(str(exc)) from None

    def fit(self, X, y, groups=None):
        """Evolve on (X, y); `groups` (one label per row) marks the tasks."""
        continuing = self.warm_start and hasattr(self, "state_")
        X, y = validate_data(self, X, y, y_numeric=True, ensure_min_samples=2, reset=not continuing,
                             dtype=np.float64)
        names = getattr(self, "feature_names_in_", None)
        self.terminals_ = _terminal_names(names if names is not None else self.feature_names, X.shape[1])
        parts = _group_index(groups, X.shape[0])
        if continuing:
            seed = int(self.state_["config"]["seed"])
        else:
            seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        dataset = self._dataset(X, y, parts, seed)
        try:
            evaluator = Evaluator(dataset, n_jobs=self.n_jobs)
            if continuing:
                generations = self.state_["generation"] + self.generations
                engine = Engine.restore(self.state_, dataset, evaluator, generations,
                                        where="warm start (fit again on the same X, y and groups)")
            else:
                config = GPConfig(population=self.population, generations=self.generations,
                                  max_depth=self.max_depth, parsimony=self.parsimony, hof_size=self.hof_size,
                                  seed=seed)
                engine = Engine(dataset, config, evaluator)
            engine.run(quiet=not self.progress)
        except ZcgpError as exc:
            raise ValueError(str(exc)) from None
        self.state_ = engine.state()
        pset = engine.pset
        records = []
        for i, e in enumerate(engine.hof):
            tree = parse_tree(e.key, pset)
            records.append({"index": i, "fitness": e.fitness, "size": e.size, "depth": e.depth,
                            "equation": infix(tree), "formula": e.key})
        self.equations_ = as_table(records)
        self.formula_ = engine.best.key
        self.fitness_ = engine.best.fitness
        self.n_generations_ = engine.generation
        return self

    def _values(self, X, formula: str, groups=None) -> np.ndarray:
        tree = parse_tree(formula, make_pset(self.terminals_))
        code = to_code(tree)
        out = np.empty(X.shape[0])
        for rows in _group_index(groups, X.shape[0]):
            table = apply_transform(X[rows], self.input_transform)
            columns = {t: np.ascontiguousarray(table[:, j]) for j, t in enumerate(self.terminals_)}
            with np.errstate(all="ignore"):
                out[rows] = np.broadcast_to(np.asarray(run_code(code, columns), dtype=float), (rows.size,))
        return out

    def predict(self, X, groups=None):
        """The best formula's values (higher = predicted better), transform within each group."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._values(X, self.formula_, groups)

    def score(self, X, y, groups=None):
        """Mean over groups of Kendall tau-b between predict(X) and y (-1 for a constant prediction)."""
        pred = self.predict(X, groups)
        y = np.asarray(y, dtype=float).ravel()
        taus = [RankTarget(y[rows]).score(pred[rows][None, :], "kendall")[0]
                for rows in _group_index(groups, len(y))]
        return float(np.mean(taus))

    def sympy(self, i: int | None = None):
        """Sympy expression of hall-of-fame member i (default: the best)."""
        check_is_fitted(self)
        hof = self.state_["hof"]
        index = 0 if i is None else i
        if not 0 <= index < len(hof):
            raise IndexError(f"equation {index} out of range: the hall of fame has {len(hof)} member(s)")
        tree = parse_tree(hof[index], make_pset(self.terminals_))
        return to_sympy(tree, nonnegative=self.input_transform == "rank")
