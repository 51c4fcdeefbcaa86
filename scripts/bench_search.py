"""Benchmark: proxy-driven search with evolved formulas, random search and hand-crafted proxies.

Two budgets:
  * time (`--minutes M`, or `--quick`: 1 minute on seeds 0,1,2): each search is one
    `zcgp.search` call as a user runs it (fresh networks, setup included, `--workers`
    processes); evolved runs are picked with --pick auto (LABEL:best uses the run's own
    choice). Prints mean +/- std over seeds of the found network's accuracy and percentile,
    the worst seed, networks scored and wall seconds per network.
  * evaluations (the default, `--evaluations N`): every objective runs the same aging
    evolution for N distinct networks; a shared cache computes each network's proxies once.
    With --lookup the searches run over the space's NAS-Bench-Suite-Zero table (table proxies,
    val_accuracy); without, on fresh torch networks (nb201: the NAS-Bench-201 test table).
    Also prints networks/minute of a torch search per objective (CPU time per fresh network).

examples:
  zcgp bench search --proxy default=runs/nb201 --proxy pipeline=runs/main/evolve --minutes 3
  zcgp bench search --space nb301 --lookup --proxy runs/nb301 --evaluations 100
"""

from __future__ import annotations

import argparse

import numpy as np

from zcgp.bench.search import compare_objectives, seconds_per_network, timed_searches
from zcgp.errors import ZcgpError
from zcgp.nas.benchmark import Benchmark
from zcgp.nas.objectives import table_task
from zcgp.scripts.common import add_measure_args, measure_settings
from zcgp.searching import load_formula
from zcgp.spaces import get_space
from zcgp.spaces.search import POPULATION, SAMPLE_SIZE
from zcgp.util import atomic_write_json, claim_file, format_table

HAND_CRAFTED = ("synflow", "snip", "grad_norm", "jacov", "nwot", "fisher", "grasp", "plain", "l2_norm",
                "epe_nas", "params", "flops")
TIMED_HAND_CRAFTED = ("nwot", "synflow", "jacov", "snip", "zen", "meco")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--proxy", action="append", default=[], metavar="[LABEL=]RUN",
                        help="an evolved run (directory or proxy.json) under a label (default label: evolved); "
                             "repeatable in the time mode")
    parser.add_argument("--formula", metavar="F", help="an evolved formula as text (label: evolved)")
    parser.add_argument("--space", default="nb201", help="search space (default: nb201)")
    parser.add_argument("--dataset", default=None, help="task of the space (default: its first)")
    parser.add_argument("--objectives", default=None,
                        help="comma list: labels (LABEL:best in the time mode), random and proxy names (default: "
                             "every label, random and the hand-crafted proxies)")
    parser.add_argument("--seeds", default=None, help="comma list of seeds (default: 0..9; time mode 0..4)")
    parser.add_argument("--minutes", type=float, help="time mode: wall-time budget per search")
    parser.add_argument("--quick", action="store_true", help="time mode, 1-minute searches on seeds 0,1,2")
    parser.add_argument("--evaluations", type=int, default=100, help="evaluations mode: budget (default: 100)")
    parser.add_argument("--population", type=int, help="population size (default: 50 time mode, 20 else)")
    parser.add_argument("--sample-size", type=int, help="tournament size (default: 10 time mode, 5 else)")
    parser.add_argument("--reference", type=int, default=64,
                        help="evaluations mode: reference networks of the formula (default: 64)")
    parser.add_argument("--lookup", action="store_true", help="search the table's architectures, table proxies")
    add_measure_args(parser)
    parser.add_argument("--workers", type=int, default=-1, help="time mode: scoring processes (default: every core)")
    parser.add_argument("--timing-networks", type=int, default=4,
                        help="evaluations mode: fresh networks timed per objective (default: 4; 0 = skip)")
    parser.add_argument("--data-dir", metavar="DIR", help="NAS-Bench-Suite-Zero files (default: shipped copy)")
    parser.add_argument("--out", metavar="FILE", help="also write all runs as JSON")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")


def _labels(args) -> dict[str, str]:
    runs = {}
    for item in args.proxy:
        label, sep, path = item.partition("=")
        if not sep:
            label, path = "evolved", item
        if not label or not path:
            raise ZcgpError(f"--proxy needs [LABEL=]RUN, got '{item}'")
        runs[label] = path
    if args.formula:
        runs["evolved"] = args.formula
    return runs


def _cell(values) -> str:
    values = [v for v in values if v is not None]
    return f"{np.mean(values):.2f} +/- {np.std(values):.2f}" if values else "not in the table"


