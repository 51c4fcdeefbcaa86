"""Evolve a proxy formula: the orchestration behind `zcgp.evolve`, `zcgp.resume` and `zcgp evolve`.

Options are passed through by name: `evolve(..., **options)` accepts every run setting in
`RUN_OPTIONS` (stored in the checkpoint, must match on resume) and every `GPConfig` field
(`GP_OPTIONS`). Run settings named in `DATASET_OPTIONS` go to `Dataset.build` by name, so a
new setting needs only its name added here and its flag in `scripts/evolve.py`.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from zcgp._tasks import load_tasks
from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.outdir import claim_dir
from zcgp.fitness.rank import METRICS
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION
from zcgp.fitness.tasks import Task
from zcgp.gp.checkpoint import checkpoint_path, load_checkpoint, save_checkpoint
from zcgp.gp.dataset import (
    DEFAULT_VALIDATION_FRACTION,
    Dataset,
    neutral_value,
    select_terminals,
)
from zcgp.gp.evolution import Engine, GPConfig, select_final
from zcgp.gp.formula import infix
from zcgp.gp.parallel import Evaluator
from zcgp.gp.report import formula_rows, summary
from zcgp.gp.results import RUN_FILES, entry_dict, simplified
from zcgp.gp.transfer import EvolveSettings, capped_best, inner_loso_cap, terminals_for
from zcgp.run import Run

# run settings (checkpointed; a given one must match on resume) and their defaults
RUN_OPTIONS = {"train_fraction": DEFAULT_TRAIN_FRACTION, "transform": "rank", "proxies": None, "terminal_set": "all",
               "missing": "impute", "select": "inner-loso",
               "aggregation": "mean", "aggregation_k": 1.0, "case_splits": 0}
LEVER_OPTIONS = ("aggregation", "aggregation_k", "case_splits")     # generalization levers
DATASET_OPTIONS = ("transform", "metric", "missing", *LEVER_OPTIONS)   # run settings passed to Dataset.build
SELECT_MODES = ("train", "validation", "inner-loso")
GP_DEFAULTS = GPConfig(population=2000, generations=40)
GP_OPTIONS = tuple(f.name for f in dataclasses.fields(GPConfig) if f.name != "seed")
MISSING_HELP = {
    "impute": "a neutral constant on the tasks lacking it (0.5 under rank, else 0)",
    "exclude": "not used: only proxies present on every task are terminals",
    "zero": "a formula using it is undefined there and that task counts 0 in the mean",
    "skip": "a formula using it is undefined there and that task is left out of the mean",
}


def option_names() -> tuple[str, ...]:
    """Every name `evolve(**options)` accepts."""
    return (*RUN_OPTIONS, *(o for o in GP_OPTIONS if o not in ("population", "generations")))


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr)


def _split_options(options: dict) -> tuple[dict, dict]:
    unknown = sorted(set(options) - set(RUN_OPTIONS) - set(GP_OPTIONS))
    if unknown:
        raise ZcgpError(f"unknown option '{unknown[0]}'; known: {', '.join(option_names())}")
    run = {k: v for k, v in options.items() if k in RUN_OPTIONS and v is not None}
    gp = {k: v for k, v in options.items() if k in GP_OPTIONS and v is not None}
    if isinstance(run.get("proxies"), str):
        run["proxies"] = [p.strip() for p in run["proxies"].split(",") if p.strip()] or None
    if run.get("proxies") is not None:
        run["proxies"] = list(run["proxies"])
    return run, gp


def _task_list(tasks, data, data_dir, columns=None) -> tuple[list[Task], list[str]]:
    if tasks is None:
        tasks = "all"
    if isinstance(tasks, Task):
        tasks = [tasks]
    if isinstance(tasks, (list, tuple)) and tasks and all(isinstance(t, Task) for t in tasks):
        return list(tasks), [t.id for t in tasks]
    loaded = load_tasks(tasks, data=data, columns=columns, data_dir=data_dir)
    return loaded, [t.id for t in loaded]


def evolve(tasks="all", *, seed: int = 0, population: int | None = None, generations: int | None = None,
           fitness: str = "kendall", n_jobs: int = 1, scheduler: str | None = None, backend: str = "loky",
           progress: bool = True, test_tasks=None, data=None, columns: dict | None = None, data_dir=None,
           out=None, overwrite: bool = False, plots: bool = True, measure_cost: bool = True, **options) -> Run:
    """Evolve one formula on `tasks` (Task objects, or a selection: "all", "nb201", ids).

    fitness: the rank correlation averaged over tasks (kendall, spearman). test_tasks: also
    report the formula on these (transfer). data: a user table (see `zcgp.load_tasks`).
    out: write the run directory there (checkpoint after every generation, resumable with
    `zcgp.resume(out)`); without it the run stays in memory (`Run.save(dir)` writes it).
    A directory that already holds a run is refused unless `overwrite`; a second process
    writing the same `out` gets a ZcgpError (fitness.outdir).
    measure_cost: on one buildable space, measure the seconds per network of the final formula
    and of each cost-front member on this machine (`zcgp._cost`; cached, and read again by
    `zcgp.search`).
    options: run settings (RUN_OPTIONS) and GPConfig fields, e.g. missing="exclude", elite=5."""
    run_opts, gp_opts = _split_options(options)
    train, train_ids = _task_list(tasks, data, data_dir, columns)
    report, report_ids = (train, train_ids) if test_tasks is None else _task_list(test_tasks, data, data_dir,
                                                                                    columns)
    run_cfg = {"tasks": train_ids, "test_tasks": None if test_tasks is None else report_ids,
               "data": None if data is None else str(data), "data_columns": columns, "seed": int(seed),
               "metric": fitness,
               **RUN_OPTIONS, **run_opts}
    sizes = {k: v for k, v in (("population", population), ("generations", generations)) if v is not None}
    config = GPConfig.from_dict({**dataclasses.asdict(GP_DEFAULTS), **gp_opts, **sizes, "seed": int(seed)})
    with claim_dir(out, RUN_FILES, overwrite):
        return _execute(run_cfg, config.validate(), train, report, None, out, n_jobs, backend, scheduler,
                        progress, plots, measure_cost=measure_cost)


def resume(directory, *, generations: int | None = None, n_jobs: int = 1, scheduler: str | None = None,
           backend: str = "loky", progress: bool = True, data=None, data_dir=None, plots: bool = True,
           measure_cost: bool = True, **given) -> Run:
    """Continue the run checkpointed in `directory` (optionally to more `generations`) to exactly
    the result of an uninterrupted run. Settings given in `given` (tasks, seed, fitness and
    evolve's options) must equal the checkpoint's."""
    given = {k: v for k, v in given.items() if v is not None}
    state = load_checkpoint(directory)
    where = f"checkpoint {checkpoint_path(directory)}"
    needed = ("run", "config", "dataset", "fingerprint", "generation", "random_state", "population",
              "cache", "hof", "front_size", "front_cost", "logbook", "counters")
    lacking = [k for k in needed if k not in state]
    if lacking:
        raise ZcgpError(f"{where} is corrupt: missing {', '.join(lacking)}")
    saved = state["run"]
    if not (isinstance(saved, dict) and {"tasks", "seed", "metric", *RUN_OPTIONS} <= set(saved)
            and isinstance(state["config"], dict)):
        raise ZcgpError(f"{where} is corrupt: bad run settings")
    if "fitness" in given:
        given["metric"] = given.pop("fitness")
    tasks_given = given.pop("tasks", None)
    test_given = given.pop("test_tasks", None)
    run_opts, gp_opts = _split_options({k: v for k, v in given.items() if k not in ("seed", "metric")})
    run_given = {**run_opts, **{k: given[k] for k in ("seed", "metric") if given.get(k) is not None}}
    source = data if data is not None else saved.get("data")
    columns = saved.get("data_columns")
    train = load_tasks(saved["tasks"], data=source, columns=columns, data_dir=data_dir)
    report = train if saved.get("test_tasks") is None else load_tasks(saved["test_tasks"], data=source,
                                                                       columns=columns, data_dir=data_dir)
    if tasks_given is not None:
        run_given["tasks"] = _task_list(tasks_given, source, data_dir, columns)[1]
    if test_given is not None:
        run_given["test_tasks"] = _task_list(test_given, source, data_dir, columns)[1]
    for key, value in {**run_given, **gp_opts}.items():
        have = saved.get(key, state["config"].get(key))
        if value != have:
            raise ZcgpError(f"--{key.replace('_', '-')} {value} conflicts with the checkpoint ({have}); "
                            f"leave it out to resume")
    config = GPConfig.from_dict(state["config"])
    if generations is not None:
        config.generations = generations
    with claim_dir(directory, RUN_FILES, resume=True):
        return _execute(dict(saved), config.validate(), train, report, state, Path(directory), n_jobs,
                        backend, scheduler, progress, plots, where=where, measure_cost=measure_cost)


def _heldout_only(terminals, excluded: dict, which: str, train, report) -> tuple[str, ...]:
    """With terminals "heldout", only the proxies every --test-tasks task outside the training
    tasks has (what can be computed on the new space; its labels are not read)."""
    unseen = [t for t in report if t.id not in {u.id for u in train}]
    kept = terminals_for(terminals, unseen, which)
    excluded.update({p: "not on the held-out --test-tasks" for p in terminals if p not in kept})
    return kept


def _execute(run_cfg: dict, config: GPConfig, train: list[Task], report: list[Task], state, out, n_jobs,
             backend, scheduler, progress, plots, where="checkpoint", measure_cost=True) -> Run:
    start = time.perf_counter()
    if run_cfg["metric"] not in FITNESS_METRICS:
        raise ZcgpError(f"unknown fitness '{run_cfg['metric']}'; choose from {', '.join(FITNESS_METRICS)}")
    scope = train + [t for t in report if t.id not in {u.id for u in train}]
    missing = run_cfg["missing"]
    terminals, excluded = select_terminals(scope, missing, run_cfg["proxies"])
    terminals = _heldout_only(terminals, excluded, run_cfg["terminal_set"], train, report)
    by_validation = run_cfg["select"] == "validation"
    if run_cfg["select"] not in SELECT_MODES:
        raise ZcgpError(f"unknown final selection '{run_cfg['select']}'; choose from {', '.join(SELECT_MODES)}")
    dataset_options = {k: run_cfg[k] for k in DATASET_OPTIONS}

    def build(part):
        return Dataset.build(train, terminals, part, run_cfg["seed"], run_cfg["train_fraction"], **dataset_options)

    dataset = build("fit" if by_validation else "train")
    validation = build("validation") if by_validation else None
    evaluator = Evaluator(dataset, n_jobs, backend, scheduler)
    if state is not None:
        engine = Engine.restore(state, dataset, evaluator, config.generations, where=where)
    else:
        engine = Engine(dataset, config, evaluator)
    note = f"; excluded: {', '.join(excluded)}" if excluded else ""
    inner = (f" (the other {validation.n} train architectures choose the final formula: select validation)"
             if by_validation else "")
    _say(progress, f"evolving on {len(train)} task(s), {dataset.n} train architectures{inner}, "
                   f"terminals: {', '.join(terminals)}{note}")
    partial = {p: [t.id for t in scope if p not in t.proxies] for p in terminals}
    partial = {p: ids for p, ids in partial.items() if ids}
    if partial:
        _say(progress, f"missing proxies ({missing}: {MISSING_HELP[missing]}): "
                       + "; ".join(f"{p} on {len(ids)} task(s)" for p, ids in partial.items()))
    if engine.generation >= 0:
        _say(progress, f"resuming at generation {engine.generation} of {config.generations}")

    def checkpoint(eng: Engine) -> None:
        save_checkpoint(out, {**eng.state(), "run": run_cfg})

    engine.run(on_generation=checkpoint if out is not None else None, quiet=not progress)
    if engine.generation >= 0 and not engine.logbook:
        raise ZcgpError("nothing was evolved")
    result = _result(engine, run_cfg, train, report, terminals, excluded, dataset, validation, evaluator, n_jobs)
    if measure_cost:
        from zcgp._cost import measure_costs

        cost_start = time.perf_counter()
        result["cost_measured_on"] = measure_costs(result, progress)
        result["timings"]["cost_s"] = time.perf_counter() - cost_start
    result["timings"]["total_s"] = time.perf_counter() - start
    run = Run(result, engine.logbook)
    if out is not None:
        run.save(out, plots=plots)
    return run


def _result(engine, run_cfg, train, report, terminals, excluded, dataset, validation, evaluator, n_jobs) -> dict:
    report_start = time.perf_counter()
    if run_cfg["select"] == "inner-loso":
        settings = EvolveSettings(config=engine.config, pick="inner-loso",
                                  **{k: run_cfg[k] for k in ("metric", "transform", "missing", "train_fraction")},
                                  **{k: run_cfg[k] for k in LEVER_OPTIONS})
        cap, inner_scores = inner_loso_cap(train, terminals, settings, run_cfg["seed"])
        best, candidates = capped_best(engine, cap), []
        loso = {"size_cap": cap, "inner_scores": inner_scores}
    else:
        best, candidates = select_final(engine, validation)
        loso = None
    tree = engine.tree(best.key)
    train_ids = {t.id for t in train}
    roles = {t.id: ("evolved on" if t.id in train_ids else "transfer") for t in report}
    missing = run_cfg["missing"]
    rows = formula_rows(tree, report, terminals, run_cfg["seed"], run_cfg["train_fraction"],
                        run_cfg["transform"], roles, missing)
    pset = engine.pset
    seconds = engine.elapsed
    partial_note = {
        "impute": f"imputed: a proxy absent from a task is the constant {neutral_value(run_cfg['transform'])} "
                  f"there (neutral value of the {run_cfg['transform']} transform)",
        "exclude": "excluded: only proxies usable on every task",
    }.get(missing, f"allowed: a formula is scored only on tasks that have its proxies (undefined tasks: {missing})")
    result = {
        "command": "evolve",
        "config": {
            **run_cfg, **dataclasses.asdict(engine.config), "train_tasks": [t.id for t in train],
            "report_tasks": [t.id for t in report], "terminals": list(terminals), "excluded_proxies": excluded,
            "partial_proxies": partial_note, "transform_scope": "per task, within the scored set of architectures",
            "n_jobs": n_jobs, "backend": evaluator.backend,
            "validation_fraction": DEFAULT_VALIDATION_FRACTION if validation is not None else None,
        },
        "seed": run_cfg["seed"],
        "timings": {
            "evolve_s": seconds, "generations": engine.generation, "evaluations": engine.evaluations,
            "lookups": engine.lookups, "cache_hit_rate": 1 - engine.evaluations / max(engine.lookups, 1),
            "evaluations_per_s": engine.evaluations / max(seconds, 1e-9),
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
            "mode": run_cfg["select"], "inner_loso": loso,
            "candidates": [{"formula": r["entry"].key, "train_fitness": r["entry"].fitness,
                            "size": r["entry"].size, "validation_fitness": r["validation"]} for r in candidates],
        },
        "tasks": rows,
        "summary": {m: summary(rows, m) for m in METRICS},
        "hall_of_fame": [entry_dict(i, e, pset) for i, e in enumerate(engine.hof)],
        "pareto_size": [entry_dict(i, e, pset) for i, e in enumerate(engine.front_size)],
        "pareto_cost": [entry_dict(i, e, pset) for i, e in enumerate(engine.front_cost)],
    }
    result["timings"]["report_s"] = time.perf_counter() - report_start
    return result
