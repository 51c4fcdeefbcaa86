"""`zcgp.adapt`, in module `zcgp.adapting`: a few trained networks of a new space, then a better proxy (few-shot).

Given a proxy (a formula, a run, a shipped suite proxy, an exported proxy file) and a small
table of labeled architectures of the target space (the long-table format of `--data`, or
Task objects), `adapt` returns a new proxy that is exported, evaluated and searched with
like any other. Methods (`ADAPT_METHODS`), each reading the k labels only:
  * "combine" (the default): ridge regression (alpha 1) of the labels' rank on [the formula,
    each proxy's rank], written as a formula (the ridge predictor over the same inputs, exportable);
  * "combine-weighted": the same linear formula, its weights fitted with the top-weighted pairwise
    logistic loss (`fitness.baselines.fit_pairwise`, the predictors' "weighted" loss): a mistake
    among the best labeled architectures costs most;
  * "combine-monotone": as "combine-weighted" with every weight >= 0, so the score never falls
    when the formula or a proxy rises (no proxy is turned upside down by the labels);
  * "select": among candidates (the proxy itself; with a run its hall of fame and Pareto
    fronts; the shipped suite proxies that saw no label of the labeled space; each hand-crafted
    proxy of the table) the one with the best mean Kendall on the labels (ties: the first,
    i.e. the proxy itself);
  * "evolve": a short evolution on the labels, its initial population seeded with the
    candidates, under the strongest parsimony;
  * "ensemble": the mean of the transformed values of the three best candidates by "select".
`proxies` restricts what an adaptation may add to the proxy's own terminals (a search computes
every terminal of its objective on every network, so a cheap set buys more networks).
The labels it used are recorded in the adapted proxy's provenance: the k labels and those every
formula it was built from was evolved on (0 labels of a task's other architectures were read).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.baselines import RIDGE_ALPHA, fit_pairwise, fit_ridge, target_rank
from zcgp.fitness.rank import RankTarget
from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import task_split
from zcgp.fitness.table import read_tables
from zcgp.fitness.tasks import Task
from zcgp.fitness.transforms import neutral_value, task_columns
from zcgp.gp.dataset import Dataset
from zcgp.gp.evolution import Engine
from zcgp.gp.export import write_proxy
from zcgp.gp.formula import infix
from zcgp.gp.results import simplified
from zcgp.gp.settings import GPConfig
from zcgp.nas.shipped import SUITE_NAMES
from zcgp.proxy import Proxy
from zcgp.run import Run

ADAPT_METHODS = ("combine", "combine-weighted", "combine-monotone", "select", "evolve", "ensemble")
COMBINE_LOSSES = {"combine": "mse", "combine-weighted": "weighted", "combine-monotone": "monotone"}  # -> `_combine`
COMBINE_METHOD = "combine-weighted"      # `combine`'s: the top of the labeled ranking first
COMBINE_PROXIES = ("synflow", "flops", "params", "l2_norm", "grad_norm")   # cheap: a search computes each
EVOLVE = GPConfig(population=200, generations=10, max_depth=5, parsimony=2.0, hof_size=5)

__all__ = ["ADAPT_METHODS", "COMBINE_METHOD", "COMBINE_PROXIES", "Adaptation", "adapt", "combine", "label_tasks"]


@dataclass
class Adaptation:
    """An adapted proxy and how it was chosen.

    Parameters
    ----------
    proxy : Proxy
        The adapted proxy (call, export, search with it).
    method : str
    candidates : list of dict
        Each candidate considered: name, formula, mean Kendall on the labels.
    labels : dict
        {"tasks": {task id: labeled architectures used}, "spaces": {space: count}}, merged
        with the labels the source proxy had seen, and "archs": {task id: the labeled
        architectures of this adaptation}.
    source : str
        The proxy adapted (its formula).
    """

    proxy: Proxy
    method: str
    candidates: list[dict] = field(default_factory=list)
    labels: dict = field(default_factory=dict)
    source: str = ""

    def export(self, path) -> Path:
        """Write a standalone proxy.py and its proxy.json (with the labels used).

        Parameters
        ----------
        path : path
            The proxy.py to write.

        Returns
        -------
        Path
        """
        info = {"adapted_from": self.source, "method": self.method, "labels": self.labels,
                "candidates": self.candidates[:10]}
        return write_proxy(path, self.proxy.tree, self.proxy.terminals, self.proxy.transform,
                           simplified(self.proxy.tree, self.proxy.transform), info, self.proxy.missing)


def label_tasks(labels, columns: dict | None = None) -> list[Task]:
    """The labeled architectures as tasks.

    Parameters
    ----------
    labels : str, Path, Task or list of Task
        A long table (path), a Task, or a list of Tasks.
    columns : dict, optional
        Column roles of the table.

    Returns
    -------
    list of Task
    """
    if isinstance(labels, Task):
        return [labels]
    if isinstance(labels, (list, tuple)) and labels and all(isinstance(t, Task) for t in labels):
        return list(labels)
    if isinstance(labels, (str, Path)):
        return read_tables(labels, columns)
    raise ZcgpError(f"labels must be a table file, a Task or a list of Tasks, not {type(labels).__name__}")


def _values(proxy: Proxy, task: Task) -> np.ndarray | None:
    """The proxy's values on every row of `task`, None when it lacks a terminal (unless imputed)."""
    if proxy.missing != "impute" and any(t not in task.proxies for t in proxy.terminals):
        return None
    return proxy.on_task(task)


