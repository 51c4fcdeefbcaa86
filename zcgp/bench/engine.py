"""`zcgp bench gp`'s measurements: engine vs a naive DEAP loop, a full run's wall time, and
quality over seeds (test Kendall against the best hand-crafted proxy and the linear baseline).

Each function returns table rows; `scripts/bench_gp.py` prints them.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from zcgp.fitness.baselines import task_baselines
from zcgp.fitness.rank import WORST
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION, task_split
from zcgp.gp.dataset import Dataset, select_terminals
from zcgp.gp.evolution import Engine, Individual
from zcgp.gp.final import select_final
from zcgp.gp.parallel import Evaluator
from zcgp.gp.primitives import to_code
from zcgp.gp.settings import GPConfig


def naive_fitness(pset, trees, tasks_columns, targets) -> np.ndarray:
    """The textbook DEAP loop: compile each tree, evaluate per task, scipy Kendall per task.

    Parameters
    ----------
    pset : deap.gp.PrimitiveSet
        The primitive set the trees are compiled with.
    trees : sequence of deap.gp.PrimitiveTree
        The formulas scored.
    tasks_columns : sequence of list of numpy.ndarray
        Per task, the terminal columns in the primitive set's argument order.
    targets : sequence of numpy.ndarray
        Per task, the accuracies of the same architectures.

    Returns
    -------
    numpy.ndarray
        Per tree, the mean over tasks of Kendall tau (`WORST` where a tree's output is constant or
        not finite).
    """
    from deap import gp
    from scipy.stats import kendalltau
    out = np.empty(len(trees))
    for i, tree in enumerate(trees):
        fn = gp.compile(tree, pset)
        taus = []
        for columns, y in zip(tasks_columns, targets):
            with np.errstate(all="ignore"):
                x = np.broadcast_to(np.asarray(fn(*columns), dtype=float), y.shape)
            if not np.isfinite(x).all() or x.min() == x.max():
                taus.append(WORST)
                continue
            tau = kendalltau(x, y).statistic
            taus.append(tau if np.isfinite(tau) else WORST)
        out[i] = np.mean(taus)
    return out


def speed(tasks, *, candidates: int = 1000, seed: int = 0,
          train_fraction: float = DEFAULT_TRAIN_FRACTION) -> list[list]:
    """One table row: the engine and the naive loop scoring the same random population.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks scored on (their train splits).
    candidates : int
        Size of the random population.
    seed : int
        The split and population seed.
    train_fraction : float
        Fraction of each task in its train split.

    Returns
    -------
    list of list
        One row: label, engine seconds, naive seconds, formulas/s of each, speed-up, largest
        fitness difference between the two, engine evaluations.
    """
    terms, _ = select_terminals(tasks)
    data = Dataset.build(tasks, terms, "train", seed, train_fraction)
    engine = Engine(data, GPConfig(population=candidates, generations=0, seed=seed))
    population = engine.random_individuals(candidates)
    naive_pop = [Individual(p) for p in population]
    start = time.perf_counter()
    engine.evaluate(population)
    fast_s = time.perf_counter() - start
    fast = np.array([ind.fitness.values[0] for ind in population])

    tasks_columns = [[data.columns[t][b.start:b.stop] for t in terms] for b in data.blocks]
    targets = [task.target[np.sort(task_split(task, seed, train_fraction)[0])] for task in tasks]
    start = time.perf_counter()
    slow = naive_fitness(engine.pset, naive_pop, tasks_columns, targets)
    slow_s = time.perf_counter() - start
    diff = float(np.abs(fast - slow).max())
    return [[f"{candidates} formulas x {len(tasks)} tasks", f"{fast_s:.3f}", f"{slow_s:.2f}",
             f"{candidates / fast_s:,.0f}", f"{candidates / slow_s:,.0f}",
             f"{slow_s / fast_s:.1f}x", f"{diff:.1e}", f"{engine.evaluations}"]]


def wall(tasks, *, population: int = 1000, generations: int = 20, n_jobs=(1,), seed: int = 0,
         train_fraction: float = DEFAULT_TRAIN_FRACTION) -> list[list]:
    """One row per n_jobs: wall seconds of dataset building + a full run, engine evaluations/s.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks evolved on (their train splits).
    population : int
        Population size.
    generations : int
        Number of generations.
    n_jobs : sequence of int
        One run per number of evaluation workers.
    seed : int
        The split and engine seed.
    train_fraction : float
        Fraction of each task in its train split.

    Returns
    -------
    list of list
        Per n_jobs: label, n_jobs, seconds, evaluations, evaluations/s, best fitness and the
        best formula (first 60 characters).
    """
    terms, _ = select_terminals(tasks)
    rows = []
    for jobs in n_jobs:
        start = time.perf_counter()
        data = Dataset.build(tasks, terms, "train", seed, train_fraction)
        config = GPConfig(population=population, generations=generations, seed=seed)
        engine = Engine(data, config, Evaluator(data, n_jobs=jobs)).run()
        seconds = time.perf_counter() - start
        rows.append([f"{population} x {generations}, {len(tasks)} tasks", jobs, f"{seconds:.1f}",
                     engine.evaluations, f"{engine.evaluations / engine.elapsed:,.0f}",
                     f"{engine.best.fitness:.4f}", engine.best.key[:60]])
    return rows


def _evolve_and_test(tasks, seed, train_fraction, config: GPConfig, missing="exclude", select="train"):
    """Evolve on the train splits with `config` (with select "validation": on the inner fit
    part, the final formula picked on the inner validation part, as `zcgp evolve --select`);
    (test scores per task, NaN = undefined, chosen entry)."""
    terms, _ = select_terminals(tasks, missing)
    by_validation = select == "validation"
    data = Dataset.build(tasks, terms, "fit" if by_validation else "train", seed, train_fraction,
                         missing=missing)
    engine = Engine(data, dataclasses.replace(config, seed=seed)).run()
    validation = (Dataset.build(tasks, terms, "validation", seed, train_fraction, missing=missing)
                  if by_validation else None)
    chosen, _ = select_final(engine, validation)
    test = Dataset.build(tasks, terms, "test", seed, train_fraction, missing=missing)
    return test.score([to_code(engine.tree(chosen.key))])[0], chosen


def _budget(config: GPConfig) -> str:
    return f"{config.population}x{config.generations}"


def _sel(select: str) -> str:
    return "" if select == "train" else f" --select {select}"


def quality_settings(*, population=None, generations=None, task_population=None, task_generations=None,
                     selects=("train",)) -> list[tuple[str, str, str, GPConfig, str]]:
    """(label, 'all' | 'per-task', missing mode, config, final selection) of each quality row;
    sizes default to `zcgp evolve`'s.

    Parameters
    ----------
    population, generations : int, optional
        Population and generations of the one-formula-for-all-tasks rows.
    task_population, task_generations : int, optional
        Population and generations of the one-formula-per-task rows.
    selects : sequence of str
        Final selections ("train", "validation"); each gives one row of either kind.

    Returns
    -------
    list of tuple
        (label, scope, missing mode, GPConfig, selection): first the all-tasks rows, then the
        per-task rows; `quality` takes them as its `settings`.
    """
    d = GPConfig()
    new = dataclasses.replace(d, population=population or d.population, generations=generations or d.generations)
    task = dataclasses.replace(d, population=task_population or d.population,
                               generations=task_generations or d.generations)
    selects = list(dict.fromkeys(selects or ["train"]))
    rows = [(f"one formula, --missing impute {_budget(new)}{_sel(s)}", "all", "impute", new, s)
            for s in selects]
    rows += [(f"one formula per task {_budget(task)}{_sel(s)}", "per-task", "exclude", task, s)
             for s in selects]
    return rows


def quality(tasks, settings, *, seeds: int = 5, train_fraction: float = DEFAULT_TRAIN_FRACTION
            ) -> tuple[list[list], list[list]]:
    """Rows per seed and setting, then the means over seeds; and the per-task rows.

    An undefined task (--missing zero, formula uses a proxy the task lacks) counts 0 in the
    mean and never beats the best proxy.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks evolved on and tested on.
    settings : sequence of tuple
        The rows to run, as `quality_settings` returns them.
    seeds : int
        Number of seeds (0 to seeds - 1).
    train_fraction : float
        Fraction of each task in its train split.

    Returns
    -------
    rows : list of list
        Per seed and setting: seed, label, mean test Kendall, tasks beating the best proxy,
        defined tasks, best proxy and linear baseline means, seconds, formula; then one "mean"
        row per setting over the seeds.
    per_task_rows : list of list
        For the per-task settings: seed, label, task id, evolved, best proxy and linear test
        Kendall.
    """
    rows, per_task_rows = [], []
    sums = {}
    for seed in range(seeds):
        base = [task_baselines(t, seed, train_fraction) for t in tasks]
        best_proxy = np.array([b["best_proxy"]["test"]["kendall"] for b in base])
        linear = np.array([b["linear_rank"]["test"]["kendall"] for b in base])
        for label, scope, missing, config, select in settings:
            start = time.perf_counter()
            if scope == "all":
                taus, best = _evolve_and_test(tasks, seed, train_fraction, config, missing, select)
                formula = best.key
            else:
                taus = np.array([_evolve_and_test([t], seed, train_fraction, config, select=select)[0][0]
                                 for t in tasks])
                formula = ""
                per_task_rows.extend([[seed, label, t.id, f"{o:.3f}", f"{b:.3f}", f"{lin:.3f}"]
                                      for t, o, b, lin in zip(tasks, taus, best_proxy, linear)])
            seconds = time.perf_counter() - start
            defined = np.isfinite(taus)
            mean = float(np.where(defined, taus, 0.0).mean())
            beats = int((np.where(defined, taus, -2.0) > best_proxy).sum())
            rows.append([seed, label, f"{mean:.4f}", f"{beats}/{len(tasks)}", f"{int(defined.sum())}",
                         f"{best_proxy.mean():.4f}", f"{linear.mean():.4f}", f"{seconds:.0f}", formula[:50]])
            acc = sums.setdefault(label, [[], [], [], []])
            acc[0].append(mean)
            acc[1].append(beats)
            acc[2].append(int(defined.sum()))
            acc[3].append(seconds)
        sums.setdefault("_base", [[], []])
        sums["_base"][0].append(best_proxy.mean())
        sums["_base"][1].append(linear.mean())
    footer = [["mean", label, f"{np.mean(v[0]):.4f}", f"{np.mean(v[1]):.1f}/{len(tasks)}", f"{np.mean(v[2]):.1f}",
               f"{np.mean(sums['_base'][0]):.4f}", f"{np.mean(sums['_base'][1]):.4f}", f"{np.mean(v[3]):.0f}", ""]
              for label, v in sums.items() if label != "_base"]
    return rows + footer, per_task_rows
