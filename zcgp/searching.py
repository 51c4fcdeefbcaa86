"""`zcgp.search`: find a strong network of a space with a proxy (aging evolution, no training).

The objective is an evolved formula (a `zcgp.Proxy`, a Run, a run directory, an exported
proxy file or a formula string), a hand-crafted proxy name, or "random". Proxies are
computed by the batched torch module on freshly built networks (`proxies.measure`, in
`workers` processes, values identical to one), or, in lookup mode, read from the space's
NAS-Bench-Suite-Zero table (only its architectures are searched). The budget is `minutes`
(wall time, setup included; a batch is cut to the time left) and/or `evaluations`. A
formula is ranked against the search's own initial population (scored once, counted as
evaluations, cached on disk). With a run as the proxy, `pick` says what to search with: by
default its formula combined with cheap proxies on the labels it was evolved on
(`combined_formula`), or a member of its cost Pareto front (`nas.choice`; "auto": the one
expected to find the best network in the budget).
The found network is looked up in the benchmark (`nas.benchmark`): read only to report.
"""

from __future__ import annotations

import csv
import io
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from zcgp.adapting import COMBINE_METHOD, COMBINE_PROXIES, combine
from zcgp.errors import ZcgpError
from zcgp.fitness.data import SPACE_FILES
from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import task_split
from zcgp.fitness.tasks import task_ids
from zcgp.nas.benchmark import Benchmark, best_labeled, labeled_best, labels_alone, objective_labels
from zcgp.nas.cache import load_reference, store_reference
from zcgp.nas.choice import MAX_CANDIDATES, check_pick, choose_formula, spread
from zcgp.nas.cost import measured_cost
from zcgp.nas.objectives import (
    FormulaObjective,
    ProxyObjective,
    RandomObjective,
    check_computable,
    make_measure,
)
from zcgp.nas.screen import Screen
from zcgp.nas.shipped import default_for
from zcgp.predicted import (
    BLEND_WEIGHT,
    PREDICTED_EVALUATIONS,
    PREDICTED_START,
    Blend,
    Labeled,
    Predicted,
    check_predictor,
    cv_weight,
    fit_on_encoding,
    is_share,
    predicted_top,
    read_labeled,
)
from zcgp.proxies.measure import MeasureSettings
from zcgp.proxies.registry import PROXY_NAMES
from zcgp.proxy import Proxy, adapted_dir
from zcgp.run import Run
from zcgp.spaces import get_space
from zcgp.spaces.encoding import has_encoding, one_hot
from zcgp.spaces.nb201 import to_index
from zcgp.spaces.search import BATCH, POPULATION, SAMPLE_SIZE, aging_evolution
from zcgp.util import atomic_write_json, atomic_write_text, claim_dir, finish, pyplot

REFERENCE_SHARE = 0.5      # at most this share of the time left goes to the reference (first batch)
MIN_REFERENCE = 8
SCREEN_PROXIES = ("flops", "params", "synflow")    # one hooked forward and synflow's pass per network
SCREEN = 4                 # children proposed per network scored, where the space has an encoding
SCREEN_BY = ("encoding", "proxies")     # what a screen predicts from: the architecture's one-hot (free), or those
WARM_START = 10            # the best labeled architectures an in-distribution search starts from
SEARCH_FILES = ("result.json", "trajectory.csv", "search.png")
STOP_REASONS = {"evaluations": "evaluation budget reached", "time": "time budget reached",
                "interrupted": "interrupted", "exhausted": "no new network in the last 200 batches"}

__all__ = ["SEARCH_FILES", "STOP_REASONS", "SearchResult", "benchmark_of", "candidates", "combined_formula",
           "labeled_rows", "load_formula", "resolve_workers", "search"]


