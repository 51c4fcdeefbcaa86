"""Benchmark transfer: does one evolved formula hold on spaces or tasks it never saw?

Leave-one-out over --unit (space or task): for each held-out unit and seed, the formula is
evolved (with the `zcgp evolve` settings and levers given here) on the train splits of the
other units, and every baseline is fitted there too; all are then scored on ALL
architectures of the held-out unit. Columns: evolved (mean +/- std over seeds), with
--combine the evolved formula combined on every label of the training units as the shipped
suite-combined proxies are (combined), the best single proxy chosen on the training units,
ridge over per-task proxy ranks, LightGBM (when installed: pip install zcgp[boost]) and the
per-task best proxy, which uses the held-out labels (a reference, not a method). A second
table evolves one formula on all tasks and compares it on each task's test split with that
task's best proxy picked on its train split, counting wins (skip it with --no-all-tasks).

Writes to --out DIR: transfer.csv, transfer.json (every metric, every seed), transfer.png.

examples:
  zcgp bench transfer --unit space --seeds 0 1 2 3 4
  zcgp bench transfer --combine combine-weighted --no-all-tasks --out runs/loso-combined
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

from zcgp.adapting import COMBINE_LOSSES
from zcgp.bench.transfer import (
    METHOD_LABELS,
    REPORT_METRICS,
    UNITS,
    all_tasks_table,
    leave_one_out,
    summarize,
    transfer_plot,
    wins,
)
from zcgp.errors import ZcgpError
from zcgp.fitness.baselines import boost_available
from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.sources import load_tasks
from zcgp.gp.dataset import TERMINAL_SETS
from zcgp.scripts.common import add_overwrite_arg
from zcgp.scripts.evolve import RUN, add_generalization_args, settings_from_args
from zcgp.util import atomic_write_json, atomic_write_text, claim_dir, format_table

FILES = ("transfer.json", "transfer.csv", "transfer.png")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tasks", default="all", metavar="SEL", help="tasks taking part (default: all)")
    parser.add_argument("--data-dir", metavar="DIR", help="directory with the NAS-Bench-Suite-Zero JSON files")
    parser.add_argument("--unit", choices=UNITS, default="space", help="what is held out (default: space)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="seeds (default: 0-4)")
    parser.add_argument("--metrics", default="kendall", metavar="LIST",
                        help=f"comma list of metrics printed, from {', '.join(REPORT_METRICS)} "
                             "(default: kendall; the JSON holds all)")
    parser.add_argument("--terminals", dest="terminal_set", choices=TERMINAL_SETS,
                        help=f"proxies the methods may use (default: {RUN.terminal_set}): all (one the held-out "
                             "unit lacks is the neutral 0.5 there) or heldout (only those every held-out task has: "
                             "known on a new space before any label)")
    parser.add_argument("--no-boost", action="store_true", help="skip the LightGBM baseline")
    parser.add_argument("--combine", choices=COMBINE_LOSSES, metavar="METHOD",
                        help=f"also each fold's formula combined by this zcgp adapt method "
                             f"({', '.join(COMBINE_LOSSES)}) with the cheap proxies on every labeled "
                             "architecture of the training units, as the shipped suite-combined proxies are built "
                             "(column: combined)")
    parser.add_argument("--n-jobs", type=int, default=-1,
                        help="processes running the folds (default: every core; the result is the same)")
    parser.add_argument("--no-all-tasks", action="store_true",
                        help="skip the second table (one formula evolved on all tasks)")
    parser.add_argument("--no-loo", action="store_true",
                        help="skip the leave-one-out table (print only the all-tasks table)")
    parser.add_argument("--from", dest="sources", nargs="+", metavar="JSON",
                        help="evolve nothing: print the leave-one-out tables of saved transfer.json files "
                             "together (e.g. one per seed, run in parallel)")
    parser.add_argument("--out", metavar="DIR", default="runs/bench_transfer",
                        help="output directory; transfer.json is written after every fold (\"complete\": false "
                             "until the last), so an interrupted run keeps its finished folds")
    add_overwrite_arg(parser)
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    add_generalization_args(parser, with_budget=True)


SEEDED = ("evolved", "combined")                 # methods printed with their spread over seeds


def _pm(mean_std) -> str:
    mean, std = mean_std
    return f"{mean:.3f} +/- {std:.3f}"


def _methods(table: dict) -> list[str]:
    present = {m for row in table.values() for m in row}
    return [m for m in METHOD_LABELS if m in present]


def loo_table(table: dict, unit: str) -> str:
    methods = _methods(table)
    header = [f"held-out {unit}"] + [METHOD_LABELS[m] for m in methods]
    rows = [[u] + [_pm(row[m]) if m in SEEDED else f"{row[m][0]:.3f}" for m in methods]
            for u, row in table.items() if u != "mean"]
    footer = [["mean"] + [_pm(table["mean"][m]) if m in SEEDED else f"{table['mean'][m][0]:.3f}"
                          for m in methods]]
    return format_table(header, rows, footer)


def _csv(result: dict, metrics) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["unit", "seed", "method", "task", "metric", "value"])
    for run in result["runs"]:
        for method, tasks in run["scores"].items():
            for task, values in tasks.items():
                for m in metrics:
                    writer.writerow([run["unit"], run["seed"], method, task, m, f"{values[m]:.6f}"])
    return buffer.getvalue()


def read_json(source) -> object:
    try:
        return json.loads(Path(source).read_text())
    except (OSError, ValueError) as exc:
        raise ZcgpError(f"cannot read {source}: {exc}") from None


def _print_saved(sources, metrics) -> int:
    runs, units = [], set()
    for source in sources:
        saved = read_json(source)
        if not isinstance(saved, dict) or not isinstance(saved.get("runs"), list):
            raise ZcgpError(f"{source} is not a transfer.json of zcgp bench transfer")
        runs += saved["runs"]
        units.add(saved.get("unit"))
        if saved.get("complete") is False:
            print(f"{source}: incomplete, {len(saved['runs'])} finished fold(s) (the run was interrupted)")
    if len(units) != 1:
        raise ZcgpError("the files mix --unit space and --unit task")
    unit = units.pop()
    seeds = sorted({r["seed"] for r in runs})
    print(f"{len(sources)} file(s), seeds {','.join(map(str, seeds))}")
    for m in metrics:
        print(f"\nleave-one-{unit}-out: mean {m} over all architectures of the held-out {unit}'s tasks "
              f"(evolved, combined: mean +/- std over seeds)")
        print(loo_table(summarize({"runs": runs}, m), unit))
    return 0


def run(args: argparse.Namespace) -> int:
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    bad = [m for m in metrics if m not in FITNESS_METRICS]
    if bad or not metrics:
        raise ZcgpError(f"unknown metric '{bad[0] if bad else ''}'; choose from {', '.join(FITNESS_METRICS)}")
    if args.sources:
        return _print_saved(args.sources, metrics)
    if args.no_loo and args.no_all_tasks:
        raise ZcgpError("--no-loo and --no-all-tasks leave nothing to run")
    with claim_dir(args.out, FILES, args.overwrite):
        return _run(args, metrics)


def _run(args: argparse.Namespace, metrics: list[str]) -> int:
    settings = settings_from_args(args)
    tasks = load_tasks(args.tasks, data_dir=args.data_dir)
    out = Path(args.out)
    all_metrics = list(dict.fromkeys(REPORT_METRICS + tuple(metrics)))
    start = time.perf_counter()
    recorded = {**settings.to_dict(), "combine": args.combine}
    finished: list[dict] = []

    def progress(run):
        finished.append(run)
        atomic_write_json(out / "transfer.json", {"unit": args.unit, "runs": finished, "complete": False,
                                                  "settings": recorded})
        if not args.quiet:
            ev = sum(v["kendall"] for v in run["scores"]["evolved"].values()) / len(run["scores"]["evolved"])
            print(f"  {run['unit']} seed {run['seed']}: evolved kendall {ev:.3f} ({time.perf_counter() - start:.0f} s) "
                  f"{run['formula']}", file=sys.stderr, flush=True)

    c = settings.gp
    print(f"seeds {','.join(map(str, args.seeds))}, {c.population}x{c.generations}, fitness {settings.metric} "
          f"({settings.aggregation}), parents {c.parents}"
          f"{f' ({settings.case_splits} subsamples per task)' if settings.case_splits else ''}, "
          f"select {settings.select}, terminals {settings.terminal_set}, depth {c.max_depth}, parsimony {c.parsimony}")
    result = {"runs": [], "summary": {}} if args.no_loo else \
        leave_one_out(tasks, args.unit, args.seeds, settings, all_metrics, boost=not args.no_boost, progress=progress,
                      n_jobs=args.n_jobs, combine=args.combine)
    result["settings"] = recorded
    if not args.no_loo:
        result["summary"] = {m: summarize(result, m) for m in all_metrics}
        if not args.no_boost and not boost_available():
            print("note: lightgbm is not installed (pip install zcgp[boost]); its column is left out")
        for m in metrics:
            print(f"\nleave-one-{args.unit}-out: mean {m} over all architectures of the held-out {args.unit}'s "
                  f"tasks (evolved, combined: mean +/- std over seeds)")
            print(loo_table(result["summary"][m], args.unit))
    if not args.no_all_tasks:
        table = all_tasks_table(tasks, args.seeds, settings, all_metrics,
                                progress=None if args.quiet else
                                lambda s: print(f"  all tasks, seed {s} done", file=sys.stderr, flush=True))
        result["all_tasks"] = {**table, "wins": {m: wins(table, m) for m in all_metrics}}
        for m in metrics:
            w = result["all_tasks"]["wins"][m]
            rows = [[t, _pm(v["evolved"]), _pm(v["best_proxy"]), "yes" if v["win"] else "no",
                     f"{v['seed_wins']}/{len(args.seeds)}"] for t, v in w.items()]
            ev = sum(v["evolved"][0] for v in w.values()) / len(w)
            bp = sum(v["best_proxy"][0] for v in w.values()) / len(w)
            n_wins = sum(v["win"] for v in w.values())
            print(f"\none formula evolved on all {len(w)} tasks vs each task's best proxy (picked on its "
                  f"train split), test {m}")
            print(format_table(["task", "evolved", "best proxy", "win", "seeds won"], rows,
                               [["mean", f"{ev:.3f}", f"{bp:.3f}", f"{n_wins}/{len(w)}", ""]]))
    result["seconds"] = time.perf_counter() - start
    result["complete"] = True
    atomic_write_json(out / "transfer.json", result)
    atomic_write_text(out / "transfer.csv", _csv(result, all_metrics))
    written = ["transfer.json", "transfer.csv"]
    if not args.no_plots and not args.no_loo and transfer_plot(result["summary"][metrics[0]], out / "transfer.png",
                                           metrics[0], args.unit, METHOD_LABELS):
        written.append("transfer.png")
    print(f"\n{result['seconds']:.0f} s; wrote {out}/ ({', '.join(written)})")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "transfer"))
