"""The predictor's share of a blend: a fixed weight, or one chosen by cross-validation on the labels."""

import numpy as np
import pytest

import zcgp
from zcgp.bench.search import evolved_objective
from zcgp.errors import ZcgpError
from zcgp.fitness.splits import task_split
from zcgp.predicted import BLEND_FOLDS, BLEND_WEIGHTS, Blend, cv_weight
from zcgp.scripts.cli import main
from zcgp.spaces import get_space
from zcgp.spaces.encoding import one_hot

SPACE = get_space("nb201")


class Linear:
    """A fitted predictor stand-in: a fixed linear score of the encoding."""

    def predict(self, X):
        return X @ np.arange(X.shape[1], dtype=float)


def _labeled(n, seed=0):
    rng = np.random.default_rng(seed)
    archs = list(dict.fromkeys(SPACE.sample(rng) for _ in range(n)))
    beta = rng.normal(size=one_hot(SPACE, archs[:1]).shape[1])
    return archs, one_hot(SPACE, archs) @ beta


def test_a_weighted_blend_mixes_the_standardized_terms_by_the_share():
    archs = [SPACE.sample(np.random.default_rng(i)) for i in range(8)]
    scores = {SPACE.key(a): float(i % 5) for i, a in enumerate(archs)}
    objective = lambda batch: np.array([scores[SPACE.key(a)] for a in batch])     # noqa: E731
    f = np.array([scores[SPACE.key(a)] for a in archs])
    p = Linear().predict(one_hot(SPACE, archs))
    z = lambda v: (v - v.mean()) / v.std()                                       # noqa: E731
    for weight in (0.0, 0.25, 1.0):
        assert Blend(objective, Linear(), SPACE, weight)(archs) == pytest.approx(
            2 * ((1 - weight) * z(f) + weight * z(p)), abs=1e-12)
    plain = Blend(objective, Linear(), SPACE)(archs)                              # 0.5: the plain sum
    assert np.array_equal(plain, z(f) + z(p))
    with pytest.raises(ZcgpError, match=r"in \[0, 1\], got 1.5"):
        Blend(objective, Linear(), SPACE, 1.5)


def test_cv_weight_follows_whichever_term_ranks_the_labels():
    archs, accuracy = _labeled(120)
    labeled = list(zip(archs, accuracy))
    noise = np.random.default_rng(1).normal(size=len(archs))
    # the accuracy is linear in the encoding: ridge learns it out of fold, the objective is noise
    weight, taus = cv_weight(SPACE, labeled, noise, "ridge", seed=0)
    assert weight == 1.0 and taus["1.0"] > 0.8 > taus["0.0"] + 0.5
    assert list(taus) == [str(w) for w in BLEND_WEIGHTS]
    # an objective that is the accuracy itself needs no predictor
    weight, taus = cv_weight(SPACE, labeled, accuracy, "ridge", seed=0)
    assert weight == 0.0 and taus["0.0"] == pytest.approx(1.0)
    # non-finite scores are left out; too few finite ones are refused
    scores = np.where(np.arange(len(archs)) < 100, accuracy, np.nan)
    assert cv_weight(SPACE, labeled, scores, "ridge", seed=0)[0] == 0.0
    with pytest.raises(ZcgpError, match=f"at least {2 * BLEND_FOLDS} labeled architectures"):
        cv_weight(SPACE, labeled, np.where(np.arange(len(archs)) < 9, accuracy, np.nan), "ridge", seed=0)


def test_a_search_told_cv_weighs_its_blend_on_the_labels_it_saw(small_run, capsys):
    run = zcgp.Run.load(small_run)
    proxy = zcgp.Proxy(run)
    task = zcgp.load_tasks("nb201/cifar10")[0]
    rows = task_split(task, run.result["seed"], run.config["train_fraction"])[0]
    rows = rows[np.argsort(-task.target[rows], kind="stable")]
    labeled = [(SPACE.normalize(task.archs[r]), float(task.target[r])) for r in rows]
    expected = cv_weight(SPACE, labeled, proxy.on_task(task, rows), "ridge", seed=0)
    options = {"evaluations": 20, "population": 8, "sample_size": 3, "lookup": True, "pick": "best"}
    found = zcgp.search("nb201", small_run, blend="ridge", blend_weight="cv", **options)
    blend = found.info["blend"]
    assert blend["weight_by"] == "cv" and blend["weight"] == expected[0]
    assert blend["weights"] == pytest.approx(expected[1])
    fixed = zcgp.search("nb201", small_run, blend="ridge", blend_weight=blend["weight"], **options)
    assert fixed.best_arch == found.best_arch and fixed.best_score == pytest.approx(found.best_score)
    assert fixed.info["blend"]["weight"] == blend["weight"] and "weight_by" not in fixed.info["blend"]
    with pytest.raises(ZcgpError, match="blend weight must be 'cv' or a number in"):
        zcgp.search("nb201", small_run, blend="ridge", blend_weight="half", **options)
    common = ["search", "--lookup", "--evaluations", "20", "--population", "8", "--sample-size", "3", "--quiet",
              "--proxy", str(small_run), "--pick", "best", "--blend", "ridge"]
    assert main([*common, "--blend-weight", "cv"]) == 0
    assert f"its share {blend['weight']:g} (by cross-validation on them)" in capsys.readouterr().out
    for bad in ("2", "x"):
        assert main([*common, "--blend-weight", bad]) == 2
        err = capsys.readouterr().err.strip()
        assert f"--blend-weight must be 'cv' or a number in [0, 1], got {bad}" in err and "\n" not in err


def test_bench_option_cv_weighs_a_blend_only():
    assert evolved_objective("own:blend-ridge:cv") == (True, {"blend": "ridge", "blend_weight": "cv"}, "combined")
    with pytest.raises(ZcgpError, match="'cv' weighs a blend; give blend-PREDICTOR"):
        evolved_objective("own:cv")