def run(args: argparse.Namespace) -> int:
    with claim_file(args.out, args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    space = get_space(args.space)
    task = args.dataset or next(iter(space.tasks))
    labels = _labels(args)
    timed = args.minutes is not None or args.quick
    if args.quick:
        args.minutes, args.seeds = 1.0, args.seeds or "0,1,2"
    seeds = [int(s) for s in (args.seeds or ("0,1,2,3,4" if timed else "0,1,2,3,4,5,6,7,8,9")).split(",")
             if s.strip()]
    if args.objectives:
        objectives = [o.strip() for o in args.objectives.split(",") if o.strip()]
    elif timed:
        objectives = [*labels, "random", *TIMED_HAND_CRAFTED]
    else:
        present = table_task(space, task, args.data_dir).proxies
        objectives = [*labels, "random", *(p for p in HAND_CRAFTED if p in present)]
    if not objectives or not seeds:
        raise ZcgpError("need at least one objective and one seed")
    return (_timed if timed else _equal_evaluations)(args, space, task, labels, objectives, seeds)


def _timed(args, space, task, labels, objectives, seeds) -> int:
    bench = Benchmark(space, task, table_only=args.lookup, data_dir=args.data_dir)

    def progress(record):
        entry = record["benchmark"]
        shown = "not in the table" if entry is None else f"{entry[task][bench.metric]:.2f}"
        print(f"  {record['objective']:<16} seed {record['seed']}: {shown}  {record['evaluations']} networks in "
              f"{record['seconds']:.0f} s" + (f"  [{record['info']['pick']['chosen']}]"
                                              if "pick" in record["info"] else ""), flush=True)

    sources = {o: labels.get(o.partition(":")[0], o) for o in objectives}
    records = timed_searches(space, sources, seeds, minutes=args.minutes, task=task, lookup=args.lookup,
                             population=args.population or POPULATION, sample_size=args.sample_size or SAMPLE_SIZE,
                             settings=measure_settings(args, seed=0), workers=args.workers, data_dir=args.data_dir,
                             progress=progress)
    rows = []
    for objective in objectives:
        found = [r for r in records if r["objective"] == objective]
        tasks = list((found[0]["benchmark"] or {task: None}).keys())
        cells = []
        for t in tasks:
            cells += [_cell(f["benchmark"][t][bench.metric] if f["benchmark"] else None for f in found),
                      _cell(f["benchmark"][t]["percentile"] if f["benchmark"] else None for f in found)]
        nets = [f["evaluations"] for f in found]
        worst = [f["benchmark"][task][bench.metric] for f in found if f["benchmark"]]
        rows.append([objective, *cells, f"{np.mean(nets):.0f} ({min(nets)}-{max(nets)})",
                     f"{np.mean([f['seconds'] / max(f['evaluations'], 1) for f in found]):.3f}",
                     f"{min(worst):.2f}" if worst else "-"])
    print(f"\n{space.name}/{task}: {args.minutes:g} min wall per search (setup included), seeds "
          f"{','.join(map(str, seeds))}, {args.workers} worker(s)")
    header = ["objective"]
    for t in (records[0]["benchmark"] or {task: None}):
        header += [f"{t} {bench.metric.replace('_accuracy', '')} %", "pctl"]
    print(format_table([*header, "networks", "s/network", f"worst {task}"], rows))
    if args.out:
        atomic_write_json(args.out, {"config": vars(args), "runs": records})
    return 0


def _equal_evaluations(args, space, task, labels, objectives, seeds) -> int:
    evolved = [o for o in objectives if o in labels]
    if len(evolved) > 1:
        raise ZcgpError("the evaluations mode compares one evolved formula; give one --proxy (or use --minutes)")
    formula = load_formula(labels[evolved[0]]) if evolved else None
    names_ = [("evolved" if o in labels else o) for o in objectives]

    def progress(r):
        shown = "not in the table" if r["accuracy"] is None else f"{r['accuracy']:.2f}"
        print(f"  {r['objective']:<9} seed {r['seed']}: {shown}  ({r['networks_computed']} networks computed)",
              flush=True)

    runs = compare_objectives(space, formula, names_, seeds, evaluations=args.evaluations, task=task,
                              lookup=args.lookup, population=args.population or 20,
                              sample_size=args.sample_size or 5, reference=args.reference,
                              settings=measure_settings(args, seed=0), data_dir=args.data_dir, progress=progress)
    rows = []
    for objective in names_:
        mine = [r for r in runs if r["objective"] == objective]
        names = formula.terminals if objective == "evolved" else () if objective == "random" else (objective,)
        per_net = (seconds_per_network(space, names, task, networks=args.timing_networks,
                                       settings=measure_settings(args, seed=0))
                   if args.timing_networks else float("nan"))
        rows.append([objective, _cell(r["accuracy"] for r in mine), _cell(r["percentile"] for r in mine),
                     "inf" if per_net == 0 else f"{60 / per_net:.1f}"])
    mode = "lookup (table proxies, table architectures)" if args.lookup else "torch proxies on fresh networks"
    print(f"\n{space.name}/{task}: {args.evaluations} evaluations per search, seeds "
          f"{','.join(map(str, seeds))}, {mode}" + (f"; formula: {formula.formula}" if formula else ""))
    metric = "val acc %" if args.lookup or space.name != "nb201" else "test acc %"
    print(format_table(["objective", f"found {metric}", "percentile", "networks/min (torch, CPU)"], rows))
    if args.out:
        atomic_write_json(args.out, {"config": vars(args), "runs": runs})
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "search"))
