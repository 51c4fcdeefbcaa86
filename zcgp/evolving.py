"""Evolve a proxy formula: `zcgp.evolve`, `zcgp.resume` (and the `zcgp evolve` command).

Options are passed through by name: `evolve(..., **options)` takes every run field of
`gp.settings.EvolveSettings` (checkpointed; a given one must match on resume) and every
`GPConfig` field. Nothing here imports torch unless `measure_cost=True`.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, fields, replace
from pathlib import Path

from zcgp.errors import ZcgpError
from zcgp.fitness.rank import METRICS
from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import label_counts
from zcgp.fitness.tasks import Task
from zcgp.fitness.transforms import neutral_value
from zcgp.gp.checkpoint import checkpoint_path, load_checkpoint, save_checkpoint
from zcgp.gp.dataset import DEFAULT_VALIDATION_FRACTION, select_terminals, terminals_for
from zcgp.gp.evolution import Engine
from zcgp.gp.final import InnerLoso, final_entry
from zcgp.gp.formula import infix
from zcgp.gp.parallel import Evaluator
from zcgp.gp.report import formula_rows, summary
from zcgp.gp.results import RUN_FILES, entry_dict, simplified
from zcgp.gp.settings import RUN_FIELDS, EvolveSettings, GPConfig, option_names
from zcgp.nas.cost import measure_costs
from zcgp.run import Run
from zcgp.util import claim_dir

MISSING_HELP = {
    "impute": "a neutral constant on the tasks lacking it (0.5 under rank, else 0)",
    "exclude": "not used: only proxies present on every task are terminals",
    "zero": "a formula using it is undefined there and that task counts 0 in the mean",
    "skip": "a formula using it is undefined there and that task is left out of the mean",
}
CHECKPOINT_KEYS = ("run", "config", "dataset", "fingerprint", "generation", "random_state", "population",
                   "cache", "hof", "front_size", "front_cost", "logbook", "counters")

__all__ = ["MISSING_HELP", "evolve", "option_names", "resume"]


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr)


def _task_list(tasks, data, data_dir, columns=None) -> list[Task]:
    if isinstance(tasks, Task):
        return [tasks]
    if isinstance(tasks, (list, tuple)) and tasks and all(isinstance(t, Task) for t in tasks):
        return list(tasks)
    return load_tasks("all" if tasks is None else tasks, data=data, columns=columns, data_dir=data_dir)


def evolve(tasks="all", *, seed: int = 0, population: int | None = None, generations: int | None = None,
           metric: str | None = None, n_jobs: int = -1, scheduler: str | None = None, backend: str = "loky",
           progress: bool = True, test_tasks=None, data=None, columns: dict | None = None, data_dir=None,
           out=None, overwrite: bool = False, plots: bool = True, measure_cost: bool = False, **options) -> Run:
    """Evolve one formula on the train splits of `tasks`.

    Parameters
    ----------
    tasks : str, Task or list
        Task objects, or a selection ("all", "nb201", task ids; see `zcgp.load_tasks`).
    seed : int
        Seeds the splits and the engine: the same seed gives the same run for any `n_jobs`.
    population, generations : int, optional
        GP budget (default: `GPConfig`'s, 2000 x 40).
    metric : str, optional
        Fitness per task (`fitness.families.FITNESS_METRICS`; default "kendall").
    n_jobs : int
        Worker processes (-1, the default: every core): the inner leave-one-space-out runs,
        meanwhile the main run in this process; without inner runs, formula evaluation. The
        result is the same for any number.
    scheduler : str, optional
        A dask.distributed scheduler address (evaluation through joblib's dask backend).
    backend : str
        joblib backend of `gp.parallel.BACKENDS`.
    progress : bool
        Progress bar and messages on stderr.
    test_tasks : optional
        Also report the formula on these tasks (transfer).
    data, columns, data_dir :
        A user table and its column roles, or another directory of the shipped files.
    out : path, optional
        Write the run directory there, with a checkpoint after every generation
        (`zcgp.resume(out)` continues it); refused when it holds a run unless `overwrite`.
    plots : bool
        Write the PNG plots into `out`.
    measure_cost : bool
        On one buildable space, measure the seconds per network of the final formula and of
        each cost-front member on this machine (imports torch; cached and read again by
        `zcgp.search`).
    **options
        Run settings and `GPConfig` fields by name (`option_names()`), e.g.
        `missing="exclude"`, `select="train"`, `terminal_set="heldout"`, `elite=5`.

    Returns
    -------
    Run

    Raises
    ------
    ZcgpError
        Unknown options or tasks, bad values, an output held by another process.

    Examples
    --------
    >>> import zcgp
    >>> run = zcgp.evolve("nb201", population=40, generations=2, progress=False)
    >>> sorted(run.labels["spaces"])
    ['nb201']
    """
    settings = EvolveSettings.from_options(**{**options, "metric": metric, "population": population,
                                              "generations": generations})
    settings = settings.with_seed(seed).validate()
    train = _task_list(tasks, data, data_dir, columns)
    report = train if test_tasks is None else _task_list(test_tasks, data, data_dir, columns)
    run_cfg = {"tasks": [t.id for t in train], "test_tasks": None if test_tasks is None else [t.id for t in report],
               "data": None if data is None else str(data), "data_columns": columns, "seed": int(seed),
               **settings.run_dict()}
    with claim_dir(out, RUN_FILES, overwrite):
        return _execute(run_cfg, settings, train, report, None, out, n_jobs=n_jobs, backend=backend,
                        scheduler=scheduler, progress=progress, plots=plots, measure_cost=measure_cost)


def resume(directory, *, generations: int | None = None, n_jobs: int = -1, scheduler: str | None = None,
           backend: str = "loky", progress: bool = True, data=None, data_dir=None, plots: bool = True,
           measure_cost: bool = False, **given) -> Run:
    """Continue the run checkpointed in `directory` to exactly the result of an uninterrupted run.

    Parameters
    ----------
    directory : path
        A run directory written by `zcgp.evolve(out=...)` or `zcgp evolve --out`.
    generations : int, optional
        Run to this many generations (more than the checkpoint's extends the run).
    n_jobs, scheduler, backend, progress, plots, measure_cost :
        As in `evolve` (they do not change the result).
    data, data_dir : optional
        Where the run's tables are now (default: where they were).
    **given
        Settings (tasks, seed, metric and `evolve`'s options); each must equal the checkpoint's.

    Returns
    -------
    Run

    Raises
    ------
    ZcgpError
        A missing or corrupt checkpoint, a setting that conflicts with it, other data.
    """
    given = {k: v for k, v in given.items() if v is not None}
    state = load_checkpoint(directory)
    where = f"checkpoint {checkpoint_path(directory)}"
    lacking = [k for k in CHECKPOINT_KEYS if k not in state]
    if lacking:
        raise ZcgpError(f"{where} is corrupt: missing {', '.join(lacking)}")
    saved = state["run"]
    if not (isinstance(saved, dict) and {"tasks", "seed", *RUN_FIELDS} <= set(saved)
            and isinstance(state["config"], dict)):
        raise ZcgpError(f"{where} is corrupt: bad run settings")
    source = data if data is not None else saved.get("data")
    columns = saved.get("data_columns")
    train = load_tasks(saved["tasks"], data=source, columns=columns, data_dir=data_dir)
    report = train if saved.get("test_tasks") is None else load_tasks(saved["test_tasks"], data=source,
                                                                       columns=columns, data_dir=data_dir)
    for name in ("tasks", "test_tasks"):
        if given.get(name) is not None:
            given[name] = [t.id for t in _task_list(given[name], source, data_dir, columns)]
    known = {"tasks", "test_tasks", "seed", *RUN_FIELDS, *(f.name for f in fields(GPConfig))}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ZcgpError(f"unknown option '{unknown[0]}'; known: {', '.join(option_names())}")
    if isinstance(given.get("proxies"), str):
        given["proxies"] = [p.strip() for p in given["proxies"].split(",") if p.strip()]
    for key, value in given.items():
        have = saved.get(key, state["config"].get(key))
        if (list(value) if isinstance(value, tuple) else value) != have:
            raise ZcgpError(f"--{key.replace('_', '-')} {value} conflicts with the checkpoint ({have}); "
                            f"leave it out to resume")
    config = GPConfig.from_dict(state["config"])
    if generations is not None:
        config.generations = generations
    settings = EvolveSettings(**{k: saved[k] for k in RUN_FIELDS}, gp=config)
    settings = replace(settings, proxies=None if settings.proxies is None else tuple(settings.proxies)).validate()
    with claim_dir(directory, RUN_FILES, resume=True):
        return _execute(dict(saved), settings, train, report, state, Path(directory), n_jobs=n_jobs,
                        backend=backend, scheduler=scheduler, progress=progress, plots=plots,
                        where=where, measure_cost=measure_cost)


def _terminals(settings: EvolveSettings, train, report) -> tuple[tuple[str, ...], dict]:
    """The run's terminals and the proxies left out, each with its reason. With terminal set
    "heldout", only the proxies every --test-tasks task outside the training tasks has (what
    the new space can compute; its labels are not read)."""
    scope = train + [t for t in report if t.id not in {u.id for u in train}]
    terminals, excluded = select_terminals(scope, settings.missing, settings.proxies)
    unseen = [t for t in report if t.id not in {u.id for u in train}]
    kept = terminals_for(terminals, unseen, settings.terminal_set)
    excluded.update({p: "not on the held-out --test-tasks" for p in terminals if p not in kept})
    return kept, excluded


def _execute(run_cfg: dict, settings: EvolveSettings, train: list[Task], report: list[Task], state, out, *,
             n_jobs, backend, scheduler, progress, plots, where="checkpoint", measure_cost=False) -> Run:
    start = time.perf_counter()
    terminals, excluded = _terminals(settings, train, report)
    by_validation = settings.select == "validation"
    seed = run_cfg["seed"]
    dataset = settings.dataset(train, terminals, seed, "fit" if by_validation else "train")
    validation = settings.dataset(train, terminals, seed, "validation") if by_validation else None
    by_loso = settings.select == "inner-loso" and len({t.space for t in train}) > 1
    # while the inner runs use the workers, the main run evaluates in this process
    evaluator = Evaluator(dataset, 1 if by_loso and scheduler is None else n_jobs, backend, scheduler)
    engine = Engine.restore(state, dataset, evaluator, settings.gp.generations, where=where) \
        if state is not None else Engine(dataset, settings.gp, evaluator)
    note = f"; excluded: {', '.join(excluded)}" if excluded else ""
    inner = (f" (the other {validation.n} train architectures choose the final formula: select validation)"
             if by_validation else "")
    _say(progress, f"evolving on {len(train)} task(s), {dataset.n} train architectures{inner}, "
                   f"terminals: {', '.join(terminals)}{note}")
    scope = train + [t for t in report if t.id not in {u.id for u in train}]
    partial = {p: [t.id for t in scope if p not in t.proxies] for p in terminals}
    partial = {p: ids for p, ids in partial.items() if ids}
    if partial:
        _say(progress, f"missing proxies ({settings.missing}: {MISSING_HELP[settings.missing]}): "
                       + "; ".join(f"{p} on {len(ids)} task(s)" for p, ids in partial.items()))
    inner = None
    if by_loso:
        _say(progress, f"inner leave-one-space-out: one run per training space at {settings.inner_scale:g} of "
                       f"the budget, " + ("after the main run" if n_jobs == 1 else "in worker processes meanwhile"))
        inner = InnerLoso(train, terminals, settings, seed, n_jobs)
    if engine.generation >= 0:
        _say(progress, f"resuming at generation {engine.generation} of {settings.gp.generations}")

    def checkpoint(eng: Engine) -> None:
        save_checkpoint(out, {**eng.state(), "run": run_cfg})

    engine.run(on_generation=checkpoint if out is not None else None, quiet=not progress)
    if engine.generation >= 0 and not engine.logbook:
        raise ZcgpError("nothing was evolved")
    wait = time.perf_counter()
    inner_result = inner.result() if inner is not None else None
    result = _result(engine, settings, run_cfg, train, report, terminals, excluded, validation, evaluator, n_jobs,
                     inner_result)
    result["timings"]["inner_wait_s"] = time.perf_counter() - wait
    if measure_cost:
        cost_start = time.perf_counter()
        result["cost_measured_on"] = measure_costs(result, progress)
        result["timings"]["cost_s"] = time.perf_counter() - cost_start
    result["timings"]["total_s"] = time.perf_counter() - start
    run = Run(result, engine.logbook)
    if out is not None:
        run.save(out, plots=plots)
    return run


def _partial_note(missing: str, transform: str) -> str:
    if missing == "impute":
        return (f"imputed: a proxy absent from a task is the constant {neutral_value(transform)} there "
                f"(neutral value of the {transform} transform)")
    if missing == "exclude":
        return "excluded: only proxies usable on every task"
    return f"allowed: a formula is scored only on tasks that have its proxies (undefined tasks: {missing})"


def _result(engine, settings: EvolveSettings, run_cfg, train, report, terminals, excluded, validation,
            evaluator, n_jobs, inner_result) -> dict:
    report_start = time.perf_counter()
    seed = run_cfg["seed"]
    best, details = final_entry(engine, settings, train, terminals, seed, validation, n_jobs, inner_result)
    candidates = details.get("candidates", [])
    tree = engine.tree(best.key)
    train_ids = {t.id for t in train}
    roles = {t.id: ("evolved on" if t.id in train_ids else "transfer") for t in report}
    metrics = tuple(dict.fromkeys((*METRICS, settings.metric)))
    rows = formula_rows(tree, report, terminals, seed, settings.train_fraction, settings.transform, roles,
                        settings.missing, metrics)
    pset = engine.pset
    seconds = engine.elapsed
    loso = {k: details[k] for k in ("size_cap", "inner_scores")} if "size_cap" in details else None
    result = {
        "command": "evolve",
        "config": {
            **run_cfg, **asdict(engine.config), "train_tasks": [t.id for t in train],
            "report_tasks": [t.id for t in report], "terminals": list(terminals), "excluded_proxies": excluded,
            "partial_proxies": _partial_note(settings.missing, settings.transform),
            "transform_scope": "per task, within the scored set of architectures",
            "n_jobs": n_jobs, "backend": evaluator.backend,
            "validation_fraction": DEFAULT_VALIDATION_FRACTION if validation is not None else None,
        },
        "seed": seed,
        "labels": label_counts(train, seed, settings.train_fraction),
        "timings": {
            "evolve_s": seconds, "generations": engine.generation, "evaluations": engine.evaluations,
            "lookups": engine.lookups, "cache_hit_rate": 1 - engine.evaluations / max(engine.lookups, 1),
            "evaluations_per_s": engine.evaluations / max(seconds, 1e-9),
        },
        "best": {
            "formula": best.key, "formula_infix": infix(tree),
            "formula_simplified": simplified(tree, settings.transform),
            "size": best.size, "depth": best.depth, "cost_s": best.cost, "train_fitness": best.fitness,
            "train_per_task": dict(zip(engine.dataset.task_ids, best.per_task)),
            "validation_fitness": candidates[0]["validation"] if candidates else None,
            "validation_per_task": (dict(zip(validation.task_ids, candidates[0]["validation_per_task"]))
                                    if candidates else None),
            "train_best_formula": engine.best.key,
        },
        "select": {
            "mode": settings.select, "inner_loso": loso,
            "candidates": [{"formula": r["entry"].key, "train_fitness": r["entry"].fitness,
                            "size": r["entry"].size, "validation_fitness": r["validation"]} for r in candidates],
        },
        "tasks": rows,
        "summary": {m: summary(rows, m) for m in metrics},
        "hall_of_fame": [entry_dict(i, e, pset) for i, e in enumerate(engine.hof)],
        "pareto_size": [entry_dict(i, e, pset) for i, e in enumerate(engine.front_size)],
        "pareto_cost": [entry_dict(i, e, pset) for i, e in enumerate(engine.front_cost)],
    }
    result["timings"]["report_s"] = time.perf_counter() - report_start
    return result
