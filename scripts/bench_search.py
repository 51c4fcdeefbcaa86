"""Benchmark: searches with evolved formulas, hand-crafted proxies and random search, side by side.

Every row says which labels produced it: the labels of the searched space its objective saw
(0: zero-shot) and whether it is in or out of distribution; an in-distribution row is
followed by "labels alone", the best of its labeled architectures looked up in the benchmark.

Two budgets:
  * time (`--minutes M`, or `--quick`: 1 minute on seeds 0,1,2): each search is one
    `zcgp.search` call as a user runs it (fresh networks, setup included, `--workers`
    processes). Objectives: labels of --proxy runs (LABEL:best uses the run's own choice),
    "transfer" (--transfer), shipped suite proxies by name, "random" and proxy names.
    `--transfer` is the zero-shot benchmark: for each seed, `zcgp evolve` with the defaults
    on every space but the searched one (timed apart), then a search of that space with the
    run, beside the hand-crafted proxies, random search and, on nb201, the published anchors.
    Prints mean +/- std over seeds of the found network's accuracy and percentile, the worst
    seed, networks scored and wall seconds per network. --from prints saved runs together.
    With --out every finished search is written at once; Ctrl-C stops the bench and keeps
    them (the file says "complete": false; the cut search is not recorded).
  * evaluations (the default, `--evaluations N`): every objective runs the same aging
    evolution for N distinct networks; a shared cache computes each network's proxies once.
    With --lookup the searches run over the space's NAS-Bench-Suite-Zero table (table proxies,
    val_accuracy); without, on fresh torch networks (nb201: the NAS-Bench-201 test table).

examples:
  zcgp bench search --transfer --minutes 3 --out runs/transfer.json
  zcgp bench search --proxy default=runs/nb201 --objectives default --minutes 3
  zcgp bench search --from runs/transfer.json runs/handcrafted.json
  zcgp bench search --space nb301 --lookup --transfer --minutes 1
  zcgp bench search --objectives transfer,transfer:top10,own:best --minutes 3
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from zcgp.bench.search import (
    SEARCH_OPTIONS,
    anchor_rows,
    compare_objectives,
    evolved_objective,
    mean_std_cell,
    predicted_objective,
    predicted_searches,
    seconds_per_network,
    timed_rows,
    timed_searches,
    transfer_searches,
)
from zcgp.errors import Interrupted, ZcgpError
from zcgp.nas.benchmark import Benchmark
from zcgp.nas.objectives import table_task
from zcgp.proxies.registry import PROXY_NAMES
from zcgp.scripts.common import add_measure_args, measure_settings
from zcgp.searching import SCREEN_BY, load_formula
from zcgp.spaces import get_space
from zcgp.spaces.search import POPULATION, SAMPLE_SIZE
from zcgp.util import atomic_write_json, claim_file, format_table

HAND_CRAFTED = ("synflow", "snip", "grad_norm", "jacov", "nwot", "fisher", "grasp", "plain", "l2_norm",
                "epe_nas", "params", "flops")
TIMED_HAND_CRAFTED = ("synflow", "meco", "nwot", "jacov", "zen", "snip", "flops")


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
    parser.add_argument("--transfer", action="store_true",
                        help="time mode: the zero-shot row, one zcgp evolve on every other space per seed, then a "
                             "search with it (objective name: transfer; 'own' in --objectives evolves on the searched "
                             "space's own tasks instead: in distribution; 'transfer:top10:best' evolves with that "
                             "fitness metric and searches with that --pick (default: combined, as zcgp search --proxy "
                             "RUN); 'transfer:combine-weighted' combines the run's formula with cheap proxies on all "
                             "those spaces' labels, as the shipped suite-combined proxies are built; 'own:warm10' "
                             "starts each search from the 10 best labeled architectures, zcgp search --warm-start 10; "
                             "'own:warm-mlp-listmle' from the 10 best that predictor predicts, zcgp search --warm-by "
                             "mlp-listmle; 'own:blend-mlp-listmle' adds that predictor's standardized prediction to "
                             "the objective, zcgp search --blend mlp-listmle, and 'own:blend-mlp-listmle:cv' weighs "
                             "it by cross-validation on the labels, --blend-weight cv; 'predicted:ridge' (any "
                             "predictor of "
                             "zcgp.predictors) fits that predictor of the one-hot encoding on the labels 'own' reads "
                             "of the searched task and searches 5000 networks by it, building none: what those labels "
                             "buy with a predictor; 'predicted:ridge:k20' fits it on the 20 labels zcgp bench fewshot "
                             "--search draws instead)")
    parser.add_argument("--from", dest="sources", nargs="+", metavar="JSON",
                        help="search nothing: print the time-mode tables of saved --out files together")
    parser.add_argument("--seeds", default=None, help="comma list of seeds (default: 0..9; time mode 0..4)")
    parser.add_argument("--minutes", type=float, help="time mode: wall-time budget per search")
    parser.add_argument("--quick", action="store_true", help="time mode, 1-minute searches on seeds 0,1,2")
    parser.add_argument("--evaluations", type=int, default=100, help="evaluations mode: budget (default: 100)")
    parser.add_argument("--population", type=int, help="population size (default: 50 time mode, 20 else)")
    parser.add_argument("--sample-size", type=int, help="tournament size (default: 10 time mode, 5 else)")
    parser.add_argument("--reference", type=int, default=64,
                        help="evaluations mode: reference networks of the formula (default: 64)")
    parser.add_argument("--lookup", action="store_true", help="search the table's architectures, table proxies")
    parser.add_argument("--screens", default=None, metavar="LIST",
                        help="time mode: comma list of screen factors (zcgp search --screen, 1: none); every "
                             "objective runs at each, rows 'OBJECTIVE screen N' (default: zcgp search's own)")
    parser.add_argument("--screen-by", choices=SCREEN_BY, default=None,
                        help="time mode: what the screens predict from (zcgp search --screen-by; default: its own); "
                             "rows 'OBJECTIVE screen N by BY'")
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


def run(args: argparse.Namespace) -> int:
    with claim_file(args.out, args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    if args.sources:
        return _print_saved(args.sources)
    space = get_space(args.space)
    task = args.dataset or next(iter(space.tasks))
    labels = _labels(args)
    timed = args.minutes is not None or args.quick
    if args.quick:
        args.minutes, args.seeds = 1.0, args.seeds or "0,1,2"
    seeds = [int(s) for s in (args.seeds or ("0,1,2,3,4" if timed else "0,1,2,3,4,5,6,7,8,9")).split(",")
             if s.strip()]
    args.screens = parse_screens(args.screens)   # a bad list stops here, before any search
    needed = args.lookup or not (timed or args.objectives)        # the table's proxies are searched
    present = table_task(space, task, args.data_dir).proxies if needed else None
    if args.objectives:
        objectives = [o.strip() for o in args.objectives.split(",") if o.strip()]
    elif timed:
        objectives = [*labels, *(["transfer"] if args.transfer else []),
                      *(p for p in TIMED_HAND_CRAFTED if present is None or p in present), "random"]
    else:
        objectives = [*labels, "random", *(p for p in HAND_CRAFTED if p in present)]
    if not objectives or not seeds:
        raise ZcgpError("need at least one objective and one seed")
    predicted = [o for o in objectives if predicted_objective(o)]     # a bad predictor stops here
    if predicted and not timed:
        raise ZcgpError(f"{', '.join(predicted)}: a predicted search runs in the time mode (give --minutes)")
    lacking = [o for o in objectives if args.lookup and o in PROXY_NAMES and o not in present]
    if lacking:                      # before any search runs, not after the others have
        raise ZcgpError(f"the {space.name}/{task} table has no values for {', '.join(lacking)}: leave "
                        f"{'it' if len(lacking) == 1 else 'them'} out of --objectives (it has {', '.join(present)})")
    return (_timed if timed else _equal_evaluations)(args, space, task, labels, objectives, seeds)


def _timed(args, space, task, labels, objectives, seeds) -> int:
    bench = Benchmark(space, task, table_only=args.lookup, data_dir=args.data_dir)

    config = {**vars(args), "space": space.name, "dataset": task, "metric": bench.metric, "seeds": seeds}
    done: list[dict] = []

    def progress(record):                 # every finished search is on disk at once
        done.append(record)
        if args.out:
            atomic_write_json(args.out, {"config": config, "runs": done, "complete": False})
        entry = record["benchmark"]
        shown = "not in the table" if entry is None else f"{entry[task][bench.metric]:.2f}"
        extra = f"  [{record['info']['pick']['chosen']}]" if "pick" in record["info"] else ""
        if "run_formula" in record:
            extra += f"  evolved in {record['evolve_seconds']:.0f} s: {record['info'].get('formula')}"
        print(f"  {record['objective']:<16} seed {record['seed']}: {shown}  {record['evaluations']} networks in "
              f"{record['seconds']:.0f} s{extra}", flush=True)

    common = {"minutes": args.minutes, "task": task, "lookup": args.lookup, "settings": measure_settings(args, seed=0),
              "workers": args.workers, "data_dir": args.data_dir, "progress": progress}
    try:
        _run_objectives(args, space, labels, objectives, seeds, common)
    except Interrupted as exc:
        kept = f"; the {len(done)} finished search(es) are in {args.out}" if args.out and done else ""
        raise Interrupted(f"{exc}{kept}", exc.signum) from None
    _print_timed(done, config)
    if args.out:
        atomic_write_json(args.out, {"config": config, "runs": done, "complete": True})
    return 0


def _run_objectives(args, space, labels, objectives, seeds, common) -> None:
    for objective in objectives:
        predicted = predicted_objective(objective)
        if predicted is not None:                 # builds no network: no screen, no time budget
            predicted_searches(space, seeds, predictor=predicted[0], k=predicted[1], task=common["task"],
                               lookup=common["lookup"], data_dir=common["data_dir"], progress=common["progress"])
            continue
        for screen in args.screens:
            evolved = evolved_objective(objective)
            if evolved is not None:
                own, options, pick = evolved
                transfer_searches(space, seeds, own=own, evolve_options=options, pick=pick, label=objective,
                                  combine=options.pop("combine", None), screen=screen, screen_by=args.screen_by,
                                  search_options={k: options.pop(k) for k in SEARCH_OPTIONS if k in options},
                                  **common)
            else:
                source = {objective: labels.get(objective.partition(":")[0], objective)}
                timed_searches(space, source, seeds, population=args.population or POPULATION,
                               sample_size=args.sample_size or SAMPLE_SIZE, screen=screen, screen_by=args.screen_by,
                               **common)


def parse_screens(text: str | None) -> list[int | None]:
    """The --screens list: whole numbers >= 1, in order, each once (None: [None], the search's own)."""
    if text is None:
        return [None]
    try:
        screens = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ZcgpError(f"--screens needs a comma list of whole numbers >= 1, got '{text}'") from None
    if not screens or min(screens) < 1:
        raise ZcgpError(f"--screens needs a comma list of whole numbers >= 1, got '{text}'")
    return list(dict.fromkeys(screens))


def _workers(workers) -> str:
    return "one worker per core" if workers in (None, -1) else f"{workers} worker(s)"


def _print_timed(records: list[dict], config: dict) -> None:
    space, task, metric = config["space"], config["dataset"], config["metric"]
    datasets, rows = timed_rows(records, task, metric)
    seeds = sorted({r["seed"] for r in records})
    minutes = sorted({c.get("minutes") for c in [config] if c.get("minutes")})
    print(f"\n{space}/{task}: {', '.join(f'{m:g}' for m in minutes) or '?'} min wall per search (setup included), "
          f"seeds {','.join(map(str, seeds))}, {_workers(config.get('workers'))}; labels: labeled "
          f"architectures of {space} the objective saw")
    header = ["objective", "labels", "distribution"]
    for d in datasets:
        header += [f"{d} {metric.replace('_accuracy', '')} %", "pctl"]
    header += ["networks", "s/network", f"worst {task}", "runs"]
    anchors = anchor_rows(space, datasets)
    print(format_table(header, rows, [*anchors] if anchors else None))
    if anchors:
        print("anchors (below the rule): published figures, other hardware, not rerun here; labels used: 0")
    if any(r["objective"].startswith("predicted:") for r in records):
        print("predicted:NAME: a predictor of the one-hot encoding fitted on those labels, the search scoring "
              "networks by it alone (none built, no time budget)")


def _print_saved(sources) -> int:
    records, config = [], None
    for source in sources:
        try:
            saved = json.loads(Path(source).read_text(encoding="utf-8"))
            runs, this = saved["runs"], saved["config"]
            [r["objective"] for r in runs]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ZcgpError(f"{source} is not a saved zcgp bench search --out file ({type(exc).__name__})") from None
        this = {**this, "dataset": this.get("dataset") or runs[0]["info"]["task"]}
        this.setdefault("metric", "test_accuracy" if this.get("space") == "nb201" else "val_accuracy")
        if config is not None and (this.get("space"), this.get("dataset")) != (config.get("space"),
                                                                             config.get("dataset")):
            raise ZcgpError(f"{source} searched another space or dataset than {sources[0]}")
        config = config or this
        records += runs
        if saved.get("complete") is False:
            print(f"{source}: incomplete, {len(runs)} finished search(es) (the bench was interrupted)")
    _print_timed(records, config)
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
        rows.append([objective, mean_std_cell(r["accuracy"] for r in mine),
                     mean_std_cell(r["percentile"] for r in mine),
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