@dataclass
class SearchResult:
    """What `zcgp.search` found.

    Parameters
    ----------
    space : SearchSpace
        The space searched.
    task : str
        Its task (classes and input size; the benchmark's dataset).
    objective : str
        What was maximized ("formula ...", "proxy nwot", "random search").
    best_arch, best_string : object, str
        The best architecture (standard form, user spelling).
    best_score : float
        Its objective score.
    evaluations, proposals : int
        Distinct networks scored; children proposed (cache hits included).
    seconds, setup_seconds : float
        Wall time, setup (reference, cost measurement) included, and the setup alone.
    interrupted : bool
    stop_reason : str
        One of STOP_REASONS.
    history : list of dict
        One row per scored batch: seconds, evaluations, proposals, best_arch, best_score.
    info : dict
        How it searched: seed, settings, workers, pick, reference, where time went.
    benchmark : dict or None
        {dataset: {metric: value, "percentile": p}} of the best architecture, None when it is
        not in a table (or the space has none).
    table : Benchmark or None
        The table the benchmark entry comes from (read only to report).
    """

    space: Any
    task: str
    objective: str
    best_arch: Any
    best_string: str
    best_score: float
    evaluations: int
    proposals: int
    seconds: float
    setup_seconds: float
    interrupted: bool
    stop_reason: str
    history: list[dict] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    benchmark: dict | None = None
    table: Benchmark | None = field(default=None, repr=False)

    def network(self, num_classes: int | None = None):
        """A freshly initialised torch network of the best architecture.

        Parameters
        ----------
        num_classes : int, optional
            Output classes (default: the task's).
        """
        classes = num_classes or self.space.tasks[self.task][0]
        return self.space.build(self.best_arch, classes)

    def trajectory(self) -> list[dict]:
        """The history with each best-so-far architecture's spelling and benchmark accuracy.

        Returns
        -------
        list of dict
            seconds, evaluations, proposals, best_score, best_arch (a string), accuracy (None
            without a table).
        """
        rows = []
        for row in self.history:
            accuracy = self.table.accuracy(row["best_arch"]) if self.table is not None else None
            rows.append({**row, "best_arch": self.space.to_string(row["best_arch"]), "accuracy": accuracy})
        return rows

    def to_dict(self) -> dict:
        """The content of `result.json` (plain data).

        Returns
        -------
        dict
            `info` (seed, measurement, workers, pick, reference, labels, labels alone, time)
            plus the objective, the best architecture in every spelling, its score and
            benchmark entry, the budget used and why the search stopped.
        """
        space = self.space
        out = {
            **self.info, "objective": self.objective, "space": space.name, "dataset": self.task,
            "best_arch": self.best_string, "best_table_arch": space.table_string(self.best_arch),
            "best_key": space.key(self.best_arch), "best_score": self.best_score,
            "evaluations": self.evaluations, "proposals": self.proposals, "setup_seconds": self.setup_seconds,
            "seconds": self.seconds, "time": self.info.get("seconds"),
            "networks_per_minute": 60.0 * self.evaluations / max(self.seconds, 1e-9),
            "interrupted": self.interrupted, "stop_reason": self.stop_reason,
            "benchmark": self.benchmark if self.benchmark is not None else "not in the table",
            "benchmark_table": self.table.source if self.table is not None else None,
        }
        out.pop("seconds_detail", None)
        if self.table is not None and self.table.nb201 is not None:
            out["best_index"] = to_index(self.best_arch, self.table.nb201)
        return out

    def save(self, directory, *, overwrite: bool = False, plots: bool = True, claim: bool = True) -> list[Path]:
        """Write result.json, trajectory.csv and (with matplotlib) search.png into `directory`,
        as `zcgp search --out` does.

        Parameters
        ----------
        directory : path
        overwrite : bool
            Replace the results already there (otherwise they are refused).
        plots : bool
            Write search.png.
        claim : bool
            Lock the directory while writing (False: the caller holds it, as `zcgp search` does
            for the whole search).

        Returns
        -------
        list of Path
            The files written.
        """
        with claim_dir(directory if claim else None, SEARCH_FILES, overwrite):
            out = Path(directory)
            rows = self.trajectory()
            atomic_write_json(out / "result.json", self.to_dict())
            atomic_write_text(out / "trajectory.csv", _trajectory_csv(rows))
            written = [out / "result.json", out / "trajectory.csv"]
            metric = self.table.metric.replace("_", " ") if self.table is not None else None
            label = f"{self.task} {metric} of best-so-far" if metric else "best-so-far"
            if plots and _plot(rows, label, out / "search.png"):
                written.append(out / "search.png")
            return written


def _trajectory_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["seconds", "evaluations", "best_score", "best_arch", "best_accuracy"])
    for r in rows:
        writer.writerow([f"{r['seconds']:.3f}", r["evaluations"], f"{r['best_score']:.6g}",
                         r["best_arch"], "" if r["accuracy"] is None else f"{r['accuracy']:.2f}"])
    return buffer.getvalue()


def _plot(rows: list[dict], label: str, path: Path) -> bool:
    plt = pyplot()
    points = [(r["seconds"], r["accuracy"]) for r in rows if r["accuracy"] is not None]
    if plt is None or not points:
        return False
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.step(*zip(*points), where="post")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)
    finish(fig, path)
    return True


def resolve_workers(workers: int) -> int:
    """The number of processes: -1 = every core; else at least 1.

    Parameters
    ----------
    workers : int

    Returns
    -------
    int
    """
    return (os.cpu_count() or 1) if workers == -1 else max(int(workers), 1)


def load_formula(source) -> Proxy:
    """A `zcgp.Proxy` whose terminals the proxy module can compute.

    Parameters
    ----------
    source : str, Path, Proxy or Run
        A Proxy, a Run, a run directory, an exported proxy.py / proxy.json (read as data,
        never imported), a shipped suite proxy name or a formula string.

    Returns
    -------
    Proxy

    Raises
    ------
    ZcgpError
        A path that does not exist (named as such), a terminal the module cannot compute.
    """
    if isinstance(source, (str, Path)) and not isinstance(source, Proxy):
        text = str(source)
        if text.endswith((".py", ".json")) and not Path(text).exists():
            raise ZcgpError(f"proxy file not found: {text}")
    formula = Proxy(source)
    try:
        check_computable(formula)
    except ZcgpError:
        if isinstance(source, (str, Path)) and ("/" in str(source) or os.sep in str(source)) \
                and not Path(source).exists():
            raise ZcgpError(f"no such run directory or proxy file: {source}") from None
        raise
    return formula


