"""Benchmark: evolution on 19 synthetic tasks of 10^3, 10^4 and 10^5 architectures each.

Per size: wall and CPU seconds per generation (engine-internal), CPU milliseconds per
scored formula, the process's peak memory, and the growth of the per-formula cost against
n log n from the previous size (<= 1: no worse than n log n). Every formula is scored on
all 19 * n architectures (nothing held out). The default run is short (population 20, 2
generations); wall times on a shared machine are contended, CPU times less so.

example: zcgp bench scale --sizes 1000,10000,100000 --population 20 --generations 2
"""

from __future__ import annotations

import argparse

from zcgp.bench.scale import TASKS, growth_vs_nlogn, measure_scale
from zcgp.errors import ZcgpError
from zcgp.util import format_table

MEMORY_LIMIT_MB = 4096


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="architectures per task, increasing (default: 1000,10000,100000)")
    parser.add_argument("--tasks", type=int, default=TASKS, help=f"synthetic tasks (default: {TASKS})")
    parser.add_argument("--population", type=int, default=20, help="GP population (default: 20)")
    parser.add_argument("--generations", type=int, default=2, help="generations after the first (default: 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")


def run(args: argparse.Namespace) -> int:
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        raise ZcgpError(f"--sizes must be a comma list of integers, got '{args.sizes}'") from None
    if not sizes or sizes != sorted(sizes) or len(set(sizes)) != len(sizes):
        raise ZcgpError(f"--sizes must be distinct and increasing (peak memory only grows), got '{args.sizes}'")
    if args.tasks < 1:
        raise ZcgpError(f"--tasks must be >= 1, got {args.tasks}")
    rows, previous = [], None
    for n in sizes:
        m = measure_scale(n, args.population, args.generations, args.seed, args.tasks)
        growth = "-" if previous is None else f"{growth_vs_nlogn(previous, m):.2f}"
        rows.append([f"{n:,}", f"{m['rows']:,}", f"{m['build_cpu_s']:.2f}", f"{m['gen_wall_s']:.2f}",
                     f"{m['gen_cpu_s']:.2f}", m["evaluations"], f"{m['cpu_ms_per_formula']:.1f}", growth,
                     f"{m['peak_rss_mb']:.0f}", "yes" if m["peak_rss_mb"] <= MEMORY_LIMIT_MB else "NO"])
        previous = m
        print(f"  n={n:,}: {m['gen_cpu_s']:.2f} CPU s per generation, peak {m['peak_rss_mb']:.0f} MiB", flush=True)
    print(f"\n{args.tasks} synthetic tasks, population {args.population}, {args.generations} generations "
          f"after the first, seed {args.seed}; per generation = Engine.step (mean over generations)")
    print(format_table(["archs/task", "rows scored", "build CPU s", "gen wall s", "gen CPU s", "formulas",
                        "CPU ms/formula", "vs n log n", "peak MiB", "< 4 GiB"], rows))
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "scale"))