def _kendall(proxy: Proxy, tasks) -> float:
    taus = []
    for task in tasks:
        values = _values(proxy, task)
        taus.append(-1.0 if values is None else float(RankTarget(task.target).kendall(values[None, :])[0]))
    return float(np.mean(taus))


def _labels_of(proxy: Proxy) -> dict:
    """The labels a proxy was evolved on: {"tasks": {id: count}, "spaces": {space: count}}."""
    labels = (proxy.info or {}).get("labels") or {}
    return {"tasks": dict(labels.get("tasks") or {}), "spaces": dict(labels.get("spaces") or {})}


def _allowed(proxy: Proxy, tasks, proxies) -> list[str]:
    """The hand-crafted proxies an adaptation may use: every one all the tasks have, or those of
    `proxies` (each in at least one task; "combine" gives a task lacking one its neutral value),
    plus the proxy's own terminals."""
    if proxies is None:
        return [p for p in tasks[0].proxies if all(p in t.proxies for t in tasks)]
    present = list(dict.fromkeys(p for t in tasks for p in t.proxies))
    wanted = [proxies] if isinstance(proxies, str) else list(proxies)
    absent = [p for p in wanted if p not in present]
    if absent:
        raise ZcgpError(f"proxy '{absent[0]}' is in no labeled task; they have {', '.join(present)}")
    return [p for p in present if p in wanted or p in proxy.terminals]


def _candidates(source, proxy: Proxy, tasks, allowed, bounded: bool) -> list[tuple[str, Proxy]]:
    """The proxy, its run's hall of fame and fronts, the shipped suite proxies that saw no label
    of the labeled tasks' spaces, and each `allowed` hand-crafted proxy; when `bounded`, only
    those whose terminals are all `allowed` or the proxy's own."""
    out = [("proxy", proxy)]
    run = source if isinstance(source, Run) else (Run.load(source) if isinstance(source, (str, Path))
                                                  and Path(source).is_dir() else None)
    if run is not None:
        for front, listing in (("hof", run.result["hall_of_fame"]), ("size", run.result.get("pareto_size", [])),
                               ("cost", run.result.get("pareto_cost", []))):
            for i in range(len(listing)):
                try:
                    out.append((f"{front}[{i}]", Proxy(run, index=i, front=None if front == "hof" else front)))
                except ZcgpError:
                    continue
    spaces = {t.space for t in tasks}
    for name in SUITE_NAMES:
        try:
            shipped = Proxy(name)
        except ZcgpError:                            # a checkout without the shipped files
            continue
        if not spaces & set(_labels_of(shipped)["spaces"]):   # never one evolved on the labeled space
            out.append((name, shipped))
    out += [(p, Proxy(p, transform=proxy.transform)) for p in allowed]
    usable = {*allowed, *proxy.terminals}
    unique, seen = [], set()
    for name, p in out:
        if p.formula not in seen and (not bounded or set(p.terminals) <= usable):
            seen.add(p.formula)
            unique.append((name, p))
    return unique


def _combine(proxy: Proxy, tasks, names, loss: str = "mse") -> Proxy:
    """A linear formula over [formula, the ranks of proxies `names`]: ridge (alpha RIDGE_ALPHA) of
    the labels' rank ("mse") or `fit_pairwise` on the labels' order within each task ("weighted";
    "monotone": every weight >= 0)."""
    xs, ys = [], []
    for task in tasks:
        f = _values(proxy, task)
        if f is None:
            raise ZcgpError(f"the proxy lacks a terminal on {task.id}: nothing to combine")
        ranks = task_columns(task, names, np.arange(task.n), proxy.transform, neutral_value(proxy.transform))
        xs.append(np.column_stack([f, ranks]))
        ys.append(task.target)
    x = np.concatenate(xs)
    if loss in ("weighted", "monotone"):
        weights = fit_pairwise(x, np.concatenate(ys), np.repeat(np.arange(len(tasks)), [t.n for t in tasks]),
                               monotone=loss == "monotone")
    else:
        weights, _ = fit_ridge(x, np.concatenate([target_rank(y) for y in ys]), RIDGE_ALPHA)
    terms = [f"{weights[0]:.6g}*({proxy.formula})"] + [f"{w:.6g}*{p}" for w, p in zip(weights[1:], names)
                                                         if abs(w) > 1e-6]
    lacking = any(p not in task.proxies for task in tasks for p in names)    # fitted neutral: scored so too
    return Proxy(" + ".join(terms), transform=proxy.transform, missing="impute" if lacking else proxy.missing)


