"""`zcgp bench search`'s measurements: searches with evolved formulas, hand-crafted proxies and
random search, side by side.

  * `timed_searches`: each search is one `zcgp.search` call as a user runs it (fresh
    networks, setup included), per objective and seed;
  * `compare_objectives`: every objective runs the same aging evolution for the same number
    of distinct networks; a shared cache computes each network's proxies once;
  * `seconds_per_network`: CPU seconds to build and score one fresh network;
  * `predicted_searches`: what the labels buy with a predictor fitted on them: the same aging
    evolution driven by a predictor of the architecture's encoding (`zcgp.predictors`), fitted
    on the labeled architectures the in-distribution path reads; no network is built.
"""

from __future__ import annotations

import re
import signal
import time

import numpy as np

from zcgp.adapting import COMBINE_LOSSES
from zcgp.adapting import combine as combine_run
from zcgp.errors import Interrupted, ZcgpError
from zcgp.evolving import evolve
from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION, label_counts
from zcgp.nas.benchmark import Benchmark, labeled_best, labels_alone, objective_labels
from zcgp.nas.choice import PICKS
from zcgp.nas.objectives import make_measure, make_objective
from zcgp.nas.shipped import SUITE_SPACES
from zcgp.predicted import PREDICTED_EVALUATIONS, PREDICTED_START, check_predictor
from zcgp.proxies.measure import MeasureSettings
from zcgp.proxies.registry import PROXY_NAMES
from zcgp.searching import load_formula, search
from zcgp.spaces import get_space
from zcgp.spaces.search import POPULATION, SAMPLE_SIZE, aging_evolution

SEARCH_OPTIONS = ("warm_start", "warm_by", "blend", "blend_weight")   # objective options for zcgp.search
__all__ = ["SEARCH_OPTIONS", "ANCHORS", "anchor_rows", "compare_objectives", "drawn_labels", "drawn_rows",
           "evolved_objective", "predicted_objective", "predicted_search", "predicted_searches", "record_labels",
           "seconds_per_network", "timed_rows", "timed_searches", "transfer_searches"]


def timed_searches(space, objectives: dict, seeds, *, minutes: float, task: str, lookup: bool = False,
                   population: int = POPULATION, sample_size: int = SAMPLE_SIZE,
                   settings: MeasureSettings | None = None, workers: int = -1, data_dir=None,
                   progress=None, screen: int | None = None, screen_by: str | None = None) -> list[dict]:
    """One `zcgp.search` per (objective, seed), as a user runs it.

    Parameters
    ----------
    space : SearchSpace
        The space searched.
    seeds : sequence of int
        One search per seed.
    minutes : float
        Wall-time budget per search, setup included.
    task : str
        The space's task.
    lookup : bool
        Table proxies over the table's architectures.
    settings : MeasureSettings, optional
        How networks are measured.
    workers : int
        Processes scoring networks.
    data_dir : path, optional
        Another directory of the shipped files.
    progress : callable, optional
        Called with each record.
    objectives : dict
        label -> what `zcgp.search` takes as its proxy; a label "NAME:MODE" picks with MODE.
    population, sample_size : int
        Aging evolution settings.
    screen : int, optional
        The searches' `screen` factor (default: `zcgp.search`'s own); given, the records'
        objective reads "LABEL screen N" (and " by BY" with an explicit `screen_by`).
    screen_by : str, optional
        The searches' `screen_by` (`zcgp.search`; default: its own).

    Returns
    -------
    list of dict
        One record per search: objective, seed, best_arch, evaluations, seconds, benchmark,
        info (the search's `info`: labels, pick, time).

    Raises
    ------
    Interrupted
        When Ctrl-C cut a search short; the searches before it went to `progress`.
    """
    bench = Benchmark(space, task, table_only=lookup, data_dir=data_dir)
    records = []
    for label, source in objectives.items():
        mode = label.partition(":")[2] or "combined"
        for seed in seeds:
            result = search(space, source, minutes=minutes, seed=seed, task=task, lookup=lookup,
                            population=population, sample_size=sample_size, settings=settings, workers=workers,
                            pick=mode, screen=screen, screen_by=screen_by, data_dir=data_dir)
            record = _record(screened_label(label, screen, screen_by), seed, _finished(result, label, seed), bench)
            records.append(record)
            if progress is not None:
                progress(record)
    return records


