"""`zcgp bench fewshot`: how far k labeled architectures of a new space take a proxy.

Leave-one-space-out: for each held-out space, the proxy is the shipped suite proxy that never
saw it (`suite-without-SPACE`). For each task of the space, each k and each draw, k
architectures are drawn at random (seeded by draw and task) as the labels; every method is
fitted on them alone and scored on all the other architectures of the task:
  * "proxy": the suite proxy as it is (k labels unused);
  * "adapt:METHOD": `zcgp.adapt` on the k labels (`adapting.ADAPT_METHODS`);
  * `PREDICTOR[+formula][+onehot|+gae]`: a predictor of `zcgp.predictors` on the proxies'
    ranks, with the suite proxy's value as an extra input, and/or an architecture encoding
    (one-hot, or a graph-autoencoder embedding learned without labels);
  * `PREDICTOR:onehot` (feature ENCODING_ALONE): the predictor of the one-hot encoding alone,
    no proxy (what `zcgp search --predictor` and `--blend` fit);
  * "adapt:METHOD+PREDICTOR...[@WEIGHT]" (with `blends`): the adapted proxy and a predictor,
    both fitted on the same k labels, blended (`zcgp.predicted.blend_scores`, each standardized
    on the architectures scored, the predictor's share WEIGHT, default equal), as `zcgp search
    --blend` scores a network; "@cv" chooses the share on the k labels alone (`_cv_weight`),
    "@spaces" on the other held-out spaces' records at the same k (`_weight_across_spaces`);
  * "best proxy (k)": the hand-crafted proxy with the best Kendall on the k labels;
  * "transfer:METHOD" (with `transfers`): `zcgp.adapt` of the suite proxy on every labeled
    architecture of the four other spaces, none of the held-out one (zero-shot: the k labels
    unused).
k = "all" labels every architecture but a random 20 % of the task (a ceiling). Scores:
Kendall, Spearman, top-10 % precision, each averaged over the space's tasks, then mean and
std over draws.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from zcgp.adapting import ADAPT_METHODS, adapt
from zcgp.errors import ZcgpError
from zcgp.fitness.families import score as family_score
from zcgp.fitness.rank import RankTarget
from zcgp.fitness.sources import load_tasks
from zcgp.nas.shipped import SUITE_SPACES, evolved_for
from zcgp.predicted import BLEND_FOLDS, BLEND_WEIGHT, BLEND_WEIGHTS, blend_folds, blend_scores
from zcgp.predictors import FEATURES, PREDICTORS, feature_matrix, fit_embedder, fit_predictor, parse_features
from zcgp.proxy import Proxy
from zcgp.spaces import get_space
from zcgp.spaces.encoding import one_hot

KS = (0, 10, 20, 50, 100, "all")
ENCODING_ALONE = ":onehot"          # a feature: the one-hot encoding, no proxy
SEARCHED = "searched"               # predictor proxies: those an adapted proxy's search computes
CEILING_TEST = 0.2                  # k = "all": every architecture but this share is labeled
METRICS = ("kendall", "spearman", "top10")

__all__ = ["ENCODING_ALONE", "FEATURES", "KS", "SEARCHED", "fewshot", "method_names", "parse_blend",
           "summarize_fewshot"]


def method_names(predictors=tuple(PREDICTORS), features=FEATURES, adapts=ADAPT_METHODS, transfers=(),
                 blends=()) -> list[str]:
    """Every method of the benchmark, in table order.

    Parameters
    ----------
    predictors : sequence of str
        Names of `zcgp.predictors.PREDICTORS`.
    features : sequence of str
        Predictor inputs besides the proxies (FEATURES).
    adapts : sequence of str
        `zcgp.adapt` methods.
    transfers : sequence of str
        `zcgp.adapt` methods fitted on the other spaces' labels.
    blends : sequence of str
        "METHOD+PREDICTOR...[@WEIGHT]": an adaptation and a predictor method blended
        (`parse_blend`).

    Returns
    -------
    list of str
    """
    return ["proxy", *(f"transfer:{a}" for a in transfers), "best proxy (k)", *(f"adapt:{a}" for a in adapts),
            *(f"adapt:{b}" for b in blends), *(f"{p}{f}" for p in predictors for f in features)]


def parse_blend(blend: str, predictors=tuple(PREDICTORS), features=FEATURES,
                adapts=ADAPT_METHODS) -> tuple[str, str, float | str]:
    """(the adaptation, the predictor method, the predictor's share) of a blend
    "METHOD+PREDICTOR[FEATURES][@WEIGHT]".

    Parameters
    ----------
    blend : str
        E.g. "combine+mlp-pairwise:onehot"; "@0.25" gives the predictor a quarter of the blend,
        "@cv" chooses its share on the k labels (`_cv_weight`), "@spaces" on the other spaces
        (`_weight_across_spaces`); default BLEND_WEIGHT (equal).
    predictors, features, adapts : sequence of str
        The methods of the run: both parts must be among them.

    Returns
    -------
    tuple of (str, str, float, "cv" or "spaces")

    Raises
    ------
    ZcgpError
        A part not among the run's methods, or a weight neither "cv", "spaces" nor a number in
        [0, 1].

    Examples
    --------
    >>> parse_blend("combine+mlp-pairwise:onehot", features=("", ":onehot"))
    ('combine', 'mlp-pairwise:onehot', 0.5)
    >>> parse_blend("combine+ridge@cv")
    ('combine', 'ridge', 'cv')
    """
    pair, at, weight = blend.partition("@")
    method, _, predictor = pair.partition("+")
    known = [f"{p}{f}" for p in predictors for f in features]
    if method not in adapts or predictor not in known:
        raise ZcgpError(f"blend '{blend}' needs an adaptation of the run ({', '.join(adapts) or 'none'}) and, after "
                        f"'+', a predictor of the run ({', '.join(known) or 'none'})")
    if not at:
        return method, predictor, BLEND_WEIGHT
    if weight in ("cv", "spaces"):
        return method, predictor, weight
    try:
        share = float(weight)
    except ValueError:
        share = math.nan
    if not 0.0 <= share <= 1.0:
        raise ZcgpError(f"blend '{blend}': the weight after '@' is 'cv', 'spaces' or a number in [0, 1], "
                        f"got '{weight}'")
    return method, predictor, share


def _draw(task, k, draw: int) -> tuple[np.ndarray, np.ndarray]:
    """(labeled rows, the other rows) of one draw."""
    rng = np.random.default_rng([int(draw), zlib.crc32(task.id.encode()), 7])
    order = rng.permutation(task.n)
    count = task.n - math.ceil(CEILING_TEST * task.n) if k == "all" else int(k)
    if not 0 <= count < task.n - 2:
        raise ZcgpError(f"k = {k} leaves too few architectures of {task.id} ({task.n}) to score on")
    return np.sort(order[:count]), np.sort(order[count:])


def _scores(target: np.ndarray, values: np.ndarray) -> dict:
    rank = RankTarget(target)
    return {m: float(family_score(rank, np.asarray(values, dtype=float)[None, :], m)[0]) for m in METRICS}


def fewshot(spaces=SUITE_SPACES, ks=KS, draws: int = 5, *, predictors=tuple(PREDICTORS), features=FEATURES,
            adapts=ADAPT_METHODS, transfers=(), blends=(), proxies: dict | None = None, adapt_proxies=None,
            predictor_proxies=None, data_dir=None, seed: int = 0, n_jobs: int = -1, progress=None) -> list[dict]:
    """The records of the few-shot benchmark (see the module docstring).

    Parameters
    ----------
    spaces : sequence of str
        Held-out spaces; each is searched with the suite proxy that never saw it.
    ks : sequence
        Labeled architectures per draw (ints, or "all": every architecture but 20 %).
    draws : int
        Random draws per (task, k).
    predictors, features, adapts : sequence of str
        The methods compared; a feature is one of FEATURES or ENCODING_ALONE.
    blends : sequence of str
        "METHOD+PREDICTOR[FEATURES][@WEIGHT]": an adaptation of `adapts` and a predictor method
        of `predictors` x `features`, blended, by default with equal weights (`parse_blend`).
    transfers : sequence of str
        `zcgp.adapt` methods fitted, for each held-out space, on every labeled architecture of
        the other suite spaces (zero-shot for the held-out space; over `adapt_proxies`).
    proxies : dict, optional
        space -> the proxy to adapt (default: the suite proxy that never saw the space).
    adapt_proxies : sequence of str, optional
        The hand-crafted proxies an adaptation may add (`zcgp.adapt(proxies=...)`; those a task
        lacks are skipped); default every proxy of the task.
    predictor_proxies : sequence of str or SEARCHED, optional
        The proxies whose ranks the predictors read (those a task lacks are skipped); SEARCHED:
        those an adapted proxy's search computes, `adapt_proxies` and the proxy's terminals;
        default every proxy of the task.
    data_dir : path, optional
        Another directory of the shipped files.
    seed : int
        Seed of the graph-autoencoder embedding.
    n_jobs : int
        Tasks scored at once in joblib worker processes (-1: every core); the records are the
        same for any value.
    progress : callable, optional
        Called with (task id, the list of records so far) after each task.

    Returns
    -------
    list of dict
        One record per (space, task, k, draw, method): labeled count and the Kendall, Spearman
        and top-10 % precision on the architectures not labeled.
    """
    from joblib import Parallel, delayed

    unknown = [p for p in predictors if p not in PREDICTORS]
    if unknown:
        raise ZcgpError(f"unknown predictor '{unknown[0]}'; known: {', '.join(PREDICTORS)}")
    unknown = [a for a in (*adapts, *transfers) if a not in ADAPT_METHODS]
    if unknown:
        raise ZcgpError(f"unknown adaptation '{unknown[0]}'; known: {', '.join(ADAPT_METHODS)}")
    for extra in features:
        if extra != ENCODING_ALONE:
            parse_features(extra)
    blends = {f"adapt:{b}": parse_blend(b, predictors, features, adapts) for b in blends}
    if any(w == "spaces" for *_, w in blends.values()) and len(spaces) < 2:
        raise ZcgpError("a blend weighted '@spaces' is chosen on the other held-out spaces: give two spaces or more")
    few = [k for k in ks if k != "all" and 0 < int(k) < 2 * BLEND_FOLDS]
    if few and any(w == "cv" for *_, w in blends.values()):
        raise ZcgpError(f"a blend weighted '@cv' needs at least {2 * BLEND_FOLDS} labels for its {BLEND_FOLDS} folds, "
                        f"got k = {few[0]}")
    suite = {s: load_tasks(s, data_dir=data_dir) for s in SUITE_SPACES} if transfers else {}
    jobs = []
    for space_name in spaces:
        proxy = Proxy((proxies or {}).get(space_name, evolved_for(space_name)))
        others = [t for s, tasks in suite.items() if s != space_name for t in tasks]
        fixed = {f"transfer:{m}": adapt(proxy, others, method=m, seed=seed, proxies=adapt_proxies).proxy
                 for m in transfers}
        reads = predictor_proxies
        if reads == SEARCHED:                    # what the adapted proxy's search computes
            reads = None if adapt_proxies is None else [*adapt_proxies, *proxy.terminals]
        space = get_space(space_name)
        embedder = fit_embedder(space, seed=seed) if any("gae" in f for f in features) else None
        for task in load_tasks(space_name, data_dir=data_dir):
            encodings = {"onehot": one_hot(space, task.archs)} if any("onehot" in f for f in features) else {}
            if embedder is not None:
                encodings["gae"] = embedder.embed(task.archs)
            jobs.append(delayed(_task_records)(space_name, task, proxy, encodings, ks, draws, predictors, features,
                                               adapts, adapt_proxies, fixed, blends, reads))
    records = []
    for task_records in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
        records += task_records
        if progress is not None and task_records:
            progress(task_records[0]["task"], records)
    return _weight_across_spaces(records)


def _task_records(space_name, task, proxy, encodings, ks, draws, predictors, features, adapts,
                  adapt_proxies=None, fixed=None, blends=None, predictor_proxies=None) -> list[dict]:
    """The records of one task: every k, draw and method (torch fits run on one thread each,
    `zcgp.predictors` sees to it); `fixed`: name -> a proxy that reads none of the task's labels;
    `blends`: name -> (adaptation, predictor method, weight)."""
    formula_all = proxy.on_task(task)
    records = []
    for k in ks:
        for draw in range(draws):
            labeled, rest = _draw(task, k, draw)
            target = task.target[rest]
            row = {"space": space_name, "task": task.id, "k": k, "draw": draw, "labeled": int(labeled.size)}
            results = {name: _scores(target, p.on_task(task, rest))
                       for name, p in {"proxy": proxy, **(fixed or {})}.items()}
            if labeled.size >= 2:
                results.update(_fitted(task, proxy, encodings, formula_all, labeled, rest, draw,
                                       predictors, features, adapts, adapt_proxies, blends, predictor_proxies))
            records += [{**row, "method": method, **values} for method, values in results.items()]
    return records


def _fitted(task, proxy, encodings, formula_all, labeled, rest, draw, predictors, features, adapts,
            adapt_proxies=None, blends=None, predictor_proxies=None) -> dict:
    """Every method fitted on the `labeled` rows of `task`, scored on the `rest` (blends of two
    of them, `blends`: name -> (adaptation, predictor method, weight), by their values there;
    a blend's record has its weight)."""
    names, target, labels = list(task.proxies), task.target[rest], task.subset(labeled)
    taus = RankTarget(labels.target).kendall(np.nan_to_num(labels.values.T, nan=-np.inf))
    best = task.column(names[int(np.argmax(taus))])[rest]
    best = np.where(np.isfinite(best), best, np.nanmin(best[np.isfinite(best)], initial=0.0) - 1.0)   # failed: last
    results = {"best proxy (k)": _scores(target, best)}
    allowed = None if adapt_proxies is None else [p for p in adapt_proxies if p in task.proxies]
    inputs = names if predictor_proxies is None else [p for p in dict.fromkeys(predictor_proxies) if p in task.proxies]

    def features_of(rows, extra: str):
        if extra == ENCODING_ALONE:
            return feature_matrix(task, rows, proxies=(), encoding=encodings["onehot"][rows])
        formula, enc = parse_features(extra)
        return feature_matrix(task, rows, proxies=inputs, formula_scores=formula_all[rows] if formula else None,
                              encoding=encodings[enc][rows] if enc else None)

    parts = {f"{p}{f}": (p, f) for p in predictors for f in features}

    def fitted_values(method: str, train: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """`method` (an adaptation, or a key of `parts`) fitted on `train`, valued on `rows`."""
        if method in adapts:
            adapted = adapt(proxy, [task.subset(train)], method=method, seed=draw, proxies=allowed).proxy
            return adapted.on_task(task, rows)
        predictor, extra = parts[method]
        fitted = fit_predictor(predictor, features_of(train, extra), task.target[train], seed=draw)
        return fitted.predict(features_of(rows, extra))

    values = {}
    for method in [*adapts, *parts]:
        values[method] = fitted_values(method, labeled, rest)
        results[f"adapt:{method}" if method in adapts else method] = _scores(target, values[method])
    for name, (method, predicted, weight) in (blends or {}).items():
        if weight == "spaces":                   # every weight now, the one chosen once all spaces are in
            tried = {str(w): _scores(target, blend_scores(values[method], values[predicted], w)) for w in BLEND_WEIGHTS}
            results[name] = {**tried[str(BLEND_WEIGHT)], "weight": None, "tried": tried}
            continue
        if weight == "cv":
            weight = _cv_weight(task, labeled, rest, draw, lambda t, r, m=method: fitted_values(m, t, r),
                                lambda t, r, m=predicted: fitted_values(m, t, r))
        results[name] = {**_scores(target, blend_scores(values[method], values[predicted], weight)), "weight": weight}
    return results


def _weight_across_spaces(records: list[dict]) -> list[dict]:
    """The records with each "@spaces" blend's weight chosen: for a held-out space and k, the
    weight of BLEND_WEIGHTS whose mean Kendall over the other spaces at that k (each space the
    mean over its tasks and draws) is the highest, a tie to the earlier weight; the record's
    scores are those at that weight. The space's own labels are not read to choose it."""
    kendalls: dict = {}                          # (method, k, space) -> weight -> Kendall of each task and draw
    for r in records:
        for w, scores in (r.get("tried") or {}).items():
            kendalls.setdefault((r["method"], str(r["k"]), r["space"]), {}).setdefault(w, []).append(scores["kendall"])
    chosen = {}
    for method, k, space in kendalls:
        others = [by for (m, kk, s), by in kendalls.items() if (m, kk) == (method, k) and s != space]
        means = [np.mean([np.mean(by[str(w)]) for by in others]) for w in BLEND_WEIGHTS]
        chosen[method, k, space] = BLEND_WEIGHTS[int(np.argmax(means))]
    out = []
    for r in records:
        if r.get("tried") is None:
            out.append(r)
            continue
        weight = chosen[r["method"], str(r["k"]), r["space"]]
        out.append({**r, **r["tried"][str(weight)], "weight": weight})
    return out


def _cv_weight(task, labeled: np.ndarray, rest: np.ndarray, draw: int, adapted, predicted) -> float:
    """The predictor's share of a blend, chosen on the `labeled` rows alone by nested
    cross-validation: in each of BLEND_FOLDS folds (seeded `draw`) both parts are fitted on the
    other folds (`adapted(train, rows)`, `predicted(train, rows)`: values on `rows`) and blended
    over the fold and the unlabeled `rest` (standardized there, as the blend is); each weight of
    BLEND_WEIGHTS is scored by the Kendall tau of the fold's blended values, pooled over the
    folds, against their labels; the best wins, a tie to the earlier weight."""
    folds = blend_folds(labeled.size, draw)
    pooled = np.empty((len(BLEND_WEIGHTS), labeled.size))
    for fold in range(BLEND_FOLDS):
        held = folds == fold
        rows = np.concatenate([labeled[held], rest])
        first, second = adapted(labeled[~held], rows), predicted(labeled[~held], rows)
        for i, weight in enumerate(BLEND_WEIGHTS):
            pooled[i, held] = blend_scores(first, second, weight)[:held.sum()]
    taus = RankTarget(task.target[labeled]).kendall(pooled)
    return float(BLEND_WEIGHTS[int(np.argmax(taus))])


def summarize_fewshot(records: list[dict], metric: str = "kendall") -> dict:
    """Mean and std over draws of each method's score, per held-out space and k.

    Parameters
    ----------
    records : list of dict
        Records of `fewshot`.
    metric : str
        "kendall", "spearman" or "top10".

    Returns
    -------
    dict
        {space: {k: {method: (mean, std)}}} of the mean over the space's tasks, plus the space
        "mean": per draw, the mean over spaces.
    """
    cells: dict = {}
    for r in records:
        cells.setdefault((r["space"], str(r["k"]), r["method"], r["draw"]), []).append(r[metric])
    per_draw: dict = {}
    for (space, k, method, draw), values in cells.items():
        per_draw.setdefault(space, {}).setdefault(k, {}).setdefault(method, {})[draw] = float(np.mean(values))
    out = {s: {k: {m: _mean_std(list(d.values())) for m, d in ms.items()} for k, ms in ks.items()}
           for s, ks in per_draw.items()}
    spaces = list(per_draw)
    out["mean"] = {}
    for k in dict.fromkeys(k for s in spaces for k in per_draw[s]):
        methods = set.intersection(*(set(per_draw[s].get(k, {})) for s in spaces))
        out["mean"][k] = {}
        for m in methods:
            draws = sorted(set.intersection(*(set(per_draw[s][k][m]) for s in spaces)))
            out["mean"][k][m] = _mean_std([np.mean([per_draw[s][k][m][d] for s in spaces]) for d in draws])
    return out


def _mean_std(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return (float(v.mean()), float(v.std())) if v.size else (math.nan, math.nan)
