"""Build the shipped suite proxies: `zcgp suite NAME --seed 0 --out DIR` and `zcgp.build_suite`.

Each suite proxy is one `zcgp.evolve` run with the defaults on its tasks (`suite`: all 19;
`suite-without-SPACE`: every space but SPACE), written as JSON with its provenance and its
scores: per task (the formula on every task's test split, and whether it was evolved on
that task) and, for `suite-without-SPACE`, on all architectures of SPACE, the space it never
saw (leave-one-space-out). The command in the provenance regenerates the identical formula.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np

from zcgp import __version__
from zcgp.evolving import evolve
from zcgp.fitness.families import score as family_score
from zcgp.fitness.sources import load_tasks
from zcgp.gp.dataset import Dataset
from zcgp.gp.primitives import to_code
from zcgp.nas.shipped import SUITE_NAMES, check_name, held_out_space, shipped_path, suite_tasks
from zcgp.proxy import Proxy
from zcgp.util import atomic_write_json

SCORE_METRICS = ("kendall", "spearman", "top10")

__all__ = ["SCORE_METRICS", "build_suite", "suite_scores", "write_suite"]


def suite_scores(proxy: Proxy, seed: int, train_fraction: float, trained: set[str], data_dir=None) -> dict:
    """A formula's scores on every shipped task.

    Parameters
    ----------
    proxy : Proxy
    seed, train_fraction :
        The splits of the run.
    trained : set of str
        The tasks the formula was evolved on (scored on their test split; the others on all
        their architectures).
    data_dir : path, optional

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
        data = Dataset.build([task], proxy.terminals, "test" if seen else "all", seed, train_fraction,
                             proxy.transform, missing="impute")
        values = data.outputs([code])[0]
        row = {"evolved_on": seen, "split": "test" if seen else "all"}
        row.update({m: float(family_score(data.blocks[0].target, values, m)[0]) for m in SCORE_METRICS})
        per_task[task.id] = row
        if not seen:
            held.setdefault(task.space, []).append(row)
    return {"per_task": per_task,
            "held_out": {space: {m: float(np.mean([r[m] for r in rows])) for m in SCORE_METRICS}
                         for space, rows in held.items()}}


def build_suite(name: str, *, seed: int = 0, n_jobs: int = -1, progress: bool = False, data_dir=None) -> dict:
    """Evolve suite proxy `name` with the defaults and return its JSON description.

    Parameters
    ----------
    name : str
        One of `nas.shipped.SUITE_NAMES`.
    seed : int
        The run's seed (the shipped files use 0).
    n_jobs : int
        Worker processes (the result is the same for any number).
    progress : bool
        Progress on stderr.
    data_dir : path, optional
        Another directory of the NAS-Bench-Suite-Zero files.

    Returns
    -------
    dict
        formula, formula_infix, formula_simplified, terminals, transform, missing, provenance
        (command, version, tasks, seed, train fraction, settings, labels), scores.
    """
    check_name(name)
    run = evolve(suite_tasks(name), seed=seed, n_jobs=n_jobs, progress=progress, data_dir=data_dir)
    best, config = run.result["best"], run.config
    proxy = Proxy(run)
    trained = set(config["train_tasks"])
    settings = {k: config[k] for k in ("metric", "transform", "missing", "terminal_set", "select", "aggregation",
                                       "inner_scale", "population", "generations", "max_depth", "parsimony")}
    return {
        "name": name, "formula": best["formula"], "formula_infix": best["formula_infix"],
        "formula_simplified": best["formula_simplified"], "terminals": list(proxy.terminals),
        "transform": proxy.transform, "missing": proxy.missing,
        "provenance": {
            "command": f"zcgp suite {name} --seed {seed} --out DIR", "zcgp_version": __version__,
            "tasks": config["train_tasks"], "held_out_space": held_out_space(name), "seed": seed,
            "train_fraction": config["train_fraction"], "settings": settings, "labels": run.labels,
            "train_fitness": best["train_fitness"], "size": best["size"],
            "select": run.result["select"]["inner_loso"], "machine": platform.node(),
            "evolve_seconds": run.result["timings"]["total_s"],
        },
        "scores": suite_scores(proxy, seed, config["train_fraction"], trained, data_dir),
    }


def write_suite(names=SUITE_NAMES, out=None, *, seed: int = 0, n_jobs: int = -1, progress: bool = False,
                data_dir=None) -> list[Path]:
    """Build every suite proxy of `names` and write NAME.json.

    Parameters
    ----------
    names : sequence of str
        Suite proxies to build.
    out : path, optional
        Where to write (default: the package's own `zcgp/data/suite/`).
    seed, n_jobs, progress, data_dir :
        As in `build_suite`.

    Returns
    -------
    list of Path
        The files written.
    """
    written = []
    for name in names:
        payload = build_suite(name, seed=seed, n_jobs=n_jobs, progress=progress, data_dir=data_dir)
        path = shipped_path(name) if out is None else Path(out) / f"{name}.json"
        atomic_write_json(path, payload)
        written.append(path)
    return written