def compare_objectives(space, formula, objectives, seeds, *, evaluations: int = 100, task: str | None = None,
                       lookup: bool = True, population: int = 20, sample_size: int = 5, reference: int = 64,
                       settings: MeasureSettings | None = None, data_dir=None,
                       benchmark: Benchmark | None = None, progress=None) -> list[dict]:
    """One search per (objective, seed) at an equal budget of distinct networks.

    A shared cache computes each network's proxies once for all runs.

    Parameters
    ----------
    space : str or SearchSpace
    formula : str, Path or Proxy, optional
        The "evolved" objective.
    objectives : sequence of str
        "evolved", "random" or proxy names.
    seeds : sequence of int
    evaluations : int
        Distinct networks per search.
    task : str, optional
    lookup : bool
        Table proxies over the table's architectures (default).
    population, sample_size, reference : int
        Aging evolution; the formula's reference sample.
    settings : MeasureSettings, optional
    data_dir : path, optional
    benchmark : Benchmark, optional
        Where found networks are looked up (default: the task's table in lookup mode).
    progress : callable, optional
        Called with each run.

    Returns
    -------
    list of dict
        One per run: the found architecture, its accuracy and percentile (None when not in the
        table), the benchmark entry, networks computed so far.
    """
    space = get_space(space) if isinstance(space, str) else space
    task = task or next(iter(space.tasks))
    formula = load_formula(formula) if formula is not None and "evolved" in objectives else None
    if "evolved" in objectives and formula is None:
        raise ZcgpError("the 'evolved' objective needs a formula (--proxy or --formula)")

    def names(objective: str) -> tuple[str, ...]:
        if objective == "evolved":
            return tuple(formula.terminals)
        return () if objective == "random" else (objective,)

    union = tuple(dict.fromkeys(n for o in objectives for n in names(o)))
    shared, searched = make_measure(space, union, task, lookup=lookup, settings=settings or MeasureSettings(),
                                    data_dir=data_dir)
    bench = benchmark or Benchmark(space, task, table_only=lookup, data_dir=data_dir)
    runs = []
    for objective in objectives:
        for seed in seeds:
            kind = "formula" if objective == "evolved" else objective
            fn = make_objective(kind, shared.view(names(objective)), searched, seed, formula, reference)
            found = aging_evolution(searched, fn, population=population, sample_size=sample_size,
                                    max_evaluations=evaluations, seed=seed)
            entry = bench.lookup(found.best_arch)
            runs.append({"objective": objective, "seed": seed, "best_arch": space.to_string(found.best_arch),
                         "evaluations": found.evaluations, "seconds": found.seconds,
                         "accuracy": None if entry is None else entry[task][bench.metric],
                         "percentile": None if entry is None else entry[task]["percentile"],
                         "benchmark": entry, "networks_computed": len(shared.cache)})
            if progress is not None:
                progress(runs[-1])
    return runs


def seconds_per_network(space, names, task: str | None = None, *, networks: int = 4,
                        settings: MeasureSettings | None = None, seed: int = 12345) -> float:
    """CPU (process) seconds to build and score one fresh network.

    Parameters
    ----------
    space : SearchSpace
    names : sequence of str
        Proxies (none: 0 seconds).
    task : str, optional
    networks : int
        Sampled networks averaged over.
    settings : MeasureSettings, optional
    seed : int
        Sampling seed.

    Returns
    -------
    float
    """
    if not names:
        return 0.0
    measure, _ = make_measure(space, tuple(names), task or next(iter(space.tasks)),
                              settings=settings or MeasureSettings())
    archs = space.sample_distinct(networks, np.random.default_rng(seed))
    start = time.process_time()
    measure(archs)
    return (time.process_time() - start) / max(len(archs), 1)


