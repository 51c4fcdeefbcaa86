"""Search a space for a strong network with a zero-cost objective (no training).

Regularized (aging) evolution: tournament parents, one mutation, the oldest member dies;
equivalent architectures (same canonical key) are scored once. The objective is one of
  --proxy DIR|FILE       an evolved formula: a run directory or its exported proxy.py/.json
                         (read as data), applied to each network's proxies; with its
                         transform (e.g. rank), every network is compared with a fixed
                         reference sample of random networks scored at the start (--reference),
  --formula F            a formula over proxy names, e.g. "nwot + log(synflow)",
  --objective NAME       one hand-crafted proxy as it is (e.g. nwot, synflow, jacov),
  --objective random     random search,
  --predictor NAME       a predictor of the architecture's encoding fitted on --labels (your
                         trained architectures, or train-split: a shipped task's train split);
                         no network is built, and the found one is set beside the best label.
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
import time
from pathlib import Path

from zcgp.errors import ZcgpError
from zcgp.nas.choice import check_pick
from zcgp.nas.shipped import SHIPPED_NAMES
from zcgp.predicted import BLEND_WEIGHT, BLEND_WEIGHTS, PREDICTED_EVALUATIONS, check_predictor
from zcgp.predictors import PREDICTORS
from zcgp.proxies.registry import PROXY_NAMES
from zcgp.scripts.cli import STARTED
from zcgp.scripts.common import Progress, add_measure_args, measure_settings
from zcgp.searching import SCREEN, SCREEN_BY, SEARCH_FILES, STOP_REASONS, search
from zcgp.spaces import get_space
from zcgp.spaces.search import BATCH, POPULATION, SAMPLE_SIZE
from zcgp.util import claim_dir, pyplot


def configure(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--proxy", metavar="PATH", help="evolved formula: a run directory (see --pick), its "
                      "proxy.json / proxy.py (read as data, never imported), or a shipped suite proxy name "
                      "(suite, suite-without-nb201, suite-combined-without-nb201, ...). Without --proxy, --formula or "
                      "--objective: the combined suite proxy that never saw the searched space (zero-shot; "
                      "suite-combined for a space of your own)")
    what.add_argument("--formula", metavar="F", help='a formula over proxy names, e.g. "nwot + synflow"')
    what.add_argument("--objective", metavar="NAME", help="a hand-crafted proxy name, or 'random'")
    what.add_argument("--predictor", metavar="NAME",
                      help="a predictor (" + ", ".join(PREDICTORS) + ") of the one-hot encoding, fitted on --labels, "
                           "is the objective: no network built; the search starts from the 10 best labels "
                           f"(--warm-start) and scores {PREDICTED_EVALUATIONS} architectures unless given a budget")
    parser.add_argument("--labels", metavar="TABLE",
                        help="with --predictor or --blend: a .csv / .parquet table of your labeled architectures "
                             "(arch and accuracy columns; a task column picks SPACE/DATASET's rows), or "
                             "'train-split': the shipped task's train split under --seed, the labels `zcgp evolve "
                             "--seed` sees")
    parser.add_argument("--space", default="nb201",
                        help="nb101, nb201 (default), nb301, tnb101_micro, tnb101_macro or package.module:Class")
    parser.add_argument("--dataset", default=None, help="task of the space (default: its first, e.g. cifar10)")
    parser.add_argument("--pick", default="combined",
                        help="with --proxy RUN: what to search with. combined (default): the run's formula "
                             "combined (combine-weighted) with synflow, flops, params, l2_norm and grad_norm on "
                             "the labeled architectures it was evolved on, no label more; auto: the member of "
                             "its cost front expected to find the best network in --minutes (cost measured "
                             "here, precision at the top of its labeled rows); best: the run's own choice; "
                             "cheapest; or an index into [best, cost front...]")
    parser.add_argument("--minutes", type=float, help="wall-time budget in minutes, setup included")
    parser.add_argument("--evaluations", type=int, help="budget in distinct networks scored")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--population", type=int, default=POPULATION,
                        help=f"population size; a formula's reference sample is the initial population "
                             f"(default: {POPULATION})")
    parser.add_argument("--sample-size", type=int, default=SAMPLE_SIZE,
                        help=f"tournament size (default: {SAMPLE_SIZE})")
    parser.add_argument("--batch", type=int, default=BATCH, help=f"networks scored per proxy call (default: {BATCH})")
    parser.add_argument("--lookup", action="store_true",
                        help="search the table's architectures only, proxies read from the table (no torch)")
    parser.add_argument("--screen", type=int, default=None, metavar="N",
                        help="propose N children per network scored: their features (--screen-by) predict the "
                             "objective, fitted on the networks scored so far, and only the best-predicted are "
                             f"scored in full (default: {SCREEN} where the space has an encoding, else 1: no "
                             "screening; 1 with an objective evolved on this space's labels)")
    parser.add_argument("--screen-by", choices=SCREEN_BY, default=None,
                        help="the screen's features: 'encoding', the architecture's one-hot (no network built), or "
                             "'proxies', flops, params and synflow (a forward and synflow's pass per child; "
                             "default: encoding where the space has one)")
    parser.add_argument("--warm-start", type=int, default=None, metavar="N",
                        help="with an objective evolved on labels of this space (in distribution): the N labeled "
                             "architectures with the best validation accuracy join the population right after "
                             "the reference, as parents (default: 10 for such an objective, 0 for an adapted proxy; "
                             "0 is off)")
    parser.add_argument("--warm-by", default="labels", metavar="WHAT",
                        help="which architectures warm-start the search: 'labels', the best labeled ones "
                             "(default), or a predictor (" + ", ".join(PREDICTORS) + "): the N best it predicts, "
                             "fitted on the encoding and validation accuracy of all those labeled architectures "
                             "and searched with alone, no network built (seconds of the budget)")
    parser.add_argument("--blend", default=None, metavar="PREDICTOR",
                        help="add to the objective's score the prediction of PREDICTOR (" + ", ".join(PREDICTORS) +
                             ") of the one-hot encoding, fitted on --labels, or without them on every labeled "
                             "architecture of this space the objective was evolved or adapted on; both "
                             "standardized on the reference (default: none)")
    parser.add_argument("--blend-weight", default=str(BLEND_WEIGHT), metavar="W",
                        help=f"with --blend: the predictor's share of the blend, in [0, 1] (default: {BLEND_WEIGHT}, "
                             "the plain sum), or 'cv': the one of " + ", ".join(map(str, BLEND_WEIGHTS)) +
                             " that ranks the labeled architectures best in 5-fold cross-validation")
    add_measure_args(parser)
    parser.add_argument("--workers", type=int, default=-1,
                        help="worker processes scoring networks, one torch thread each; -1 = every core "
                             "(default); values are identical for any number")
    parser.add_argument("--data-dir", metavar="DIR", help="NAS-Bench-Suite-Zero files (default: shipped copy)")
    parser.add_argument("--benchmark", metavar="CSV", help="NAS-Bench-201 accuracy table (default: shipped copy)")
    parser.add_argument("--out", metavar="DIR", help="write result.json, trajectory.csv and search.png")
    parser.add_argument("--overwrite", action="store_true", help="replace the results already in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def check_proxy_path(path: str) -> None:
    """A one-line error for a --proxy that names nothing on disk."""
    if not Path(path).exists():
        kind = "proxy file" if path.endswith((".py", ".json")) else "run directory"
        raise ZcgpError(f"{kind} not found: {path}")


def run(args: argparse.Namespace) -> int:
    if args.predictor is not None:
        check_predictor(args.predictor, f"--predictor {args.predictor}")
        if args.labels is None:
            raise ZcgpError("--predictor needs --labels: a table with arch and accuracy columns, or train-split")
    elif args.labels is not None and args.blend is None:
        raise ZcgpError("--labels are what a --predictor or a --blend is fitted on: give --predictor NAME or "
                        "--blend NAME with them")
    elif args.minutes is None and args.evaluations is None:
        raise ZcgpError("give a budget: --minutes and/or --evaluations")
    check_pick(args.pick)
    if args.screen is not None and args.screen < 1:
        raise ZcgpError(f"--screen must be >= 1, got {args.screen}")
    if args.warm_start is not None and args.warm_start < 0:
        raise ZcgpError(f"--warm-start must be >= 0, got {args.warm_start}")
    if args.warm_by != "labels":
        check_predictor(args.warm_by, f"--warm-by {args.warm_by}")
    if args.blend is not None:
        check_predictor(args.blend, f"--blend {args.blend}")
    args.blend_weight = blend_weight(args.blend_weight)
    if args.proxy and args.proxy not in SHIPPED_NAMES:
        check_proxy_path(args.proxy)
    if args.objective and args.objective != "random" and args.objective not in PROXY_NAMES:
        raise ZcgpError(f"unknown proxy '{args.objective}'; known: random, {', '.join(PROXY_NAMES)}")
    space = get_space(args.space)
    with claim_dir(args.out, SEARCH_FILES, args.overwrite):
        return _run(args, space)


def blend_weight(text: str) -> float | str:
    """--blend-weight as a number in [0, 1] or "cv"."""
    if text == "cv":
        return text
    try:
        weight = float(text)
    except ValueError:
        weight = -1.0
    if not 0.0 <= weight <= 1.0:
        raise ZcgpError(f"--blend-weight must be 'cv' or a number in [0, 1], got {text}")
    return weight


def print_result(result) -> None:
    """What the search found, where the time went, and the benchmark's word on it."""
    info = result.info
    if info.get("default_objective"):
        print(f"objective: the shipped {info['objective_source']} (no objective given; it never saw a label of "
              f"{result.space.name})")
    if "pick" in info:
        print(f"picked {info['pick']['chosen']}: {info['pick']['reason']}")
    print(f"{result.objective}\n  best: {result.best_string}, score {result.best_score:.4g}")
    if info.get("imputed"):
        print(f"  imputed (the table lacks them; the formula gives them its neutral value): "
              f"{', '.join(info['imputed'])}")
    sec = info["seconds"]
    print(f"  {result.evaluations} networks in {result.seconds:.1f} s, "
          f"{60.0 * result.evaluations / max(result.seconds, 1e-9):.1f} networks/minute "
          f"({STOP_REASONS[result.stop_reason]})")
    print(f"  time: setup {sec['setup']:.1f} s, scoring {sec['scoring']:.1f} s (building {sec['building_cpu']:.1f} "
          f"+ proxies {sec['proxies_cpu']:.1f} CPU s over {info['workers']} worker(s)), "
          + (f"screening {sec['screening']:.1f} s, " if "screen" in info else "") + "selection "
          f"{sec['selection']:.1f} s" + (", reference from cache" if info.get("reference", {}).get("from_cache")
                                         else ""))
    if "warm_start" in info:
        warm = info["warm_start"]
        if warm["by"] == "labels":
            print(f"  warm start: the {warm['networks']} best labeled architectures of {warm['labeled_task']} "
                  f"(validation {warm['val_accuracy'][0]:.2f}-{warm['val_accuracy'][-1]:.2f} %) joined the "
                  "population")
        else:
            print(f"  warm start: the {warm['networks']} best predicted by {warm['by']}, fitted on the "
                  f"{warm['labels']} labeled architectures of {warm['labeled_task']} "
                  f"({warm['seconds']:.1f} s), joined the population")
    if "predictor" in info:
        fit = info["predictor"]
        print(f"  predictor: {fit['name']} of the one-hot encoding, fitted on the {fit['labels']} labeled "
              f"architectures of {fit['labeled_task']} in {fit['seconds']:.1f} s; no network built")
    if "blend" in info:
        blend = info["blend"]
        chosen = " (by cross-validation on them)" if blend.get("weight_by") == "cv" else ""
        print(f"  blend: {blend['predictor']} of the encoding, fitted on the {blend['labels']} labeled architectures "
              f"of {blend['labeled_task']} ({blend['seconds']:.1f} s), standardized and mixed with the objective, "
              f"its share {blend['weight']:g}{chosen}")
    if "screen" in info:
        screen = info["screen"]
        print(f"  screen: {screen['screened']} children proposed, measured by {', '.join(screen['features'])}, "
              f"the best-predicted 1 in {screen['factor']} scored")
    print("  " + labels_line(info.get("labels"), result.space.name, info.get("labels_alone"), result.task))
    table = result.table
    if result.benchmark is None:
        print(f"  benchmark: not in the table ({table.source if table else 'no table for this space'})")
    for name, entry in (result.benchmark or {}).items():
        metric = table.metric.replace("_", " ")
        print(f"  {name:<15} {metric} {entry[table.metric]:6.2f}  (percentile {entry['percentile']:5.1f})")


