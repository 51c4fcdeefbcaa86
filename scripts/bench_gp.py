"""Benchmark the GP engine: evaluation speed vs a naive DEAP loop, wall time, and quality.

speed:   the same random population (ramped half-and-half) scored by the engine (one
         stacked evaluation per distinct formula, canonical-string cache, vectorized
         Kendall per task) and by a naive loop (gp.compile per individual, evaluation per
         task, scipy.stats.kendalltau per task, no cache); both must agree to 1e-9.
wall:    one `--population` x `--generations` run (default 1000 x 20) on the selected tasks.
quality: (--quality, minutes) test-split Kendall, seeds --seeds: one formula evolved on all
         tasks with the `zcgp evolve` defaults (--missing impute) and one formula per task,
         against the best hand-crafted proxy and the linear-rank baseline; once per --select
         mode (final formula by train fitness, or by an inner validation part of the train
         split).

example: zcgp bench gp --quality      (same as python scripts/bench_gp.py --quality)
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time

import numpy as np

from zcgp.fitness.baselines import task_baselines
from zcgp.fitness.rank import WORST
from zcgp.fitness.report import format_table
from zcgp.fitness.tasks import load_tasks
from zcgp.gp.dataset import Dataset, select_terminals
from zcgp.gp.evolution import FINAL_SELECTIONS, Engine, GPConfig, Individual, select_final
from zcgp.gp.parallel import Evaluator
from zcgp.gp.primitives import to_code
from zcgp.scripts.common import add_data_args


def configure(parser: argparse.ArgumentParser) -> None:
    add_data_args(parser)
    parser.add_argument("--candidates", type=int, default=1000, help="population scored in the speed test")
    parser.add_argument("--population", type=int, default=1000, help="wall-time run population (default 1000)")
    parser.add_argument("--generations", type=int, default=20, help="wall-time run generations (default 20)")
    parser.add_argument("--n-jobs", type=int, nargs="+", default=[1, 2], help="n_jobs values timed (default: 1 2)")
    parser.add_argument("--quality", action="store_true", help="also run the quality benchmark (minutes)")
    parser.add_argument("--seeds", type=int, default=5, help="quality: seeds 0..N-1 (default 5)")
    parser.add_argument("--q-population", type=int, help="quality, one formula on all tasks: population "
                        "(default: zcgp evolve's)")
    parser.add_argument("--q-generations", type=int, help="quality, one formula: generations (default: zcgp evolve's)")
    parser.add_argument("--q-task-population", type=int,
                        help="quality, one formula per task: population (default: zcgp evolve's)")
    parser.add_argument("--q-task-generations", type=int,
                        help="quality, one formula per task: generations (default: zcgp evolve's)")
    parser.add_argument("--select", nargs="+", choices=FINAL_SELECTIONS, default=list(FINAL_SELECTIONS),
                        help="quality: final-formula choices (zcgp evolve --select) given rows for the "
                             "settings (default: train validation)")
    parser.add_argument("--per-task-table", action="store_true", help="quality: also print every task's score")

def naive_fitness(pset, trees, tasks_columns, targets) -> np.ndarray:
    """The textbook DEAP loop: compile each tree, evaluate per task, scipy Kendall per task."""
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


def speed(tasks, args) -> list[list]:
    terms, _ = select_terminals(tasks)
    data = Dataset.build(tasks, terms, "train", args.seed, args.train_fraction)
    engine = Engine(data, GPConfig(population=args.candidates, generations=0, seed=args.seed))
    with engine._random():
        population = [engine._new_individual() for _ in range(args.candidates)]
    naive_pop = [Individual(p) for p in population]
    start = time.perf_counter()
    engine.evaluate(population)
    fast_s = time.perf_counter() - start
    fast = np.array([ind.fitness.values[0] for ind in population])

    tasks_columns = [[data.columns[t][b.start:b.stop] for t in terms] for b in data.blocks]
    targets = [task.target[np.sort(_train_rows(task, args))] for task in tasks]
    start = time.perf_counter()
    slow = naive_fitness(engine.pset, naive_pop, tasks_columns, targets)
    slow_s = time.perf_counter() - start
    diff = float(np.abs(fast - slow).max())
    return [[f"{args.candidates} formulas x {len(tasks)} tasks", f"{fast_s:.3f}", f"{slow_s:.2f}",
             f"{args.candidates / fast_s:,.0f}", f"{args.candidates / slow_s:,.0f}",
             f"{slow_s / fast_s:.1f}x", f"{diff:.1e}", f"{engine.evaluations}"]]


def _train_rows(task, args):
    from zcgp.fitness.splits import task_split
    return task_split(task, args.seed, args.train_fraction)[0]


def wall(tasks, args) -> list[list]:
    terms, _ = select_terminals(tasks)
    rows = []
    for n_jobs in args.n_jobs:
        start = time.perf_counter()
        data = Dataset.build(tasks, terms, "train", args.seed, args.train_fraction)
        config = GPConfig(population=args.population, generations=args.generations, seed=args.seed)
        engine = Engine(data, config, Evaluator(data, n_jobs=n_jobs)).run()
        seconds = time.perf_counter() - start
        rows.append([f"{args.population} x {args.generations}, {len(tasks)} tasks", n_jobs, f"{seconds:.1f}",
                     engine.evaluations, f"{engine.evaluations / engine.elapsed:,.0f}",
                     f"{engine.best.fitness:.4f}", engine.best.key[:60]])
    return rows


def _evolve_and_test(tasks, seed, args, config: GPConfig, missing="exclude", select="train"):
    """Evolve on the train splits with `config` (with select "validation": on the inner fit
    part, the final formula picked on the inner validation part, as `zcgp evolve --select`);
    (test scores per task, NaN = undefined, chosen entry)."""
    terms, _ = select_terminals(tasks, missing)
    by_validation = select == "validation"
    data = Dataset.build(tasks, terms, "fit" if by_validation else "train", seed, args.train_fraction,
                         missing=missing)
    engine = Engine(data, dataclasses.replace(config, seed=seed)).run()
    validation = (Dataset.build(tasks, terms, "validation", seed, args.train_fraction, missing=missing)
                  if by_validation else None)
    chosen, _ = select_final(engine, validation)
    test = Dataset.build(tasks, terms, "test", seed, args.train_fraction, missing=missing)
    return test.score([to_code(engine.tree(chosen.key))])[0], chosen


def _budget(config: GPConfig) -> str:
    return f"{config.population}x{config.generations}"


def _sel(select: str) -> str:
    return "" if select == "train" else f" --select {select}"


def quality_settings(args) -> list[tuple[str, str, str, GPConfig, str]]:
    """(label, 'all' | 'per-task', missing mode, config, final selection) of each quality row."""
    from zcgp._evolve import GP_DEFAULTS
    new = dataclasses.replace(GP_DEFAULTS, population=args.q_population or GP_DEFAULTS.population,
                              generations=args.q_generations or GP_DEFAULTS.generations)
    task = dataclasses.replace(GP_DEFAULTS, population=args.q_task_population or GP_DEFAULTS.population,
                               generations=args.q_task_generations or GP_DEFAULTS.generations)
    selects = list(dict.fromkeys(getattr(args, "select", None) or ["train"]))
    rows = [(f"one formula, --missing impute {_budget(new)}{_sel(s)}", "all", "impute", new, s)
            for s in selects]
    rows += [(f"one formula per task {_budget(task)}{_sel(s)}", "per-task", "exclude", task, s)
             for s in selects]
    return rows


def quality(tasks, args) -> tuple[list[list], list[list]]:
    """Rows per seed and setting, then the means over seeds; and the per-task rows.

    An undefined task (--missing zero, formula uses a proxy the task lacks) counts 0 in the
    mean and never beats the best proxy."""
    rows, per_task_rows = [], []
    sums = {}
    settings = quality_settings(args)
    for seed in range(args.seeds):
        base = [task_baselines(t, seed, args.train_fraction) for t in tasks]
        best_proxy = np.array([b["best_proxy"]["test"]["kendall"] for b in base])
        linear = np.array([b["linear_rank"]["test"]["kendall"] for b in base])
        for label, scope, missing, config, select in settings:
            start = time.perf_counter()
            if scope == "all":
                taus, best = _evolve_and_test(tasks, seed, args, config, missing, select)
                formula = best.key
            else:
                taus = np.array([_evolve_and_test([t], seed, args, config, select=select)[0][0] for t in tasks])
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


def run(args: argparse.Namespace) -> int:
    tasks = load_tasks(args.tasks, args.data_dir)
    random.seed(args.seed)
    print("evaluation speed (train splits, same population)")
    print(format_table(["population", "engine s", "naive s", "engine evals/s", "naive evals/s", "speed-up",
                        "max |diff|", "distinct"], speed(tasks, args)))
    print()
    print("wall time of a full run")
    print(format_table(["run", "n_jobs", "wall s", "distinct formulas", "evals/s", "best fitness", "best"],
                       wall(tasks, args)))
    if args.quality:
        print()
        n = len(quality_settings(args))
        print(f"quality: mean test Kendall over {len(tasks)} tasks (train fraction {args.train_fraction}), "
              f"seeds 0-{args.seeds - 1}; 'beats best' = tasks where the evolved formula beats the best "
              f"hand-crafted proxy (picked on train); an undefined task counts 0")
        rows, per_task = quality(tasks, args)
        print(format_table(["seed", "setting", "evolved", "beats best", "defined", "best proxy", "linear", "s",
                            "formula"], rows[:-n], rows[-n:]))
        if args.per_task_table:
            print()
            print(format_table(["seed", "setting", "task", "evolved", "best proxy", "linear"], per_task))
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "gp"))