def candidates(run: Run) -> list[tuple[str, Proxy]]:
    """The formulas `--pick` chooses from.

    Parameters
    ----------
    run : Run

    Returns
    -------
    list of (str, Proxy)
        The run's chosen formula ("best"), then up to MAX_CANDIDATES - 1 members of its cost
        Pareto front spread evenly over it (degenerate members and formulas without
        terminals left out).
    """
    front = []
    for i in range(len(run.result.get("pareto_cost", []))):
        try:
            proxy = Proxy(run, index=i, front="cost")
        except ZcgpError:
            continue
        if proxy.terminals:
            front.append((f"pareto_cost[{i}]", proxy))
    chosen = [("best", Proxy(run))]
    for name, proxy in spread(front, MAX_CANDIDATES - 1):
        if all(proxy.formula != c.formula for _, c in chosen):
            chosen.append((name, proxy))
    return chosen


def labeled_rows(run: Run, data_dir=None) -> list:
    """The labels a run saw: the only ones `--pick auto` may read.

    Parameters
    ----------
    run : Run
    data_dir : path, optional
        Another directory of the shipped files.

    Returns
    -------
    list of (Task, numpy.ndarray)
        Each task the run was evolved on with its train-split rows; empty for a run on a
        user table (its table is not shipped).
    """
    if run.config.get("data") is not None:
        return []
    seed, fraction = run.result.get("seed", 0), run.config["train_fraction"]
    return [(task, task_split(task, seed, fraction)[0])
            for task in load_tasks(run.config["train_tasks"], data_dir=data_dir)]


def combined_formula(run: Run, data_dir=None) -> tuple[Proxy, dict]:
    """What `--pick combined` searches with: the run's formula combined (`zcgp.adapting.combine`)
    with the cheap proxies on the train splits it was evolved on, and why.

    Parameters
    ----------
    run : Run
    data_dir : path, optional
        Another directory of the shipped files.

    Returns
    -------
    tuple of (Proxy, dict)
        The formula and {"chosen", "formula", "reason"}: "combined", or "best" (the run's formula
        alone) when its labeled rows cannot be read again (a user's table that has moved).
    """
    try:
        adapted = combine(run, data_dir=data_dir)
    except ZcgpError as error:
        formula = Proxy(run)
        return formula, {"chosen": "best", "formula": formula.formula,
                         "reason": f"the run's formula alone: its labels cannot be read to combine ({error})"}
    added = [t for t in adapted.proxy.terminals if t in COMBINE_PROXIES]
    seen = ", ".join(f"{n} of {s}" for s, n in adapted.labels["spaces"].items())
    reason = (f"the run's formula combined ({COMBINE_METHOD}) with {', '.join(added)} on the labeled "
              f"architectures it was evolved on ({seen}; no label more)")
    return adapted.proxy, {"chosen": "combined", "formula": adapted.proxy.formula, "reason": reason}


def _run_of(proxy) -> Run | None:
    if isinstance(proxy, Run):
        return proxy
    if isinstance(proxy, (str, Path)) and Path(proxy).is_dir() and not adapted_dir(Path(proxy)):
        return Run.load(proxy)
    return None


@dataclass
class _Objective:
    """What a search maximizes, the space it walks and the setup it needs."""

    function: Any
    searched: Any
    description: str
    initial: list = field(default_factory=list)
    measure: Any = None
    formula: Proxy | None = None
    details: dict = field(default_factory=dict)


def _affordable(initial, formula, measure, space, seconds_left, cost=None) -> list:
    """The first networks of `initial` whose scoring fits REFERENCE_SHARE of the time left, at
    least MIN_REFERENCE: an expensive formula on a short budget gets a smaller reference instead
    of a first batch that outlasts the budget."""
    if not cost:
        cost, _ = measured_cost(measure.measure, space, formula.terminals)
    fits = int(REFERENCE_SHARE * max(seconds_left, 0.0) / cost) if cost > 0 else len(initial)
    return list(initial[:max(MIN_REFERENCE, min(len(initial), fits))])


