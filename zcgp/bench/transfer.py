"""Does an evolved formula hold on spaces or tasks it never saw? Leave-one-out evaluation.

For each held-out unit (a space, or a task) and seed, everything is fitted on the train
splits of the other units only (`fit_unit`; the held-out targets are never read), then
scored on all architectures of the held-out unit (`score_unit`):
  * evolved: the GP formula (`EvolveSettings`, i.e. the `zcgp evolve` options, final
    formula chosen by `gp.final.final_entry`);
  * combined (with `combine`): that formula combined (`zcgp.adapting.combine`, e.g. by
    "combine-weighted") on all labeled architectures of the training units, as the shipped
    `suite-combined-without-SPACE` proxies are built;
  * best proxy (train): the hand-crafted proxy with the best mean train Kendall over the
    training tasks (a proxy absent from a task scores 0 there);
  * ridge: ridge regression (alpha 1) of each task's accuracy rank on its proxy ranks,
    stacked over the training tasks (a proxy absent from a task: the neutral 0.5);
  * lightgbm: a gradient-boosted regressor on the same features, when lightgbm is installed;
  * per-task best proxy: the proxy with the best held-out Kendall. It USES HELD-OUT LABELS
    and is an upper reference for "pick one proxy", not a method.
`all_tasks_table` evolves one formula on all tasks and compares it, on each task's test
split, with the best proxy of that task picked on its train split.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

from zcgp.adapting import combine as combine_formula
from zcgp.errors import ZcgpError
from zcgp.fitness.baselines import (
    best_train_proxy,
    boost_available,
    fit_boosted,
    fit_ridge,
    rank_features,
    task_baselines,
    training_matrix,
)
from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.families import score as family_score
from zcgp.fitness.rank import RankTarget
from zcgp.fitness.splits import task_split
from zcgp.fitness.transforms import apply_transform
from zcgp.gp.dataset import Dataset, select_terminals, terminals_for
from zcgp.gp.final import final_entry, run_engine
from zcgp.gp.formula import infix
from zcgp.gp.primitives import to_code
from zcgp.gp.settings import EvolveSettings
from zcgp.proxy import Proxy
from zcgp.util import finish, pyplot

UNITS = ("space", "task")
REPORT_METRICS = ("kendall", "spearman", "wkendall", "top10", "sample500", "sample500_p10")
METHODS = ("evolved", "combined", "best_proxy", "ridge", "lightgbm", "oracle_proxy")
METHOD_LABELS = {"evolved": "evolved", "combined": "combined", "best_proxy": "best proxy (train)", "ridge": "ridge",
                 "lightgbm": "lightgbm", "oracle_proxy": "per-task best proxy (uses held-out labels)"}


def evolve_formula(tasks, terminals, settings: EvolveSettings, seed: int):
    """(engine, final entry, what chose it) of one run on the train splits of `tasks`.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks evolved on.
    terminals : sequence of str
        The terminals.
    settings : EvolveSettings
        The run settings, final selection included.
    seed : int
        The split and engine seed.

    Returns
    -------
    engine : Engine
        The finished run.
    entry : Entry
        The final formula.
    details : dict
        What chose it (`gp.final.final_entry`'s details, without the candidates).
    """
    engine = run_engine(tasks, terminals, settings, seed)
    entry, details = final_entry(engine, settings, tasks, terminals, seed)
    details.pop("candidates", None)
    return engine, entry, details


def fit_unit(train_tasks, heldout, terminals, settings: EvolveSettings, seed: int,
             boost: bool = True, combine: str | None = None) -> dict:
    """Every choice made on the training side: reads `heldout` proxies, never its targets.

    Parameters
    ----------
    train_tasks : sequence of Task
        The tasks fitted on (their train splits).
    heldout : sequence of Task
        The held-out tasks; only their proxies are read (lightgbm's predictions).
    terminals : sequence of str
        The terminals of the formula and the features of ridge and lightgbm.
    settings : EvolveSettings
        The evolution settings.
    seed : int
        The split, engine and lightgbm seed.
    boost : bool
        Also fit lightgbm when it is installed.
    combine : str, optional
        A combining method of `zcgp.adapt` ("combine", "combine-weighted"): also the formula
        combined on every labeled architecture of `train_tasks`.

    Returns
    -------
    dict
        formula, train_fitness, size, select (what chose the formula), tree, best_proxy (name),
        ridge ((coef, intercept)), lightgbm (task id -> predictions, or None) and combined (a
        Proxy, or None).
    """
    engine, entry, details = evolve_formula(train_tasks, terminals, settings, seed)
    x, y = training_matrix(train_tasks, terminals, seed, settings.train_fraction)
    coef, intercept = fit_ridge(x, y)
    out = {"formula": entry.key, "train_fitness": entry.fitness, "size": entry.size, "select": details,
           "tree": engine.tree(entry.key),
           "best_proxy": best_train_proxy(train_tasks, seed, settings.train_fraction, terminals),
           "ridge": (coef, intercept), "lightgbm": None, "combined": None}
    if combine is not None:
        base = Proxy(infix(out["tree"]), transform=settings.transform, missing="impute")
        out["combined"] = combine_formula(base, train_tasks, combine).proxy
    if boost and boost_available():
        model = fit_boosted(x, y, seed)
        out["lightgbm"] = {t.id: model.predict(rank_features(t, terminals, np.arange(t.n))) for t in heldout}
    return out


# ---- scoring on the held-out unit --------------------------------------------------------------
def _metrics_of(target: RankTarget, scores: np.ndarray, metrics) -> dict:
    return {m: float(family_score(target, scores, m)[0]) for m in metrics}


def score_unit(fitted: dict, heldout, terminals, settings: EvolveSettings, metrics=REPORT_METRICS) -> dict:
    """{method: {task: {metric: value}}} on all architectures of the held-out tasks.

    Parameters
    ----------
    fitted : dict
        `fit_unit`'s choices.
    heldout : sequence of Task
        The held-out tasks scored.
    terminals : sequence of str
        The terminals `fitted` used.
    settings : EvolveSettings
        Its train_fraction and transform build the held-out data.
    metrics : sequence of str
        Fitness families reported.

    Returns
    -------
    dict
        Per method of `METHODS` (lightgbm and combined only when fitted): task id -> metric ->
        value; the best_proxy and oracle_proxy entries also name their proxy.
    """
    data = Dataset.build(heldout, terminals, "all", 0, settings.train_fraction, settings.transform,
                         missing="impute")
    formula = data.outputs([to_code(fitted["tree"])])[0]
    coef, intercept = fitted["ridge"]
    out = {m: {} for m in METHODS}
    for block, task in zip(data.blocks, heldout):
        target = block.target
        out["evolved"][task.id] = _metrics_of(target, formula[block.start:block.stop], metrics)
        name = fitted["best_proxy"]
        out["best_proxy"][task.id] = ({m: 0.0 for m in metrics} if name not in task.proxies else
                                      _metrics_of(target, apply_transform(task.column(name), "raw")[:, 0], metrics))
        out["best_proxy"][task.id]["proxy"] = name
        ridge = rank_features(task, terminals, np.arange(task.n)) @ coef + intercept
        out["ridge"][task.id] = _metrics_of(target, ridge, metrics)
        if fitted["lightgbm"] is not None:
            out["lightgbm"][task.id] = _metrics_of(target, fitted["lightgbm"][task.id], metrics)
        if fitted.get("combined") is not None:
            out["combined"][task.id] = _metrics_of(target, fitted["combined"].on_task(task), metrics)
        filled = apply_transform(task.values, "raw")
        taus = target.kendall(filled.T)
        best = int(np.argmax(taus))
        out["oracle_proxy"][task.id] = {**_metrics_of(target, filled[:, best], metrics),
                                        "proxy": task.proxies[best]}
    for method in ("lightgbm", "combined"):
        if fitted.get(method) is None:
            del out[method]
    return out


def units_of(tasks, unit: str) -> list[str]:
    """The distinct units of `tasks`, in first-seen order.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks.
    unit : str
        "space" (their spaces) or "task" (their ids).

    Returns
    -------
    list of str
        The unit names.

    Raises
    ------
    ZcgpError
        When `unit` is not one of `UNITS`.
    """
    if unit not in UNITS:
        raise ZcgpError(f"unknown unit '{unit}'; choose from {', '.join(UNITS)}")
    return list(dict.fromkeys(t.space if unit == "space" else t.id for t in tasks))


def leave_one_out(tasks, unit: str = "space", seeds=range(5), settings: EvolveSettings | None = None,
                  metrics=REPORT_METRICS, boost: bool = True, progress=None, n_jobs: int = 1,
                  combine: str | None = None) -> dict:
    """Per (held-out unit, seed): the fitted choices and every method's held-out scores. The
    folds run in `n_jobs` joblib processes, with the same result for any number.

    Parameters
    ----------
    tasks : sequence of Task
        All tasks; each unit in turn is held out.
    unit : str
        "space" or "task".
    seeds : iterable of int
        One fold per held-out unit and seed.
    settings : EvolveSettings, optional
        The evolution settings; `EvolveSettings()` by default.
    metrics : sequence of str
        Fitness families reported.
    boost : bool
        Also fit lightgbm when it is installed.
    progress : callable, optional
        Called with each fold's record, in fold order.
    n_jobs : int
        joblib processes running the folds.
    combine : str, optional
        Also score each fold's formula combined by this `zcgp.adapt` method (`fit_unit`).

    Returns
    -------
    dict
        unit, terminals, metrics and runs: per fold, unit, seed, terminals, formula, size,
        train_fitness, best_proxy, select, scores (`score_unit`'s) and, with `combine`,
        combined_formula.

    Raises
    ------
    ZcgpError
        On an unknown metric or unit, or fewer than two units.
    """
    settings = settings or EvolveSettings()
    bad = [m for m in metrics if m not in FITNESS_METRICS]
    if bad:
        raise ZcgpError(f"unknown metric '{bad[0]}'; choose from {', '.join(FITNESS_METRICS)}")
    everything, _ = select_terminals(tasks, "impute")
    runs = []
    folds = []
    for name in units_of(tasks, unit):
        held = [t for t in tasks if (t.space if unit == "space" else t.id) == name]
        train = [t for t in tasks if t not in held]
        if not train:
            raise ZcgpError("leave-one-out needs at least two units")
        folds += [(name, train, held, terminals_for(everything, held, settings.terminal_set), seed)
                  for seed in seeds]
    jobs = (delayed(_fold)(*fold, settings, metrics, boost, combine) for fold in folds)
    done = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator")(jobs) if n_jobs != 1 else \
        (_fold(*fold, settings, metrics, boost, combine) for fold in folds)
    runs = []
    for run in done:                                 # in fold order, whatever finishes first
        runs.append(run)
        if progress is not None:
            progress(run)
    return {"unit": unit, "terminals": list(everything), "metrics": list(metrics), "runs": runs}


def _fold(name, train, held, terminals, seed, settings, metrics, boost, combine=None) -> dict:
    """One held-out unit and seed: fitted on `train`, scored on `held` (a pure function)."""
    fitted = fit_unit(train, held, terminals, settings, seed, boost, combine)
    scores = score_unit(fitted, held, terminals, settings, metrics)
    extra = {"combined_formula": fitted["combined"].formula} if fitted["combined"] is not None else {}
    return {"unit": name, "seed": seed, "terminals": list(terminals), "formula": fitted["formula"],
            "size": fitted["size"], "train_fitness": fitted["train_fitness"], "best_proxy": fitted["best_proxy"],
            "select": fitted["select"], "scores": scores, **extra}


def summarize(result: dict, metric: str = "kendall") -> dict:
    """{unit: {method: (mean, std over seeds)}} of the per-seed mean over the unit's tasks,
    plus the key "mean" (the per-seed mean over units).

    Parameters
    ----------
    result : dict
        `leave_one_out`'s result.
    metric : str
        The metric summarized.

    Returns
    -------
    dict
        unit (and "mean") -> method -> (mean, std) over seeds.
    """
    per_seed: dict = {}
    for run in result["runs"]:
        for method, tasks in run["scores"].items():
            value = float(np.mean([v[metric] for v in tasks.values()]))
            per_seed.setdefault(run["unit"], {}).setdefault(method, {})[run["seed"]] = value
    table = {u: {m: _mean_std(list(v.values())) for m, v in methods.items()} for u, methods in per_seed.items()}
    methods = {m for methods in per_seed.values() for m in methods}
    table["mean"] = {}
    for m in sorted(methods):
        seeds = sorted({s for methods in per_seed.values() for s in methods.get(m, {})})
        table["mean"][m] = _mean_std([np.mean([per_seed[u][m][s] for u in per_seed]) for s in seeds])
    return table


def _mean_std(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return (float(v.mean()), float(v.std())) if v.size else (math.nan, math.nan)


def all_tasks_table(tasks, seeds=range(5), settings: EvolveSettings | None = None,
                    metrics=("kendall",), progress=None) -> dict:
    """One formula per seed evolved on all `tasks`; per task its test score beside the best
    proxy of that task picked on its train split (both on the test split).

    Parameters
    ----------
    tasks : sequence of Task
        The tasks evolved on and scored.
    seeds : iterable of int
        One formula per seed.
    settings : EvolveSettings, optional
        The evolution settings; `EvolveSettings()` by default.
    metrics : sequence of str
        Fitness families reported.
    progress : callable, optional
        Called with each seed when it is done.

    Returns
    -------
    dict
        formulas (one per seed), metrics and tasks: task id -> {"evolved", "best_proxy"} ->
        per seed, metric -> value.
    """
    settings = settings or EvolveSettings()
    terminals, _ = select_terminals(tasks, "impute")
    rows = {t.id: {"evolved": [], "best_proxy": []} for t in tasks}
    formulas = []
    for seed in seeds:
        engine, entry, _ = evolve_formula(tasks, terminals, settings, seed)
        test = Dataset.build(tasks, terminals, "test", seed, settings.train_fraction, settings.transform,
                             missing="impute")
        out = test.outputs([to_code(engine.tree(entry.key))])[0]
        for block, task in zip(test.blocks, tasks):
            rows[task.id]["evolved"].append(_metrics_of(block.target, out[block.start:block.stop], metrics))
            base = task_baselines(task, seed, settings.train_fraction)
            test_idx = task_split(task, seed, settings.train_fraction)[1]
            column = apply_transform(task.column(base["best_proxy"]["name"]), "raw")[test_idx, 0]
            rows[task.id]["best_proxy"].append(_metrics_of(block.target, column, metrics))
        formulas.append(entry.key)
        if progress is not None:
            progress(seed)
    return {"formulas": formulas, "metrics": list(metrics), "tasks": rows}


def wins(table: dict, metric: str = "kendall") -> dict:
    """Per task mean over seeds, and the tasks where the formula beats the best proxy.

    Parameters
    ----------
    table : dict
        `all_tasks_table`'s result.
    metric : str
        The metric compared.

    Returns
    -------
    dict
        task id -> evolved and best_proxy ((mean, std) over seeds), win (the evolved mean is
        higher) and seed_wins (seeds where the formula is higher).
    """
    out = {}
    for task, row in table["tasks"].items():
        evolved = [r[metric] for r in row["evolved"]]
        proxy = [r[metric] for r in row["best_proxy"]]
        out[task] = {"evolved": _mean_std(evolved), "best_proxy": _mean_std(proxy),
                     "win": bool(np.mean(evolved) > np.mean(proxy)),
                     "seed_wins": int(sum(e > p for e, p in zip(evolved, proxy)))}
    return out


def transfer_plot(table: dict, path, metric: str, unit: str, labels: dict) -> Path | None:
    """Bars per held-out unit and method (mean over seeds), error bars = std over seeds.

    Parameters
    ----------
    table : dict
        `summarize`'s result.
    path : str or os.PathLike
        The PNG written.
    metric : str
        The metric's name, for the axis label.
    unit : str
        "space" or "task", for the title.
    labels : dict
        method -> legend label; its order is the bars' order (e.g. `METHOD_LABELS`).

    Returns
    -------
    pathlib.Path or None
        The file written; None without matplotlib or with an empty table.
    """
    plt = pyplot()
    if plt is None or not table:
        return None

    units = [u for u in table if u != "mean"] + ["mean"]
    methods = [m for m in labels if any(m in table[u] for u in units)]
    x = np.arange(len(units))
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(max(7, 1.1 * len(units) + 2), 4.5))
    for i, m in enumerate(methods):
        means = [table[u].get(m, (np.nan, np.nan))[0] for u in units]
        stds = [table[u].get(m, (np.nan, np.nan))[1] for u in units]
        ax.bar(x + (i - (len(methods) - 1) / 2) * width, means, width, yerr=stds, capsize=2, label=labels[m])
    ax.set_xticks(x)
    ax.set_xticklabels(units, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"held-out {metric} (all architectures)")
    ax.set_title(f"leave-one-{unit}-out; error bars: std over seeds", fontsize=9)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    return finish(fig, path)
