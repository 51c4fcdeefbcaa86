"""Benchmark: proxy-driven search on NAS-Bench-201 with the evolved proxy, single hand-crafted
proxies and random search, at equal budgets (distinct networks scored), over several seeds.

Every objective runs the same aging evolution from `zcgp search`. Proxies are computed by
the batched torch module (or read from the data table with --proxy-source table); a shared
cache computes each network's proxies once for all objectives and seeds, so the comparison
costs one pass per distinct network. Wall time per evaluation is measured separately, per
objective, on fresh networks (only that objective's proxies), and turned into the CPU time
one search of the given budget takes. Prints mean +/- std of the found network's true test
accuracy (NAS-Bench-201 table) on CIFAR-10, CIFAR-100 and ImageNet16-120.

example: python scripts/bench_search.py --proxy runs/nb201 --evaluations 100 --seeds 0,1,2,3,4
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.io import atomic_write_json
from zcgp.fitness.outdir import claim_file
from zcgp.fitness.report import format_table
from zcgp.scripts.search_objectives import (
    SharedMeasure,
    load_formula,
    make_measure,
    make_objective,
)
from zcgp.spaces.nb201 import SPACE, TASKS, load_table, to_string
from zcgp.spaces.search import aging_evolution


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--proxy", required=True, metavar="PATH", help="evolved formula: run directory or proxy.py")
    parser.add_argument("--objectives", default="evolved,nwot,synflow,jacov,random",
                        help="comma list: evolved, random and proxy names (default: evolved,nwot,synflow,jacov,random)")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma list of seeds (default: 0,1,2,3,4)")
    parser.add_argument("--evaluations", type=int, default=100, help="budget per search (default: 100)")
    parser.add_argument("--population", type=int, default=20, help="population size (default: 20)")
    parser.add_argument("--sample-size", type=int, default=5, help="tournament size (default: 5)")
    parser.add_argument("--reference", type=int, default=64, help="reference networks of the formula (default: 64)")
    parser.add_argument("--dataset", default="cifar10", choices=list(TASKS))
    parser.add_argument("--proxy-source", choices=["torch", "table"], default="torch")
    parser.add_argument("--data", default="synthetic", help="synthetic (default) or cifar10:/path")
    parser.add_argument("--batch-size", type=int, default=32,
                        help="minibatch size (default: 32, the batch the NAS-Bench-Suite-Zero values used)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1; 0 = torch's default)")
    parser.add_argument("--timing-networks", type=int, default=8,
                        help="fresh networks timed per objective for seconds/evaluation (default: 8)")
    parser.add_argument("--out", metavar="FILE", help="also write all runs as JSON")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")


def _names(objective: str, formula) -> tuple[str, ...]:
    if objective == "evolved":
        return tuple(formula.TERMINALS)
    return () if objective == "random" else (objective,)


def _time_per_eval(names, args) -> float:
    if not names or args.proxy_source == "table":
        return 0.0
    measure, _ = make_measure("torch", SPACE, names, args.dataset, data=args.data, batch_size=args.batch_size,
                              device=args.device, threads=args.threads)
    archs = SPACE.sample_distinct(args.timing_networks, np.random.default_rng(12345))
    start = time.perf_counter()
    measure(archs)
    return (time.perf_counter() - start) / len(archs)


def run(args: argparse.Namespace) -> int:
    with claim_file(args.out, args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    formula = load_formula(args.proxy)
    objectives = [o.strip() for o in args.objectives.split(",") if o.strip()]
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if not objectives or not seeds:
        raise ZcgpError("need at least one objective and one seed")
    table = load_table()
    union = tuple(dict.fromkeys(n for o in objectives for n in _names(o, formula)))
    base, space = make_measure(args.proxy_source, SPACE, union, args.dataset, data=args.data,
                               batch_size=args.batch_size, device=args.device, threads=args.threads)
    shared = SharedMeasure(base, SPACE)
    runs, rows = [], []
    for objective in objectives:
        per_eval = _time_per_eval(_names(objective, formula), args)
        found = []
        for seed in seeds:
            kind = "formula" if objective == "evolved" else objective
            fn = make_objective(kind, shared.view(_names(objective, formula)), space, seed, formula, args.reference)
            result = aging_evolution(space, fn, population=args.population, sample_size=args.sample_size,
                                     max_evaluations=args.evaluations, seed=seed)
            accuracy = {t: table.lookup(result.best_arch, t) for t in TASKS}
            found.append(accuracy)
            runs.append({"objective": objective, "seed": seed, "best_arch": to_string(result.best_arch),
                         "evaluations": result.evaluations, "test_accuracy": accuracy})
            print(f"  {objective:<8} seed {seed}: {to_string(result.best_arch)}  "
                  f"C10 {accuracy['cifar10']:.2f}  ({len(shared.cache)} networks computed so far)", flush=True)
        cells = [f"{np.mean([f[t] for f in found]):.2f} +/- {np.std([f[t] for f in found]):.2f}" for t in TASKS]
        extra = args.reference if objective == "evolved" else 0
        rows.append([objective, *cells, f"{per_eval:.3f}", f"{(args.evaluations + extra) * per_eval / 60:.1f}"])
    print(f"\n{args.evaluations} evaluations per search, seeds {args.seeds}, {args.proxy_source} proxies, "
          f"{len(shared.cache)} distinct networks computed; formula: {formula.FORMULA}")
    print(format_table(["objective", *(f"{t} test %" for t in TASKS), "s/eval (CPU)", "CPU min/search"], rows))
    if args.out:
        atomic_write_json(args.out, {"config": vars(args), "runs": runs})
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "search"))