def _evolve(ranked, tasks, seed: int) -> tuple[Proxy, list[Proxy]]:
    """A short evolution on the labels seeded with the best candidates; (formula, the seeds)."""
    terminals = tuple(dict.fromkeys(t for _, p, _ in ranked for t in p.terminals
                                    if all(t in k.proxies for k in tasks)))
    used = [p for _, p, _ in ranked if set(p.terminals) <= set(terminals)][:20]
    data = Dataset.build(tasks, terminals, "all", seed, transform=ranked[0][1].transform, missing="exclude")
    engine = Engine(data, replace(EVOLVE, seed=seed), initial=[str(p.tree) for p in used]).run()
    return Proxy(infix(engine.tree(engine.best.key)), transform=ranked[0][1].transform), used


def _ensemble(ranked) -> tuple[Proxy, list[Proxy]]:
    """The sum of the three best candidates' values; (formula, those three)."""
    top = [p for _, p, _ in ranked[:3]]
    missing = "impute" if any(p.missing == "impute" for p in top) else top[0].missing   # as each was ranked
    return Proxy(" + ".join(f"({p.formula})" for p in top), transform=top[0].transform, missing=missing), top


def _seen_archs(proxy: Proxy, spaces) -> tuple[dict[str, set], set[str]]:
    """The architectures a proxy was built on in `spaces`, per task: its train split rebuilt (a
    function of the task, seed and fraction) or, where it read every row, all of them; and the
    spaces where neither matches its recorded count (a user's table that has moved)."""
    info, counts = proxy.info or {}, _labels_of(proxy)["tasks"]
    seen = [t for t in counts if t.split("/")[0] in spaces]
    if not seen:
        return {}, set()
    try:
        tasks = load_tasks(seen, data=info.get("data"), columns=info.get("data_columns"))
    except ZcgpError:                                # e.g. a user's table that has moved
        return {}, {t.split("/")[0] for t in seen}
    known, lost = {}, set()
    for t in tasks:
        rows = (np.arange(t.n) if counts[t.id] == t.n else
                task_split(t, info["seed"], info["train_fraction"])[0] if info.get("seed") is not None
                and info.get("train_fraction") else None)
        if rows is None or rows.size != counts[t.id]:
            lost.add(t.space)
        else:
            known[t.id] = {t.archs[i] for i in rows}
    return known, lost


def _merged_labels(used, tasks) -> dict:
    """The labels behind an adapted proxy: those of the proxies it was built from and the k labels
    of `tasks`, each architecture counted once (a source's train splits rebuilt; where that cannot
    be done its count is added, an upper bound)."""
    spaces = {t.space for t in tasks}
    counts: dict = {"tasks": {}, "spaces": {}}
    archs: dict[str, set] = {}
    for t in tasks:
        archs.setdefault(t.id, set()).update(t.archs)
    unknown: dict[str, int] = {}
    for proxy in used:
        labels = _labels_of(proxy)
        for key in counts:
            for name, count in labels[key].items():
                counts[key][name] = max(counts[key].get(name, 0), int(count))
        known, lost = _seen_archs(proxy, spaces)
        for tid, rows in known.items():
            archs.setdefault(tid, set()).update(rows)
        for space in lost:
            unknown[space] = max(unknown.get(space, 0), int(labels["spaces"].get(space, 0)))
    for space in spaces:
        rows = set().union(*(a for tid, a in archs.items() if tid.split("/")[0] == space))
        counts["spaces"][space] = len(rows) + unknown.get(space, 0)
    for t in tasks:                                  # a source whose rows are lost: its count on top
        lost_count = counts["tasks"].get(t.id, 0) if unknown.get(t.space, 0) else 0
        counts["tasks"][t.id] = len(archs[t.id]) + lost_count
    return {**counts, "archs": {t.id: list(t.archs) for t in tasks}}