# published zero-cost searches on NB201 (reported figures from the papers' main tables, other
# hardware, not rerun here; they use no label of NB201): (method, CIFAR-10, CIFAR-100,
# ImageNet16-120, each (mean, std)), search cost and hardware, runs
ANCHORS = {
    "nb201": [
        ("NASWOT, N=100 (Mellor et al., ICML 2021, Table 2)", (92.81, 0.99), (69.48, 1.70), (43.10, 3.16),
         "30 s, one GTX 1080 Ti", 500),
        ("NASWOT, N=1000 (same table)", (92.96, 0.81), (69.98, 1.22), (44.44, 2.10), "306 s, one GTX 1080 Ti", 500),
        ("TE-NAS (Chen et al., ICLR 2021, Table 1)", (93.9, 0.47), (71.24, 0.56), (42.38, 0.46),
         "1,558 GPU-seconds", 4),
    ],
}


def transfer_searches(space, seeds, *, minutes: float, task: str, lookup: bool = False,
                      settings: MeasureSettings | None = None, workers: int = -1, data_dir=None,
                      evolve_options: dict | None = None, progress=None, own: bool = False, pick: str = "combined",
                      label: str | None = None, combine: str | None = None, screen: int | None = None,
                      screen_by: str | None = None, search_options: dict | None = None) -> list[dict]:
    """The zero-shot benchmark, as a researcher with a new space runs it.

    For each seed, `zcgp.evolve` with the defaults (or `evolve_options`) on every shipped space
    except `space`, then one `zcgp.search` of `space` with that run (its formula never saw a
    label of `space`). The evolution is timed apart from the search's budget.

    Parameters
    ----------
    space : SearchSpace
        The space searched.
    seeds : sequence of int
        One search per seed.
    minutes : float
        Wall-time budget per search, setup included.
    task : str
        The space's task.
    lookup : bool
        Table proxies over the table's architectures.
    settings : MeasureSettings, optional
        How networks are measured.
    workers : int
        Processes scoring networks.
    data_dir : path, optional
        Another directory of the shipped files.
    progress : callable, optional
        Called with each record.
    evolve_options : dict, optional
        Options of `zcgp.evolve`.
    own : bool
        Evolve on the searched space's own tasks instead (the in-distribution path, objective
        "own": `zcgp evolve --tasks SPACE` then `zcgp search --proxy RUN`).
    pick : str, default "combined"
        The search's `--pick` (`zcgp.nas.choice.check_pick`).
    label : str, optional
        The records' objective name (default: "own" or "transfer").
    combine : str, optional
        A combining adaptation ("combine" or "combine-weighted"): the run's formula combined
        (`zcgp.adapting.combine`) on all labeled architectures of the spaces it was evolved on, as
        `zcgp suite` builds `suite-combined-without-SPACE` (with `own`: on the train splits the
        run was evolved on, no more labels); timed with the evolution.
    screen : int, optional
        The searches' `screen` factor (`timed_searches`).
    screen_by : str, optional
        The searches' `screen_by` (`timed_searches`).
    search_options : dict, optional
        More keywords of every `zcgp.search` (warm_start, warm_by, blend, blend_weight).

    Returns
    -------
    list of dict
        One record per seed, as `timed_searches`'s, plus evolve_seconds, run_formula and
        evolved_on.

    Raises
    ------
    Interrupted
        When Ctrl-C cut a search short; the searches before it went to `progress`.
    """
    others = [space.name] if own else [s for s in SUITE_SPACES if s != space.name]
    label = screened_label(label or ("own" if own else "transfer"), screen, screen_by)
    bench = Benchmark(space, task, table_only=lookup, data_dir=data_dir)
    # the combination's labels: every architecture of the other spaces (zero-shot), or only the
    # train splits the run read (own: in distribution, no label more than the evolution's)
    labeled = load_tasks(others, data_dir=data_dir) if combine is not None and not own else None
    records = []
    for seed in seeds:
        start = time.perf_counter()
        run = evolve(",".join(others), seed=seed, progress=False, data_dir=data_dir, **(evolve_options or {}))
        objective = run if combine is None else combine_run(run, labeled, combine, data_dir).proxy
        evolved = time.perf_counter() - start
        result = search(space, objective, minutes=minutes, seed=seed, task=task, lookup=lookup, settings=settings,
                        workers=workers, pick=pick, screen=screen, screen_by=screen_by, data_dir=data_dir,
                        **(search_options or {}))
        record = {**_record(label, seed, _finished(result, label, seed), bench), "evolve_seconds": evolved,
                  "run_formula": run.formula,
                  "evolved_on": others}
        records.append(record)
        if progress is not None:
            progress(record)
    return records