def _objective(space, proxy, *, task, lookup, seed, population, pick, minutes, start, settings, workers,
               data_dir) -> _Objective:
    measure_options = {"lookup": lookup, "settings": settings, "workers": workers, "data_dir": data_dir}
    none = {"labels": objective_labels({}, space.name)}          # hand-crafted: no label seen
    if isinstance(proxy, str) and proxy == "random":
        searched = make_measure(space, (), task, **measure_options)[1] if lookup else space
        return _Objective(RandomObjective(searched, seed), searched, "random search", details=none)
    if isinstance(proxy, str) and proxy in PROXY_NAMES:
        measure, searched = make_measure(space, (proxy,), task, **measure_options)
        return _Objective(ProxyObjective(proxy, measure), searched, f"proxy {proxy}", measure=measure,
                          details=none)
    run = _run_of(proxy)
    details: dict = {}
    if run is None:
        formula = load_formula(proxy)
        chosen = [(None, formula)]
    elif pick == "combined":
        formula, details["pick"] = combined_formula(run, data_dir)
        chosen = [(details["pick"]["chosen"], formula)]
    else:
        chosen = [(n, load_formula(p)) for n, p in candidates(run)]
    names = tuple(dict.fromkeys(t for _, p in chosen for t in p.terminals))
    impute = any(p.missing == "impute" for _, p in chosen)      # lookup: a table may lack a terminal
    measure, searched = make_measure(space, names, task, impute=impute, **measure_options)
    if run is not None and pick != "combined":
        formula, details["pick"] = choose_formula(chosen, pick, measure, space, labeled_rows(run, data_dir),
                                                  minutes=minutes, start=start, lookup=lookup,
                                                  population=population)
    function = FormulaObjective(formula, measure)
    initial = searched.sample_distinct(population, np.random.default_rng([seed, 1]))
    cached = load_reference(measure, initial, function.names)
    if not cached and not lookup and minutes is not None:
        affordable = _affordable(initial, formula, measure, space, minutes * 60 - (time.perf_counter() - start),
                                 details.get("pick", {}).get("seconds_per_network"))
        if len(affordable) < len(initial):        # a shorter reference may be cached on its own
            initial = affordable
            cached = load_reference(measure, initial, function.names)
    source = run.result if run is not None else formula.info
    labels = source.get("labels") if source else None
    details.update({"formula": formula.formula, "terminals": list(formula.terminals),
                    "imputed": [t for t in formula.terminals if t not in function.names],
                    "reference": {"networks": len(initial), "from_cache": cached},
                    "labels": objective_labels(labels, space.name), "provenance": _provenance(run, formula)})
    return _Objective(function, searched, f"formula {formula.formula}", initial, measure, formula, details)


def _predicted_objective(space, predictor: str, labels, *, task: str, lookup: bool, seed: int, data_dir) -> _Objective:
    """A search by `predictor` of the encoding fitted on `labels` (`zcgp.predicted.read_labeled`):
    no network built; its details name the labels, which are in distribution by construction."""
    labeled = read_labeled(space, labels, task=task, seed=seed, data_dir=data_dir)
    searched = make_measure(space, (), task, lookup=True, data_dir=data_dir)[1] if lookup else space
    began = time.perf_counter()
    function = Predicted(fit_on_encoding(space, labeled.rows, predictor, seed=seed), space)
    count = len(labeled.rows)
    details = {"labels": objective_labels(labeled.counts(space.name), space.name),
               "predictor": {"name": predictor, "labels": count, "labeled_task": labeled.source,
                             **({"split": list(labeled.split)} if labeled.split else {}),
                             "seconds": time.perf_counter() - began},
               "labeled": labeled}
    return _Objective(function, searched, f"predicted by {predictor} of the encoding, fitted on {count} labeled "
                      f"architectures ({labeled.source})", details=details)


def _screening(factor: int | None, by: str | None, space, evolved_here: bool = False) -> tuple[int, str]:
    """A search's screen factor and features (None: SCREEN by the encoding where the space has
    one, else no screen; told to screen by proxies, SCREEN by them; neither told and an
    objective evolved on labels of the space (`_evolved_here`): no screen, which found more)."""
    if factor is not None and (int(factor) != factor or factor < 1):
        raise ZcgpError(f"screen must be a whole number >= 1, got {factor}")
    told = by is not None
    by = _screen_by(by, space)
    if factor is None:
        factor = 1 if evolved_here and not told else SCREEN if by == "encoding" or told else 1
    return int(factor), by


def _screen_by(by: str | None, space) -> str:
    """What a screen predicts from (None: the encoding when the space has one, else the proxies)."""
    if by is None:
        return "encoding" if has_encoding(space) else "proxies"
    if by not in SCREEN_BY:
        raise ZcgpError(f"unknown screen_by '{by}'; choose from {', '.join(SCREEN_BY)}")
    if by == "encoding" and not has_encoding(space):
        raise ZcgpError(f"space {space.name} has no architecture encoding to screen by; define encode(arch) "
                        "on it, or screen by proxies")
    return by


def _screen(factor: int, measure, space, by: str) -> Screen | None:
    """The screen of a search with `factor` (None at 1, or without a measure: random search)."""
    if factor == 1 or measure is None:
        return None
    if by == "encoding":
        return Screen(lambda archs: one_hot(space, list(archs)), space.key, factor, ("one-hot encoding",))
    have = getattr(measure, "available", None)
    names = tuple(n for n in SCREEN_PROXIES if have is None or n in have)
    if not names:
        raise ZcgpError(f"the measure has none of the screen's proxies ({', '.join(SCREEN_PROXIES)})")

    def cheap(archs):
        values = measure(list(archs), names)
        return np.column_stack([values[n] for n in names])

    return Screen(cheap, space.key, int(factor), names)


