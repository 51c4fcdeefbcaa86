"""`zcgp.predict`, in module `zcgp.predicting`: rank a new space's architectures with a predictor
fitted on a few of them that were trained (few-shot).

Where an adapted proxy is a formula a search computes on fresh networks, a predictor scores a
fixed list of candidates: the architectures whose proxies `zcgp proxies` computed. The
predictor (`zcgp.predictors`: ridge, LightGBM, a torch MLP with one of four losses) is fitted
on the k labeled architectures of one task, its inputs the proxies' ranks within each table,
optionally the scores of an evolved formula and an architecture encoding (one-hot, or a graph
autoencoder embedding learned without labels), as in `zcgp bench fewshot`, which measures
which of them to trust at which k. Blended with a proxy adapted on the same labels (`blend=`),
each standardized over the candidates, it ranks the held-out spaces best of every method
measured there. Only the labels given are read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from zcgp.adapting import label_tasks
from zcgp.errors import ZcgpError
from zcgp.fitness.table import Candidates, read_candidates
from zcgp.fitness.tasks import Task
from zcgp.nas.shipped import evolved_for
from zcgp.predicted import blend_scores, blend_share, is_share
from zcgp.predictors import PREDICTORS, feature_matrix, fit_embedder, fit_predictor, parse_features
from zcgp.proxy import Proxy
from zcgp.spaces import get_space
from zcgp.spaces.encoding import one_hot
from zcgp.util import atomic_write_text

__all__ = ["Prediction", "predict"]


@dataclass
class Prediction:
    """The candidates' scores by a predictor fitted on labeled architectures.

    Parameters
    ----------
    archs : tuple of str
        The candidates, in the order given.
    scores : numpy.ndarray of float
        One per candidate, higher = predicted better.
    predictor : str
        A key of `zcgp.predictors.PREDICTORS`.
    features : str
        One of `zcgp.predictors.FEATURES` ("" = the proxies' ranks alone).
    proxies : tuple of str
        The proxies whose ranks are inputs.
    formula : str
        The formula whose scores are an input ("" without one).
    labels : dict
        {"task": the labeled task, "space": its space, "count": labeled architectures read,
        "archs": those architectures}.
    seed : int
    candidates : Candidates, optional
        The table read (its columns are written back by `to_csv`).
    blend : dict
        {} unblended; else {"proxy": the formula blended with, "weight": the predictor's share,
        "weight_by": "labels" (`zcgp.predicted.blend_share`) or "given"}.
    """

    archs: tuple[str, ...]
    scores: np.ndarray
    predictor: str
    features: str
    proxies: tuple[str, ...]
    formula: str
    labels: dict
    seed: int
    candidates: Candidates | None = field(default=None, repr=False)
    blend: dict = field(default_factory=dict)

    @property
    def order(self) -> np.ndarray:
        """Candidate indices, best predicted first (ties keep the given order)."""
        return np.argsort(-self.scores, kind="stable")

    def top(self, n: int = 10) -> list[tuple[str, float]]:
        """The `n` best predicted candidates as (arch, score)."""
        return [(self.archs[i], float(self.scores[i])) for i in self.order[:n]]

    def to_csv(self, path) -> None:
        """Write the candidates best first: rank (1 = best), score, then the columns read.

        Parameters
        ----------
        path : path
            The CSV file (written atomically).
        """
        header = list(self.candidates.header) if self.candidates else ["arch"]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["rank", "score", *header])
        for rank, i in enumerate(self.order, start=1):
            cells = self.candidates.rows[i] if self.candidates else (self.archs[i],)
            writer.writerow([rank, repr(float(self.scores[i])), *cells])
        atomic_write_text(path, buffer.getvalue())


def _candidates(candidates, arch: str) -> Candidates:
    """A Candidates table from a path, a dict of columns or a DataFrame."""
    if isinstance(candidates, Candidates):
        return candidates
    if hasattr(candidates, "columns") and hasattr(candidates, "to_numpy"):         # a DataFrame
        candidates = {str(c): list(candidates[c]) for c in candidates.columns}
    if isinstance(candidates, Mapping):
        header = tuple(str(c) for c in candidates)
        columns = [[str(v) for v in np.asarray(candidates[c], dtype=object).ravel()] for c in candidates]
        if arch not in header:
            raise ZcgpError(f"candidates have no '{arch}' column; columns: {', '.join(header)}")
        if len({len(c) for c in columns}) > 1:
            raise ZcgpError("candidate columns differ in length")
        rows = tuple(zip(*columns))
        archs = tuple(r[header.index(arch)] for r in rows)
        if len(set(archs)) != len(archs):
            raise ZcgpError("candidates repeat an architecture")
        if not archs:
            raise ZcgpError("no candidates to score")
        return Candidates(header=header, rows=rows, archs=archs, source="candidates")
    try:
        return read_candidates(candidates, arch)
    except TypeError:
        raise ZcgpError(f"candidates must be a table file, a dict of columns or a DataFrame, "
                        f"not {type(candidates).__name__}") from None


def _labeled_task(labels, task, columns) -> Task:
    tasks = label_tasks(labels, columns)
    if task is not None:
        chosen = [t for t in tasks if t.id == task or t.id.split("/", 1)[-1] == task]
        if not chosen:
            raise ZcgpError(f"no task '{task}' in the labels; they have {', '.join(t.id for t in tasks)}")
        return chosen[0]
    if len(tasks) > 1:
        raise ZcgpError(f"the labels hold {len(tasks)} tasks ({', '.join(t.id for t in tasks)}); "
                        "name one (task=, --task)")
    return tasks[0]


def _encodings(encoding: str, space, labeled: Task, archs, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if encoding == "onehot":
        return one_hot(space, labeled.archs), one_hot(space, archs)
    embedder = fit_embedder(space, seed=seed)
    return embedder.embed(labeled.archs), embedder.embed(archs)


def predict(labels, candidates, *, predictor: str = "ridge", features: str = "", proxy=None, task: str | None = None,
            space=None, proxies=None, seed: int = 0, columns: dict | None = None, arch: str = "arch", blend=None,
            blend_weight: float | None = None, **options) -> Prediction:
    """Fit a predictor on labeled architectures of one task and score the candidates.

    Parameters
    ----------
    labels : str, Path, Task or list of Task
        The labeled architectures: a long table (see `zcgp.load_tasks(data=...)`) or tasks.
    candidates : str, Path, dict or DataFrame
        The architectures to score: an arch column and a column per proxy used, e.g. the CSV of
        `zcgp proxies`; other columns are carried along.
    predictor : str, default "ridge"
        A key of `zcgp.predictors.PREDICTORS` (ridge leads `zcgp bench fewshot` at k <= 20; the
        pairwise MLP with one-hot from 50 labels on).
    features : str, default ""
        One of `zcgp.predictors.FEATURES`: "" (or "none", the proxies' ranks alone), "+formula",
        "+onehot", "+gae", "+formula+onehot", "+formula+gae".
    proxy : optional
        The formula of "+formula" (what `zcgp.Proxy` takes; default: the shipped evolved suite proxy
        that never saw the labeled space).
    task : str, optional
        The labeled task, when the labels hold several ("nb201/cifar10" or "cifar10").
    space : str or SearchSpace, optional
        The architectures' space for an encoding (default: the labeled task's space).
    proxies : sequence of str, optional
        The proxies whose ranks are inputs (default: every proxy of the labeled task); empty:
        none, the encoding (or formula) of `features` alone, and the candidates need only their
        architecture column.
    seed : int, default 0
        Seeds the predictor and the embedding; the same inputs give the same scores.
    columns : dict, optional
        Column roles of the labels' table.
    arch : str, default "arch"
        The candidates' architecture column.
    blend : optional
        A proxy to blend the prediction with (what `zcgp.Proxy` takes: best, one `zcgp.adapt`
        fitted on the same labels): each standardized over the candidates and summed with the
        predictor's share `blend_weight`, as `zcgp.predicted.blend_scores`; the candidates
        need its terminals.
    blend_weight : float, optional
        The predictor's share of the blend, in [0, 1]; default `zcgp.predicted.blend_share` of
        the number of labels (0.25 below 20, 0.5 below 100, then 0.75).
    **options
        Options of the predictor (`zcgp.predictors.fit_predictor`).

    Returns
    -------
    Prediction

    Raises
    ------
    ZcgpError
        An unknown predictor or features, a bad table, a proxy the candidates or the labeled
        task lack, fewer than 2 labeled architectures, an encoding of a space without one, no
        input at all, a blend weight without a blend or outside [0, 1].
    """
    if predictor not in PREDICTORS:
        raise ZcgpError(f"unknown predictor '{predictor}'; choose from {', '.join(PREDICTORS)}")
    with_formula, encoding = parse_features(features)
    labeled = _labeled_task(labels, task, columns)
    table = _candidates(candidates, arch)
    names = list(labeled.proxies) if proxies is None else ([proxies] if isinstance(proxies, str) else list(proxies))
    if not names and encoding is None and not with_formula:
        raise ZcgpError("no inputs: with no proxy, give an encoding or the formula (features +onehot, +gae, "
                        "+formula)")
    absent = [p for p in names if p not in labeled.proxies]
    if absent:
        raise ZcgpError(labeled.missing_message(absent[0]))
    pool = Task(id=f"{labeled.space}/candidates", archs=table.archs, proxies=tuple(names),
                values=table.values(names), target=np.full(len(table.archs), np.nan), cost={})
    if blend is None and blend_weight is not None:
        raise ZcgpError("a blend weight needs a proxy to blend with (blend=, --blend)")
    if blend_weight is not None and not is_share(blend_weight):
        raise ZcgpError(f"a blend weight is a number in [0, 1], got {blend_weight!r}")
    formula = Proxy(proxy if proxy is not None else evolved_for(labeled.space)) if with_formula else None
    blended = None if blend is None else Proxy(blend)
    for used in (formula, blended):
        lacking = [] if used is None else [t for t in used.terminals if t not in table.header]
        if lacking and used.missing != "impute":
            raise ZcgpError(f"the candidates lack '{lacking[0]}', a terminal of the formula {used.formula}")
    inputs = {"train": None, "pool": None}
    if encoding is not None:
        found = space if space is not None and not isinstance(space, str) else get_space(space or labeled.space)
        inputs["train"], inputs["pool"] = _encodings(encoding, found, labeled, table.archs, seed)

    def scores_of(t: Task, values):
        return None if formula is None else np.broadcast_to(formula.score(values), (t.n,))

    train_formula = scores_of(labeled, {t: labeled.column(t) for t in (formula.terminals if formula else ())
                                        if t in labeled.proxies})
    pool_formula = scores_of(pool, {t: table.values([t])[:, 0] for t in (formula.terminals if formula else ())
                                    if t in table.header})
    x_train = feature_matrix(labeled, np.arange(labeled.n), proxies=names, formula_scores=train_formula,
                             encoding=inputs["train"])
    x_pool = feature_matrix(pool, np.arange(pool.n), proxies=names, formula_scores=pool_formula,
                            encoding=inputs["pool"])
    fitted = fit_predictor(predictor, x_train, labeled.target, seed=seed, **options)
    scores, mixed = fitted.predict(x_pool), {}
    if blended is not None:
        weight = blend_share(labeled.n) if blend_weight is None else float(blend_weight)
        own = blended.score({t: table.values([t])[:, 0] for t in blended.terminals if t in table.header})
        scores = blend_scores(np.broadcast_to(own, scores.shape), scores, weight)
        mixed = {"proxy": blended.formula, "weight": weight, "weight_by": "labels" if blend_weight is None else "given"}
    return Prediction(archs=table.archs, scores=scores, predictor=predictor,
                      features="" if features == "none" else features, proxies=tuple(names),
                      formula=formula.formula if formula else "",
                      labels={"task": labeled.id, "space": labeled.space, "count": labeled.n,
                              "archs": list(labeled.archs)},
                      seed=int(seed), candidates=table, blend=mixed)
