"""Benchmark: vectorized rank correlation vs a per-candidate scipy.stats loop.

Scores the same random candidates (default 1,000) against every selected task's target
with fitness.rank (all candidates at once) and with scipy.stats.kendalltau / spearmanr
called per candidate, checks both agree to 1e-9, and prints the times and speed-ups.

example: python scripts/bench_rank.py --candidates 1000 --tasks all
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from zcgp.fitness.rank import RankTarget
from zcgp.fitness.sources import load_tasks
from zcgp.scripts.common import add_data_args
from zcgp.util import format_table


def configure(parser: argparse.ArgumentParser) -> None:
    add_data_args(parser)
    parser.add_argument("--candidates", type=int, default=1000, help="random candidates per task (default: 1000)")
    parser.add_argument("--ties", action="store_true", help="round candidate scores to 1 decimal (many ties)")


def _time(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(args: argparse.Namespace) -> int:
    tasks = load_tasks(args.tasks, data_dir=args.data_dir)
    rng = np.random.default_rng(args.seed)
    pools = [rng.normal(size=(args.candidates, t.n)) for t in tasks]
    if args.ties:
        pools = [np.round(p, 1) for p in pools]
    rows = []
    for metric, scipy_fn in (("spearman", stats.spearmanr), ("kendall", stats.kendalltau)):
        fast_s = slow_s = worst_diff = 0.0
        for task, pool in zip(tasks, pools):
            seconds, fast = _time(lambda t=task, p=pool, m=metric: RankTarget(t.target).score(p, m))
            fast_s += seconds
            seconds, slow = _time(lambda t=task, p=pool, f=scipy_fn: np.array([f(c, t.target).statistic for c in p]))
            slow_s += seconds
            worst_diff = max(worst_diff, float(np.abs(fast - slow).max()))
        rows.append([metric, f"{fast_s:.2f}", f"{slow_s:.2f}", f"{slow_s / fast_s:.1f}x", f"{worst_diff:.1e}"])
    print(f"{args.candidates} candidates x {len(tasks)} tasks ({sum(t.n for t in tasks)} architectures)")
    print(format_table(["metric", "vectorized s", "scipy loop s", "speed-up", "max |diff|"], rows))
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "rank"))