def adapt(proxy, labels, *, method: str = "combine", seed: int = 0, columns: dict | None = None,
          proxies=None) -> Adaptation:
    """Adapt `proxy` to a new space with a few labeled architectures of it.

    Parameters
    ----------
    proxy : str, Path, Proxy or Run
        What `zcgp.Proxy` takes: a formula, a shipped suite proxy, a run (directory), a proxy file.
    labels : str, Path, Task or list of Task
        The labeled architectures: a long table (one row per (task, arch), an accuracy column,
        proxy columns; see `zcgp.load_tasks(data=...)`) or tasks.
    method : str
        One of ADAPT_METHODS (default "combine", the best adaptation of `zcgp bench fewshot` at
        every k).
    seed : int
        Seeds "evolve".
    columns : dict, optional
        Column roles of the table (see `zcgp.load_tasks`).
    proxies : sequence of str, optional
        The hand-crafted proxies the adaptation may add to the proxy's own terminals (default:
        every proxy the labeled tasks have). A cheap set makes a cheap objective: a search
        computes every terminal on every network.

    Returns
    -------
    Adaptation

    Raises
    ------
    ZcgpError
        An unknown method, a bad table, fewer than 2 labeled architectures, a proxy of
        `proxies` that a labeled task lacks.
    """
    if method not in ADAPT_METHODS:
        raise ZcgpError(f"unknown adaptation '{method}'; choose from {', '.join(ADAPT_METHODS)}")
    tasks = label_tasks(labels, columns)
    if any(t.n < 2 for t in tasks):
        raise ZcgpError("adapting needs at least 2 labeled architectures per task")
    base = Proxy(proxy)
    allowed = _allowed(base, tasks, proxies)
    ranked = sorted(((name, p, _kendall(p, tasks)) for name, p in _candidates(proxy, base, tasks, allowed,
                                                                                 proxies is not None)),
                    key=lambda item: -item[2])            # stable: the proxy itself first among ties
    if method == "select":
        adapted, used = ranked[0][1], [ranked[0][1]]
    elif method in COMBINE_LOSSES:
        adapted, used = _combine(base, tasks, allowed, COMBINE_LOSSES[method]), [base]
    elif method == "evolve":
        adapted, used = _evolve(ranked, tasks, seed)
    else:
        adapted, used = _ensemble(ranked)
    merged = _merged_labels([base, *used], tasks)
    adapted = Proxy(adapted)
    adapted.info = {**(adapted.info or {}), "labels": merged, "adapted_from": base.formula, "method": method}
    table = [{"name": n, "formula": p.formula, "kendall": tau} for n, p, tau in ranked]
    return Adaptation(adapted, method, table, merged, base.formula)


def combine(proxy, tasks=None, method: str = COMBINE_METHOD, data_dir=None):
    """A formula combined with the cheap proxies on labeled tasks, as the combined suite proxies are.

    Parameters
    ----------
    proxy : str, Path, Proxy or Run
        What `zcgp.adapt` takes (an evolved run, usually).
    tasks : list of Task, optional
        The labeled tasks (for a zero-shot proxy: every task of the spaces it was evolved on).
        Default: the train splits of the tasks `proxy`, a run, was evolved on (the labels it read,
        and no more: its in-distribution use).
    method : str, default COMBINE_METHOD ("combine-weighted")
        A combining method of `zcgp.adapt` (a key of COMBINE_LOSSES).
    data_dir : path, optional
        Another directory of the shipped files (without `tasks`).

    Returns
    -------
    Adaptation
        `zcgp.adapt(proxy, tasks, method=method, proxies=...)` over those of COMBINE_PROXIES that
        at least one task has (a task lacking one gives it its neutral value).

    Raises
    ------
    ZcgpError
        Without `tasks`, when `proxy` is not an evolved run or its tasks cannot be read again.
    """
    if tasks is None:
        tasks = _train_splits(proxy, data_dir)
    cheap = [p for p in COMBINE_PROXIES if any(p in t.proxies for t in tasks)]
    return adapt(proxy, tasks, method=method, proxies=cheap)


def _train_splits(run, data_dir=None) -> list:
    """The labeled rows an evolved run read: the train split of each of its tasks (of the shipped
    tables, or of the user's table the run names, read again)."""
    run = Run.load(run) if isinstance(run, (str, Path)) and Path(run).is_dir() else run
    if not isinstance(run, Run):
        raise ZcgpError("combining without labeled tasks needs an evolved run (a Run or its directory)")
    config = run.config
    seed, fraction = run.result.get("seed", 0), config["train_fraction"]
    tasks = load_tasks(config["train_tasks"], data=config.get("data"), columns=config.get("data_columns"),
                       data_dir=data_dir)
    return [t.subset(task_split(t, seed, fraction)[0]) for t in tasks]
