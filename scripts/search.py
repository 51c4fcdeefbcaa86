"""Search a space for a strong network with a zero-cost objective (no training).

Regularized (aging) evolution: tournament parents, one mutation, the oldest member dies;
equivalent architectures (same canonical key) are scored once. The objective is one of
  --proxy DIR|FILE       an evolved formula: a run directory or its exported proxy.py/.json
                         (read as data), applied to each network's proxies; with its
                         transform (e.g. rank), every network is compared with a fixed
                         reference sample of random networks scored at the start (--reference),
  --formula F            a formula over proxy names, e.g. "nwot + log(synflow)",
  --objective NAME       one hand-crafted proxy as it is (e.g. nwot, synflow, jacov),
  --objective random     random search.
Spaces: nb101, nb201, nb301, tnb101_micro, tnb101_macro, or your own class given as
package.module:Class (see the README). Proxies come from the batched torch module on one
minibatch of the task's input shape (--data synthetic, or cifar10:/path for 32x32 tasks);
with --lookup they are read from the space's NAS-Bench-Suite-Zero table and only its
architectures are searched (no torch). Budget: --minutes and/or --evaluations. Ctrl-C stops
cleanly and still writes the results. The found network is looked up in the benchmark
(nb201: the NAS-Bench-201 test-accuracy table, --benchmark CSV for another copy; other
spaces: the task's table rows, validation accuracy) or reported as not in the table.

example: zcgp search --space nb301 --formula "nwot + synflow" --minutes 3 --out runs/nb301
"""

from __future__ import annotations

import argparse
import csv
import io
import time

from tqdm import tqdm
from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.io import atomic_write_json, atomic_write_text
from zcgp.fitness.outdir import claim_dir
from zcgp.gp.plots import finish, pyplot
from zcgp.scripts.cli import STARTED

from zcgp._pick import PICKS
from zcgp.objectives import SEARCH_BATCH_SIZE, SEARCH_INITS


def configure(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--proxy", metavar="PATH", help="evolved formula: a run directory (see --pick) or its "
                      "proxy.json / proxy.py (read as data, never imported)")
    what.add_argument("--formula", metavar="F", help='a formula over proxy names, e.g. "nwot + synflow"')
    what.add_argument("--objective", metavar="NAME", help="a hand-crafted proxy name, or 'random'")
    parser.add_argument("--space", default="nb201",
                        help="nb101, nb201 (default), nb301, tnb101_micro, tnb101_macro or package.module:Class")
    parser.add_argument("--dataset", default=None, help="task of the space (default: its first, e.g. cifar10)")
    parser.add_argument("--pick", default="auto",
                        help="with --proxy RUN: which formula of the run: auto (default: the one expected to "
                             "find the best network in --minutes, from its cost per network measured here and "
                             "its precision at the top of the table), best (the run's choice), cheapest, or an "
                             "index into [best, cost front...]")
    parser.add_argument("--minutes", type=float, help="wall-time budget in minutes, setup included")
    parser.add_argument("--evaluations", type=int, help="budget in distinct networks scored")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--population", type=int, default=50,
                        help="population size; a formula's reference sample is the initial population (default: 50)")
    parser.add_argument("--sample-size", type=int, default=10, help="tournament size (default: 10)")
    parser.add_argument("--batch", type=int, default=8, help="networks scored per proxy call (default: 8)")
    parser.add_argument("--lookup", action="store_true",
                        help="search the table's architectures only, proxies read from the table (no torch)")
    parser.add_argument("--data", default="synthetic", help="synthetic (default) or cifar10:/path")
    parser.add_argument("--batch-size", type=int, default=SEARCH_BATCH_SIZE,
                        help=f"input minibatch of the proxies (default: {SEARCH_BATCH_SIZE}; the "
                             "NAS-Bench-Suite-Zero values used 32, which ranks NB201 alike at 1.7x the cost)")
    parser.add_argument("--inits", type=int, default=SEARCH_INITS, metavar="R",
                        help=f"average each proxy over R weight initialisations of a network (default: "
                             f"{SEARCH_INITS}; R times the cost per network, less noise from the initial weights)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("--workers", type=int, default=-1,
                        help="worker processes scoring networks, one torch thread each; -1 = every core "
                             "(default); values are identical for any number")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads per worker (default: 1; more threads slow down badly when "
                             "other processes share the cores; 0 = torch's default)")
    parser.add_argument("--data-dir", metavar="DIR", help="NAS-Bench-Suite-Zero files (default: shipped copy)")
    parser.add_argument("--benchmark", metavar="CSV", help="NAS-Bench-201 accuracy table (default: shipped copy)")
    parser.add_argument("--out", metavar="DIR", help="write result.json, trajectory.csv and search.png")
    parser.add_argument("--overwrite", action="store_true", help="replace the results already in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _trajectory_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["seconds", "evaluations", "best_score", "best_arch", "best_accuracy"])
    for r in rows:
        writer.writerow([f"{r['seconds']:.3f}", r["evaluations"], f"{r['best_score']:.6g}",
                         r["best_arch"], "" if r["accuracy"] is None else f"{r['accuracy']:.2f}"])
    return buffer.getvalue()


def _plot(rows: list[dict], label: str, path: str) -> bool:
    plt = pyplot()
    points = [(r["seconds"], r["accuracy"]) for r in rows if r["accuracy"] is not None]
    if plt is None or not points:
        return False
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.step(*zip(*points), where="post")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)
    finish(fig, path)
    return True


