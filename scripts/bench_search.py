"""Benchmark: proxy-driven search with the evolved proxy, random search and each hand-crafted
proxy as objective, at equal budgets (distinct networks scored), over seeds 0-9.

Every objective runs the same aging evolution as `zcgp search`. With --lookup (the default
on spaces other than nb201) the searches run over the space's NAS-Bench-Suite-Zero table:
proxies are read from the table and the found architecture's true accuracy (the table's
val_accuracy) and its percentile among the table's rows are reported. Without --lookup the
proxies are computed by the batched torch module on fresh networks and the found network
is looked up in the benchmark (nb201: the NAS-Bench-201 test-accuracy table). Prints mean
+/- std of the found accuracy and percentile, and networks/minute of a torch search with
each objective (CPU time per fresh network, measured on --timing-networks samples).

example: zcgp bench search --space nb301 --lookup --proxy runs/nb301 --evaluations 100
"""

from __future__ import annotations

import argparse

import numpy as np

from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.io import atomic_write_json
from zcgp.fitness.report import format_table

HAND_CRAFTED = ("synflow", "snip", "grad_norm", "jacov", "nwot", "fisher", "grasp", "plain", "l2_norm",
                "epe_nas", "params", "flops")


def configure(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--proxy", metavar="PATH", help="evolved formula: run directory or proxy.py/.json")
    what.add_argument("--formula", metavar="F", help="evolved formula as text")
    parser.add_argument("--space", default="nb201", help="search space (default: nb201)")
    parser.add_argument("--dataset", default=None, help="task of the space (default: its first)")
    parser.add_argument("--objectives", default=None,
                        help="comma list: evolved, random and proxy names (default: evolved, random and every "
                             "hand-crafted proxy of the table)")
    parser.add_argument("--seeds", default="0,1,2,3,4,5,6,7,8,9", help="comma list of seeds (default: 0..9)")
    parser.add_argument("--evaluations", type=int, default=100, help="budget per search (default: 100)")
    parser.add_argument("--population", type=int, default=20, help="population size (default: 20)")
    parser.add_argument("--sample-size", type=int, default=5, help="tournament size (default: 5)")
    parser.add_argument("--reference", type=int, default=64, help="reference networks of the formula (default: 64)")
    parser.add_argument("--lookup", action="store_true", help="search the table's architectures, table proxies")
    parser.add_argument("--data", default="synthetic", help="synthetic (default) or cifar10:/path")
    parser.add_argument("--batch-size", type=int, default=32, help="minibatch size (default: 32)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    parser.add_argument("--timing-networks", type=int, default=4,
                        help="fresh networks timed per objective for networks/minute (default: 4; 0 = skip)")
    parser.add_argument("--data-dir", metavar="DIR", help="NAS-Bench-Suite-Zero files (default: shipped copy)")
    parser.add_argument("--out", metavar="FILE", help="also write all runs as JSON")


def _objectives(args, space, task) -> list[str]:
    if args.objectives:
        return [o.strip() for o in args.objectives.split(",") if o.strip()]
    from zcgp.objectives import load_table_task

    present = load_table_task(space, task, args.data_dir).proxies
    return ["evolved", "random", *(p for p in HAND_CRAFTED if p in present)]


def _cell(values) -> str:
    values = [v for v in values if v is not None]
    return f"{np.mean(values):.2f} +/- {np.std(values):.2f}" if values else "not in the table"


def run(args: argparse.Namespace) -> int:
    from zcgp._search import compare_objectives, seconds_per_network
    from zcgp.objectives import load_formula
    from zcgp.spaces import get_space

    space = get_space(args.space)
    task = args.dataset or next(iter(space.tasks))
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    objectives = _objectives(args, space, task)
    if not objectives or not seeds:
        raise ZcgpError("need at least one objective and one seed")
    formula = load_formula(args.proxy or args.formula)

    def progress(r):
        shown = "not in the table" if r["accuracy"] is None else f"{r['accuracy']:.2f}"
        print(f"  {r['objective']:<9} seed {r['seed']}: {shown}  ({r['networks_computed']} networks computed)",
              flush=True)

    runs = compare_objectives(space, formula, objectives, seeds, evaluations=args.evaluations, task=task,
                              lookup=args.lookup, population=args.population, sample_size=args.sample_size,
                              reference=args.reference, data=args.data, batch_size=args.batch_size,
                              device=args.device, threads=args.threads, data_dir=args.data_dir, progress=progress)
    rows = []
    for objective in objectives:
        mine = [r for r in runs if r["objective"] == objective]
        names = formula.TERMINALS if objective == "evolved" else () if objective == "random" else (objective,)
        per_net = (seconds_per_network(space, names, task, networks=args.timing_networks, data=args.data,
                                       batch_size=args.batch_size, device=args.device, threads=args.threads)
                   if args.timing_networks else float("nan"))
        rows.append([objective, _cell(r["accuracy"] for r in mine), _cell(r["percentile"] for r in mine),
                     "inf" if per_net == 0 else f"{60 / per_net:.1f}"])
    mode = "lookup (table proxies, table architectures)" if args.lookup else "torch proxies on fresh networks"
    print(f"\n{space.name}/{task}: {args.evaluations} evaluations per search, seeds {args.seeds}, {mode}; "
          f"formula: {formula.formula}")
    metric = "val acc %" if args.lookup or space.name != "nb201" else "test acc %"
    print(format_table(["objective", f"found {metric}", "percentile", "networks/min (torch, CPU)"], rows))
    if args.out:
        atomic_write_json(args.out, {"config": vars(args), "runs": runs})
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "search"))
