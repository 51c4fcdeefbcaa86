"""Stacked, transformed proxy tables of many tasks, and the fitness of many formulas at once.

`Dataset.build(tasks, terminals, part=...)` takes one split (train or test) of every task,
applies the input transform within that split (per task, column-wise, exactly as
`fitness.transforms.apply_transform`) and stacks the rows of all tasks: each terminal is one
contiguous column over all architectures. A formula is evaluated once on those columns,
then sliced per task and scored against the task's target with one `RankTarget` per task.

What happens to a terminal that some tasks lack is the `missing` mode (MISSING_MODES):
  * "exclude": such a terminal is not used at all (only proxies present on every task).
  * "impute": the terminal is kept; on a task lacking it, its column is the *neutral value*
    of the transform, i.e. the transform of a constant column: 0.5 for every architecture
    under rank, 0 under log / zscore / raw. Every formula is then defined on every task and
    reduces there to the rest of the formula (nwot * synflow -> 0.5 * synflow). The exported
    proxy.py does the same when a terminal is absent from its `scores`.
  * "zero": the column is 0 there and every formula using it gets
    NaN on that task, counted as 0 in the mean (a proxy that cannot be computed carries no
    ranking information), or
  * "skip": as "zero" but the undefined tasks are left out of the mean. This favours formulas
    defined only on the easy tasks (e.g. synflow exists on 5 of 19).
In the last two a formula defined on no task gets WORST.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from dataclasses import dataclass

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.aggregate import aggregate, aggregate_tasks, check_aggregation
from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.families import score as family_score
from zcgp.fitness.rank import WORST, RankTarget
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION, task_split
from zcgp.fitness.tasks import PROXY_ORDER
from zcgp.fitness.transforms import DEFAULT_TRANSFORM, TRANSFORMS, neutral_value, task_columns
from zcgp.gp.lexicase import case_subsets
from zcgp.gp.primitives import code_terminals, run_code

__all__ = ["DEFAULT_VALIDATION_FRACTION", "MISSING_MODES", "PARTS", "TERMINAL_SETS", "Block", "Dataset",
           "check_missing", "heldout_terminals", "inner_split", "score_chunk", "select_terminals", "terminals_for"]

PARTS = ("train", "test", "all", "fit", "validation")
# part "fit" / "validation": the train split cut once more, deterministically per (task, seed),
# into the rows evolved on and an inner validation part (for --select validation)
DEFAULT_VALIDATION_FRACTION = 0.25
MISSING_MODES = ("exclude", "impute", "zero", "skip")
# the proxies a run may use: every proxy of the tasks, or only those every held-out task has
TERMINAL_SETS = ("all", "heldout")


def check_missing(missing: str) -> str:
    """Check a missing-proxy mode.

    Parameters
    ----------
    missing : str
        The mode, one of MISSING_MODES.

    Returns
    -------
    str
        `missing`.

    Raises
    ------
    ZcgpError
        When `missing` is not one of MISSING_MODES.
    """
    if missing not in MISSING_MODES:
        raise ZcgpError(f"unknown missing-proxy mode '{missing}'; choose from {', '.join(MISSING_MODES)}")
    return missing


@dataclass(frozen=True)
class Block:
    """One task's rows [start, stop) in the stacked columns.

    Parameters
    ----------
    task : str
        The task id.
    start, stop : int
        The task's first row and one past its last in every stacked column.
    target : RankTarget
        The task's target on these rows.
    missing : frozenset of str
        Terminals this task lacks.
    """

    task: str
    start: int
    stop: int
    target: RankTarget
    missing: frozenset          # terminals this task lacks


def select_terminals(tasks, missing: str = "exclude", only=None) -> tuple[tuple[str, ...], dict]:
    """Terminals for a run, and the proxies left out with the reason for each.

    Every missing mode but "exclude" keeps the proxies that some tasks lack.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks evolved on.
    missing : str, default "exclude"
        One of MISSING_MODES.
    only : collection of str, optional
        Use only these proxies (--proxies).

    Returns
    -------
    terminals : tuple of str
        In canonical order (`fitness.tasks.PROXY_ORDER`, others alphabetically).
    excluded : dict of str to str
        {proxy: why it is not a terminal}.

    Raises
    ------
    ZcgpError
        When `missing` is unknown, `only` names a proxy no task has, or no proxy is left.

    Examples
    --------
    >>> from zcgp.fitness.sources import load_tasks
    >>> terminals, excluded = select_terminals(load_tasks("nb201"), only=["synflow", "nwot"])
    >>> terminals, sorted(excluded)[:2]
    (('synflow', 'nwot'), ['epe_nas', 'fisher'])
    """
    allow_partial = check_missing(missing) != "exclude"
    usable = [set(t.proxies) for t in tasks]
    union = set().union(*usable)
    order = [p for p in PROXY_ORDER if p in union] + sorted(union - set(PROXY_ORDER))
    excluded: dict[str, str] = {}
    if only:
        unknown = [p for p in only if p not in union]
        if unknown:
            raise ZcgpError(f"unknown proxy '{unknown[0]}' for the selected tasks; "
                            f"available: {', '.join(order)}")
        for p in order:
            if p not in only:
                excluded[p] = "not requested (--proxies)"
        order = [p for p in order if p in only]
    chosen = []
    for p in order:
        lacking = [t.id for t, names in zip(tasks, usable) if p not in names]
        if lacking and not allow_partial:
            excluded[p] = f"missing on {len(lacking)} task(s): {', '.join(lacking)}"
        else:
            chosen.append(p)
    if not chosen:
        raise ZcgpError("no proxy is usable on every selected task; use --missing impute "
                        "or select fewer tasks")
    return tuple(chosen), excluded


def inner_split(task_id: str, train_rows, seed: int = 0,
                fraction: float = DEFAULT_VALIDATION_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """(fit, validation) sorted subsets of a task's train rows; a function of (task, rows, seed).

    Parameters
    ----------
    task_id : str
        The task id (seeds the draw with `seed`).
    train_rows : array_like of int
        The task's train rows (`fitness.splits.task_split`).
    seed : int, default 0
        The split seed.
    fraction : float, default DEFAULT_VALIDATION_FRACTION (0.25)
        Share of the train rows in the validation part, in (0, 1).

    Returns
    -------
    fit, validation : numpy.ndarray of int
        Disjoint sorted subsets of `train_rows`.

    Raises
    ------
    ZcgpError
        When `fraction` is not in (0, 1), or either part would hold fewer than 3 rows.
    """
    if not 0.0 < fraction < 1.0:
        raise ZcgpError(f"validation fraction must lie in (0, 1), got {fraction}")
    train_rows = np.asarray(train_rows)
    n_val = round(fraction * train_rows.size)
    if n_val < 3 or train_rows.size - n_val < 3:
        raise ZcgpError(f"task {task_id}: {train_rows.size} train architectures are too few for a "
                        f"{fraction} validation part")
    rng = np.random.default_rng([int(seed), zlib.crc32(task_id.encode()), 1])
    perm = rng.permutation(train_rows.size)
    return np.sort(train_rows[perm[n_val:]]), np.sort(train_rows[perm[:n_val]])


def proxy_costs(tasks, terminals) -> dict[str, float]:
    """Mean compute seconds of each terminal over the tasks where it is known (NaN if nowhere)."""
    costs = {}
    for name in terminals:
        known = [t.cost.get(name, math.nan) for t in tasks if name in t.proxies]
        known = [c for c in known if math.isfinite(c)]
        costs[name] = float(np.mean(known)) if known else math.nan
    return costs


class Dataset:
    """Columns of all selected tasks for one split, ready to score formulas.

    Build one with `Dataset.build`; the constructor takes the assembled parts.

    Parameters
    ----------
    terminals : sequence of str
        The terminal names, in column order.
    columns : dict of str to numpy.ndarray
        {terminal: transformed values over all stacked architectures}.
    blocks : list of Block
        Each task's rows, in task order.
    metric : str
        The fitness per task, one of `fitness.families.FITNESS_METRICS`.
    costs : dict of str to float
        Mean compute seconds of each terminal (NaN when unknown).
    description : dict
        The inputs that define the data (tasks, part, seed, transform, ...); hashed by
        `fingerprint`.
    missing : str, default "exclude"
        One of MISSING_MODES (see the module docstring).
    aggregation : str, default "mean"
        How per-task scores become one fitness (`fitness.aggregate.AGGREGATIONS`).
    aggregation_k : float, default 1.0
        The k of "mean-std".
    cases : tuple, default ()
        Lexicase cases: (block index, rows within the block, RankTarget) each.

    Attributes
    ----------
    n : int
        Stacked architectures over all tasks.
    spaces : list of str
        Each block's search space.
    imputed : bool
        Whether a missing terminal is a neutral column (missing "impute") rather than NaN.

    Examples
    --------
    >>> from zcgp.fitness.sources import load_tasks
    >>> from zcgp.gp.formula import parse_formula
    >>> from zcgp.gp.primitives import make_pset, to_code
    >>> tasks = load_tasks("nb201")
    >>> terminals, _ = select_terminals(tasks)
    >>> data = Dataset.build(tasks, terminals, part="train", seed=0)
    >>> data.task_ids
    ('nb201/cifar10', 'nb201/cifar100', 'nb201/ImageNet16-120')
    >>> scores = data.score([to_code(parse_formula("synflow", make_pset(terminals)))])
    >>> scores.shape, -1.0 <= data.aggregate(scores[0]) <= 1.0
    ((1, 3), True)
    """

    def __init__(self, terminals, columns: dict, blocks: list[Block], metric: str,
                 costs: dict, description: dict, missing: str = "exclude",
                 aggregation: str = "mean", aggregation_k: float = 1.0, cases: tuple = ()):
        self.aggregation = aggregation
        self.aggregation_k = aggregation_k
        self.cases = cases           # (block index, rows within the block, RankTarget) per case
        self.spaces = [b.task.split("/", 1)[0] for b in blocks]
        self.missing = missing
        self.imputed = missing == "impute"      # a missing terminal is a neutral column, not NaN
        self.terminals = tuple(terminals)
        self.columns = columns
        self.blocks = blocks
        self.metric = metric
        self.costs = costs
        self.description = description
        self.n = blocks[-1].stop if blocks else 0

    @property
    def task_ids(self) -> tuple[str, ...]:
        """The task ids, in block order."""
        return tuple(b.task for b in self.blocks)

    @classmethod
    def build(cls, tasks, terminals, part: str = "train", seed: int = 0,
              train_fraction: float = DEFAULT_TRAIN_FRACTION, transform: str = DEFAULT_TRANSFORM,
              metric: str = "kendall", missing: str = "exclude",
              validation_fraction: float = DEFAULT_VALIDATION_FRACTION, aggregation: str = "mean",
              aggregation_k: float = 1.0, case_splits: int = 0) -> Dataset:
        """One split of `tasks` under a `missing` mode (MISSING_MODES, see the module docstring).

        Parts "fit" and "validation" divide the train split (see `inner_split`); each task's
        proxies are transformed within its rows of the part.

        Parameters
        ----------
        tasks : sequence of Task
            The tasks, in block order.
        terminals : sequence of str
            The terminals (e.g. `select_terminals`).
        part : str, default "train"
            One of PARTS: "train", "test", "all", "fit" or "validation".
        seed : int, default 0
            The split seed.
        train_fraction : float, default DEFAULT_TRAIN_FRACTION (0.2)
            Share of each task in its train split.
        transform : str, default DEFAULT_TRANSFORM ("rank")
            The input transform, one of `fitness.transforms.TRANSFORMS`.
        metric : str, default "kendall"
            The fitness per task, one of `fitness.families.FITNESS_METRICS`.
        missing : str, default "exclude"
            One of MISSING_MODES.
        validation_fraction : float, default DEFAULT_VALIDATION_FRACTION (0.25)
            Share of the train split in the "validation" part.
        aggregation : str, default "mean"
            How per-task scores become one fitness (`fitness.aggregate.AGGREGATIONS`).
        aggregation_k : float, default 1.0
            The k of "mean-std".
        case_splits : int, default 0
            When > 0, each task is also scored on that many fixed disjoint row subsets (extra
            columns of `score`, the cases of lexicase selection); at most 64.

        Returns
        -------
        Dataset
            The stacked data.

        Raises
        ------
        ZcgpError
            An unknown transform, metric, aggregation, missing mode or part; no task; a
            terminal a task lacks under missing "exclude"; a split that is too small.
        """
        if transform not in TRANSFORMS:
            raise ZcgpError(f"unknown transform '{transform}'; choose from {', '.join(TRANSFORMS)}")
        if metric not in FITNESS_METRICS:
            raise ZcgpError(f"unknown metric '{metric}'; choose from {', '.join(FITNESS_METRICS)}")
        check_aggregation(aggregation, aggregation_k)
        if not 0 <= case_splits <= 64:
            raise ZcgpError(f"--lexicase-splits must lie in [0, 64], got {case_splits}")
        missing_mode = check_missing(missing)
        allow_partial = missing_mode != "exclude"
        neutral = neutral_value(transform)
        if part not in PARTS:
            raise ZcgpError(f"unknown split '{part}'; choose from {', '.join(PARTS)}")
        if not tasks:
            raise ZcgpError("no task selected")
        terminals = tuple(terminals)
        pieces, blocks, cases, start = [], [], [], 0
        for task in tasks:
            missing = frozenset(p for p in terminals if p not in task.proxies)
            if missing and not allow_partial:
                raise ZcgpError(task.missing_message(min(missing)))
            if part == "all":
                rows = np.arange(task.n)
            else:
                train_idx, test_idx = task_split(task, seed, train_fraction)
                rows = test_idx if part == "test" else train_idx
                if part in ("fit", "validation"):
                    fit_idx, val_idx = inner_split(task.id, train_idx, seed, validation_fraction)
                    rows = fit_idx if part == "fit" else val_idx
            pieces.append(task_columns(task, terminals, rows, transform,
                                       neutral if missing_mode == "impute" else 0.0))
            blocks.append(Block(task.id, start, start + rows.size, RankTarget(task.target[rows]), missing))
            if case_splits:
                rng = np.random.default_rng([int(seed), zlib.crc32(task.id.encode()), 2])
                for sub in case_subsets(rows.size, case_splits, rng):
                    cases.append((len(blocks) - 1, sub, RankTarget(task.target[rows[sub]])))
            start += rows.size
        stacked = np.concatenate(pieces, axis=0)
        columns = {p: np.ascontiguousarray(stacked[:, j]) for j, p in enumerate(terminals)}
        description = {"tasks": [t.id for t in tasks], "part": part, "seed": seed,
                       "train_fraction": train_fraction, "transform": transform, "metric": metric,
                       "missing": missing_mode, "terminals": list(terminals)}
        if part in ("fit", "validation"):
            description["validation_fraction"] = validation_fraction
        if aggregation != "mean":          # non-default levers only: older fingerprints hold
            description["aggregation"] = aggregation
            description["aggregation_k"] = aggregation_k
        if case_splits:
            description["case_splits"] = case_splits
        return cls(terminals, columns, blocks, metric, proxy_costs(tasks, terminals), description,
                   missing_mode, aggregation, aggregation_k, tuple(cases))

    def fingerprint(self) -> str:
        """Hash of the inputs and targets: a checkpoint is only resumed on the same data.

        Returns
        -------
        str
            A SHA-256 hex digest of the description, the columns and the targets' ranks.
        """
        h = hashlib.sha256(repr(sorted(self.description.items())).encode())
        for p in self.terminals:
            h.update(self.columns[p].tobytes())
        for b in self.blocks:
            h.update(b.task.encode())
            h.update(np.asarray(b.target.y_rank_centered).tobytes())
        return h.hexdigest()

    def outputs(self, codes) -> np.ndarray:
        """The values of k formulas over all stacked architectures.

        Parameters
        ----------
        codes : sequence of tuple
            Flat prefix codes (`gp.primitives.to_code`).

        Returns
        -------
        numpy.ndarray of float, shape (k, n)
            One row per formula (non-finite where it overflows).
        """
        out = np.empty((len(codes), self.n))
        for i, code in enumerate(codes):
            out[i] = run_code(code, self.columns)
        return out

    def task_outputs(self, code) -> dict[str, np.ndarray]:
        """The values of one formula, per task.

        Parameters
        ----------
        code : tuple
            Flat prefix code.

        Returns
        -------
        dict of str to numpy.ndarray
            {task id: values over the task's rows of this split}.
        """
        values = self.outputs([code])[0]
        return {b.task: values[b.start:b.stop] for b in self.blocks}

    def score(self, codes, metric: str | None = None) -> np.ndarray:
        """Per-task rank correlation of k formulas, then their lexicase cases (if any).

        Parameters
        ----------
        codes : sequence of tuple
            Flat prefix codes.
        metric : str, optional
            One of `fitness.families.FITNESS_METRICS` (default: the dataset's metric).

        Returns
        -------
        numpy.ndarray of float, shape (k, width)
            Scores; NaN where a formula uses a terminal the task lacks (unless missing terminals
            are imputed), WORST where its values are non-finite or constant.
        """
        metric = metric or self.metric
        out = self.outputs(codes)
        scores = np.empty((len(codes), self.width))
        for t, block in enumerate(self.blocks):
            scores[:, t] = family_score(block.target, out[:, block.start:block.stop], metric)
        for c, (t, rows, target) in enumerate(self.cases, start=len(self.blocks)):
            scores[:, c] = family_score(target, out[:, self.blocks[t].start + rows], metric)
        if not self.imputed and any(b.missing for b in self.blocks):
            for i, code in enumerate(codes):
                used = code_terminals(code)
                for t, block in enumerate(self.blocks):
                    if used & block.missing:
                        scores[i, t] = np.nan
                        for c, (b, _, _) in enumerate(self.cases, start=len(self.blocks)):
                            if b == t:
                                scores[i, c] = np.nan
        return scores

    @property
    def width(self) -> int:
        """Columns of `score`: the tasks, then the lexicase cases (if any)."""
        return len(self.blocks) + len(self.cases)

    def aggregate(self, per_task) -> float:
        """Fitness of one `score` row (its task columns only).

        Parameters
        ----------
        per_task : array_like of float
            One row of `score`.

        Returns
        -------
        float
            The dataset's aggregation of the defined tasks (`fitness.aggregate`); an undefined
            task counts 0, or is left out under missing "skip"; WORST when none is defined.
        """
        per_task = np.asarray(per_task, dtype=float)[:len(self.blocks)]
        if self.aggregation == "mean":
            return aggregate(per_task, self.missing)
        defined = np.isfinite(per_task)
        if not defined.any():
            return WORST
        if self.missing == "skip":
            spaces = [s for s, d in zip(self.spaces, defined) if d]
            return aggregate_tasks(per_task[defined], self.aggregation, self.aggregation_k, spaces)
        return aggregate_tasks(np.where(defined, per_task, 0.0), self.aggregation, self.aggregation_k,
                               self.spaces)

    def lexicase_cases(self, row) -> np.ndarray:
        """The cases of one `score` row: the row subsets if any, else the tasks.

        Parameters
        ----------
        row : array_like of float
            One row of `score`.

        Returns
        -------
        numpy.ndarray of float
            The scores lexicase selection filters on.
        """
        row = np.asarray(row, dtype=float)
        return row[len(self.blocks):] if self.cases else row[:len(self.blocks)]

    def cost(self, code) -> float:
        """Summed mean compute seconds of the distinct proxies a formula uses.

        Parameters
        ----------
        code : tuple
            Flat prefix code.

        Returns
        -------
        float
            The sum, NaN when a used proxy's cost is unknown.
        """
        used = code_terminals(code)      # summed in terminal order: same float on every process
        return float(sum(self.costs[p] for p in self.terminals if p in used))


def score_chunk(dataset: Dataset, codes) -> np.ndarray:
    """Top-level worker entry for joblib: a pure function of (data, codes).

    Parameters
    ----------
    dataset : Dataset
        The data.
    codes : sequence of tuple
        Flat prefix codes.

    Returns
    -------
    numpy.ndarray of float, shape (len(codes), dataset.width)
        `Dataset.score` of the codes.
    """
    return dataset.score(codes)


def terminals_for(terminals, heldout, terminal_set: str) -> tuple[str, ...]:
    """`terminals` under a terminal set: all of them, or only those every held-out task has.

    Parameters
    ----------
    terminals : sequence of str
        The candidate terminals.
    heldout : sequence of Task
        The held-out tasks (may be empty).
    terminal_set : str
        One of TERMINAL_SETS: "all", or "heldout" (unchanged when `heldout` is empty).

    Returns
    -------
    tuple of str
        The terminals, in the given order.

    Raises
    ------
    ZcgpError
        When `terminal_set` is unknown, or no terminal is shared with the held-out tasks.
    """
    if terminal_set not in TERMINAL_SETS:
        raise ZcgpError(f"unknown terminal set '{terminal_set}'; choose from {', '.join(TERMINAL_SETS)}")
    return heldout_terminals(terminals, heldout) if terminal_set == "heldout" and heldout else tuple(terminals)


def heldout_terminals(terminals, heldout) -> tuple[str, ...]:
    """The terminals every held-out task has.

    These are what a user can compute on the new space, known before any of its labels.

    Parameters
    ----------
    terminals : sequence of str
        The candidate terminals.
    heldout : sequence of Task
        The held-out tasks.

    Returns
    -------
    tuple of str
        The shared terminals, in the given order.

    Raises
    ------
    ZcgpError
        When no terminal is shared.
    """
    kept = tuple(p for p in terminals if all(p in t.proxies for t in heldout))
    if not kept:
        raise ZcgpError(f"no proxy is shared by the training tasks and {', '.join(t.id for t in heldout)}")
    return kept
