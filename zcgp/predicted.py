"""Searching a space by a predictor of the architecture encoding, fitted on labeled architectures.

No network is built and no proxy computed: a `zcgp.predictors` model is fitted on the one-hot
encoding (`spaces.encoding.one_hot`) and accuracy of the labeled architectures, and aging
evolution scores networks by its prediction alone. It is what those labels buy with a predictor
(`zcgp search --predictor NAME`, `Predicted`; `zcgp bench search --objectives predicted:NAME`),
the warm start of an in-distribution search told `warm_by=NAME`, and the second half of its
objective told `blend=NAME` (`Blend`, `zcgp.search`). `read_labeled` reads the labels such a
search is fitted on: a user's table, pairs, or a shipped task's train split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.baselines import boost_available
from zcgp.fitness.rank import RankTarget
from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION, label_counts
from zcgp.fitness.table import read_labels
from zcgp.nas.benchmark import labeled_best
from zcgp.predictors import PREDICTORS, fit_predictor
from zcgp.spaces.encoding import has_encoding, one_hot
from zcgp.spaces.search import AgingResult, aging_evolution

PREDICTED_EVALUATIONS = 5000       # a predictor of the encoding builds no network: a generous budget
PREDICTED_START = 10               # the best labeled architectures the predictor's search starts from
TRAIN_SPLIT = "train-split"        # labels: the shipped task's train split, as `zcgp evolve --seed S` reads it
BLEND_WEIGHT = 0.5                 # the predictor's share of a blend: equal to the objective's
BLEND_WEIGHTS = (0.5, 0.25, 0.75, 0.0, 1.0)    # what "cv" tries; a tie goes to the first
BLEND_FOLDS = 5
# zcgp predict --blend: the predictor's share from this many labels on, the share of BLEND_WEIGHTS
# the five spaces' few-shot records rank best at k = 10, 20, 50 and 100 (docs/results/fewshot.md)
BLEND_BY_LABELS = ((0, 0.25), (20, 0.5), (100, 0.75))

__all__ = ["BLEND_BY_LABELS", "BLEND_FOLDS", "BLEND_WEIGHT", "BLEND_WEIGHTS", "PREDICTED_EVALUATIONS",
           "PREDICTED_START", "TRAIN_SPLIT", "Blend", "Labeled", "Predicted", "blend_folds", "blend_scores",
           "blend_share", "check_predictor", "cv_weight", "fit_on_encoding", "is_share", "predicted_top",
           "read_labeled"]


@dataclass(frozen=True)
class Labeled:
    """Labeled architectures of a searched space, best first, and where they come from.

    Parameters
    ----------
    rows : list of (architecture, float)
        Standard form and accuracy, best first (ties in the given order).
    source : str
        A task id (its train split), a table file, or "given" (pairs).
    split : (int, float) or None
        The split seed and train fraction of a train split.
    """

    rows: list
    source: str
    split: tuple | None = None

    def counts(self, space: str) -> dict:
        """`fitness.splits.label_counts`-style accounting of these labels: {"tasks", "spaces"}."""
        return {"tasks": {self.source: len(self.rows)}, "spaces": {space: len(self.rows)}}


def read_labeled(space, labels, *, task: str, seed: int = 0, data_dir=None) -> Labeled:
    """The labeled architectures of `space` a predictor is fitted on.

    Parameters
    ----------
    space : SearchSpace
        The space; its `normalize` reads each architecture.
    labels : str, Path or sequence of (architecture, float)
        TRAIN_SPLIT: the train split of the shipped task `space/task` (split seed `seed`, the
        default train fraction; the labels `zcgp evolve --tasks SPACE --seed S` sees); a table
        file with arch and accuracy columns (`fitness.table.read_labels`; a table of several
        tasks gives the rows of `space/task`); or (architecture, accuracy) pairs.
    task : str
        The searched task.
    seed : int
        The split seed of TRAIN_SPLIT.
    data_dir : path, optional
        Another directory of the shipped files.

    Returns
    -------
    Labeled

    Raises
    ------
    ZcgpError
        A missing or bad table (named with its row), an architecture the space cannot read,
        a task without shipped labels, fewer than 2 labeled architectures.
    """
    if isinstance(labels, str) and labels == TRAIN_SPLIT:
        task_id = f"{space.name}/{task}"
        try:
            (loaded,) = load_tasks([task_id], data_dir=data_dir)
        except ZcgpError:
            raise ZcgpError(f"labels {TRAIN_SPLIT}: no shipped labels of {task_id}; give a table of yours") from None
        counts = label_counts([loaded], seed, DEFAULT_TRAIN_FRACTION)
        _, rows = labeled_best(space, task, counts, seed, DEFAULT_TRAIN_FRACTION, None, data_dir)
        return Labeled(rows, task_id, (seed, DEFAULT_TRAIN_FRACTION))
    if isinstance(labels, (str, Path)):
        archs, accuracy = read_labels(labels, f"{space.name}/{task}")
        source = str(labels)
        pairs = [(_normalized(space, arch, f"{source}: arch '{arch}'"), value)
                 for arch, value in zip(archs, accuracy.tolist())]
    else:
        pairs, source = [(_normalized(space, arch, "labels"), float(value)) for arch, value in labels], "given"
    if len(pairs) < 2:
        raise ZcgpError(f"{source}: {len(pairs)} labeled architecture(s); a predictor needs at least 2")
    order = sorted(range(len(pairs)), key=lambda i: -pairs[i][1])           # stable: ties as given
    return Labeled([pairs[i] for i in order], source)


def _normalized(space, arch, where: str):
    try:
        return space.normalize(arch)
    except ZcgpError as error:
        raise ZcgpError(f"{where}: {error}") from None


def check_predictor(predictor: str, what: str) -> None:
    """`predictor` is a key of `zcgp.predictors.PREDICTORS` and installed, else a ZcgpError naming `what`.

    Parameters
    ----------
    predictor : str
        The predictor's name.
    what : str
        What asked for it, for the message.

    Raises
    ------
    ZcgpError
        An unknown predictor, or "lightgbm" without the optional lightgbm.
    """
    if predictor not in PREDICTORS:
        raise ZcgpError(f"{what}: choose a predictor from {', '.join(PREDICTORS)}")
    if predictor == "lightgbm" and not boost_available():
        raise ZcgpError(f"{what} needs lightgbm: pip install zcgp[boost]")


def fit_on_encoding(space, labeled: Sequence, predictor: str, *, seed: int):
    """`predictor` fitted on the one-hot encoding and accuracy of `labeled`, seeded `seed`.

    Parameters
    ----------
    space : SearchSpace
        The space whose encoding the predictor reads; it needs one (`has_encoding`).
    labeled : sequence of (architecture, float)
        The labeled architectures and their accuracy; at least 2.
    predictor : str
        A key of `zcgp.predictors.PREDICTORS`.
    seed : int
        Seeds the predictor.

    Returns
    -------
    zcgp.predictors.Fitted

    Raises
    ------
    ZcgpError
        An unknown predictor, a space without an encoding, or fewer than 2 labeled architectures.
    """
    check_predictor(predictor, f"predictor '{predictor}'")
    if not has_encoding(space):
        raise ZcgpError(f"space '{space.name}' has no encoding for a predictor; define encode(arch) on it")
    return fit_predictor(predictor, one_hot(space, [arch for arch, _ in labeled]), [value for _, value in labeled],
                         seed=seed)


def predicted_top(space, labeled: Sequence, predictor: str, *, seed: int, count: int = 1, searched=None,
                  evaluations: int = PREDICTED_EVALUATIONS) -> tuple[AgingResult, list]:
    """Search `space` by `predictor` fitted on `labeled`; the `count` best-predicted architectures.

    Parameters
    ----------
    space : SearchSpace
        The space whose encoding the predictor reads; it needs one (`has_encoding`).
    labeled : sequence of (architecture, float)
        The labeled architectures and their accuracy, best first (`nas.benchmark.labeled_best`);
        at least 2.
    predictor : str
        A key of `zcgp.predictors.PREDICTORS`.
    seed : int
        Seeds the predictor and the search.
    count : int, default 1
        How many of the best-predicted architectures to return.
    searched : SearchSpace, optional
        What the search walks (default `space`; a lookup search walks the table's members).
    evaluations : int, default PREDICTED_EVALUATIONS
        Distinct architectures scored; the population starts from the PREDICTED_START best
        labeled ones.

    Returns
    -------
    (AgingResult, list of (architecture, float))
        The search, and its `count` best-predicted architectures with their predictions, best
        first (ties in the order scored).

    Raises
    ------
    ZcgpError
        An unknown predictor, a space without an encoding, or fewer than 2 labeled architectures.
    """
    predicts = Predicted(fit_on_encoding(space, labeled, predictor, seed=seed), space)
    scored: list = []

    def predicted(batch):
        values = predicts(batch)
        scored.extend(zip(batch, values.tolist()))
        return values

    result = aging_evolution(searched or space, predicted, max_evaluations=evaluations, seed=seed,
                             parents=[arch for arch, _ in labeled[:PREDICTED_START]])
    order = sorted(range(len(scored)), key=lambda i: -scored[i][1])        # stable: ties as scored
    return result, [scored[i] for i in order[:count]]


class Predicted:
    """A search objective: a fitted predictor's score of each architecture's one-hot encoding.

    Parameters
    ----------
    fitted : zcgp.predictors.Fitted
        A predictor of the one-hot encoding (`fit_on_encoding`).
    space : SearchSpace
        The space whose encoding it reads.
    """

    names = ()                            # it measures no proxy

    def __init__(self, fitted, space):
        self.fitted, self.space = fitted, space

    def __call__(self, archs) -> np.ndarray:
        return np.asarray(self.fitted.predict(one_hot(self.space, list(archs))), dtype=float)


def cv_weight(space, labeled: Sequence, scores, predictor: str, *, seed: int) -> tuple[float, dict]:
    """The predictor's share of a blend chosen on the labeled architectures alone.

    The labeled architectures are split into BLEND_FOLDS folds (seeded `seed`); on each, the
    predictor fitted on the other folds predicts the fold, and every weight w of BLEND_WEIGHTS
    blends (1 - w) z(score) + w z(prediction), both standardized within the fold. The weight
    with the highest mean Kendall tau against the labels over the folds wins; a tie goes to
    the earlier weight of BLEND_WEIGHTS.

    Parameters
    ----------
    space : SearchSpace
        The space whose encoding the predictor reads.
    labeled : sequence of (architecture, float)
        The labeled architectures and their accuracy; at least 2 * BLEND_FOLDS.
    scores : sequence of float
        The objective's value of each labeled architecture (non-finite: left out of the folds).
    predictor : str
        A key of `zcgp.predictors.PREDICTORS`.
    seed : int
        Seeds the folds and the predictor.

    Returns
    -------
    (float, dict)
        The weight, and {weight: mean Kendall tau} of every weight tried.

    Raises
    ------
    ZcgpError
        Fewer than 2 * BLEND_FOLDS labeled architectures with a finite score.
    """
    scores = np.asarray(scores, dtype=float)
    keep = np.flatnonzero(np.isfinite(scores))
    if keep.size < 2 * BLEND_FOLDS:
        raise ZcgpError(f"a cross-validated blend weight needs at least {2 * BLEND_FOLDS} labeled architectures with "
                        f"a finite score, got {keep.size}")
    features = one_hot(space, [labeled[i][0] for i in keep])
    target, scores = np.array([labeled[i][1] for i in keep], dtype=float), scores[keep]
    folds = blend_folds(keep.size, seed)
    weights = np.asarray(BLEND_WEIGHTS)[:, None]
    taus = np.zeros(len(BLEND_WEIGHTS))
    for fold in range(BLEND_FOLDS):
        held = folds == fold
        fitted = fit_predictor(predictor, features[~held], target[~held], seed=seed)
        predicted = np.asarray(fitted.predict(features[held]), dtype=float)
        blended = (1 - weights) * _standardized(scores[held]) + weights * _standardized(predicted)
        taus += RankTarget(target[held]).kendall(blended) / BLEND_FOLDS
    best = int(np.argmax(taus))                         # the first of the best
    return float(BLEND_WEIGHTS[best]), {str(w): float(t) for w, t in zip(BLEND_WEIGHTS, taus)}


def blend_folds(count: int, seed: int) -> np.ndarray:
    """The fold (0 to BLEND_FOLDS - 1) of each of `count` labeled architectures, in a random
    order seeded `seed`: the folds every cross-validated blend weight is chosen on.

    Parameters
    ----------
    count : int
    seed : int

    Returns
    -------
    numpy.ndarray of int
    """
    return np.random.default_rng([seed, 11]).permutation(count) % BLEND_FOLDS


def is_share(weight) -> bool:
    """Whether `weight` is a predictor's share of a blend: a number (not a bool) in [0, 1].

    Parameters
    ----------
    weight : Any

    Returns
    -------
    bool
    """
    return not isinstance(weight, bool) and isinstance(weight, (int, float)) and 0.0 <= weight <= 1.0


def _standardized(values: np.ndarray) -> np.ndarray:
    mean, std = _moments(values)
    return (values - mean) / std


class Blend:
    """An objective's score and a predictor's of the encoding, each standardized on the first
    batch scored (a search's reference), mixed with the predictor's share `weight`:
    2 ((1 - weight) z(objective) + weight z(predicted)), the plain sum z(objective) +
    z(predicted) at BLEND_WEIGHT; -inf where the objective fails.

    Parameters
    ----------
    objective : callable
        Maps a list of architectures to one score each (higher = better); its `names` (the
        proxies it measures) are kept.
    fitted : zcgp.predictors.Fitted
        A predictor of the one-hot encoding (`fit_predictor` on `one_hot(space, archs)`).
    space : SearchSpace
        The space whose encoding it reads.
    weight : float, default BLEND_WEIGHT
        The predictor's share, in [0, 1].
    """

    def __init__(self, objective, fitted, space, weight: float = BLEND_WEIGHT):
        if not 0.0 <= weight <= 1.0:
            raise ZcgpError(f"a blend weight is in [0, 1], got {weight}")
        self.objective, self.predicted, self.weight = objective, Predicted(fitted, space), float(weight)
        self.names = getattr(objective, "names", ())
        self.moments: list | None = None

    def __call__(self, archs) -> np.ndarray:
        archs = list(archs)
        scores = np.asarray(self.objective(archs), dtype=float)
        predicted = self.predicted(archs)
        if self.moments is None:
            self.moments = [_moments(scores), _moments(predicted)]
        return blend_scores(scores, predicted, self.weight, self.moments)


def blend_scores(scores, predicted, weight: float = BLEND_WEIGHT, moments=None) -> np.ndarray:
    """2 ((1 - weight) z(scores) + weight z(predicted)); -inf where `scores` is not finite.

    Parameters
    ----------
    scores, predicted : array of float
        An objective's and a predictor's values of the same architectures.
    weight : float, default BLEND_WEIGHT
        The predictor's share, in [0, 1].
    moments : list of two (mean, std), optional
        Standardize by these (a search's reference); default: those of the finite values given.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> blend_scores([1.0, 2.0, 3.0], [30.0, 10.0, 20.0]).round(3).tolist()
    [0.0, -1.225, 1.225]
    """
    scores, predicted = np.asarray(scores, dtype=float), np.asarray(predicted, dtype=float)
    (mean, std), (p_mean, p_std) = moments or (_moments(scores), _moments(predicted))
    mixed = 2 * ((1 - weight) * (scores - mean) / std + weight * (predicted - p_mean) / p_std)
    return np.where(np.isfinite(scores), mixed, -np.inf)


def blend_share(labels: int) -> float:
    """The predictor's share of a blend fitted on `labels` labeled architectures
    (BLEND_BY_LABELS).

    Parameters
    ----------
    labels : int
        The labeled architectures the predictor and the proxy were fitted on.

    Returns
    -------
    float

    Examples
    --------
    >>> [blend_share(k) for k in (10, 20, 50, 145)]
    [0.25, 0.5, 0.5, 0.75]
    """
    return next(share for count, share in reversed(BLEND_BY_LABELS) if labels >= count)


def _moments(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of the finite values (0 and 1 when they cannot scale)."""
    finite = values[np.isfinite(values)]
    std = float(finite.std()) if finite.size > 1 else 0.0
    return (float(finite.mean()) if finite.size else 0.0), (std if std > 0 else 1.0)
