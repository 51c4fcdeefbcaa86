"""Does an evolved formula hold on spaces or tasks it never saw? Leave-one-out evaluation.

For each held-out unit (a space, or a task) and seed, everything is fitted on the train
splits of the other units only (`fit_unit`; the held-out targets are never read), then
scored on all architectures of the held-out unit (`score_unit`):
  * evolved: the GP formula (`EvolveSettings`, i.e. the `zcgp evolve` options);
  * best proxy (train): the hand-crafted proxy with the best mean train Kendall over the
    training tasks (a proxy absent from a task scores 0 there);
  * ridge: ridge regression (alpha 1) of each task's accuracy rank on its proxy ranks,
    stacked over the training tasks (a proxy absent from a task: the neutral 0.5);
  * lightgbm: a gradient-boosted regressor on the same features, when lightgbm is installed;
  * per-task best proxy: the proxy with the best held-out Kendall. It USES HELD-OUT LABELS
    and is an upper reference for "pick one proxy", not a method.
`all_tasks_table` evolves one formula on all tasks and compares it, on each task's test
split, with the best proxy of that task picked on its train split.

The final formula of a run is `engine.best`, or with `pick="inner-loso"` the best archive
member under a size cap chosen by an inner leave-one-space-out on the training spaces
(`inner_loso_cap`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from zcgp.fitness.baselines import task_baselines
from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.families import score as family_score
from zcgp.fitness.rank import RankTarget, average_ranks
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION, task_split
from zcgp.fitness.transforms import apply_transform
from zcgp.gp.archive import rank_key
from zcgp.gp.dataset import Dataset, neutral_value, select_terminals
from zcgp.gp.evolution import Engine, GPConfig
from zcgp.gp.primitives import to_code

UNITS = ("space", "task")
PICKS = ("train", "inner-loso")
TERMINAL_SETS = ("all", "heldout")
REPORT_METRICS = ("kendall", "spearman", "wkendall", "top10")
SIZE_CAPS = (3, 5, 7, 9, 13, 17, 25, None)     # inner-loso candidates (None = no cap)
RIDGE_ALPHA = 1.0
METHODS = ("evolved", "best_proxy", "ridge", "lightgbm", "oracle_proxy")
METHOD_LABELS = {"evolved": "evolved", "best_proxy": "best proxy (train)", "ridge": "ridge",
                 "lightgbm": "lightgbm", "oracle_proxy": "per-task best proxy (uses held-out labels)"}


@dataclass
class EvolveSettings:
    """Everything `zcgp evolve` needs besides the tasks and the seed."""

    config: GPConfig = field(default_factory=lambda: GPConfig(population=2000, generations=40))
    metric: str = "kendall"
    transform: str = "rank"
    missing: str = "impute"
    train_fraction: float = DEFAULT_TRAIN_FRACTION
    aggregation: str = "mean"
    aggregation_k: float = 1.0
    case_splits: int = 0
    pick: str = "inner-loso"
    terminal_set: str = "all"   # "heldout": only the proxies every held-out task has

    def dataset(self, tasks, terminals, seed: int, part: str = "train") -> Dataset:
        return Dataset.build(tasks, terminals, part, seed, self.train_fraction, self.transform,
                             self.metric, missing=self.missing, aggregation=self.aggregation,
                             aggregation_k=self.aggregation_k, case_splits=self.case_splits)


def boost_available() -> bool:
    try:
        import lightgbm  # noqa: F401
    except ImportError:
        return False
    return True


# ---- evolution and the final pick -----------------------------------------------------------
def run_engine(tasks, terminals, settings: EvolveSettings, seed: int) -> Engine:
    config = replace(settings.config, seed=seed)
    return Engine(settings.dataset(tasks, terminals, seed), config).run()


def _archive(engine: Engine) -> list:
    members = {}
    for e in list(engine.hof) + list(engine.front_size):
        members.setdefault(e.key, e)
    return sorted(members.values(), key=rank_key)


def capped_best(engine: Engine, cap: int | None):
    """Best archive member (hall of fame + size front) with at most `cap` nodes."""
    members = [e for e in _archive(engine) if cap is None or e.size <= cap]
    return members[0] if members else min(_archive(engine), key=lambda e: (e.size, *rank_key(e)))


def inner_loso_cap(tasks, terminals, settings: EvolveSettings, seed: int) -> tuple[int | None, dict]:
    """The size cap whose capped best formula, evolved on all training spaces but one, scores
    best on the train split of that one, averaged over the training spaces."""
    spaces = list(dict.fromkeys(t.space for t in tasks))
    if len(spaces) < 2:
        return None, {}
    totals = np.zeros(len(SIZE_CAPS))
    for space in spaces:
        inner = [t for t in tasks if t.space != space]
        held = [t for t in tasks if t.space == space]
        engine = run_engine(inner, terminals, settings, seed)
        check = settings.dataset(held, terminals, seed)
        for i, cap in enumerate(SIZE_CAPS):
            code = to_code(engine.tree(capped_best(engine, cap).key))
            totals[i] += float(np.mean(check.score([code], "kendall")[0][:len(held)]))
    scores = totals / len(spaces)
    best = int(np.argmax(scores))                # first maximum: the smallest cap among ties
    return SIZE_CAPS[best], {str(c): float(s) for c, s in zip(SIZE_CAPS, scores)}


def evolve_formula(tasks, terminals, settings: EvolveSettings, seed: int) -> tuple[Engine, object, dict]:
    """(engine, final entry, pick details) of one run on the train splits of `tasks`."""
    engine = run_engine(tasks, terminals, settings, seed)
    if settings.pick == "train":
        return engine, engine.best, {}
    if settings.pick != "inner-loso":
        raise ZcgpError(f"unknown final pick '{settings.pick}'; choose from {', '.join(PICKS)}")
    cap, scores = inner_loso_cap(tasks, terminals, settings, seed)
    return engine, capped_best(engine, cap), {"size_cap": cap, "inner_scores": scores}


# ---- features and baselines (training side never reads held-out targets) ---------------------
def rank_features(task, terminals, rows) -> np.ndarray:
    """Per-task rank transform of the terminals on `rows`; an absent proxy is the neutral 0.5."""
    present = [p for p in terminals if p in task.proxies]
    table = apply_transform(task.values[np.ix_(rows, [task.proxies.index(p) for p in present])], "rank") \
        if present else np.zeros((rows.size, 0))
    out = np.full((rows.size, len(terminals)), neutral_value("rank"))
    for j, p in enumerate(terminals):
        if p in present:
            out[:, j] = table[:, present.index(p)]
    return out


def _train_rows(task, seed, fraction):
    return task_split(task, seed, fraction)[0]


def _target_rank(y: np.ndarray) -> np.ndarray:
    return (average_ranks(y[None, :])[0] - 1.0) / max(y.size - 1, 1)


def training_matrix(tasks, terminals, seed, fraction) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for task in tasks:
        rows = _train_rows(task, seed, fraction)
        xs.append(rank_features(task, terminals, rows))
        ys.append(_target_rank(task.target[rows]))
    return np.concatenate(xs), np.concatenate(ys)


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float = RIDGE_ALPHA) -> tuple[np.ndarray, float]:
    """sklearn.linear_model.Ridge(alpha) with an unpenalized intercept, in closed form."""
    xm, ym = x.mean(axis=0), y.mean()
    xc = x - xm
    coef = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ (y - ym))
    return coef, float(ym - xm @ coef)


def best_train_proxy(tasks, seed, fraction, among=None) -> str:
    """The proxy (of `among`, default all) with the best mean train Kendall over `tasks`
    (absent = 0 on that task)."""
    names = [p for p in dict.fromkeys(p for t in tasks for p in t.proxies) if among is None or p in among]
    totals = dict.fromkeys(names, 0.0)
    for task in tasks:
        rows = _train_rows(task, seed, fraction)
        target = RankTarget(task.target[rows])
        filled = apply_transform(task.values[rows], "raw")
        for name, tau in zip(task.proxies, target.kendall(filled.T)):
            if name in totals:
                totals[name] += tau
    return max(names, key=lambda n: (totals[n], n))


def fit_unit(train_tasks, heldout, terminals, settings: EvolveSettings, seed: int,
             boost: bool = True) -> dict:
    """Every choice made on the training side: reads `heldout` proxies, never its targets."""
    engine, entry, pick = evolve_formula(train_tasks, terminals, settings, seed)
    x, y = training_matrix(train_tasks, terminals, seed, settings.train_fraction)
    coef, intercept = fit_ridge(x, y)
    out = {"formula": entry.key, "train_fitness": entry.fitness, "size": entry.size, "pick": pick,
           "tree": engine.tree(entry.key),
           "best_proxy": best_train_proxy(train_tasks, seed, settings.train_fraction, terminals),
           "ridge": (coef, intercept), "lightgbm": None}
    if boost and boost_available():
        from lightgbm import LGBMRegressor
        model = LGBMRegressor(n_estimators=200, learning_rate=0.05, num_leaves=31, random_state=seed,
                              n_jobs=1, verbose=-1).fit(x, y)
        out["lightgbm"] = {t.id: model.predict(rank_features(t, terminals, np.arange(t.n))) for t in heldout}
    return out


# ---- scoring on the held-out unit --------------------------------------------------------------
def _metrics_of(target: RankTarget, scores: np.ndarray, metrics) -> dict:
    return {m: float(family_score(target, scores, m)[0]) for m in metrics}


def score_unit(fitted: dict, heldout, terminals, settings: EvolveSettings, metrics=REPORT_METRICS) -> dict:
    """{method: {task: {metric: value}}} on all architectures of the held-out tasks."""
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
        filled = apply_transform(task.values, "raw")
        taus = target.kendall(filled.T)
        best = int(np.argmax(taus))
        out["oracle_proxy"][task.id] = {**_metrics_of(target, filled[:, best], metrics),
                                        "proxy": task.proxies[best]}
    if fitted["lightgbm"] is None:
        del out["lightgbm"]
    return out


def units_of(tasks, unit: str) -> list[str]:
    if unit not in UNITS:
        raise ZcgpError(f"unknown unit '{unit}'; choose from {', '.join(UNITS)}")
    return list(dict.fromkeys(t.space if unit == "space" else t.id for t in tasks))


def leave_one_out(tasks, unit: str = "space", seeds=range(5), settings: EvolveSettings | None = None,
                  metrics=REPORT_METRICS, boost: bool = True, progress=None) -> dict:
    """Per (held-out unit, seed): the fitted choices and every method's held-out scores."""
    settings = settings or EvolveSettings()
    bad = [m for m in metrics if m not in FITNESS_METRICS]
    if bad:
        raise ZcgpError(f"unknown metric '{bad[0]}'; choose from {', '.join(FITNESS_METRICS)}")
    everything, _ = select_terminals(tasks, "impute")
    runs = []
    for name in units_of(tasks, unit):
        held = [t for t in tasks if (t.space if unit == "space" else t.id) == name]
        train = [t for t in tasks if t not in held]
        if not train:
            raise ZcgpError("leave-one-out needs at least two units")
        terminals = terminals_for(everything, held, settings.terminal_set)
        for seed in seeds:
            fitted = fit_unit(train, held, terminals, settings, seed, boost)
            scores = score_unit(fitted, held, terminals, settings, metrics)
            runs.append({"unit": name, "seed": seed, "terminals": list(terminals),
                         "formula": fitted["formula"], "size": fitted["size"],
                         "train_fitness": fitted["train_fitness"], "best_proxy": fitted["best_proxy"],
                         "pick": fitted["pick"], "scores": scores})
            if progress is not None:
                progress(runs[-1])
    return {"unit": unit, "terminals": list(everything), "metrics": list(metrics), "runs": runs}


