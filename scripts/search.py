"""Search NAS-Bench-201 for a strong network with a zero-cost objective (no training).

Regularized (aging) evolution: tournament parents, one-edge mutations, the oldest member
dies; isomorphic cells are scored once. The objective is one of
  --proxy DIR|proxy.json a formula of a `zcgp evolve` run (read as data; with a run
                         directory, --pick chooses from its cost Pareto front) applied to
                         proxies of each network; with its transform (e.g. rank), every
                         network is compared with the search's initial population of
                         random networks (scored once, cached on disk for the next search),
  --formula TEXT         a formula typed in,
  --objective NAME       one hand-crafted proxy as it is (e.g. nwot, synflow, jacov),
  --objective random     random search.
Proxies come from the batched torch module on one minibatch (--proxy-source torch, with
--data synthetic or cifar10:/path/to/cifar-10-batches-py), or, to study search dynamics
without torch cost, from the NAS-Bench-Suite-Zero table (--proxy-source table: only its
725 architectures per dataset are reachable).
Budget: --minutes (wall time, setup included) and/or --evaluations (distinct networks
scored). Scoring runs in --workers processes (all cores by default). Ctrl-C stops cleanly
and still writes the results. The found network's true test accuracy and percentile come
from the NAS-Bench-201 table (shipped; --benchmark or $ZCGP_NB201_TABLE for another copy).

example: zcgp search --proxy runs/all --dataset cifar10 --minutes 15 --seed 0 --out runs/search
"""

from __future__ import annotations

import argparse
import csv
import io
import time
from pathlib import Path

from tqdm import tqdm
from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.io import atomic_write_json, atomic_write_text
from zcgp.fitness.outdir import claim_dir
from zcgp.gp.plots import pyplot, save_figure
from zcgp.proxies.registry import resolve_names
from zcgp.scripts.cli import STARTED
from zcgp.spaces.nb201 import TASKS, load_table, to_string

from zcgp._pick import PICKS
from zcgp._search import benchmark_accuracy, search