def _parents(count: int | None, by: str, details: dict, space, searched, task: str, seed: int,
             data_dir) -> tuple[list, dict | None]:
    """The warm start of a search: `count` architectures, by default (None) WARM_START when the
    objective was evolved on labels of the space, else none (an adapted proxy, whose labels list
    their architectures, starts cold); and what to record of them. `by` "labels": the labeled
    architectures of the searched space with the best validation accuracy; a predictor's name:
    the best predicted by it, fitted on the encoding of all those labeled architectures
    (`zcgp.predicted.predicted_top`, seeded `seed`, walking `searched`)."""
    default = count is None
    if default:
        count = WARM_START if _evolved_here(details) else 0
    if int(count) != count or count < 0:
        raise ZcgpError(f"warm start must be a whole number >= 0, got {count}")
    if count == 0:
        return [], None
    found = _labeled(details, space, task, data_dir)
    if found is None and default:           # labels of a user's table: nothing to start from
        return [], None
    if found is None:
        raise ZcgpError(f"warm start needs labeled architectures of {space.name} that the objective was evolved "
                        "on and that the shipped tables hold; this objective has none")
    task_id, labeled = found
    if by == "labels":
        return _best_labels(labeled, count, task_id, space)
    began = time.perf_counter()
    _, top = predicted_top(space, labeled, by, seed=seed, count=int(count), searched=searched)
    return [arch for arch, _ in top], {"networks": len(top), "labeled_task": task_id, "by": by,
                                       "archs": [space.to_string(a) for a, _ in top], "labels": len(labeled),
                                       "predicted": [value for _, value in top],
                                       "seconds": time.perf_counter() - began}


def _labeled_parents(labeled, count, space) -> tuple[list, dict | None]:
    """The warm start of a predictor's search: the `count` best of its labeled architectures."""
    if int(count) != count or count < 0:
        raise ZcgpError(f"warm start must be a whole number >= 0, got {count}")
    return _best_labels(labeled.rows, count, labeled.source, space) if count and labeled.rows else ([], None)


def _best_labels(labeled: list, count, labeled_task: str, space) -> tuple[list, dict]:
    """The `count` first of `labeled` (best first) as a warm start, and its record."""
    best = labeled[:int(count)]
    return [arch for arch, _ in best], {"networks": len(best), "labeled_task": labeled_task, "by": "labels",
                                        "archs": [space.to_string(a) for a, _ in best],
                                        "val_accuracy": [accuracy for _, accuracy in best]}


def _check_weight(weight) -> None:
    """A blend weight is "cv" or a number in [0, 1]."""
    if weight == "cv":
        return
    if not is_share(weight):
        raise ZcgpError(f"blend weight must be 'cv' or a number in [0, 1], got {weight!r}")


def _check_predicted(proxy, predictor: str, labels, warm_by: str, blend, screen, screen_by, pick: str) -> None:
    """A predictor's search takes labels and none of the options of a proxy's search."""
    check_predictor(predictor, f"predictor '{predictor}'")
    if proxy is not None:
        raise ZcgpError("give a proxy or a predictor as the objective, not both")
    if labels is None:
        raise ZcgpError(f"predictor '{predictor}' needs labels: a table with arch and accuracy columns, or "
                        "'train-split'")
    given = [name for name, value, default in (("warm_by", warm_by, "labels"), ("blend", blend, None),
                                               ("screen", screen, None), ("screen_by", screen_by, None),
                                               ("pick", pick, "combined")) if value != default]
    if given:
        raise ZcgpError(f"{given[0]} does not apply to a predictor's search (it builds no network)")


def _labeled(details: dict, space, task: str, data_dir) -> tuple[str, list] | None:
    """Every labeled architecture of the searched space the objective saw, best first, with its
    task id (`nas.benchmark.labeled_best`); None out of distribution or off the shipped tables."""
    if not details["labels"]["in_distribution"]:
        return None
    provenance = details.get("provenance", {})
    return labeled_best(space, task, provenance.get("labels"), *_split_of(provenance), None, data_dir)


def _blended(objective: _Objective, predictor: str, weight, space, task: str, seed: int, data_dir,
             given: Labeled | None = None) -> tuple:
    """The objective blended with `predictor` (`zcgp.predicted.Blend`), fitted on the encoding and
    accuracy of `given` labels, else of every labeled architecture of the space the objective
    saw, seeded `seed`, with the predictor's share `weight` (a float, or "cv":
    `zcgp.predicted.cv_weight` on the objective's formula over those architectures' table
    proxies); and what to record of it."""
    found = _labeled(objective.details, space, task, data_dir) if given is None else (given.source, given.rows)
    if found is None:
        raise ZcgpError(f"blend needs labeled architectures of {space.name}: give labels (a table of yours, or "
                        "train-split), or an objective evolved on the shipped tables' labels of the space")
    if weight == "cv" and given is not None and given.split is None:
        raise ZcgpError("a cross-validated blend weight reads the labeled architectures' proxies from the shipped "
                        "tables: give labels train-split, or a weight")
    task_id, labeled = found
    began = time.perf_counter()
    record = {"predictor": predictor, "labeled_task": task_id, "labels": len(labeled)}
    if weight == "cv":
        weight, record["weights"] = cv_weight(space, labeled, _table_scores(objective.formula, task_id, labeled, space,
                                                                            data_dir), predictor, seed=seed)
        record["weight_by"] = "cv"
    fitted = fit_on_encoding(space, labeled, predictor, seed=seed)
    blend = Blend(objective.function, fitted, space, float(weight))
    return blend, {**record, "weight": blend.weight, "seconds": time.perf_counter() - began}