def terminals_for(terminals, heldout, terminal_set: str) -> tuple[str, ...]:
    """`terminals` under `terminal_set` (TERMINAL_SETS): all of them, or with "heldout" only
    those every task of `heldout` has (unchanged when `heldout` is empty)."""
    if terminal_set not in TERMINAL_SETS:
        raise ZcgpError(f"unknown terminal set '{terminal_set}'; choose from {', '.join(TERMINAL_SETS)}")
    return heldout_terminals(terminals, heldout) if terminal_set == "heldout" and heldout else tuple(terminals)


def heldout_terminals(terminals, heldout) -> tuple[str, ...]:
    """The terminals every held-out task has: what a user can compute on the new space,
    known before any of its labels."""
    kept = tuple(p for p in terminals if all(p in t.proxies for t in heldout))
    if not kept:
        raise ZcgpError(f"no proxy is shared by the training tasks and {', '.join(t.id for t in heldout)}")
    return kept


def summarize(result: dict, metric: str = "kendall") -> dict:
    """{unit: {method: (mean, std over seeds)}} of the per-seed mean over the unit's tasks,
    plus the key "mean" (the per-seed mean over units)."""
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
    proxy of that task picked on its train split (both on the test split)."""
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
    """Per task mean over seeds, and the tasks where the formula beats the best proxy."""
    out = {}
    for task, row in table["tasks"].items():
        evolved = [r[metric] for r in row["evolved"]]
        proxy = [r[metric] for r in row["best_proxy"]]
        out[task] = {"evolved": _mean_std(evolved), "best_proxy": _mean_std(proxy),
                     "win": bool(np.mean(evolved) > np.mean(proxy)),
                     "seed_wins": int(sum(e > p for e, p in zip(evolved, proxy)))}
    return out