def predicted_objective(name: str) -> tuple[str, int | None] | None:
    """(predictor, k) of a "predicted:NAME" or "predicted:NAME:kK" objective, or None for another.

    Without kK the labels are those of the in-distribution path (`predicted_searches`); with
    it, K labeled architectures drawn as the few-shot search draws them (`drawn_labels`).

    Parameters
    ----------
    name : str
        An objective name, e.g. "predicted:ridge" or "predicted:mlp-weighted:k20".

    Returns
    -------
    tuple of (str, int or None), or None

    Raises
    ------
    ZcgpError
        When NAME is not a predictor of `zcgp.predictors.PREDICTORS`, is "lightgbm" without the
        optional lightgbm installed, or kK is not a whole number >= 2.

    Examples
    --------
    >>> predicted_objective("predicted:ridge")
    ('ridge', None)
    >>> predicted_objective("predicted:mlp-weighted:k20")
    ('mlp-weighted', 20)
    >>> predicted_objective("own") is None
    True
    """
    kind, *options = name.split(":")
    if kind != "predicted":
        return None
    predictor, *rest = options or [""]
    check_predictor(predictor, f"objective '{name}'")
    drawn = re.fullmatch(r"k(\d+)", rest[0]) if len(rest) == 1 else None
    if rest and (drawn is None or int(drawn.group(1)) < 2):
        raise ZcgpError(f"objective '{name}': after the predictor only kK, K >= 2 labeled architectures")
    return predictor, int(drawn.group(1)) if drawn else None


def drawn_rows(task, k: int, seed: int) -> np.ndarray:
    """The rows of `task` labeled for a few-shot search: k drawn with seed [seed, 7], sorted.

    Parameters
    ----------
    task : Task
        The labeled task.
    k : int
        How many, 1..task.n.
    seed : int
        The draw's seed.

    Returns
    -------
    numpy.ndarray of int
    """
    return np.sort(np.random.default_rng([seed, 7]).choice(task.n, k, replace=False))


def drawn_labels(task, k: int, seed: int) -> dict:
    """The k labeled architectures of a few-shot search (`drawn_rows`), named in "archs", as
    `zcgp bench fewshot --search` adapts on them.

    Parameters
    ----------
    task, k, seed
        As `drawn_rows`.

    Returns
    -------
    dict
        {"tasks": {id: k}, "spaces": {space: k}, "archs": {id: the k architectures}}, the
        labels of `zcgp.adapt`'s provenance and of `nas.benchmark.labeled_best`.
    """
    rows = drawn_rows(task, k, seed)
    return {"tasks": {task.id: k}, "spaces": {task.space: k}, "archs": {task.id: [task.archs[r] for r in rows]}}