def configure(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--proxy", metavar="PATH", help="evolved formula: a run directory, or proxy.json / "
                      "proxy.py (read as data, never imported)")
    what.add_argument("--formula", metavar="TEXT", help="a formula over proxy names, e.g. 'nwot*log(synflow)'")
    what.add_argument("--objective", metavar="NAME", help="a hand-crafted proxy name, or 'random'")
    parser.add_argument("--pick", default="auto",
                        help="with --proxy RUN: which formula of the run: auto (default: the one expected to "
                             "find the best network in --minutes, from its cost per network measured here and "
                             "its precision at the top of the table), best (the run's choice), cheapest, or an "
                             "index into [best, cost front...]")
    parser.add_argument("--space", default="nb201", help="search space (default: nb201)")
    parser.add_argument("--dataset", default="cifar10", choices=list(TASKS), help="default: cifar10")
    parser.add_argument("--minutes", type=float, help="wall-time budget in minutes, setup included")
    parser.add_argument("--evaluations", type=int, help="budget in distinct networks scored")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--population", type=int, default=50,
                        help="population size; a formula's reference sample is the initial population (default: 50)")
    parser.add_argument("--sample-size", type=int, default=10, help="tournament size (default: 10)")
    parser.add_argument("--batch", type=int, default=8, help="networks scored per proxy call (default: 8)")
    parser.add_argument("--proxy-source", choices=["torch", "table"], default="torch",
                        help="compute proxies with torch (default) or read them from the data table")
    parser.add_argument("--data", default="synthetic", help="synthetic (default) or cifar10:/path")
    parser.add_argument("--batch-size", type=int, default=32,
                        help="minibatch size (default: 32, the batch the NAS-Bench-Suite-Zero values used)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("--workers", type=int, default=-1,
                        help="worker processes scoring networks, one torch thread each; -1 = every core "
                             "(default); values are identical for any number")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker (default: 1)")
    parser.add_argument("--data-dir", metavar="DIR", help="NAS-Bench-Suite-Zero files (tables, --pick auto)")
    parser.add_argument("--benchmark", metavar="CSV", help="NAS-Bench-201 accuracy table (default: shipped copy)")
    parser.add_argument("--out", metavar="DIR", help="write result.json, trajectory.csv and search.png")
    parser.add_argument("--overwrite", action="store_true", help="replace the results already in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _trajectory_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["seconds", "evaluations", "best_score", "best_arch", "best_test_accuracy"])
    for r in rows:
        writer.writerow([f"{r['seconds']:.3f}", r["evaluations"], f"{r['best_score']:.6g}",
                         r["best_arch"], "" if r["accuracy"] is None else f"{r['accuracy']:.2f}"])
    return buffer.getvalue()


def _plot(rows: list[dict], dataset: str, path: str) -> bool:
    plt = pyplot()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.step([r["seconds"] for r in rows], [r["accuracy"] for r in rows], where="post")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel(f"{dataset} test accuracy of best-so-far (%)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, Path(path))
    plt.close(fig)
    return True


def run(args: argparse.Namespace) -> int:
    with claim_dir(args.out, ("result.json", "trajectory.csv", "search.png"), args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    if args.pick not in PICKS and not args.pick.lstrip("-").isdigit():
        raise ZcgpError(f"--pick must be one of {', '.join(PICKS)} or an index, got '{args.pick}'")
    table = load_table(args.benchmark)
    if args.out:
        pyplot()                                         # import matplotlib now, inside the budget
    bar = tqdm(total=args.evaluations, disable=args.quiet, unit="net", desc="search")
    rows: list[dict] = []
    start = time.perf_counter()

    def on_batch(row: dict) -> None:
        acc = table.lookup(row["best_arch"], args.dataset)
        rows.append({**row, "seconds": time.perf_counter() - start, "best_arch": to_string(row["best_arch"]),
                     "accuracy": acc})
        bar.update(row["evaluations"] - bar.n)
        bar.set_postfix(best=f"{row['best_score']:.4g}", acc=f"{acc:.2f}", refresh=False)

    if args.objective and args.objective != "random":
        resolve_names([args.objective])                  # an unknown proxy name is refused here
    proxy = args.proxy or args.formula or args.objective
    minutes = args.minutes
    if minutes is not None and minutes > 0:          # the budget counts from the command's start
        minutes = max(minutes - (time.monotonic() - STARTED[0]) / 60, 1e-4)
    result = search(args.space, proxy, minutes=minutes, evaluations=args.evaluations, seed=args.seed,
                    dataset=args.dataset, population=args.population, sample_size=args.sample_size,
                    batch=args.batch, proxy_source=args.proxy_source, data=args.data, batch_size=args.batch_size,
                    device=args.device, threads=args.threads, workers=args.workers, pick=args.pick,
                    data_dir=args.data_dir, on_batch=on_batch)
    bar.close()
    if result.best_arch is None:
        raise ZcgpError("the search stopped before scoring any network")
    info, found = result.info, benchmark_accuracy(result.best_arch, table)
    summary = {**info, "data": args.data, "best_arch": to_string(result.best_arch), "best_index": found["index"],
               "best_score": result.best_score, "evaluations": result.evaluations, "proposals": result.proposals,
               "interrupted": result.interrupted, "stop_reason": result.stop_reason,
               "benchmark": {k: v for k, v in found.items() if k != "index"}, "benchmark_table": table.path}
    if "pick" in info:
        print(f"picked {info['pick']['chosen']}: {info['pick']['reason']}")
    print(f"{info['objective']}\n  best: {summary['best_arch']} (index {found['index']}), score {result.best_score:.4g}")
    reasons = {"evaluations": "evaluation budget reached", "time": "time budget reached",
               "interrupted": "interrupted", "exhausted": "no new network in the last 200 batches"}
    sec = info["seconds"]
    print(f"  {result.evaluations} networks in {sec['total']:.1f} s ({reasons[result.stop_reason]}): setup "
          f"{sec['setup']:.1f} s, scoring {sec['scoring']:.1f} s (building {sec['building_cpu']:.1f} + proxies "
          f"{sec['proxies_cpu']:.1f} CPU s over {info['workers']} worker(s)), selection {sec['selection']:.1f} s" + (" (reference from cache)" if info.get("reference", {}).get(
              "from_cache") else ""))
    for task in TASKS:
        print(f"  {task:<15} test accuracy {found[task]['test_accuracy']:6.2f}%  "
              f"(percentile {found[task]['percentile']:5.1f})")
    if args.out:
        atomic_write_json(f"{args.out}/result.json", summary)
        atomic_write_text(f"{args.out}/trajectory.csv", _trajectory_csv(rows))
        plotted = _plot(rows, args.dataset, f"{args.out}/search.png")
        print(f"wrote {args.out}/result.json, trajectory.csv" + (", search.png" if plotted else ""))
    return 130 if result.interrupted else 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("search"))