def labels_line(labels: dict | None, space: str, alone: dict | None = None, task: str = "") -> str:
    """Which labels of the searched space the objective saw, and what they buy alone."""
    if not labels or labels.get("space_labels") is None:
        given = (labels or {}).get("blend_labels")
        at_least = f"at least the {given} given to the blend, " if given else ""
        return f"labels of {space} the objective saw: unknown ({at_least}a formula given as text)"
    n = labels["space_labels"]
    if not n:
        return f"labels of {space} the objective saw: 0 (zero-shot)"
    text = f"labels of {space} the objective saw: {n} (in distribution)"
    if alone and alone.get("benchmark"):
        accuracy = next(iter(alone["benchmark"].values()))
        metric = next(k for k in accuracy if k != "percentile")
        own = alone["benchmark"].get(task, accuracy)
        text += (f"; labels alone (the best of them, by {alone['labeled_task']} validation accuracy): "
                 f"{own[metric]:.2f} {task}")
    return text


def _run(args: argparse.Namespace, space) -> int:
    if args.out:
        pyplot()                                         # import matplotlib now, inside the budget
    total = args.evaluations or (PREDICTED_EVALUATIONS if args.predictor and args.minutes is None else None)
    bar = Progress(total, "search", disabled=args.quiet, unit="net")

    def on_batch(row: dict) -> None:
        bar.update(row["evaluations"], best=f"{row['best_score']:.4g}")

    minutes = args.minutes
    if minutes is not None and minutes > 0:          # the budget counts from the command's start
        minutes = max(minutes - (time.monotonic() - STARTED[0]) / 60, 1e-4)
    try:
        result = search(space, args.proxy or args.formula or args.objective, minutes=minutes,
                        evaluations=args.evaluations, seed=args.seed, task=args.dataset, lookup=args.lookup,
                        population=args.population, sample_size=args.sample_size, batch=args.batch,
                        settings=measure_settings(args), workers=args.workers, pick=args.pick,
                        screen=args.screen, screen_by=args.screen_by, warm_start=args.warm_start,
                        warm_by=args.warm_by, blend=args.blend, blend_weight=args.blend_weight,
                        predictor=args.predictor, labels=args.labels,
                        data_dir=args.data_dir, nb201_table=args.benchmark, on_batch=on_batch)
    finally:
        bar.close()
    print_result(result)
    if args.out:
        written = result.save(args.out, claim=False)
        print(f"wrote {', '.join(str(p) for p in written)}")
    return 130 if result.interrupted else 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("search"))