def predicted_search(space, task: str, labels: dict, *, predictor: str, seed: int, lookup: bool = False,
                     evaluations: int = PREDICTED_EVALUATIONS,
                     split: tuple[int, float] = (0, DEFAULT_TRAIN_FRACTION), data_dir=None,
                     label: str | None = None) -> dict:
    """One search by a predictor of the encoding fitted on `labels`: what those labels buy with it.

    `predictor` (`zcgp.predictors.fit_predictor`, seeded `seed`) is fitted on the labeled
    architectures' one-hot encoding and validation accuracy; aging evolution, seeded `seed`
    and starting from the PREDICTED_START best labeled architectures, then searches the space
    for `evaluations` networks by the predicted accuracy alone (`zcgp.search` with `predictor`:
    no network built, no proxy computed).

    Parameters
    ----------
    space : SearchSpace
        The space searched: it needs an encoding and a shipped table of `task`.
    task : str
        The space's task whose labels are read.
    labels : dict
        Which labels: `fitness.splits.label_counts` of the labeled tasks (their train splits
        under `split`), or with "archs" naming the labeled architectures per task id (as an
        adapted proxy records them); the rows `nas.benchmark.labeled_best` reads.
    predictor : str
        A key of `zcgp.predictors.PREDICTORS`.
    seed : int
        Seeds the predictor and the search.
    lookup : bool
        Search only the table's architectures.
    evaluations : int, default PREDICTED_EVALUATIONS
        Distinct architectures the predictor scores (with `lookup`, at most the table's).
    split : (int, float)
        The split seed and train fraction of `labels` (without "archs").
    data_dir : path, optional
        Another directory of the shipped files.
    label : str, optional
        The record's objective name (default "predicted:PREDICTOR").

    Returns
    -------
    dict
        A record as `timed_searches`'s (info: labels, labels_alone, predictor, seconds).

    Raises
    ------
    ZcgpError
        An unknown predictor, a space without an encoding, or no labeled architecture of `task`.
    """
    check_predictor(predictor, f"predictor '{predictor}'")
    start = time.perf_counter()
    bench = Benchmark(space, task, table_only=lookup, data_dir=data_dir)
    found = labeled_best(space, task, labels, *split, count=None, data_dir=data_dir)
    if found is None:
        raise ZcgpError(f"no labeled architecture of {space.name}/{task} to fit a predictor on")
    result = search(space, predictor=predictor, labels=found[1], seed=seed, task=task, lookup=lookup,
                    evaluations=evaluations, data_dir=data_dir)
    seconds = time.perf_counter() - start
    info = {"labels": objective_labels(labels, space.name), "predictor": predictor, "task": task,
            "warm_start": PREDICTED_START, "labels_alone": labels_alone(bench, labels, *split, data_dir),
            "seconds": {"total": seconds}}
    return {"objective": label or f"predicted:{predictor}", "seed": seed,
            "best_arch": space.to_string(result.best_arch), "best_score": result.best_score,
            "evaluations": result.evaluations, "seconds": seconds,
            "benchmark": bench.lookup(result.best_arch), "info": info}


def predicted_searches(space, seeds, *, predictor: str, task: str, k: int | None = None, lookup: bool = False,
                       evaluations: int = PREDICTED_EVALUATIONS, data_dir=None, progress=None) -> list[dict]:
    """`predicted_search` per seed on the labels of the in-distribution path, or on k drawn ones.

    The labels of seed S are those `zcgp evolve --tasks SPACE --seed S` reads on the searched
    task: its train split (`fitness.splits.task_split`, seed S, the default train fraction),
    the rows whose best is "labels alone"; with `k`, the k architectures the few-shot search of
    seed S is adapted on (`drawn_labels`).

    Parameters
    ----------
    space : SearchSpace
        The space searched.
    seeds : sequence of int
        One fit and search per seed (the split seed too).
    predictor, task, lookup, evaluations, data_dir
        As `predicted_search`.
    k : int, optional
        Draw k labeled architectures per seed instead.
    progress : callable, optional
        Called with each record.

    Returns
    -------
    list of dict
        One record per seed.

    Raises
    ------
    ZcgpError
        As `predicted_search`, or a task without a shipped table.
    """
    (labeled,) = load_tasks([f"{space.name}/{task}"], data_dir=data_dir)
    records = []
    for seed in seeds:
        labels = label_counts([labeled], seed, DEFAULT_TRAIN_FRACTION) if k is None else drawn_labels(labeled, k, seed)
        record = predicted_search(space, task, labels, predictor=predictor, seed=seed, lookup=lookup,
                                  evaluations=evaluations, split=(seed, DEFAULT_TRAIN_FRACTION), data_dir=data_dir,
                                  label=f"predicted:{predictor}" + ("" if k is None else f":k{k}"))
        records.append(record)
        if progress is not None:
            progress(record)
    return records


