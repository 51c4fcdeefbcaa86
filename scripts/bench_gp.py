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

against: (--against gplearn) only this table: gplearn's SymbolicRegressor and the engine on
         the same tasks (--tasks; several selections with --against-tasks), population,
         generations, function set and fitness, seeds 0..--seeds-1; wall and CPU seconds of
         the evolution alone and test Kendall, mean +- std over seeds (see zcgp.anchors).

examples: zcgp bench gp --quality      (same as python scripts/bench_gp.py --quality)
          zcgp bench gp --against gplearn --against-tasks nb201 all --seeds 3
"""

from __future__ import annotations

import argparse
import random

import numpy as np

from zcgp.bench.engine import quality, quality_settings, speed, wall
from zcgp.bench.gplearn_anchor import ANCHORS, compare
from zcgp.fitness.sources import load_tasks
from zcgp.gp.settings import FINAL_SELECTIONS
from zcgp.scripts.common import add_data_args
from zcgp.util import format_table


def configure(parser: argparse.ArgumentParser) -> None:
    add_data_args(parser)
    parser.add_argument("--candidates", type=int, default=1000, help="population scored in the speed test")
    parser.add_argument("--population", type=int, default=1000, help="wall-time run population (default 1000)")
    parser.add_argument("--generations", type=int, default=20, help="wall-time run generations (default 20)")
    parser.add_argument("--n-jobs", type=int, nargs="+", default=[1, 2], help="n_jobs values timed (default: 1 2)")
    parser.add_argument("--quality", action="store_true", help="also run the quality benchmark (minutes)")
    parser.add_argument("--seeds", type=int, default=5, help="quality and --against: seeds 0..N-1 (default 5)")
    parser.add_argument("--against", choices=ANCHORS, help="compare with another GP library instead (see above)")
    parser.add_argument("--against-tasks", nargs="+", metavar="SEL",
                        help="--against: task selections, one comparison each (default: --tasks)")
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

def _pm(values, digits: int = 3) -> str:
    return f"{np.mean(values):.{digits}f} +- {np.std(values):.{digits}f}"


def against(args) -> None:
    print(f"zcgp vs {args.against}: population {args.population}, {args.generations} generations after the "
          f"initial one, seeds 0-{args.seeds - 1}; seconds of the evolution alone (wall, and CPU of this "
          f"process), mean +- std over seeds; fitness = mean within-task Kendall on the train splits")
    rows = []
    for selection in args.against_tasks or [args.tasks]:
        tasks = load_tasks(selection, data_dir=args.data_dir)
        runs = [compare(tasks, args.against, population=args.population, generations=args.generations,
                        seed=seed, train_fraction=args.train_fraction) for seed in range(args.seeds)]
        ours, theirs = ([r[i] for r in runs] for i in (0, 1))
        for side in (ours, theirs):
            rows.append([f"{selection} ({len(tasks)} tasks)", side[0]["engine"], _pm([r["wall_s"] for r in side], 1),
                         _pm([r["cpu_s"] for r in side], 1), _pm([r["train"] for r in side]),
                         _pm([r["test"] for r in side]), ""])
        wall = np.mean([t["wall_s"] / o["wall_s"] for o, t in zip(ours, theirs)])
        cpu = np.mean([t["cpu_s"] / o["cpu_s"] for o, t in zip(ours, theirs)])
        rows[-2][-1] = f"{wall:.1f}x wall, {cpu:.1f}x CPU"
    print(format_table(["tasks", "engine", "wall s", "CPU s", "train fitness", "test Kendall",
                        "zcgp speed-up"], rows))


def run(args: argparse.Namespace) -> int:
    if args.against:
        against(args)
        return 0
    tasks = load_tasks(args.tasks, data_dir=args.data_dir)
    random.seed(args.seed)
    print("evaluation speed (train splits, same population)")
    print(format_table(["population", "engine s", "naive s", "engine evals/s", "naive evals/s", "speed-up",
                        "max |diff|", "distinct"], speed(tasks, candidates=args.candidates, seed=args.seed,
                                                                  train_fraction=args.train_fraction)))
    print()
    print("wall time of a full run")
    print(format_table(["run", "n_jobs", "wall s", "distinct formulas", "evals/s", "best fitness", "best"],
                       wall(tasks, population=args.population, generations=args.generations,
                            n_jobs=args.n_jobs, seed=args.seed, train_fraction=args.train_fraction)))
    if args.quality:
        print()
        settings = quality_settings(population=args.q_population, generations=args.q_generations,
                                    task_population=args.q_task_population,
                                    task_generations=args.q_task_generations, selects=args.select)
        n = len(settings)
        print(f"quality: mean test Kendall over {len(tasks)} tasks (train fraction {args.train_fraction}), "
              f"seeds 0-{args.seeds - 1}; 'beats best' = tasks where the evolved formula beats the best "
              f"hand-crafted proxy (picked on train); an undefined task counts 0")
        rows, per_task = quality(tasks, settings, seeds=args.seeds, train_fraction=args.train_fraction)
        print(format_table(["seed", "setting", "evolved", "beats best", "defined", "best proxy", "linear", "s",
                            "formula"], rows[:-n], rows[-n:]))
        if args.per_task_table:
            print()
            print(format_table(["seed", "setting", "task", "evolved", "best proxy", "linear"], per_task))
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "gp"))
