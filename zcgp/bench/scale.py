"""How evolution scales with the number of architectures: synthetic tasks, timed and measured.

`synthetic_tasks(n)` makes 19 tasks of `n` architectures each: a latent quality per
architecture, a target accuracy that is that quality plus noise, and seven proxies that are
monotone transforms of it with task-specific noise (so formulas have something to find).
`measure_scale(n, ...)` builds the dataset over every architecture of those tasks (part
"all": nothing held out, so each formula is scored on 19 * n architectures), runs the
engine and returns per-generation wall and CPU seconds (engine-internal, `Engine.step`),
CPU milliseconds per scored formula and the process's peak resident memory (ru_maxrss:
measure sizes in increasing order, the peak of a process never goes down).
"""

from __future__ import annotations

import math
import resource
import sys
import time

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.tasks import Task
from zcgp.gp.dataset import Dataset
from zcgp.gp.evolution import Engine
from zcgp.gp.parallel import Evaluator
from zcgp.gp.settings import GPConfig

PROXIES = ("flops", "params", "synflow", "snip", "grad_norm", "jacov", "nwot")
TASKS = 19


def synthetic_tasks(n: int, count: int = TASKS, seed: int = 0) -> list[Task]:
    """`count` tasks of `n` architectures with seven noisy monotone proxies of a latent quality.

    Parameters
    ----------
    n : int
        Architectures per task (at least 10).
    count : int
        Number of tasks.
    seed : int
        Seed of the values (each task draws from (seed, task index)).

    Returns
    -------
    list of Task
        Tasks "synthetic/00", ... with the proxies `PROXIES`.

    Raises
    ------
    ZcgpError
        When `n` is below 10.
    """
    if n < 10:
        raise ZcgpError(f"a synthetic task needs at least 10 architectures, got {n}")
    tasks = []
    for t in range(count):
        rng = np.random.default_rng([seed, t])
        quality = rng.standard_normal(n)
        target = 70 + 5 * quality + rng.standard_normal(n)
        noise = rng.uniform(0.3, 2.0, len(PROXIES))
        values = np.column_stack([
            np.exp(quality + s * rng.standard_normal(n)) if k % 2 else quality + s * rng.standard_normal(n)
            for k, s in enumerate(noise)])
        tasks.append(Task(id=f"synthetic/{t:02d}", archs=tuple(range(n)), proxies=PROXIES, values=values,
                          target=target, cost={p: 0.01 for p in PROXIES}))
    return tasks


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MiB).

    Returns
    -------
    float
        The process's ru_maxrss in MiB.
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def measure_scale(n: int, population: int = 20, generations: int = 2, seed: int = 0,
                  count: int = TASKS, n_jobs: int = 1) -> dict:
    """Time and memory of `generations` generations on `count` synthetic tasks of `n` architectures.

    Parameters
    ----------
    n : int
        Architectures per task.
    population : int
        Population size.
    generations : int
        Number of generations.
    seed : int
        Seed of the tasks and of the engine.
    count : int
        Number of synthetic tasks.
    n_jobs : int
        Workers of the formula evaluation.

    Returns
    -------
    dict
        n, tasks, rows, population, generations, build_wall_s, build_cpu_s, gen_wall_s and
        gen_cpu_s (means per generation), evaluations, cpu_ms_per_formula, peak_rss_mb and
        best_fitness.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    tasks = synthetic_tasks(n, count, seed)
    dataset = Dataset.build(tasks, PROXIES, "all", seed=seed, transform="rank")
    build = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
    engine = Engine(dataset, GPConfig(population=population, generations=generations, seed=seed),
                    Evaluator(dataset, n_jobs=n_jobs))
    cpu_marks = [time.process_time()]
    engine.run(on_generation=lambda _: cpu_marks.append(time.process_time()))
    cpu_per_gen = np.diff(cpu_marks)
    evals = np.array([row["evals"] for row in engine.logbook])
    return {
        "n": n, "tasks": count, "rows": dataset.n, "population": population, "generations": generations,
        "build_wall_s": build["wall"], "build_cpu_s": build["cpu"],
        "gen_wall_s": float(np.mean([row["seconds"] for row in engine.logbook])),
        "gen_cpu_s": float(cpu_per_gen.mean()),
        "evaluations": int(evals.sum()),
        "cpu_ms_per_formula": 1000 * float(cpu_per_gen.sum()) / max(int(evals.sum()), 1),
        "peak_rss_mb": peak_rss_mb(), "best_fitness": engine.best.fitness,
    }


def growth_vs_nlogn(small: dict, large: dict) -> float:
    """(cost ratio) / (n log n ratio) between two sizes: <= 1 grows no worse than n log n.

    Parameters
    ----------
    small : dict
        `measure_scale`'s record of the smaller size.
    large : dict
        `measure_scale`'s record of the larger size.

    Returns
    -------
    float
        The ratio of CPU milliseconds per formula over the ratio of rows * log(rows).
    """
    ratio = large["cpu_ms_per_formula"] / max(small["cpu_ms_per_formula"], 1e-12)
    return ratio / ((large["rows"] * math.log(large["rows"])) / (small["rows"] * math.log(small["rows"])))
