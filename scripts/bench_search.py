"""Benchmark: searches on any space as a user runs them, per objective and seed (0-9).

Each search is one `zcgp.search` call with the same budget (wall time, setup included, or
--evaluations): evolved formulas (`--proxy LABEL=RUN`, picked with `--pick auto`;
LABEL:best uses the run's own choice; RUN may also be a formula text), random search and
hand-crafted proxies as the objective. Proxies are computed on freshly built, untrained
networks, or with --lookup read from the space's NAS-Bench-Suite-Zero table, searching its
architectures only. Prints, per objective, mean +/- std over seeds of the found network's
true accuracy and percentile (nb201 without --lookup: test accuracy on CIFAR-10, CIFAR-100
and ImageNet16-120 from the NAS-Bench-201 table; otherwise the task table's validation
accuracy), networks scored and networks per minute. `--quick`: 1-minute searches on seeds 0,1,2.

example: zcgp bench search --proxy default=runs/nb201 --proxy pipeline=runs/main/evolve --minutes 3
         zcgp bench search --space nb301 --lookup --proxy ev=runs/nb301 --evaluations 100
"""

from __future__ import annotations

import argparse

import numpy as np
from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.io import atomic_write_json
from zcgp.fitness.report import format_table
from zcgp.spaces import get_space

from zcgp._search import Benchmark, search

HAND_CRAFTED = "nwot,synflow,jacov,snip,zen,meco"
# hand-crafted proxies of the NAS-Bench-Suite-Zero tables (--lookup compares every one present)
TABLE_PROXIES = ("synflow", "snip", "grad_norm", "jacov", "nwot", "fisher", "grasp", "plain", "l2_norm",
                 "epe_nas", "params", "flops")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--proxy", action="append", default=[], metavar="LABEL=RUN",
                        help="an evolved run to search with, under a label (repeatable); objective LABEL "
                             "picks with --pick auto, LABEL:best uses the run's chosen formula")
    parser.add_argument("--objectives", help="comma list of labels, LABEL:best, random and proxy names "
                        f"(default: every --proxy label, random, {HAND_CRAFTED})")
    parser.add_argument("--space", default="nb201",
                        help="nb101, nb201 (default), nb301, tnb101_micro, tnb101_macro or package.module:Class")
    parser.add_argument("--seeds", default="0,1,2,3,4,5,6,7,8,9", help="comma list of seeds (default: 0..9)")
    parser.add_argument("--minutes", type=float, default=3.0, help="wall-time budget per search (default: 3)")
    parser.add_argument("--evaluations", type=int, help="instead of --minutes: networks per search")
    parser.add_argument("--quick", action="store_true", help="1-minute searches on seeds 0,1,2")
    parser.add_argument("--dataset", default=None, help="task searched on (default: the space's first)")
    parser.add_argument("--lookup", action="store_true",
                        help="search the table's architectures, proxies read from the table (no torch)")
    parser.add_argument("--workers", type=int, default=-1, help="scoring processes (default: -1, every core)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", metavar="FILE", help="also write every search as JSON")


def _runs(args) -> dict[str, str]:
    runs = {}
    for item in args.proxy:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise ZcgpError(f"--proxy needs LABEL=RUN, got '{item}'")
        runs[label] = path
    return runs


def _cell(values, digits: int = 2) -> str:
    return f"{np.mean(values):.{digits}f} +/- {np.std(values):.{digits}f}" if values else "not in the table"


def run(args: argparse.Namespace) -> int:
    runs = _runs(args)
    if args.quick:
        args.minutes, args.seeds = 1.0, "0,1,2"
    space = get_space(args.space)
    dataset = args.dataset or next(iter(space.tasks))
    if args.lookup and not args.objectives:
        from zcgp.objectives import load_table_task

        present = load_table_task(space, dataset).proxies
        hand = ",".join(p for p in TABLE_PROXIES if p in present)
    else:
        hand = HAND_CRAFTED
    objectives = [o.strip() for o in (args.objectives or ",".join([*runs, "random", hand])).split(",")
                  if o.strip()]
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if not objectives or not seeds:
        raise ZcgpError("need at least one objective and one seed")
    budget = {"evaluations": args.evaluations} if args.evaluations else {"minutes": args.minutes}
    bench = Benchmark(space, dataset)
    tasks = list(bench.nb201.accuracy) if bench.nb201 is not None else [dataset]
    records, rows = [], []
    for objective in objectives:
        label, _, mode = objective.partition(":")
        proxy = runs.get(label, objective)
        pick = mode or "auto"
        found = []
        for seed in seeds:
            result = search(space, proxy, seed=seed, dataset=dataset, proxy_source="table" if args.lookup else "torch",
                            workers=args.workers, device=args.device, pick=pick, **budget)
            entry = bench.lookup(result.best_arch) or {}
            seconds = result.info["seconds"]["total"]
            record = {"objective": objective, "seed": seed, "best_arch": space.to_string(result.best_arch),
                      "evaluations": result.evaluations, "seconds": seconds, "info": result.info,
                      **{t: entry.get(t) for t in tasks}}
            records.append(record)
            found.append(record)
            shown = "not in the table" if record[dataset] is None else f"{record[dataset][bench.metric]:.2f}"
            print(f"  {objective:<16} seed {seed}: {dataset} {shown}  {result.evaluations} networks in {seconds:.0f} s"
                  + (f"  [{result.info['pick']['chosen']}]" if "pick" in result.info else ""), flush=True)
        cells = []
        for t in tasks:
            hits = [f[t] for f in found if f[t] is not None]
            cells += [_cell([h[bench.metric] for h in hits]), _cell([h["percentile"] for h in hits], 1)]
        nets = [f["evaluations"] for f in found]
        per_minute = 60.0 * np.sum(nets) / max(np.sum([f["seconds"] for f in found]), 1e-9)
        accs = [f[dataset][bench.metric] for f in found if f[dataset] is not None]
        rows.append([objective, *cells, f"{np.mean(nets):.0f} ({min(nets)}-{max(nets)})", f"{per_minute:.1f}",
                     f"{min(accs):.2f}" if accs else "-"])
    what = f"{args.evaluations} networks" if args.evaluations else f"{args.minutes:g} min wall (setup included)"
    mode = "lookup: table proxies over the table's architectures" if args.lookup else "torch proxies"
    print(f"\n{space.name}: {what} per search on {dataset}, seeds {','.join(map(str, seeds))}, {mode}, "
          f"{args.workers} worker(s); accuracy: {bench.source}")
    header = ["objective"]
    for t in tasks:
        header += [f"{t} {bench.metric.replace('_accuracy', '')} %", "pctl"]
    print(format_table([*header, "networks", "networks/min", f"worst {dataset}"], rows))
    if args.out:
        atomic_write_json(args.out, {"config": vars(args), "searches": records})
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "search"))
