"""Evolve a zero-cost proxy formula with genetic programming (DEAP) on the selected tasks.

Fitness: mean rank correlation (Kendall tau-b, or Spearman) of the formula with the target
over the train splits of the selected tasks. Terminals are the hand-crafted proxies of the
selected tasks. A proxy missing on some tasks (nwot on nb101, synflow on TransNAS-Bench) is,
by --missing: "impute" (default) a neutral constant there (0.5 under the rank transform, 0
otherwise), so every formula is defined on every task and the exported proxy.py does the
same for an absent proxy; "exclude": not a terminal; "zero" / "skip" (--allow-partial): a
formula using it is undefined there, counting 0 in the mean or left out of it.
--select validation evolves on 75% of each task's train split and picks the final formula
(among the hall of fame and the size Pareto front) by mean score on the other 25%.
A checkpoint is written after every generation; --resume DIR continues it to exactly the
result of an uninterrupted run.

Writes to --out DIR: result.json, proxy.py (standalone), hall_of_fame.csv, pareto.csv,
logbook.csv, fitness.png, test_tau.png, checkpoint.pkl.

examples:
  zcgp evolve --tasks all --seed 0 --out runs/all
  zcgp evolve --train-tasks nb201 --test-tasks tnb101_macro --out runs/transfer
  zcgp evolve --resume runs/all --generations 50
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.rank import METRICS
from zcgp.fitness.tasks import load_tasks
from zcgp.fitness.transforms import TRANSFORMS
from zcgp.gp.checkpoint import checkpoint_path, load_checkpoint, save_checkpoint
from zcgp.gp.dataset import (
    DEFAULT_VALIDATION_FRACTION,
    MISSING_MODES,
    PARTIAL_FITNESS,
    Dataset,
    neutral_value,
    resolve_missing,
    select_terminals,
)
from zcgp.gp.evolution import FINAL_SELECTIONS, SELECTIONS, Engine, GPConfig, select_final
from zcgp.gp.formula import infix
from zcgp.gp.parallel import BACKENDS, Evaluator
from zcgp.gp.report import comparison_table, formula_rows, summary
from zcgp.gp.results import RUN_FILES, entry_dict, simplified, write_run
from zcgp.fitness.outdir import claim_dir
from zcgp.gp.interrupt import resume_command, stop_on_signals
from zcgp.scripts.common import add_data_args, add_overwrite_arg

# run settings stored in the checkpoint; on --resume an explicitly given one must match
RUN_DEFAULTS = {
    "tasks": "all", "train_tasks": None, "test_tasks": None, "seed": 0, "train_fraction": 0.2,
    "transform": "rank", "metric": "kendall", "allow_partial": False, "partial_fitness": "zero",
    "proxies": None, "missing": "impute", "select": "train",
}
NEW_RUN_SETTINGS = {"missing", "select"}       # absent from checkpoints written before them
MISSING_HELP = {
    "impute": "a neutral constant on the tasks lacking it (0.5 under rank, else 0)",
    "exclude": "not used: only proxies present on every task are terminals",
    "zero": "a formula using it is undefined there and that task counts 0 in the mean",
    "skip": "a formula using it is undefined there and that task is left out of the mean",
}
OLD_GP_DEFAULTS = GPConfig(population=1000, generations=30)      # before --missing impute
GP_DEFAULTS = GPConfig(population=2000, generations=40)
GP_OPTIONS = ("population", "offspring", "max_depth", "init_max_depth", "cx_prob", "mut_prob",
              "tournament", "parsimony", "selection", "elite", "hof_size")


def configure(parser: argparse.ArgumentParser) -> None:
    add_data_args(parser)
    parser.set_defaults(tasks=None, seed=None, train_fraction=None)   # None = not given
    d = GP_DEFAULTS
    data = parser.add_argument_group("tasks and fitness")
    data.add_argument("--train-tasks", metavar="SEL", help="evolve on these tasks (default: --tasks)")
    data.add_argument("--test-tasks", metavar="SEL",
                      help="report the formula on these tasks (transfer; default: the train tasks)")
    data.add_argument("--transform", choices=TRANSFORMS, help="input transform of every proxy, "
                      "per task within the scored set (default: rank, in [0, 1])")
    data.add_argument("--metric", choices=METRICS, help="fitness correlation (default: kendall)")
    data.add_argument("--proxies", metavar="LIST", help="comma list restricting the terminals")
    data.add_argument("--missing", choices=MISSING_MODES,
                      help="a proxy missing on some tasks: impute = a neutral constant there (0.5 "
                           "for every architecture under rank, 0 otherwise; default), exclude = not "
                           "a terminal, zero / skip = formulas using it are undefined there, the "
                           "task counting 0 in the mean / left out of it")
    data.add_argument("--allow-partial", action="store_true", default=None,
                      help="older spelling of --missing zero (or of --partial-fitness)")
    data.add_argument("--partial-fitness", choices=PARTIAL_FITNESS,
                      help="with --allow-partial: an undefined task counts 0 in the mean (zero, "
                           "default) or is left out of it (skip)")
    data.add_argument("--select", choices=FINAL_SELECTIONS,
                      help="how the final formula is chosen: train = best train fitness (default); "
                           f"validation = evolve on {round(100 * (1 - DEFAULT_VALIDATION_FRACTION))}%% of each "
                           f"task's train split and pick, among the hall of fame and the size "
                           f"Pareto front, the best mean score on the other "
                           f"{round(100 * DEFAULT_VALIDATION_FRACTION)}%% (a fixed inner split per task and "
                           f"seed; the test split is never used)")
    evo = parser.add_argument_group("evolution")
    evo.add_argument("--population", type=int, help=f"mu (default: {d.population})")
    evo.add_argument("--generations", type=int, help=f"generations after the initial one (default: {d.generations})")
    evo.add_argument("--offspring", type=int, help="lambda, offspring per generation (default: population)")
    evo.add_argument("--max-depth", type=int, help=f"tree depth limit on every operator (default: {d.max_depth})")
    evo.add_argument("--init-max-depth", type=int, help=f"initial tree depth (default: {d.init_max_depth})")
    evo.add_argument("--cx-prob", type=float, help=f"crossover probability (default: {d.cx_prob})")
    evo.add_argument("--mut-prob", type=float, help=f"mutation probability (default: {d.mut_prob})")
    evo.add_argument("--tournament", type=int, help=f"tournament size (default: {d.tournament})")
    evo.add_argument("--parsimony", type=float, help=f"parsimony tournament size in [1, 2] (default: {d.parsimony})")
    evo.add_argument("--selection", choices=SELECTIONS,
                     help="survivor selection: double tournament (fitness, then size) or NSGA-II "
                          "on (fitness, size) (default: double-tournament)")
    evo.add_argument("--elite", type=int, help=f"best distinct formulas always kept (default: {d.elite})")
    evo.add_argument("--hof-size", type=int, help=f"hall-of-fame size (default: {d.hof_size})")
    ex = parser.add_argument_group("execution and output")
    ex.add_argument("--out", metavar="DIR", help="output directory (required unless --resume)")
    ex.add_argument("--resume", metavar="DIR", help="continue the run checkpointed in DIR")
    add_overwrite_arg(ex)
    ex.add_argument("--n-jobs", type=int, default=1, help="parallel evaluation workers, -1 = all cores (default: 1)")
    ex.add_argument("--backend", choices=BACKENDS, default="loky", help="joblib backend (default: loky)")
    ex.add_argument("--scheduler", metavar="ADDRESS", help="dask.distributed scheduler (implies --backend dask)")
    ex.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    ex.add_argument("--quiet", action="store_true", help="no progress bar and no tables")


def _check_state(state: dict, path) -> None:
    needed = ("run", "config", "dataset", "fingerprint", "generation", "random_state", "population",
              "cache", "hof", "front_size", "front_cost", "logbook", "counters")
    missing = [k for k in needed if k not in state]
    if missing:
        raise ZcgpError(f"checkpoint {path} is corrupt: missing {', '.join(missing)}")
    if not (isinstance(state["run"], dict) and set(RUN_DEFAULTS) - NEW_RUN_SETTINGS <= set(state["run"])
            and isinstance(state["config"], dict)):
        raise ZcgpError(f"checkpoint {path} is corrupt: bad run settings")


def _run_settings(args, saved: dict | None) -> dict:
    given = {k: getattr(args, k) for k in RUN_DEFAULTS if getattr(args, k, None) is not None}
    if "missing" not in given and (given.get("allow_partial") or "partial_fitness" in given):
        given["missing"] = given.get("partial_fitness", "zero")       # the older spelling
    elif given.get("allow_partial") and given["missing"] not in PARTIAL_FITNESS:
        raise ZcgpError(f"--allow-partial conflicts with --missing {given['missing']}")
    if "missing" in given:
        given["allow_partial"] = given["missing"] != "exclude"
        if given["missing"] in PARTIAL_FITNESS:
            given["partial_fitness"] = given["missing"]
    if saved is None:
        return {**RUN_DEFAULTS, **given}
    saved = dict(saved)
    saved.setdefault("missing", resolve_missing(None, saved.get("allow_partial", False),
                                                saved.get("partial_fitness", "zero")))
    saved.setdefault("select", "train")
    for key, value in given.items():
        if value != saved.get(key):
            raise ZcgpError(f"--{key.replace('_', '-')} {value} conflicts with the checkpoint "
                            f"({saved.get(key)}); leave it out to resume")
    return dict(saved)


def _gp_config(args, run: dict, saved: dict | None) -> GPConfig:
    given = {k: getattr(args, k) for k in GP_OPTIONS if getattr(args, k, None) is not None}
    if saved is not None:
        for key, value in given.items():
            if value != saved.get(key):
                raise ZcgpError(f"--{key.replace('_', '-')} {value} conflicts with the checkpoint "
                                f"({saved.get(key)}); leave it out to resume")
        config = GPConfig.from_dict(saved)
    else:
        config = GPConfig.from_dict({**GP_DEFAULTS.__dict__, **given})
    config.seed = run["seed"]
    if args.generations is not None:
        config.generations = args.generations
    return config.validate()


def _f(x) -> str:
    return "-" if x is None else f"{x:.4f}"


def print_summary(result: dict, rows: list[dict], metric: str) -> None:
    best, s = result["best"], result["summary"][metric]
    print(f"best formula: {best['formula_infix']}")
    print(f"  simplified: {best['formula_simplified']}")
    cost = f", proxy cost {best['cost_s']:.2f} s" if best["cost_s"] == best["cost_s"] else ""
    val = (f", validation {best['validation_fitness']:.4f} (chosen by --select validation)"
           if best.get("validation_fitness") is not None else "")
    print(f"  size {best['size']}, depth {best['depth']}, train fitness {best['train_fitness']:.4f}{val}{cost}")
    print()
    print(comparison_table(rows, metric))
    print()
    print(f"mean test {metric}: evolved {_f(s['mean_test']['evolved'])}, best hand-crafted "
          f"{_f(s['mean_test']['best_proxy'])}, linear-rank {_f(s['mean_test']['linear_rank'])}; "
          f"better than the best proxy on {s['beats_best_proxy']}/{s['n_defined']} tasks")


def _split_list(text):
    return [p.strip() for p in text.split(",") if p.strip()] if text else None


def _roles(train_ids, report_ids) -> dict:
    return {t: ("evolved on" if t in train_ids else "transfer") for t in report_ids}


def run(args: argparse.Namespace) -> int:
    out = args.out or args.resume
    resume = bool(args.resume) and (not args.out or Path(args.out).resolve() == Path(args.resume).resolve())
    again = resume_command(out, args.data_dir, args.n_jobs, args.backend, args.scheduler)
    with claim_dir(out, RUN_FILES, args.overwrite, resume), stop_on_signals(again):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    state = None
    if args.resume:
        state = load_checkpoint(args.resume)
        _check_state(state, checkpoint_path(args.resume))
    elif not args.out:
        raise ZcgpError("--out DIR is required (or --resume DIR)")
    out = Path(args.out or args.resume)
    run_cfg = _run_settings(args, state["run"] if state else None)
    config = _gp_config(args, run_cfg, state["config"] if state else None)

    train_sel = run_cfg["train_tasks"] or run_cfg["tasks"]
    train_tasks = load_tasks(train_sel, args.data_dir)
    report_tasks = load_tasks(run_cfg["test_tasks"], args.data_dir) if run_cfg["test_tasks"] else train_tasks
    # transfer: without --allow-partial the terminals must exist on the report tasks too
    scope = train_tasks + [t for t in report_tasks if t.id not in {u.id for u in train_tasks}]
    missing = run_cfg["missing"]
    terminals, excluded = select_terminals(scope, missing, _split_list(run_cfg["proxies"]))
    by_validation = run_cfg["select"] == "validation"

    def build(part):
        return Dataset.build(train_tasks, terminals, part, run_cfg["seed"], run_cfg["train_fraction"],
                             run_cfg["transform"], run_cfg["metric"], missing=missing)

    dataset = build("fit" if by_validation else "train")
    validation = build("validation") if by_validation else None
    evaluator = Evaluator(dataset, args.n_jobs, args.backend, args.scheduler)
    if state is not None:
        engine = Engine.restore(state, dataset, evaluator, config.generations,
                                where=f"checkpoint {checkpoint_path(args.resume)}")
    else:
        engine = Engine(dataset, config, evaluator)
    if not args.quiet:
        note = f"; excluded: {', '.join(excluded)}" if excluded else ""
        inner = (f" (the other {validation.n} train architectures choose the final formula: --select validation)"
                 if by_validation else "")
        print(f"evolving on {len(train_tasks)} task(s), {dataset.n} train architectures{inner}, "
              f"terminals: {', '.join(terminals)}{note}", file=sys.stderr)
        partial = {p: [t.id for t in scope if p not in t.proxies] for p in terminals}
        partial = {p: ids for p, ids in partial.items() if ids}
        if partial:
            print(f"missing proxies ({missing}: {MISSING_HELP[missing]}): "
                  + "; ".join(f"{p} on {len(ids)} task(s)" for p, ids in partial.items()), file=sys.stderr)
        if engine.generation >= 0:
            print(f"resuming at generation {engine.generation} of {config.generations}", file=sys.stderr)

    def checkpoint(eng: Engine) -> None:
        save_checkpoint(out, {**eng.state(), "run": run_cfg})

    engine.run(on_generation=checkpoint, quiet=args.quiet)
    if engine.generation >= 0 and not engine.logbook:
        raise ZcgpError("nothing was evolved")
    evolve_seconds = engine.elapsed

    best, candidates = select_final(engine, validation)
    tree = engine.tree(best.key)
    report_start = time.perf_counter()
    train_ids = {t.id for t in train_tasks}
    rows = formula_rows(tree, report_tasks, terminals, run_cfg["seed"], run_cfg["train_fraction"],
                        run_cfg["transform"], _roles(train_ids, [t.id for t in report_tasks]), missing)
    metric = run_cfg["metric"]
    pset = engine.pset
    result = {
        "command": "evolve",
        "config": {
            **run_cfg, **engine.config.__dict__, "train_tasks": [t.id for t in train_tasks],
            "report_tasks": [t.id for t in report_tasks], "terminals": list(terminals),
            "excluded_proxies": excluded,
            "partial_proxies": (f"imputed: a proxy absent from a task is the constant "
                                f"{neutral_value(run_cfg['transform'])} there (neutral value of the "
                                f"{run_cfg['transform']} transform)" if missing == "impute" else
                                "allowed: a formula is scored only on tasks that have its proxies "
                                f"(undefined tasks: {run_cfg['partial_fitness']})"
                                if missing != "exclude" else "excluded: only proxies usable on every task"),
            "transform_scope": "per task, within the scored set of architectures",
            "n_jobs": args.n_jobs, "backend": evaluator.backend,
            "validation_fraction": DEFAULT_VALIDATION_FRACTION if by_validation else None,
        },
        "seed": run_cfg["seed"],
        "timings": {
            "evolve_s": evolve_seconds, "generations": engine.generation,
            "evaluations": engine.evaluations, "lookups": engine.lookups,
            "cache_hit_rate": 1 - engine.evaluations / max(engine.lookups, 1),
            "evaluations_per_s": engine.evaluations / max(evolve_seconds, 1e-9),
        },
        "best": {
            "formula": best.key, "formula_infix": infix(tree),
            "formula_simplified": simplified(tree, run_cfg["transform"]),
            "size": best.size, "depth": best.depth, "cost_s": best.cost, "train_fitness": best.fitness,
            "train_per_task": dict(zip(dataset.task_ids, best.per_task)),
            "validation_fitness": candidates[0]["validation"] if candidates else None,
            "validation_per_task": (dict(zip(validation.task_ids, candidates[0]["validation_per_task"]))
                                    if candidates else None),
            "train_best_formula": engine.best.key,
        },
        "selection": {
            "mode": run_cfg["select"],
            "candidates": [{"formula": r["entry"].key, "train_fitness": r["entry"].fitness,
                            "size": r["entry"].size, "validation_fitness": r["validation"]}
                           for r in candidates],
        },
        "tasks": rows,
        "summary": {m: summary(rows, m) for m in METRICS},
        "hall_of_fame": [entry_dict(i, e, pset) for i, e in enumerate(engine.hof)],
        "pareto_size": [entry_dict(i, e, pset) for i, e in enumerate(engine.front_size)],
        "pareto_cost": [entry_dict(i, e, pset) for i, e in enumerate(engine.front_cost)],
    }
    result["timings"]["report_s"] = time.perf_counter() - report_start
    result["timings"]["total_s"] = time.perf_counter() - start
    written = write_run(out, result, engine.logbook, tree, terminals, run_cfg["transform"],
                        plots=not args.no_plots)
    if not args.quiet:
        if not args.no_plots and not any(p.suffix == ".png" for p in written):
            print("note: matplotlib is not installed; plots skipped", file=sys.stderr)
        print_summary(result, rows, metric)
        print(f"{engine.generation} generations, {engine.evaluations} distinct formulas scored "
              f"({result['timings']['cache_hit_rate']:.0%} cache hits) in {evolve_seconds:.1f} s; "
              f"wrote {out}/ ({', '.join(p.name for p in written)}, checkpoint.pkl)")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("evolve"))
