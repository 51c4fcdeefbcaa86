"""How a run's final formula is chosen among its archives (`EvolveSettings.select`).

  * "train": the best train fitness (`engine.best`).
  * "validation": the run evolves on the "fit" part of each train split; the member of the
    hall of fame and the size Pareto front with the best aggregate score on the inner
    "validation" part is kept (`select_final`).
  * "inner-loso": an inner leave-one-space-out on the training spaces only chooses a size
    cap: for each training space, one run on the other training spaces, and each cap's best
    member (`capped_best`) scored on the held-back space's train split; the cap with the best
    mean wins and the main run's best member under it is kept. The inner runs are independent
    of the main run and of each other, so they run in `n_jobs` processes with the same result
    for any number. With one training space it is the best train fitness among the members
    the check below leaves.
Every choice reads the archives and the train splits only, so a resumed run picks the same
formula and no held-out label is read. The final pick of "validation" and "inner-loso" passes
over a member that ties architectures its terminals tell apart (`collapsed`): under the rank
transform ``min(0.5, x)`` ties the top half of x, which Kendall's tau-b excuses and a search
cannot use. The inner folds score every cap's best member as it is, so the cap is chosen as
without the check.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from zcgp.fitness.rank import largest_tie
from zcgp.gp.archive import Entry, rank_key
from zcgp.gp.dataset import Dataset
from zcgp.gp.evolution import Engine
from zcgp.gp.parallel import Evaluator
from zcgp.gp.primitives import code_terminals, to_code
from zcgp.gp.settings import EvolveSettings

SIZE_CAPS = (3, 5, 7, 9, 13, 17, 25, None)     # inner-loso candidates (None = no cap)
TIE_SLACK = 0.05     # share of a task's architectures a final formula may tie beyond its terminals
TIE_FLOOR = 5        # ... and at least this many

__all__ = ["SIZE_CAPS", "TIE_FLOOR", "TIE_SLACK", "InnerLoso", "archive_members", "capped_best", "collapsed",
           "final_entry", "inner_loso_cap", "run_engine", "select_final"]


def run_engine(tasks, terminals, settings: EvolveSettings, seed: int, n_jobs: int = 1) -> Engine:
    """One evolution on the train splits of `tasks` (no checkpoint, no progress bar).

    Parameters
    ----------
    tasks : sequence of Task
        The tasks evolved on.
    terminals : sequence of str
        The terminals.
    settings : EvolveSettings
        The run settings (its `gp` with `seed` replaced).
    seed : int
        The split and engine seed.
    n_jobs : int, default 1
        Workers of the formula evaluation.

    Returns
    -------
    Engine
        The finished engine.
    """
    dataset = settings.dataset(tasks, terminals, seed)
    config = replace(settings.gp, seed=int(seed))
    return Engine(dataset, config, Evaluator(dataset, n_jobs)).run()


def collapsed(dataset: Dataset, codes) -> np.ndarray:
    """Which formulas tie architectures their terminals tell apart.

    A formula collapses when, on some task of `dataset`, its largest group of equal values
    exceeds the largest of any of its terminals there by more than TIE_SLACK of the task's
    architectures (and TIE_FLOOR); a formula of no terminal never does. Clipping the top or
    the bottom tenth of a terminal's ranks does; ``min(a, b)``, whose values coincide only
    where a rank of a meets the same rank of b, does not.

    Parameters
    ----------
    dataset : Dataset
        The fitness cases (the train splits).
    codes : sequence of tuple
        Flat prefix codes.

    Returns
    -------
    numpy.ndarray of bool, shape (k,)

    Examples
    --------
    >>> from zcgp.fitness.tasks import make_task
    >>> from zcgp.gp.primitives import make_pset, parse_tree
    >>> x = np.arange(400.0)
    >>> task = make_task("toy/a", [str(i) for i in x], ["x"], x[:, None], x, "toy")
    >>> data = Dataset.build([task], ["x"])
    >>> pset = make_pset(["x"])
    >>> collapsed(data, [to_code(parse_tree(f, pset)) for f in ("x", "fmin(0.5, x)")])
    array([False,  True])
    """
    out = dataset.outputs(codes)
    used = [sorted(code_terminals(c)) for c in codes]
    bad = np.zeros(len(codes), dtype=bool)
    for b in dataset.blocks:
        n = b.stop - b.start
        group = largest_tie(out[:, b.start:b.stop])
        base = {name: largest_tie(dataset.columns[name][b.start:b.stop])[0] for name in set().union(*used)}
        slack = max(TIE_SLACK * n, TIE_FLOOR)
        bad |= np.array([bool(names) and group[i] > max(base[t] for t in names) + slack
                         for i, names in enumerate(used)])
    return bad


def archive_members(engine: Engine, usable: bool = False) -> list[Entry]:
    """The distinct members of the hall of fame and the size Pareto front, best first.

    Parameters
    ----------
    engine : Engine
        A run's engine.
    usable : bool, default False
        Leave out the members that `collapsed` on the run's train splits (keep all of them
        when every one does).

    Returns
    -------
    list of Entry
        Ordered by `gp.archive.rank_key`.
    """
    members: dict[str, Entry] = {}
    for e in list(engine.hof) + list(engine.front_size):
        members.setdefault(e.key, e)
    ordered = sorted(members.values(), key=rank_key)
    if not usable:
        return ordered
    bad = collapsed(engine.dataset, [to_code(engine.tree(e.key)) for e in ordered])
    return [e for e, b in zip(ordered, bad) if not b] or ordered


def capped_best(engine: Engine, cap: int | None, usable: bool = False) -> Entry:
    """Best archive member with at most `cap` nodes (the smallest member when none fits).

    Parameters
    ----------
    engine : Engine
        A run's engine.
    cap : int or None
        The largest size allowed; None for no cap.
    usable : bool, default False
        Pass over the members that `collapsed` (see `archive_members`).

    Returns
    -------
    Entry
        The member.
    """
    members = archive_members(engine, usable)
    fitting = [e for e in members if cap is None or e.size <= cap]
    return fitting[0] if fitting else min(members, key=lambda e: (e.size, *rank_key(e)))


def select_final(engine: Engine, validation: Dataset | None = None) -> tuple[Entry, list[dict]]:
    """The final formula: `engine.best`, or the archive member best on `validation`.

    Ties in validation score go to train fitness, then size, cost and string.

    Parameters
    ----------
    engine : Engine
        A run's engine.
    validation : Dataset, optional
        The inner validation part of the train splits (select "validation").

    Returns
    -------
    entry : Entry
        The chosen formula.
    candidates : list of dict
        Best first, with "entry", "validation" (aggregate score) and "validation_per_task";
        empty without `validation`.
    """
    if validation is None:
        return engine.best, []
    entries = archive_members(engine, usable=True)
    scores = validation.score([to_code(engine.tree(e.key)) for e in entries])
    rows = [{"entry": e, "validation": validation.aggregate(row),
             "validation_per_task": tuple(float(x) for x in row)} for e, row in zip(entries, scores)]
    rows.sort(key=lambda r: (-r["validation"], *rank_key(r["entry"])))
    return rows[0]["entry"], rows


def _inner_fold(tasks, held_space: str, terminals, settings: EvolveSettings, seed: int) -> list[float]:
    """Mean train Kendall on `held_space` of each size cap's best formula, evolved (at the
    inner budget) on the other training spaces."""
    inner = [t for t in tasks if t.space != held_space]
    held = [t for t in tasks if t.space == held_space]
    engine = run_engine(inner, terminals, settings.inner(), seed)
    check = settings.dataset(held, terminals, seed)
    codes = [to_code(engine.tree(capped_best(engine, cap).key)) for cap in SIZE_CAPS]
    return [float(np.mean(row[:len(held)])) for row in check.score(codes, "kendall")]


class InnerLoso:
    """The inner leave-one-space-out of a run, one fold per training space.

    With `n_jobs` other than 1 the folds start at once in joblib (loky) workers, so they run
    while the main evolution runs in this process; `result()` waits for them. The result is
    the same for any `n_jobs`: each fold is a pure function of (tasks, space, terminals,
    settings, seed).

    Parameters
    ----------
    tasks : sequence of Task
        The training tasks.
    terminals : sequence of str
        The terminals.
    settings : EvolveSettings
        The main run's settings; each fold runs at `settings.inner()`.
    seed : int
        The split and engine seed.
    n_jobs : int, default 1
        1 runs the folds one after another in `result()`; otherwise they start at once in
        min(n_jobs, spaces) loky workers (-1: joblib's default of all cores).
    """

    def __init__(self, tasks, terminals, settings: EvolveSettings, seed: int, n_jobs: int = 1):
        self.spaces = list(dict.fromkeys(t.space for t in tasks))
        self.args = (tasks, terminals, settings, seed)
        self.folds = None
        if len(self.spaces) > 1 and n_jobs != 1:
            from joblib import Parallel, delayed

            workers = min(len(self.spaces), n_jobs) if n_jobs > 0 else n_jobs
            self.folds = Parallel(n_jobs=workers, backend="loky", return_as="generator")(
                delayed(_inner_fold)(tasks, s, *self.args[1:]) for s in self.spaces)

    def result(self) -> tuple[int | None, dict]:
        """The size cap that wins the inner leave-one-space-out.

        Returns
        -------
        cap : int or None
            The winning member of SIZE_CAPS (the smallest among ties; None = no cap); None with
            fewer than two training spaces.
        scores : dict of str to float
            {str(cap): mean inner score}; empty with fewer than two training spaces.
        """
        if len(self.spaces) < 2:
            return None, {}
        tasks = self.args[0]
        folds = list(self.folds) if self.folds is not None else \
            [_inner_fold(tasks, s, *self.args[1:]) for s in self.spaces]
        scores = np.mean(np.asarray(folds), axis=0)
        best = int(np.argmax(scores))                # first maximum: the smallest cap among ties
        return SIZE_CAPS[best], {str(c): float(s) for c, s in zip(SIZE_CAPS, scores)}


def inner_loso_cap(tasks, terminals, settings: EvolveSettings, seed: int,
                   n_jobs: int = 1) -> tuple[int | None, dict]:
    """(size cap, {cap: mean inner score}) of the inner leave-one-space-out (`InnerLoso`).

    Parameters
    ----------
    tasks : sequence of Task
        The training tasks.
    terminals : sequence of str
        The terminals.
    settings : EvolveSettings
        The main run's settings.
    seed : int
        The split and engine seed.
    n_jobs : int, default 1
        Workers for the folds.

    Returns
    -------
    tuple of (int or None, dict)
        As `InnerLoso.result`.
    """
    return InnerLoso(tasks, terminals, settings, seed, n_jobs).result()


def final_entry(engine: Engine, settings: EvolveSettings, tasks, terminals, seed: int,
                validation: Dataset | None = None, n_jobs: int = 1, inner=None) -> tuple[Entry, dict]:
    """The final formula of a run under `settings.select`, and what chose it.

    Parameters
    ----------
    engine : Engine
        The main run's engine.
    settings : EvolveSettings
        The run settings ("train", "validation" or "inner-loso" selection).
    tasks : sequence of Task
        The training tasks.
    terminals : sequence of str
        The terminals.
    seed : int
        The split and engine seed.
    validation : Dataset, optional
        The validation part, used under select "validation".
    n_jobs : int, default 1
        Workers for the inner leave-one-space-out.
    inner : tuple, optional
        A precomputed `inner_loso_cap` result (e.g. from an `InnerLoso` started with the run).

    Returns
    -------
    entry : Entry
        The final formula.
    info : dict
        {"size_cap", "inner_scores"} under "inner-loso", else {"candidates"} (see
        `select_final`).
    """
    if settings.select == "inner-loso":
        cap, scores = inner if inner is not None else inner_loso_cap(tasks, terminals, settings, seed, n_jobs)
        return capped_best(engine, cap, usable=True), {"size_cap": cap, "inner_scores": scores}
    entry, candidates = select_final(engine, validation if settings.select == "validation" else None)
    return entry, {"candidates": candidates}