def run(args: argparse.Namespace) -> int:
    with claim_dir(args.out, ("result.json", "trajectory.csv", "search.png"), args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from zcgp.spaces import get_space

    from zcgp._search import Benchmark, search

    if args.minutes is None and args.evaluations is None:
        raise ZcgpError("give a budget: --minutes and/or --evaluations")
    if args.pick not in PICKS and not args.pick.lstrip("-").isdigit():
        raise ZcgpError(f"--pick must be one of {', '.join(PICKS)} or an index, got '{args.pick}'")
    space = get_space(args.space)
    task = args.dataset or next(iter(space.tasks))
    has_table = space.name == "nb201" or args.lookup or _has_table(space, task, args.data_dir)
    bench = Benchmark(space, task, nb201_table=args.benchmark, data_dir=args.data_dir) if has_table else None
    if args.out:
        pyplot()                                         # import matplotlib now, inside the budget
    bar = tqdm(total=args.evaluations, disable=args.quiet, unit="net", desc="search")
    rows: list[dict] = []

    def on_batch(row: dict) -> None:
        acc = bench.accuracy(row["best_arch"]) if bench else None
        rows.append({**row, "best_arch": space.to_string(row["best_arch"]), "accuracy": acc})
        bar.update(row["evaluations"] - bar.n)
        bar.set_postfix(best=f"{row['best_score']:.4g}", **({"acc": f"{acc:.2f}"} if acc is not None else {}),
                        refresh=False)

    if args.objective and args.objective != "random":
        from zcgp.proxies.registry import resolve_names

        resolve_names([args.objective])                 # one-line error for an unknown name
    proxy = args.proxy or args.formula or args.objective
    minutes = args.minutes
    if minutes is not None and minutes > 0:          # the budget counts from the command's start
        minutes = max(minutes - (time.monotonic() - STARTED[0]) / 60, 1e-4)
    result = search(space, proxy, minutes=minutes, evaluations=args.evaluations, seed=args.seed, task=task,
                    lookup=args.lookup, population=args.population, sample_size=args.sample_size,
                    batch=args.batch, data=args.data, batch_size=args.batch_size, device=args.device,
                    threads=args.threads, workers=args.workers, pick=args.pick, data_dir=args.data_dir,
                    inits=args.inits, on_batch=on_batch)
    bar.close()
    found = bench.lookup(result.best_arch) if bench else None
    summary = {
        **result.info, "objective": result.objective, "space": space.name, "dataset": task, "seed": args.seed,
        "lookup": args.lookup, "data": args.data, "best_arch": result.best_string,
        "best_table_arch": space.table_string(result.best_arch), "best_key": space.key(result.best_arch),
        "best_score": result.best_score, "evaluations": result.evaluations, "proposals": result.proposals,
        "setup_seconds": result.setup_seconds, "seconds": result.seconds, "time": result.info["seconds"],
        "networks_per_minute": 60.0 * result.evaluations / max(result.seconds, 1e-9),
        "interrupted": result.interrupted, "stop_reason": result.stop_reason,
        "benchmark": found if found is not None else "not in the table",
        "benchmark_table": bench.source if bench else None,
    }
    if space.name == "nb201":
        from zcgp.spaces.nb201 import to_index

        summary["best_index"] = to_index(result.best_arch, bench.nb201)
    if "pick" in result.info:
        print(f"picked {result.info['pick']['chosen']}: {result.info['pick']['reason']}")
    print(f"{result.objective}\n  best: {result.best_string}, score {result.best_score:.4g}")
    reasons = {"evaluations": "evaluation budget reached", "time": "time budget reached",
               "interrupted": "interrupted", "exhausted": "no new network in the last 200 batches"}
    sec = result.info["seconds"]
    print(f"  {result.evaluations} networks in {result.seconds:.1f} s, {summary['networks_per_minute']:.1f} "
          f"networks/minute ({reasons[result.stop_reason]})")
    print(f"  time: setup {sec['setup']:.1f} s, scoring {sec['scoring']:.1f} s (building {sec['building_cpu']:.1f} "
          f"+ proxies {sec['proxies_cpu']:.1f} CPU s over {result.info['workers']} worker(s)), selection "
          f"{sec['selection']:.1f} s" + (", reference from cache" if result.info.get("reference", {}).get(
              "from_cache") else ""))
    if found is None:
        print(f"  benchmark: not in the table ({bench.source if bench else 'no table for this space'})")
    for name, entry in (found or {}).items():
        metric = bench.metric.replace("_", " ")
        print(f"  {name:<15} {metric} {entry[bench.metric]:6.2f}  (percentile {entry['percentile']:5.1f})")
    if args.out:
        atomic_write_json(f"{args.out}/result.json", summary)
        atomic_write_text(f"{args.out}/trajectory.csv", _trajectory_csv(rows))
        label = f"{task} {bench.metric.replace('_', ' ')} of best-so-far" if bench else "best-so-far"
        plotted = _plot(rows, label, f"{args.out}/search.png")
        print(f"wrote {args.out}/result.json, trajectory.csv" + (", search.png" if plotted else ""))
    return 130 if result.interrupted else 0


def _has_table(space, task: str, data_dir) -> bool:
    from zcgp.fitness.data import SPACE_FILES
    from zcgp.fitness.tasks import task_ids

    return space.name in SPACE_FILES and f"{space.name}/{task}" in task_ids(data_dir, [space.name])


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("search"))
