"""Build the shipped suite proxies: `zcgp suite NAME --seed 0 --out DIR` and `zcgp.build_suite`.

Each evolved suite proxy is one `zcgp.evolve` run with the defaults on its tasks (`suite`:
all 19; `suite-without-SPACE`: every space but SPACE). Each combined one
(`suite-combined[-without-SPACE]`) is a run on the same tasks with the fitness COMBINE_METRIC
(the top of the ranking: what a search keeps), its formula then adapted by `zcgp.adapt` with
COMBINE_METHOD over COMBINE_PROXIES on all the labeled architectures of those tasks: a
linear formula that orders their top architectures first, still without a label of SPACE.
Each is written as JSON with its provenance and its scores: per task (a task the formula was
built on is scored on the architectures it did not read: the test split of an
evolved proxy; none are left for a combined one, which is scored on all of them, in
distribution) and on all architectures of SPACE, the space it never saw (leave-one-space-out).
The command in the provenance regenerates the identical formula.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np

from zcgp import __version__
from zcgp.adapting import COMBINE_METHOD, COMBINE_PROXIES, combine
from zcgp.evolving import evolve
from zcgp.fitness.families import score as family_score
from zcgp.fitness.sources import load_tasks
from zcgp.gp.dataset import Dataset
from zcgp.gp.primitives import to_code
from zcgp.gp.results import simplified
from zcgp.nas.shipped import SHIPPED_NAMES, check_name, evolved_name, held_out_space, shipped_path, suite_tasks
from zcgp.proxy import Proxy
from zcgp.util import atomic_write_json

SCORE_METRICS = ("kendall", "spearman", "top10")
COMBINE_METRIC = "sample500"        # chosen for the search without NB201: docs/results/transfer.md

__all__ = ["COMBINE_METRIC", "SCORE_METRICS", "build_suite", "suite_scores", "write_suite"]


def suite_scores(proxy: Proxy, seed: int, train_fraction: float, trained: set[str], data_dir=None,
                 seen_split: str = "test") -> dict:
    """A formula's scores on every shipped task.

    Parameters
    ----------
    proxy : Proxy
    seed, train_fraction :
        The splits of the run.
    trained : set of str
        The tasks the formula was built on (scored on `seen_split`; the others on all their
        architectures).
    data_dir : path, optional
    seen_split : {"test", "all"}
        What a trained task is scored on: its test split (an evolved formula read only the train
        split), or all of it (a combined one read every label of it: in distribution).

    Returns
    -------
    dict
        {"per_task": {task: {"evolved_on", "split", metric: value}}, "held_out": {space:
        {metric: mean over the space's tasks}}} for the spaces it never saw.
    """
    tasks = load_tasks("all", data_dir=data_dir)
    code = to_code(proxy.tree)
    per_task, held = {}, {}
    for task in tasks:
        seen = task.id in trained
        split = seen_split if seen else "all"
        data = Dataset.build([task], proxy.terminals, split, seed, train_fraction, proxy.transform, missing="impute")
        values = data.outputs([code])[0]
        row = {"evolved_on": seen, "split": split}
        row.update({m: float(family_score(data.blocks[0].target, values, m)[0]) for m in SCORE_METRICS})
        per_task[task.id] = row
        if not seen:
            held.setdefault(task.space, []).append(row)
    return {"per_task": per_task,
            "held_out": {space: {m: float(np.mean([r[m] for r in rows])) for m in SCORE_METRICS}
                         for space, rows in held.items()}}


def _metric(name: str) -> str | None:
    """The fitness shipped proxy `name` is evolved with: COMBINE_METRIC for a combined one, else
    the default (None)."""
    return COMBINE_METRIC if name != evolved_name(name) else None


def _combined(name: str, run, data_dir) -> tuple[Proxy, dict, dict]:
    """The run's formula combined on all labeled architectures of its tasks; (proxy, labels, combine)."""
    adapted = combine(run, load_tasks(run.config["train_tasks"], data_dir=data_dir))
    labels = {k: v for k, v in adapted.labels.items() if k != "archs"}     # every architecture of the tasks
    how = {"method": COMBINE_METHOD, "proxies": list(COMBINE_PROXIES), "metric": run.config["metric"],
           "evolved_formula": run.result["best"]["formula_infix"], "split": "all"}
    return adapted.proxy, labels, how


def build_suite(name: str, *, seed: int = 0, n_jobs: int = -1, progress: bool = False, data_dir=None,
                run=None) -> dict:
    """Build shipped proxy `name` with the defaults and return its JSON description.

    Parameters
    ----------
    name : str
        One of `nas.shipped.SHIPPED_NAMES`.
    seed : int
        The run's seed (the shipped files use 0).
    n_jobs : int
        Worker processes (the result is the same for any number).
    progress : bool
        Progress on stderr.
    data_dir : path, optional
        Another directory of the NAS-Bench-Suite-Zero files.
    run : Run, optional
        The evolution of `name`'s tasks with this seed (and, for a combined proxy, the fitness
        COMBINE_METRIC), when it is at hand (`write_suite` runs each once); else it is run here.

    Returns
    -------
    dict
        formula, formula_infix, formula_simplified, terminals, transform, missing, provenance
        (command, version, tasks, seed, train fraction, settings, labels; for a combined proxy
        also "combine": method, proxies, the evolved formula), scores.
    """
    check_name(name)
    combined = name != evolved_name(name)
    if run is None:
        run = evolve(suite_tasks(name), seed=seed, n_jobs=n_jobs, progress=progress, data_dir=data_dir,
                     metric=_metric(name))
    best, config = run.result["best"], run.config
    proxy, labels, extra = Proxy(run), run.labels, {}
    if combined:
        proxy, labels, how = _combined(name, run, data_dir)
        extra = {"combine": how}
    trained = set(config["train_tasks"])
    settings = {k: config[k] for k in ("metric", "transform", "missing", "terminal_set", "select", "aggregation",
                                       "inner_scale", "population", "generations", "max_depth", "parsimony")}
    return {
        "name": name, "formula": str(proxy.tree), "formula_infix": proxy.formula,
        "formula_simplified": simplified(proxy.tree, proxy.transform), "terminals": list(proxy.terminals),
        "transform": proxy.transform, "missing": proxy.missing,
        "provenance": {
            "command": f"zcgp suite {name} --seed {seed} --out DIR", "zcgp_version": __version__,
            "tasks": config["train_tasks"], "held_out_space": held_out_space(name), "seed": seed,
            "train_fraction": config["train_fraction"], "settings": settings, "labels": labels,
            "train_fitness": best["train_fitness"], "size": best["size"],
            "select": run.result["select"]["inner_loso"], "machine": platform.node(),
            "evolve_seconds": run.result["timings"]["total_s"], **extra,
        },
        "scores": suite_scores(proxy, seed, config["train_fraction"], trained, data_dir,
                               "all" if combined else "test"),
    }


def write_suite(names=SHIPPED_NAMES, out=None, *, seed: int = 0, n_jobs: int = -1, progress: bool = False,
                data_dir=None) -> list[Path]:
    """Build every shipped proxy of `names` and write NAME.json.

    Parameters
    ----------
    names : sequence of str
        Shipped proxies to build; each evolution (tasks, fitness) runs once.
    out : path, optional
        Where to write (default: the package's own `zcgp/data/suite/`).
    seed, n_jobs, progress, data_dir :
        As in `build_suite`.

    Returns
    -------
    list of Path
        The files written.
    """
    written, runs = [], {}
    for name in names:
        key = (suite_tasks(name), _metric(name))
        if key not in runs:
            runs[key] = evolve(key[0], seed=seed, n_jobs=n_jobs, progress=progress, data_dir=data_dir, metric=key[1])
        payload = build_suite(name, seed=seed, data_dir=data_dir, run=runs[key])
        path = shipped_path(name) if out is None else Path(out) / f"{name}.json"
        atomic_write_json(path, payload)
        written.append(path)
    return written