def _with_labels(labels: dict, details: dict, given: Labeled, space) -> dict:
    """The search's label accounting with the blend's `given` labels added: the architectures the
    objective lists of this space (an adapted proxy) are counted once, others are added. An
    objective whose labels are unknown (a formula given as text) stays unknown: it saw at least
    the given ones, which `blend_labels` counts."""
    listed = (details.get("provenance", {}).get("labels") or {}).get("archs", {})
    seen = {space.to_string(space.normalize(a)) for t, archs in listed.items() if t.split("/", 1)[0] == space.name
            for a in archs}
    new = sum(space.to_string(arch) not in seen for arch, _ in given.rows)
    count = None if labels["in_distribution"] is None else labels["space_labels"] + new
    return {**labels, "tasks": sorted({*(labels["tasks"] or []), given.source}), "space_labels": count,
            "in_distribution": True if count is None else count > 0, "blend_labels": len(given.rows)}


def _table_scores(formula: Proxy | None, task_id: str, labeled: list, space, data_dir) -> np.ndarray:
    """`formula` on the table's proxies of the labeled architectures of `task_id`."""
    if formula is None:
        raise ZcgpError("a cross-validated blend weight needs an evolved formula as the objective")
    (table,) = load_tasks([task_id], data_dir=data_dir)
    row = {space.normalize(arch): i for i, arch in enumerate(table.archs)}     # each cell's own row, not an isomorph's
    rows = np.array([row[space.normalize(arch)] for arch, _ in labeled])
    return formula.on_task(table, rows)


def _evolved_here(details: dict) -> bool:
    """Whether the objective was evolved on labels of the searched space (in distribution, and
    not an adapted proxy, whose labels list their architectures)."""
    labels = details.get("provenance", {}).get("labels") or {}
    return bool(details["labels"]["in_distribution"]) and "archs" not in labels


def _split_of(provenance: dict) -> tuple[int, float]:
    """The split seed and train fraction that chose the objective's labeled rows."""
    return provenance.get("seed") or 0, provenance.get("train_fraction") or 0.2


def _provenance(run: Run | None, formula: Proxy) -> dict:
    """Where the formula came from: its seed and train fraction (for "labels alone") and name."""
    if run is not None:
        return {"seed": run.result.get("seed"), "train_fraction": run.config.get("train_fraction"),
                "labels": run.labels}
    info = formula.info or {}
    return {k: info.get(k) for k in ("name", "seed", "train_fraction", "labels") if k in info}


def _has_table(space, task: str, data_dir) -> bool:
    return space.name in SPACE_FILES and f"{space.name}/{task}" in task_ids(data_dir, [space.name])


def benchmark_of(space, task: str, *, nb201_table=None, data_dir=None) -> Benchmark | None:
    """The table a found network of `space/task` is looked up in.

    Parameters
    ----------
    space : SearchSpace
    task : str
    nb201_table, data_dir : path, optional
        Other copies of the NB201 table and of the shipped files.

    Returns
    -------
    Benchmark or None
        NB201: the test accuracy of every cell; else the task's rows; None without a table.
    """
    if space.name == "nb201":
        return Benchmark(space, task, nb201_table=nb201_table, data_dir=data_dir)
    if _has_table(space, task, data_dir):
        return Benchmark(space, task, table_only=True, data_dir=data_dir)
    return None