def evolved_objective(name: str) -> tuple[bool, dict, str] | None:
    """Parse a "transfer" or "own" objective with its options, e.g. "transfer:top10:best".

    Each ":"-separated option after the kind is a fitness metric of the evolution
    (`fitness.families.FITNESS_METRICS`), a `--pick` of the search (`nas.choice.PICKS`), a
    combining adaptation of the evolved formula (`adapting.COMBINE_LOSSES`: options key
    "combine", see `transfer_searches`), "warmN", the search's warm start from the N best
    labeled architectures (options key "warm_start"), "warm-PREDICTOR", the warm start's
    architectures the best predicted by PREDICTOR (`zcgp.search`'s warm_by; key "warm_by"),
    "blend-PREDICTOR", the objective blended with PREDICTOR (`zcgp.search`'s blend; key "blend"),
    or "cv", that blend's weight chosen by cross-validation (`zcgp.search`'s blend_weight; key
    "blend_weight"; only with a blend).

    Parameters
    ----------
    name : str
        An objective name.

    Returns
    -------
    tuple of (bool, dict, str) or None
        (own, evolve options, pick), or None when `name` is not a transfer or own objective.

    Raises
    ------
    ZcgpError
        When an option is neither a fitness metric nor a pick, or one is given twice.

    Examples
    --------
    >>> evolved_objective("transfer:top10:best")
    (False, {'metric': 'top10'}, 'best')
    >>> evolved_objective("transfer:combine-weighted")
    (False, {'combine': 'combine-weighted'}, 'combined')
    >>> evolved_objective("own:warm10")
    (True, {'warm_start': 10}, 'combined')
    >>> evolved_objective("own:warm-mlp-listmle")
    (True, {'warm_by': 'mlp-listmle'}, 'combined')
    >>> evolved_objective("own:blend-ridge")
    (True, {'blend': 'ridge'}, 'combined')
    >>> evolved_objective("own:blend-ridge:cv")
    (True, {'blend': 'ridge', 'blend_weight': 'cv'}, 'combined')
    >>> evolved_objective("synflow") is None
    True
    """
    kind, *options = name.split(":")
    if kind not in ("transfer", "own"):
        return None
    chosen: dict = {}
    for option in options:
        warm = re.fullmatch(r"warm(\d+)", option)
        named = re.fullmatch(r"(warm|blend)-(.+)", option)        # a predictor's option
        key = ("metric" if option in FITNESS_METRICS else "pick" if option in PICKS
               else "combine" if option in COMBINE_LOSSES else "warm_start" if warm
               else "blend_weight" if option == "cv"
               else {"warm": "warm_by", "blend": "blend"}[named.group(1)] if named else None)
        if key is None or key in chosen:
            raise ZcgpError(f"objective '{name}': '{option}' is not a fitness metric ({', '.join(FITNESS_METRICS)}), "
                            f"a pick ({', '.join(PICKS)}), a combination ({', '.join(COMBINE_LOSSES)}), a warm "
                            f"start (warmN), its predictor (warm-PREDICTOR), a blend (blend-PREDICTOR) or its "
                            f"weight by cross-validation (cv), or "
                            f"repeats one")
        if named:
            check_predictor(named.group(2), f"objective '{name}'")
        chosen[key] = int(warm.group(1)) if warm else named.group(2) if named else option
    if "blend_weight" in chosen and "blend" not in chosen:
        raise ZcgpError(f"objective '{name}': 'cv' weighs a blend; give blend-PREDICTOR with it")
    pick = chosen.pop("pick", "combined")
    return kind == "own", chosen, pick


def screened_label(label: str, screen: int | None, screen_by: str | None = None) -> str:
    """A record's objective name: `label`, with " screen N" when the searches were given a screen
    factor, and " by BY" when they were told what to screen by."""
    return label + ("" if screen is None else f" screen {screen}") + (f" by {screen_by}" if screen_by else "")


def _finished(result, label: str, seed: int):
    """`result`, unless Ctrl-C cut its search short: a truncated search is not a measurement,
    and the bench stops there."""
    if result.interrupted:
        raise Interrupted(f"interrupted during the search of {label} seed {seed} (not recorded)", signal.SIGINT)
    return result


def _record(label: str, seed: int, result, bench: Benchmark) -> dict:
    """One time-mode record; the found network and "labels alone" both looked up in `bench`."""
    info = dict(result.info)
    if info.get("labels_alone"):
        alone = info["labels_alone"]
        info["labels_alone"] = {**alone, "benchmark": bench.lookup(alone["arch"])}
    return {"objective": label, "seed": seed, "best_arch": result.best_string, "best_score": result.best_score,
            "evaluations": result.evaluations,
            "seconds": result.info["seconds"]["total"], "benchmark": bench.lookup(result.best_arch), "info": info}


