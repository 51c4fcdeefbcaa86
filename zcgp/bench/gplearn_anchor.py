"""Anchors: the same symbolic-regression job run by zcgp and by gplearn's `SymbolicRegressor`.

Both get the same inputs (the stacked, per-task rank-transformed train columns of the same
terminals), the same fitness (mean over tasks of Kendall tau-b within each task, computed by
`fitness.rank` for both), the same population, the same number of evaluated generations
(zcgp's initial population + `generations`; gplearn's `generations` counts the initial one),
and the closest function set (gplearn's protected add, sub, mul, div, log, sqrt, neg, abs,
max, min plus tanh and square; constants drawn from [-1, 3]). gplearn gets
`stopping_criteria` above any reachable fitness so it runs the full budget. Reported: wall
and CPU seconds of the evolution alone (dataset building is shared and excluded), train
fitness and mean test Kendall of the final formula of each.
"""

from __future__ import annotations

import time

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION
from zcgp.gp.dataset import Dataset, select_terminals
from zcgp.gp.evolution import Engine
from zcgp.gp.primitives import to_code
from zcgp.gp.settings import GPConfig

ANCHORS = ("gplearn",)


def _stacked(dataset: Dataset) -> np.ndarray:
    return np.column_stack([dataset.columns[t] for t in dataset.terminals])


def _mean_kendall(dataset: Dataset, values: np.ndarray) -> tuple[float, np.ndarray]:
    per_task = np.array([b.target.score(values[None, b.start:b.stop], "kendall")[0] for b in dataset.blocks])
    return float(per_task.mean()), per_task


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def run_zcgp(train: Dataset, test: Dataset, population: int, generations: int, seed: int) -> dict:
    """One zcgp run on `train`, its best formula scored on `test`.

    Parameters
    ----------
    train : Dataset
        The train split evolved on.
    test : Dataset
        The test split the final formula is scored on.
    population : int
        Population size.
    generations : int
        Generations after the initial population.
    seed : int
        The engine's seed.

    Returns
    -------
    dict
        engine ("zcgp"), wall_s and cpu_s of the evolution, train (best fitness), test (mean
        test Kendall), formula and evaluations.
    """
    config = GPConfig(population=population, generations=generations, seed=seed)
    engine, wall, cpu = _timed(lambda: Engine(train, config).run())
    code = to_code(engine.tree(engine.best.key))
    test_mean, _ = _mean_kendall(test, test.outputs([code])[0])
    return {"engine": "zcgp", "wall_s": wall, "cpu_s": cpu, "train": engine.best.fitness, "test": test_mean,
            "formula": engine.best.key, "evaluations": engine.evaluations}


def run_gplearn(train: Dataset, test: Dataset, population: int, generations: int, seed: int) -> dict:
    """One gplearn `SymbolicRegressor` run on `train` with zcgp's fitness, its program scored on `test`.

    Parameters
    ----------
    train : Dataset
        The train split evolved on.
    test : Dataset
        The test split the final formula is scored on.
    population : int
        Population size.
    generations : int
        Generations after the initial population.
    seed : int
        gplearn's random_state.

    Returns
    -------
    dict
        engine ("gplearn"), wall_s and cpu_s of the fit, train (the program's fitness), test
        (mean test Kendall), formula, evaluations and program (gplearn's final program).

    Raises
    ------
    ZcgpError
        When gplearn is not installed.
    """
    try:
        from gplearn.fitness import make_fitness
        from gplearn.functions import make_function
        from gplearn.genetic import SymbolicRegressor
    except ImportError:
        raise ZcgpError("the gplearn anchor needs gplearn installed (pip install -e \".[anchors]\")") from None

    def fitness(y, y_pred, sample_weight):
        if len(y_pred) != train.n:          # make_fitness's own smoke call on 2 values
            return 0.0
        return _mean_kendall(train, np.asarray(y_pred, dtype=float))[0]

    def square(x):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.square(x)

    functions = ["add", "sub", "mul", "div", "log", "sqrt", "neg", "abs", "max", "min",
                 make_function(function=np.tanh, name="tanh", arity=1, wrap=False),
                 make_function(function=square, name="square", arity=1, wrap=False)]
    X = _stacked(train)
    y = np.concatenate([np.arange(b.stop - b.start, dtype=float) for b in train.blocks])   # unused by fitness
    model = SymbolicRegressor(
        population_size=population, generations=generations + 1, tournament_size=3,
        stopping_criteria=2.0,                       # Kendall <= 1: never stops early
        const_range=(-1.0, 3.0), init_depth=(1, 4), init_method="half and half", function_set=functions,
        metric=make_fitness(function=fitness, greater_is_better=True, wrap=False),
        p_crossover=0.5, p_subtree_mutation=0.15, p_hoist_mutation=0.1, p_point_mutation=0.2,
        max_samples=1.0, parsimony_coefficient=0.001, feature_names=list(train.terminals),
        n_jobs=1, verbose=0, random_state=seed, low_memory=True)
    _, wall, cpu = _timed(lambda: model.fit(X, y))
    program = model._program
    with np.errstate(all="ignore"):
        test_mean, _ = _mean_kendall(test, np.asarray(program.execute(_stacked(test)), dtype=float))
    return {"engine": "gplearn", "wall_s": wall, "cpu_s": cpu, "train": float(program.raw_fitness_),
            "test": test_mean, "formula": str(program), "evaluations": population * (generations + 1),
            "program": program}


def compare(tasks, against: str = "gplearn", *, population: int = 1000, generations: int = 20, seed: int = 0,
            train_fraction: float = DEFAULT_TRAIN_FRACTION) -> list[dict]:
    """One row per engine (zcgp, then the anchor) on the same data, fitness and budget.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks (missing proxies excluded); both engines evolve on their train splits.
    against : str
        The anchor, one of `ANCHORS`.
    population : int
        Population size of both engines.
    generations : int
        Generations after the initial population.
    seed : int
        The split and engine seed.
    train_fraction : float
        Fraction of each task in its train split.

    Returns
    -------
    list of dict
        zcgp's record, then the anchor's (see `run_zcgp` and `run_gplearn`).

    Raises
    ------
    ZcgpError
        When `against` is not a known anchor.
    """
    if against not in ANCHORS:
        raise ZcgpError(f"unknown anchor '{against}'; choose from {', '.join(ANCHORS)}")
    terminals, _ = select_terminals(tasks, "exclude")
    train = Dataset.build(tasks, terminals, "train", seed, train_fraction, missing="exclude")
    test = Dataset.build(tasks, terminals, "test", seed, train_fraction, missing="exclude")
    return [run_zcgp(train, test, population, generations, seed),
            run_gplearn(train, test, population, generations, seed)]
