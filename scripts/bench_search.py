"""Benchmark: time-budgeted searches on NAS-Bench-201 as a user runs them, per objective and seed.

Each search is one `zcgp.search` call with the same wall-time budget (setup included), on
freshly built, untrained networks: evolved formulas (`--proxy LABEL=RUN`, picked with
`--pick auto`; LABEL:best uses the run's own choice), random search and hand-crafted proxies
as the objective. Prints, per objective, mean +/- std over seeds of the found network's true
test accuracy and percentile on CIFAR-10, CIFAR-100 and ImageNet16-120, networks scored and
wall seconds per network. `--quick`: 1-minute searches on seeds 0,1,2.

example: zcgp bench search --proxy default=runs/nb201 --proxy pipeline=runs/main/evolve --minutes 3
"""

from __future__ import annotations

import argparse

import numpy as np
from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.io import atomic_write_json
from zcgp.fitness.outdir import claim_file
from zcgp.fitness.report import format_table
from zcgp.spaces.nb201 import TASKS, load_table, to_string

from zcgp._search import benchmark_accuracy, search

HAND_CRAFTED = "nwot,synflow,jacov,snip,zen,meco"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--proxy", action="append", default=[], metavar="LABEL=RUN",
                        help="an evolved run to search with, under a label (repeatable); objective LABEL "
                             "picks with --pick auto, LABEL:best uses the run's chosen formula")
    parser.add_argument("--objectives", help="comma list of labels, LABEL:best, random and proxy names "
                        f"(default: every --proxy label, random, {HAND_CRAFTED})")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma list of seeds (default: 0,1,2,3,4)")
    parser.add_argument("--minutes", type=float, default=3.0, help="wall-time budget per search (default: 3)")
    parser.add_argument("--evaluations", type=int, help="instead of --minutes: networks per search")
    parser.add_argument("--quick", action="store_true", help="1-minute searches on seeds 0,1,2")
    parser.add_argument("--dataset", default="cifar10", choices=list(TASKS), help="searched on (default: cifar10)")
    parser.add_argument("--proxy-source", choices=["torch", "table"], default="torch")
    parser.add_argument("--workers", type=int, default=-1, help="scoring processes (default: -1, every core)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", metavar="FILE", help="also write every search as JSON")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")


def _runs(args) -> dict[str, str]:
    runs = {}
    for item in args.proxy:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise ZcgpError(f"--proxy needs LABEL=RUN, got '{item}'")
        runs[label] = path
    return runs


def run(args: argparse.Namespace) -> int:
    with claim_file(args.out, args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    runs = _runs(args)
    if args.quick:
        args.minutes, args.seeds = 1.0, "0,1,2"
    objectives = [o.strip() for o in (args.objectives or ",".join([*runs, "random", HAND_CRAFTED])).split(",")
                  if o.strip()]
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if not objectives or not seeds:
        raise ZcgpError("need at least one objective and one seed")
    budget = {"evaluations": args.evaluations} if args.evaluations else {"minutes": args.minutes}
    table = load_table()
    records, rows = [], []
    for objective in objectives:
        label, _, mode = objective.partition(":")
        proxy = runs.get(label, objective)
        pick = mode or "auto"
        found = []
        for seed in seeds:
            result = search("nb201", proxy, seed=seed, dataset=args.dataset, proxy_source=args.proxy_source,
                            workers=args.workers, device=args.device, pick=pick, **budget)
            bench = benchmark_accuracy(result.best_arch, table)
            seconds = result.info["seconds"]["total"]
            record = {"objective": objective, "seed": seed, "best_arch": to_string(result.best_arch),
                      "evaluations": result.evaluations, "seconds": seconds, "info": result.info,
                      **{t: bench[t] for t in TASKS}}
            records.append(record)
            found.append(record)
            print(f"  {objective:<16} seed {seed}: C10 {bench['cifar10']['test_accuracy']:.2f}  "
                  f"{result.evaluations} networks in {seconds:.0f} s"
                  + (f"  [{result.info['pick']['chosen']}]" if "pick" in result.info else ""), flush=True)
        cells = []
        for t in TASKS:
            acc = [f[t]["test_accuracy"] for f in found]
            pct = [f[t]["percentile"] for f in found]
            cells += [f"{np.mean(acc):.2f} +/- {np.std(acc):.2f}", f"{np.mean(pct):.1f}"]
        nets = [f["evaluations"] for f in found]
        per = np.mean([f["seconds"] / max(f["evaluations"], 1) for f in found])
        rows.append([objective, *cells, f"{np.mean(nets):.0f} ({min(nets)}-{max(nets)})", f"{per:.3f}",
                     f"{min(f[args.dataset]['test_accuracy'] for f in found):.2f}"])
    what = f"{args.evaluations} networks" if args.evaluations else f"{args.minutes:g} min wall (setup included)"
    print(f"\n{what} per search on {args.dataset}, seeds {','.join(map(str, seeds))}, {args.proxy_source} "
          f"proxies, {args.workers} worker(s)")
    header = ["objective"]
    for t in TASKS:
        header += [f"{t} test %", "pctl"]
    print(format_table([*header, "networks", "s/network", f"worst {args.dataset}"], rows))
    if args.out:
        atomic_write_json(args.out, {"config": vars(args), "searches": records})
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "search"))