def record_labels(record: dict) -> int | None:
    """Labeled architectures of the searched space a record's objective saw.

    Parameters
    ----------
    record : dict
        A record of `timed_searches` or `transfer_searches`.

    Returns
    -------
    int or None
        0 for zero-shot (a hand-crafted proxy, random search, a transfer formula), None when
        unknown (a formula given as text).
    """
    labels = record.get("info", {}).get("labels")
    if labels is not None:
        return labels.get("space_labels")
    objective = record["objective"].partition(":")[0]
    return 0 if objective == "random" or objective in PROXY_NAMES else None


def timed_rows(records: list[dict], task: str, metric: str) -> tuple[list[str], list[list]]:
    """The rows of a time-mode table.

    Parameters
    ----------
    records : list of dict
        Records of `timed_searches` / `transfer_searches` (any mix).
    task : str
        The dataset of the "worst" column.
    metric : str
        The benchmark's metric ("test_accuracy", "val_accuracy").

    Returns
    -------
    (list of str, list of list)
        The datasets, and per objective (record order): the labels of the searched space it saw,
        in or out of distribution, mean +/- std over seeds of each dataset's accuracy and
        percentile, networks scored, wall seconds per network, the worst seed and the number of
        runs; after an in-distribution objective, "labels alone" (the best of its labeled
        architectures).
    """
    objectives = list(dict.fromkeys(r["objective"] for r in records))
    datasets = list(next((r["benchmark"] for r in records if r["benchmark"]), {task: None}))
    rows = []
    for objective in objectives:
        found = [r for r in records if r["objective"] == objective]
        cells = []
        for d in datasets:
            cells += [mean_std_cell(f["benchmark"][d][metric] if f["benchmark"] else None for f in found),
                      mean_std_cell(f["benchmark"][d]["percentile"] if f["benchmark"] else None for f in found)]
        nets = [f["evaluations"] for f in found]
        worst = [f["benchmark"][task][metric] for f in found if f["benchmark"]]
        seen = {record_labels(f) for f in found}
        label = ",".join("?" if s is None else str(s) for s in sorted(seen, key=lambda s: -1 if s is None else s))
        rows.append([objective, label, "in" if any(s for s in seen if s) else "out", *cells,
                     f"{np.mean(nets):.0f} ({min(nets)}-{max(nets)})",
                     f"{np.mean([f['seconds'] / max(f['evaluations'], 1) for f in found]):.3f}",
                     f"{min(worst):.2f}" if worst else "-", len(found)])
        alone = [f["info"].get("labels_alone") for f in found if f.get("info", {}).get("labels_alone")]
        if alone:
            cells = []
            for d in datasets:
                cells += [mean_std_cell(a["benchmark"][d][metric] if a["benchmark"] else None for a in alone),
                          mean_std_cell(a["benchmark"][d]["percentile"] if a["benchmark"] else None for a in alone)]
            worst = [a["benchmark"][task][metric] for a in alone if a["benchmark"]]
            rows.append([f"  labels alone ({objective})", label, "in", *cells, "-", "-",
                         f"{min(worst):.2f}" if worst else "-", len(alone)])
    return datasets, rows


def anchor_rows(space: str, datasets: list[str]) -> list[list]:
    """Rows of the published anchors of `space` in a time-mode table's columns.

    Parameters
    ----------
    space : str
    datasets : list of str
        The table's datasets (NB201: CIFAR-10, CIFAR-100, ImageNet16-120).

    Returns
    -------
    list of list
    """
    out = []
    for name, *values, cost, runs in ANCHORS.get(space, []):
        cells = []
        for mean, std in values[:len(datasets)]:          # CIFAR-10, CIFAR-100, ImageNet16-120
            cells += [f"{mean:.2f} +/- {std:.2f}", "-"]
        out.append([name, "0", "out", *cells, cost, "-", "-", runs])
    return out


def mean_std_cell(values) -> str:
    """The mean +/- std of the values that are not None (two decimals), or "not in the table".

    Parameters
    ----------
    values : iterable of float or None

    Returns
    -------
    str
    """
    values = [v for v in values if v is not None]
    return f"{np.mean(values):.2f} +/- {np.std(values):.2f}" if values else "not in the table"