def search(space, proxy=None, *, minutes: float | None = None, evaluations: int | None = None, seed: int = 0,
           task: str | None = None, lookup: bool = False, population: int = POPULATION,
           sample_size: int = SAMPLE_SIZE, batch: int = BATCH, settings: MeasureSettings | None = None,
           workers: int = 1, pick: str = "combined", screen: int | None = None, screen_by: str | None = None,
           warm_start: int | None = None, warm_by: str = "labels", blend: str | None = None,
           blend_weight: float | str = BLEND_WEIGHT, predictor: str | None = None, labels=None, data_dir=None,
           nb201_table=None, on_batch=None) -> SearchResult:
    """Search `space` for the network `proxy` scores highest, training nothing.

    Parameters
    ----------
    space : str or SearchSpace
        "nb101", "nb201", "nb301", "tnb101_micro", "tnb101_macro", "package.module:Class", or
        a space object.
    proxy : str, Path, Proxy or Run, optional
        An evolved formula (Proxy, Run, run directory, proxy.py / proxy.json, a shipped suite
        proxy name, a formula string), a hand-crafted proxy name, or "random". Default: the
        shipped combined suite proxy that never saw this space (`nas.shipped.default_for`,
        e.g. "suite-combined-without-nb201"): a zero-shot search.
    minutes : float, optional
        Wall-time budget, setup included.
    evaluations : int, optional
        Budget in distinct networks scored (at least one budget is needed).
    seed : int
        Seeds the search, the reference sample and the networks' weights (`proxies.measure`).
    task : str, optional
        The space's task (default: its first, e.g. cifar10).
    lookup : bool
        Search only the table's architectures, proxies read from the table (no torch).
    population, sample_size, batch : int
        Aging evolution: population (and the formula's reference sample), tournament size,
        networks scored per proxy call.
    settings : MeasureSettings, optional
        Input batch, initialisations, device, threads (default: `MeasureSettings()`); its seed
        is replaced by `seed`.
    workers : int
        Processes scoring networks (-1: every core); values are identical for any number.
    pick : str
        With a run: "combined" (the default: its formula combined with cheap proxies on the labels
        it was evolved on, `combined_formula`), "auto" (the member of its cost front expected to
        find the best network in the budget), "best" (the run's choice), "cheapest", or an index
        into [best, cost front...].
    screen : int, optional
        Children proposed per child fully scored (1: no screening). Above 1, every proposed
        child's features predict the objective (`nas.screen.Screen`, fitted on the networks
        scored so far) and only the best-predicted batch is scored. Default: SCREEN where the
        space has an encoding (or `screen_by` is given), else 1; 1 for an objective evolved on
        labels of the searched space (not an adapted proxy), which found more unscreened
        (docs/results/search.md).
    screen_by : {"encoding", "proxies"}, optional
        The screen's features: the architecture's one-hot encoding (`spaces.encoding.one_hot`,
        no network built) or the cheap proxies SCREEN_PROXIES (a hooked forward and synflow's
        pass per child). Default: the encoding when the space has one, else the proxies.
    warm_start : int, optional
        The labeled architectures of the searched space with the best validation accuracy
        (`nas.benchmark.labeled_best`) that join the population right after the reference, as
        parents: only for an objective evolved on labels of this space (in distribution; the
        labels it saw, no more). Default: WARM_START for such an objective whose labels are
        in the shipped tables, else 0; 0 for an adapted proxy (`zcgp.adapt`), whose k = 20
        search measured lower with it (docs/results/fewshot.md).
    warm_by : str, default "labels"
        Which architectures warm-start it: "labels", the best labeled ones; or a predictor of
        `zcgp.predictors.PREDICTORS`: the `warm_start` best predicted by it, fitted on the
        encoding and validation accuracy of all those labeled architectures and searched with
        alone for PREDICTED_EVALUATIONS networks (`zcgp.predicted.predicted_top`; no network
        built, seconds, counted in the setup).
    blend : str, optional
        A predictor of `zcgp.predictors.PREDICTORS` whose prediction joins the objective's
        score: both standardized on the reference (the first batch scored) and added
        (`zcgp.predicted.Blend`). It is fitted on the encoding and accuracy of `labels` when
        given (then any objective: the labels count as seen by the search), else of every
        labeled architecture of the searched space the objective saw (an in-distribution
        objective on the shipped tables); the space needs an encoding.
    blend_weight : float or "cv", default BLEND_WEIGHT
        The predictor's share of the blend, in [0, 1] (0.5: the plain sum of both), or "cv":
        the weight of `zcgp.predicted.BLEND_WEIGHTS` whose blend ranks the labeled
        architectures best in cross-validation (`zcgp.predicted.cv_weight`; the formula's
        values from the table's proxies of those architectures; not with a table of yours).
    predictor : str, optional
        Instead of `proxy`: a predictor of `zcgp.predictors.PREDICTORS`, fitted on the one-hot
        encoding and accuracy of `labels`, is the objective (`zcgp.predicted.Predicted`): no
        network is built and no proxy computed. The search starts from the `warm_start`
        (default PREDICTED_START) best labeled architectures; without a budget it scores
        PREDICTED_EVALUATIONS architectures (with `lookup`, at most the table's).
    labels : str, Path or sequence of (architecture, float), optional
        With `predictor` or `blend`: a table file with arch and accuracy columns, (architecture,
        accuracy) pairs, or "train-split", the shipped task's train split under split seed
        `seed` (`zcgp.predicted.read_labeled`). The found network is reported beside "labels
        alone", the best of them (with `blend`, when the objective saw no labels of its own).
    data_dir : path, optional
        NAS-Bench-Suite-Zero files (default: the shipped copy).
    nb201_table : path, optional
        Another copy of the NAS-Bench-201 accuracy table.
    on_batch : callable, optional
        Called with each history row as it is scored.

    Returns
    -------
    SearchResult

    Raises
    ------
    ZcgpError
        No budget, a bad budget, an unknown space, task, proxy or file.

    Examples
    --------
    >>> import zcgp
    >>> found = zcgp.search("nb201", "synflow", evaluations=20, lookup=True, population=10)
    >>> found.evaluations
    20
    """
    start = time.perf_counter()
    if predictor is not None:
        _check_predicted(proxy, predictor, labels, warm_by, blend, screen, screen_by, pick)
        if minutes is None and evaluations is None:
            evaluations = PREDICTED_EVALUATIONS
    elif labels is not None and blend is None:
        raise ZcgpError("labels are what a predictor or a blend is fitted on: give a predictor or a blend with them")
    if minutes is None and evaluations is None:
        raise ZcgpError("give a budget: minutes and/or evaluations")
    if minutes is not None and minutes <= 0:
        raise ZcgpError(f"minutes must be > 0, got {minutes}")
    if evaluations is not None and evaluations < 1:
        raise ZcgpError(f"evaluations must be >= 1, got {evaluations}")
    check_pick(pick)
    if warm_by != "labels":
        check_predictor(warm_by, f"warm_by '{warm_by}'")
    if blend is not None:
        check_predictor(blend, f"blend '{blend}'")
    _check_weight(blend_weight)
    space = get_space(space) if isinstance(space, str) else space
    _screening(screen, screen_by, space)            # bad input fails before any network is built
    task = task or next(iter(space.tasks))
    if task not in space.tasks:
        raise ZcgpError(f"unknown task '{space.name}/{task}'; known: "
                        f"{', '.join(f'{space.name}/{t}' for t in space.tasks)}")
    settings = replace(settings or MeasureSettings(), seed=int(seed)).validate()
    default = proxy is None and predictor is None
    if default:
        proxy = default_for(space.name)
    workers = resolve_workers(workers)
    table = benchmark_of(space, task, nb201_table=nb201_table, data_dir=data_dir)
    if predictor is not None:
        objective = _predicted_objective(space, predictor, labels, task=task, lookup=lookup, seed=seed,
                                         data_dir=data_dir)
        if lookup and evaluations is not None:                # a table is scored whole, not walked dry
            evaluations = min(evaluations, len(objective.searched.members))
    else:
        objective = _objective(space, proxy, task=task, lookup=lookup, seed=seed, population=population,
                               pick=pick, minutes=minutes, start=start, settings=settings, workers=workers,
                               data_dir=data_dir)
    labeled = objective.details.pop("labeled", None)
    measure = objective.measure
    info: dict = {"space": space.name, "task": task, "seed": seed, "lookup": lookup, "default_objective": default,
                  "workers": getattr(measure.measure, "workers", workers) if measure is not None else workers,
                  "inits": settings.inits, "measure": settings.to_dict(), **objective.details}
    screen, screen_by = _screening(screen, screen_by, space, _evolved_here(objective.details))
    if labeled is None:
        parents, warm = _parents(warm_start, warm_by, objective.details, space, objective.searched, task, seed,
                                 data_dir)
    else:
        parents, warm = _labeled_parents(labeled, PREDICTED_START if warm_start is None else warm_start, space)
    if warm is not None:
        info["warm_start"] = warm
    function = objective.function
    if blend is not None:
        given = None if labels is None else read_labeled(space, labels, task=task, seed=seed, data_dir=data_dir)
        function, info["blend"] = _blended(objective, blend, blend_weight, space, task, seed, data_dir, given)
        if given is not None:
            info["labels"] = _with_labels(info["labels"], objective.details, given, space)
            if not objective.details["labels"]["in_distribution"]:     # the given labels alone are beside
                labeled = given
    setup = time.perf_counter() - start
    scoring = [0.0]

    def timed(archs):
        began = time.perf_counter()
        try:
            return function(archs)
        finally:
            scoring[0] += time.perf_counter() - began

    before = dict(measure.seconds) if measure is not None else {"building": 0.0, "proxies": 0.0}
    seconds = None if minutes is None else max(minutes * 60 - setup, 1e-3)
    size = 10**12 if objective.description == "random search" else population   # never fills: uniform
    screener = _screen(screen, measure, objective.searched, screen_by)
    if screener is not None:
        info["screen"] = {"factor": screener.factor, "by": screen_by, "features": list(screener.names)}
    found = aging_evolution(objective.searched, timed, population=size, sample_size=sample_size,
                            max_evaluations=evaluations, max_seconds=seconds, batch=batch, seed=seed,
                            on_batch=on_batch, initial=objective.initial, parents=parents, screen=screener)
    if screener is not None:
        info["screen"]["screened"] = screener.screened
    if found.best_arch is None:
        raise ZcgpError("the search stopped before scoring any network")
    if objective.initial and not objective.details["reference"]["from_cache"]:
        store_reference(measure, objective.initial, objective.function.names)
    spent = {k: (measure.seconds[k] if measure is not None else 0.0) - before[k] for k in before}
    # scoring: wall time in the objective; building / proxies: CPU seconds summed over workers
    screening = screener.seconds if screener is not None else 0.0
    info["seconds"] = {"setup": setup, "scoring": scoring[0], **({"screening": screening} if screener else {}),
                       "selection": found.seconds - scoring[0] - screening,
                       "total": time.perf_counter() - start, "building_cpu": spent["building"],
                       "proxies_cpu": spent["proxies"]}
    provenance = info.pop("provenance", {})
    if table is not None and labeled is not None:
        info["labels_alone"] = best_labeled(table, labeled.rows, labeled.source, len(labeled.rows))
    elif table is not None and info["labels"]["in_distribution"] and provenance.get("labels"):
        info["labels_alone"] = labels_alone(table, provenance["labels"], *_split_of(provenance), data_dir)
    info["objective_source"] = provenance.get("name")
    described = objective.description + (f", blended with {blend}" if blend is not None else "")
    return SearchResult(space=space, task=task, objective=described, best_arch=found.best_arch,
                        best_string=space.to_string(found.best_arch), best_score=found.best_score,
                        evaluations=found.evaluations, proposals=found.proposals, seconds=setup + found.seconds,
                        setup_seconds=setup, interrupted=found.interrupted, stop_reason=found.stop_reason,
                        history=[{**row, "seconds": row["seconds"] + setup} for row in found.history], info=info,
                        benchmark=None if table is None else table.lookup(found.best_arch), table=table)
