"""`ProxyRegressor`: the GP engine as a scikit-learn estimator (optional extra `sklearn`).

X holds proxy columns (a DataFrame, or an array with `feature_names`), y the accuracy, and
`groups` marks tasks: fitness is the rank correlation within each group, averaged over
groups, exactly as in `zcgp evolve`. `predict` returns the formula's values with every
column transformed within the rows passed in (per group when `groups` is given), so its
values order architectures (higher = better) but are not accuracies; `score` is the mean
within-group Kendall tau-b. `equations_` is the hall of fame, `sympy(i)` one member.

Missing values are handled as the engine handles them: a NaN cell becomes its column's
median after the transform; a column with under 90 % of its values present in a group is
absent from that group, and follows `missing` ("impute": the transform's neutral value
there; "exclude": such a column is no terminal; "zero" / "skip": a formula using it is
undefined on that group, counted 0 in the mean / left out of it).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from zcgp.errors import ZcgpError
from zcgp.fitness.rank import RankTarget
from zcgp.fitness.tasks import make_task
from zcgp.fitness.transforms import neutral_value, task_columns
from zcgp.gp.dataset import Dataset, select_terminals
from zcgp.gp.evolution import Engine
from zcgp.gp.formula import infix
from zcgp.gp.parallel import Evaluator
from zcgp.gp.primitives import (
    check_terminal_names,
    make_pset,
    parse_tree,
    run_code,
    to_code,
)
from zcgp.gp.settings import EvolveSettings, GPConfig
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


_GP = GPConfig()
_RUN = EvolveSettings()


class ProxyRegressor(RegressorMixin, BaseEstimator):
    """Evolve one proxy formula over the columns of X that ranks y within each group.

    Parameters
    ----------
    population : int
        mu, the survivors per generation (default: `zcgp evolve`'s).
    generations : int
        Generations after the initial population (default: `zcgp evolve`'s).
    metric : str
        Fitness per group, one of `fitness.families.FITNESS_METRICS`.
    input_transform : str
        Input transform of every column within each group (rank, log, zscore, raw): the
        `transform` of `zcgp evolve`, named so because scikit-learn reserves `transform` for
        transformers.
    missing : str
        A column absent from a group (see the module docstring): impute, exclude, zero, skip.
    max_depth : int
        Tree depth limit.
    parsimony : float
        Size tournament of the double tournament, in [1, 2].
    hof_size : int
        Hall-of-fame size (`equations_` rows).
    random_state : int, RandomState or None
        An int gives reproducible fits.
    n_jobs : int
        Parallel evaluation workers (-1: every core); the result is the same for any number.
    warm_start : bool
        A second `fit` on the same data continues the evolution for another `generations`.
    feature_names : sequence of str, optional
        Terminal names for array input (a DataFrame's columns otherwise).
    progress : bool
        A progress bar.

    Attributes
    ----------
    terminals_ : tuple of str
        The terminal name of each column.
    formula_ : str
        The best formula (prefix).
    fitness_ : float
        Its fitness.
    equations_ : DataFrame or list of dict
        The hall of fame: index, fitness, size, depth, equation (infix), formula.
    n_generations_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from zcgp import ProxyRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((60, 3)); y = X[:, 0] + 0.1 * rng.random(60)
    >>> est = ProxyRegressor(population=30, generations=2, random_state=0).fit(X, y)
    >>> est.score(X, y) > 0.5
    True
    """

    def __init__(self, population: int = _GP.population, generations: int = _GP.generations,
                 metric: str = _RUN.metric, input_transform: str = _RUN.transform, missing: str = _RUN.missing,
                 max_depth: int = _GP.max_depth, parsimony: float = _GP.parsimony, hof_size: int = _GP.hof_size,
                 random_state=None, n_jobs: int = 1, warm_start: bool = False, feature_names=None,
                 progress: bool = False):
        self.population = population
        self.generations = generations
        self.metric = metric
        self.input_transform = input_transform
        self.missing = missing
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
        tags.input_tags.allow_nan = True
        return tags

    def _tasks(self, X, y, parts) -> list:
        tasks = []
        for k, rows in enumerate(parts):
            if rows.size < 2:
                raise ValueError(f"group {k} has {rows.size} sample; rank correlation needs at least 2 per group")
            target = np.zeros(rows.size) if y is None else np.asarray(y[rows], dtype=float)
            try:
                tasks.append(make_task(f"group{k}", tuple(str(i) for i in rows), self.columns_,
                                       np.ascontiguousarray(X[rows]), target, "X"))
            except ZcgpError:                  # no usable column in this group: every one absent
                tasks.append(make_task(f"group{k}", tuple(str(i) for i in rows), ["_none"],
                                       np.zeros((rows.size, 1)), target, "X"))
        return tasks

    def fit(self, X, y, groups=None):
        """Evolve on (X, y); `groups` (one label per row) marks the tasks.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n, p)
            Proxy values (NaN allowed, see the module docstring).
        y : array-like, shape (n,)
            The accuracy (higher is better).
        groups : array-like, shape (n,), optional
            The task of each row (default: one task).

        Returns
        -------
        self
        """
        continuing = self.warm_start and hasattr(self, "state_")
        X, y = validate_data(self, X, y, y_numeric=True, ensure_min_samples=2, reset=not continuing,
                             dtype=np.float64, ensure_all_finite="allow-nan")
        names = getattr(self, "feature_names_in_", None)
        self.columns_ = _terminal_names(names if names is not None else self.feature_names, X.shape[1])
        parts = _group_index(groups, X.shape[0])
        if continuing:
            seed = int(self.state_["config"]["seed"])
        else:
            seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        tasks = self._tasks(X, y, parts)
        try:
            terminals, _ = select_terminals(tasks, self.missing)
            terminals = tuple(t for t in terminals if t != "_none")
            if not terminals:
                raise ZcgpError("no column is usable (each has under 90 % of its values present)")
            dataset = Dataset.build(tasks, terminals, "all", seed, transform=self.input_transform,
                                    metric=self.metric, missing=self.missing)
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
        self.terminals_ = terminals
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
        parts = _group_index(groups, X.shape[0])
        fill = neutral_value(self.input_transform) if self.missing == "impute" else np.nan
        for rows, task in zip(parts, self._tasks(X, None, parts)):
            table = task_columns(task, self.terminals_, np.arange(rows.size), self.input_transform, fill)
            columns = {t: np.ascontiguousarray(table[:, j]) for j, t in enumerate(self.terminals_)}
            with np.errstate(all="ignore"):
                out[rows] = np.broadcast_to(np.asarray(run_code(code, columns), dtype=float), (rows.size,))
        return out

    def predict(self, X, groups=None):
        """The best formula's values (higher = predicted better), transform within each group.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n, p)
        groups : array-like, shape (n,), optional

        Returns
        -------
        numpy.ndarray, shape (n,)
            NaN on a group lacking a terminal unless `missing` is "impute".
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan")
        return self._values(X, self.formula_, groups)

    def score(self, X, y, groups=None):
        """Mean over groups of Kendall tau-b between predict(X) and y (-1 for a constant prediction).

        Parameters
        ----------
        X : array-like, shape (n, p)
        y : array-like, shape (n,)
        groups : array-like, shape (n,), optional

        Returns
        -------
        float
        """
        pred = self.predict(X, groups)
        y = np.asarray(y, dtype=float).ravel()
        taus = [RankTarget(y[rows]).score(pred[rows][None, :], "kendall")[0]
                for rows in _group_index(groups, len(y))]
        return float(np.mean(taus))

    def sympy(self, i: int | None = None):
        """Sympy expression of hall-of-fame member `i` (default: the best).

        Parameters
        ----------
        i : int, optional
            Position in `equations_`.

        Raises
        ------
        IndexError
            `i` is outside the hall of fame.
        """
        check_is_fitted(self)
        hof = self.state_["hof"]
        index = 0 if i is None else i
        if not 0 <= index < len(hof):
            raise IndexError(f"equation {index} out of range: the hall of fame has {len(hof)} member(s)")
        tree = parse_tree(hof[index], make_pset(self.terminals_))
        return to_sympy(tree, nonnegative=self.input_transform == "rank")
