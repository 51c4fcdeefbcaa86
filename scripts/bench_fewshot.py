"""Benchmark few-shot adaptation: k labeled architectures of a space the proxy never saw.

Leave-one-space-out: for each held-out space, the shipped suite proxy that never saw it; for
each task of the space, k in --ks and --draws random draws of k labeled architectures; every
method is fitted on the k labels alone and scored on all the other architectures of the task:
the suite proxy as it is, the best hand-crafted proxy on the k labels, `zcgp.adapt` with each
method, and each predictor of `zcgp.predictors` (ridge, LightGBM, a torch MLP with the MSE,
pairwise, ListMLE and top-weighted losses) on the proxies' ranks, with (+formula) and without
the suite proxy as an input, and with an architecture encoding (+onehot, +gae: a graph
autoencoder learned without labels), or the one-hot encoding alone (:onehot, no proxy: what
zcgp search --predictor and --blend fit). --blends METHOD+PREDICTOR adds the adapted proxy and
a predictor of the run blended with equal weights, as zcgp search --blend scores a network;
METHOD+PREDICTOR@W gives the predictor the share W (a number in [0, 1]), @cv chooses it by
cross-validation on the k labels alone (both parts refitted on each fold's others), @spaces
by the other held-out spaces' Kendall at the same k (every space must be in the run).
--transfers adds zero-shot rows: the suite proxy adapted on every labeled architecture of the
other spaces, none of the held-out one (k unused).
k = all labels every architecture but a random 20 %.
Prints mean +/- std over draws of the mean over spaces per k, the per-space table at
--focus-k, and on NB201 the per-dataset Spearman at k = 100 beside the published XGBoost
figure (NAS-Bench-Suite-Zero: ZC proxies as features, 100 training architectures).
--search adds a search: NB201 with the suite proxy adapted on k = --search-k NB201 labels
(draw = seed), --minutes per search, beside "labels alone" (the best of those k);
--search-blend PREDICTOR blends its objective with PREDICTOR of the encoding fitted on the
same k labels (zcgp search --blend).
--base combined starts every row and the search from the combined suite proxy
(suite-combined-without-SPACE) instead of the evolved one.

Writes to --out DIR: fewshot.json (every record), fewshot.csv, fewshot.png (curves).

examples:
  zcgp bench fewshot --draws 5 --out runs/fewshot
  zcgp bench fewshot --spaces nb201 --ks 20,100 --search --minutes 3 --out runs/fewshot201
  zcgp bench fewshot --ks 20,50 --predictors mlp-pairwise --features :onehot --adapts combine \
      --blends combine+mlp-pairwise:onehot --out runs/fewshot-blend
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import numpy as np

from zcgp.adapting import ADAPT_METHODS, adapt
from zcgp.bench.fewshot import (
    ENCODING_ALONE,
    FEATURES,
    KS,
    SEARCHED,
    fewshot,
    method_names,
    parse_blend,
    summarize_fewshot,
)
from zcgp.bench.search import drawn_rows, timed_rows
from zcgp.errors import ZcgpError
from zcgp.fitness.sources import load_tasks
from zcgp.nas.shipped import SUITE_SPACES, default_for, evolved_for
from zcgp.predictors import PREDICTORS
from zcgp.scripts.common import add_measure_args, measure_settings
from zcgp.searching import search
from zcgp.util import atomic_write_json, atomic_write_text, claim_dir, finish, format_table, pyplot

# NAS-Bench-Suite-Zero (Krishnakumar et al., NeurIPS 2022): XGBoost over the zero-cost proxies
# alone, 100 training architectures, Spearman on the rest (their figure, not rerun here)
PUBLISHED_XGBOOST = {"nb201/cifar10": 0.905, "nb201/cifar100": 0.907, "nb201/ImageNet16-120": 0.879,
                     "nb101/cifar10": 0.708, "nb301/cifar10": 0.405}
FILES = ("fewshot.json", "fewshot.csv", "fewshot.png")
BASES = {"evolved": evolved_for, "combined": default_for}     # --base -> the shipped proxy of a space


def _list(text: str | None, allowed, what: str) -> list:
    if text is None:
        return list(allowed)
    items = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in items if x not in [str(a) for a in allowed] and x != ""]
    if bad:
        raise ZcgpError(f"unknown {what} '{bad[0]}'; choose from {', '.join(map(str, allowed))}")
    return [next(a for a in allowed if str(a) == x) for x in items]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spaces", help=f"held-out spaces, comma list (default: {','.join(SUITE_SPACES)})")
    parser.add_argument("--ks", help=f"labeled architectures per draw (default: {','.join(map(str, KS))})")
    parser.add_argument("--draws", type=int, default=5, help="random draws per k (default: 5)")
    parser.add_argument("--predictors", help=f"comma list of {', '.join(PREDICTORS)} (default: all)")
    parser.add_argument("--features", help="predictor inputs besides the proxies: comma list of "
                                           f"{', '.join(f or 'none' for f in FEATURES)} (default: all "
                                           f"of these), or {ENCODING_ALONE}: the one-hot encoding alone, no proxy")
    parser.add_argument("--adapts", help=f"zcgp.adapt methods, comma list of {', '.join(ADAPT_METHODS)} "
                                         "(default: all)")
    parser.add_argument("--base", choices=tuple(BASES), default="evolved",
                        help="the shipped proxy every row (and --search) starts from: the evolved suite proxy "
                             "that never saw the held-out space (default), or its combined form "
                             "(suite-combined-without-SPACE, the default objective of zcgp search)")
    parser.add_argument("--transfers", metavar="M,...",
                        help=f"zcgp.adapt methods ({', '.join(ADAPT_METHODS)}) fitted on every labeled architecture "
                             "of the other spaces, none of the held-out one: zero-shot rows (default: none)")
    parser.add_argument("--adapt-proxies", metavar="P,...",
                        help="the hand-crafted proxies an adaptation may add to the formula's own terminals "
                             "(default: every proxy of the task; a cheap set buys the search more networks)")
    parser.add_argument("--blends", metavar="METHOD+PREDICTOR,...",
                        help="an adaptation of --adapts and a predictor of the run (PREDICTOR with its features, "
                             "e.g. combine+mlp-pairwise:onehot) blended, each standardized on the architectures "
                             "scored; @W after it gives the predictor the share W (default 0.5, equal), @cv "
                             "chooses it on the k labels, @spaces on the other held-out spaces (default: none)")
    parser.add_argument("--predictor-proxies", metavar="P,...",
                        help="the proxies whose ranks the predictors read, or 'searched': those the adapted proxy's "
                             "search computes, --adapt-proxies and the formula's terminals (default: every proxy of "
                             "the task)")
    parser.add_argument("--focus-k", default="20", help="k of the per-space table (default: 20)")
    parser.add_argument("--search", action="store_true", help="also the NB201 search with an adapted proxy")
    parser.add_argument("--search-k", type=int, default=20, help="labels of the adapted proxy (default: 20)")
    parser.add_argument("--method", choices=ADAPT_METHODS, default="combine",
                        help="adaptation of the search (default: combine)")
    parser.add_argument("--search-blend", metavar="PREDICTOR", choices=tuple(PREDICTORS),
                        help="blend the search's objective with PREDICTOR of the one-hot encoding fitted on the "
                             "same k labels (zcgp search --blend; default: none)")
    parser.add_argument("--minutes", type=float, default=3.0, help="search wall time (default: 3)")
    parser.add_argument("--warm-start", type=int, default=None, metavar="N",
                        help="the search's warm start from the N best of the k labels (zcgp search --warm-start; "
                             "default: zcgp search's, 0 for an adapted proxy)")
    parser.add_argument("--screen", type=int, default=None, metavar="N",
                        help="the search's screen factor (zcgp search --screen; default: zcgp search's)")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="search seeds (default: 0-4)")
    parser.add_argument("--workers", type=int, default=-1, help="search processes (default: every core)")
    add_measure_args(parser)
    parser.add_argument("--from", dest="sources", nargs="+", metavar="JSON", help="print saved fewshot.json files")
    parser.add_argument("--out", default="runs/bench_fewshot", metavar="DIR", help="output directory")
    parser.add_argument("--overwrite", action="store_true", help="replace the files already in --out")
    parser.add_argument("--n-jobs", type=int, default=-1,
                        help="tasks scored at once, in worker processes (default: every core; the same records "
                             "for any value)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def _pm(cell) -> str:
    return "-" if cell is None else f"{cell[0]:.3f} +/- {cell[1]:.3f}"


def print_tables(records: list[dict], focus_k: str) -> None:
    methods = list(dict.fromkeys(r["method"] for r in records))
    ks = list(dict.fromkeys(str(r["k"]) for r in records))
    for metric in ("kendall", "top10"):
        table = summarize_fewshot(records, metric)
        rows = [[m, *(_pm(table["mean"].get(k, {}).get(m)) for k in ks)] for m in methods]
        print(f"\nmean {metric} over the held-out spaces (each: mean over its tasks), on the architectures not "
              f"labeled; +/- std over draws")
        print(format_table(["method", *(f"k = {k}" for k in ks)], rows))
    table = summarize_fewshot(records, "kendall")
    spaces = [s for s in table if s != "mean"]
    rows = [[m, *(_pm(table[s].get(focus_k, {}).get(m)) for s in spaces)] for m in methods]
    print(f"\nKendall at k = {focus_k} per held-out space")
    print(format_table(["method", *spaces], rows))
    chosen = list(dict.fromkeys(r["method"] for r in records if r["method"].endswith(("@cv", "@spaces"))))
    if chosen:
        rows = [[m, s, *(f"{np.mean(w):.2f}" if (w := [r["weight"] for r in records if r["method"] == m
                                                       and r["space"] == s and str(r["k"]) == k]) else "-"
                         for k in ks)] for m in chosen for s in spaces]
        print("\nthe predictor's share each chosen blend took (mean over tasks and draws)")
        print(format_table(["method", "held out", *(f"k = {k}" for k in ks)], rows))
    nb201 = [r for r in records if r["space"] == "nb201" and str(r["k"]) == "100"]
    if nb201:
        best = {}
        for m in methods:
            values = {t: np.mean([r["spearman"] for r in nb201 if r["task"] == t and r["method"] == m])
                      for t in PUBLISHED_XGBOOST if t.startswith("nb201")}
            best[m] = values
        rows = [[m, *(f"{v:.3f}" for v in best[m].values())] for m in methods if best[m]]
        rows.append(["published XGBoost (100 architectures)", *(f"{PUBLISHED_XGBOOST[t]:.3f}"
                                                                for t in best[methods[0]])])
        print("\nNB201, k = 100: Spearman per dataset on the other architectures (mean over draws)")
        print(format_table(["method", *best[methods[0]]], rows))


def _csv(records: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["space", "task", "k", "draw", "labeled", "method", "kendall", "spearman", "top10"])
    for r in records:
        writer.writerow([r["space"], r["task"], r["k"], r["draw"], r["labeled"], r["method"],
                         *(f"{r[m]:.6f}" for m in ("kendall", "spearman", "top10"))])
    return buffer.getvalue()


def _plot(records: list[dict], path: Path) -> bool:
    plt = pyplot()
    if plt is None:
        return False
    table = summarize_fewshot(records, "kendall")["mean"]
    ks = [k for k in table if k != "all"]
    methods = list(dict.fromkeys(r["method"] for r in records))
    best_predictor = max((m for m in methods if m.split("+")[0].split(":")[0] in PREDICTORS),
                         key=lambda m: np.nanmean([table[k].get(m, (np.nan,))[0] for k in ks]), default=None)
    shown = [m for m in methods if m in ("proxy", "best proxy (k)") or m.startswith(("adapt:", "transfer:"))] + \
        ([best_predictor] if best_predictor else [])
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for m in shown:
        xs = [int(k) for k in ks if m in table[k]]
        means = [table[str(k)][m][0] for k in xs]
        stds = [table[str(k)][m][1] for k in xs]
        ax.errorbar(xs, means, yerr=stds, marker="o", capsize=2, label=m)
    ax.set_xlabel("labeled architectures of the held-out space (k)")
    ax.set_ylabel("Kendall on the other architectures")
    ax.set_title("leave-one-space-out, mean over spaces; error bars: std over draws", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    finish(fig, path)
    return True


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [p.strip() for p in text.split(",") if p.strip()]


def _search(args, records_out: list) -> None:
    task = load_tasks("nb201/cifar10")[0]
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    rows = []
    for seed in seeds:
        labeled = drawn_rows(task, args.search_k, seed)
        adapted = adapt(BASES[args.base]("nb201"), [task.subset(labeled)], method=args.method, seed=seed,
                        proxies=_names(args.adapt_proxies))
        result = search("nb201", adapted.proxy, minutes=args.minutes, seed=seed, settings=measure_settings(args, seed),
                        workers=args.workers, pick="best", warm_start=args.warm_start, screen=args.screen,
                        blend=args.search_blend)
        over = "" if args.adapt_proxies is None else f", over {args.adapt_proxies}"
        told = ("" if args.warm_start is None else f", warm start {args.warm_start}") + \
            ("" if args.screen is None else f", screen {args.screen}") + \
            ("" if args.search_blend is None else f", blended with {args.search_blend}")
        record = {"objective": f"adapted ({args.method}, k={args.search_k}{over}{told})", "seed": seed,
                  "best_arch": result.best_string, "evaluations": result.evaluations,
                  "seconds": result.info["seconds"]["total"], "benchmark": result.benchmark, "info": result.info,
                  "formula": adapted.proxy.formula}
        records_out.append(record)
        if not args.quiet:
            print(f"  search seed {seed}: {record['benchmark']['cifar10']['test_accuracy']:.2f} "
                  f"({result.evaluations} networks) with {adapted.proxy.formula}", flush=True)
        rows = records_out
    datasets, table = timed_rows(rows, "cifar10", "test_accuracy")
    header = ["objective", "labels", "distribution"]
    for d in datasets:
        header += [f"{d} test %", "pctl"]
    print(f"\nNB201 search, {args.minutes:g} min wall per search, seeds {args.seeds}")
    print(format_table([*header, "networks", "s/network", "worst cifar10", "runs"], table))


def run(args: argparse.Namespace) -> int:
    if args.warm_start is not None and args.warm_start < 0:
        raise ZcgpError(f"--warm-start must be >= 0, got {args.warm_start}")
    if args.screen is not None and args.screen < 1:
        raise ZcgpError(f"--screen must be >= 1, got {args.screen}")
    if args.sources:
        records = []
        for source in args.sources:
            try:
                saved = json.loads(Path(source).read_text(encoding="utf-8"))
                records += saved["records"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ZcgpError(f"{source} is not a fewshot.json of zcgp bench fewshot ({type(exc).__name__})") \
                    from None
            if saved.get("complete") is False:
                print(f"{source}: incomplete, {len(saved['records'])} records (the run was interrupted)")
        print_tables(records, args.focus_k)
        return 0
    spaces = _list(args.spaces, SUITE_SPACES, "space")
    ks = _list(args.ks, KS, "k") if args.ks is None or "all" in args.ks else \
        [int(k) for k in args.ks.split(",") if k.strip()]
    predictors = _list(args.predictors, tuple(PREDICTORS), "predictor")
    features = [f if f != "none" else "" for f in
                _list(args.features, [f or "none" for f in FEATURES] + [ENCODING_ALONE], "feature")]
    if args.features is None:
        features.remove(ENCODING_ALONE)
    adapts = _list(args.adapts, ADAPT_METHODS, "adaptation")
    transfers = [] if args.transfers is None else _list(args.transfers, ADAPT_METHODS, "adaptation")
    blends = [b.strip() for b in (args.blends or "").split(",") if b.strip()]
    for blend in blends:
        parse_blend(blend, predictors, features, adapts)
    with claim_dir(args.out, FILES, args.overwrite):
        out = Path(args.out)

        methods = method_names(predictors, features, adapts, transfers, blends)

        def progress(task, records):           # the finished tasks are on disk at once
            atomic_write_json(out / "fewshot.json", {"config": vars(args), "methods": methods, "records": records,
                                                     "searches": [], "complete": False})
            if not args.quiet:
                print(f"  {task} done ({len(records)} records)", flush=True)

        records = fewshot(spaces, ks, args.draws, predictors=predictors, features=features, adapts=adapts,
                          transfers=transfers, blends=blends, adapt_proxies=_names(args.adapt_proxies),
                          predictor_proxies=(args.predictor_proxies if args.predictor_proxies == SEARCHED
                                             else _names(args.predictor_proxies)), n_jobs=args.n_jobs,
                          progress=progress, proxies={s: BASES[args.base](s) for s in spaces})
        print_tables(records, args.focus_k)
        searches: list = []
        if args.search:
            _search(args, searches)
        atomic_write_json(out / "fewshot.json", {"config": vars(args), "methods": methods, "records": records,
                                                 "searches": searches, "complete": True})
        atomic_write_text(out / "fewshot.csv", _csv(records))
        written = ["fewshot.json", "fewshot.csv"] + (["fewshot.png"] if _plot(records, out / "fewshot.png") else [])
        print(f"\nwrote {out}/ ({', '.join(written)})")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("bench", "fewshot"))
