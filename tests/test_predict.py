"""zcgp.predict and `zcgp predict`: a predictor fitted on a few labels scores a list of candidates."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import zcgp
from zcgp.errors import ZcgpError
from zcgp.fitness.rank import RankTarget
from zcgp.fitness.table import read_candidates, write_csv
from zcgp.predictors import feature_matrix, fit_predictor
from zcgp.scripts.cli import main
from zcgp.spaces import get_space
from zcgp.spaces.encoding import one_hot

PROXIES = ("flops", "params", "synflow", "nwot")


@pytest.fixture(scope="module")
def split():
    task = zcgp.load_tasks("nb201/cifar10")[0]
    order = np.random.default_rng(0).permutation(task.n)
    return task, np.sort(order[:20]), np.sort(order[20:220])


def _columns(task, rows, names=PROXIES):
    return {"arch": [task.archs[i] for i in rows], **{p: task.column(p)[rows] for p in names}}


def _write(path, task, rows, names=PROXIES, extra=None):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["arch", *(extra or {}), *names])
        for j, i in enumerate(rows):
            writer.writerow([task.archs[i], *(v[j] for v in (extra or {}).values()), *task.values[i, [
                task.proxies.index(p) for p in names]]])
    return path


def _kendall(task, rows, scores):
    return float(RankTarget(task.target[rows]).kendall(np.asarray(scores)[None, :])[0])


def test_ridge_scores_are_the_predictor_fitted_on_the_labels_alone(split):
    task, labeled, rest = split
    result = zcgp.predict(task.subset(labeled), _columns(task, rest), proxies=PROXIES)
    fitted = fit_predictor("ridge", feature_matrix(task, labeled, proxies=PROXIES), task.target[labeled])
    assert np.allclose(result.scores, fitted.predict(feature_matrix(task, rest, proxies=PROXIES)))
    assert result.labels["count"] == 20 and result.labels["task"] == "nb201/cifar10"
    assert result.labels["archs"] == [task.archs[i] for i in labeled]
    assert _kendall(task, rest, result.scores) > 0.5          # 0.60 at this draw
    best = result.order[0]
    assert result.top(1) == [(task.archs[rest[best]], float(result.scores[best]))]
    assert np.all(np.diff(result.scores[result.order]) <= 0)


def test_labels_beyond_the_labeled_rows_are_never_read(split):
    task, labeled, rest = split
    shuffled = task.subset(np.arange(task.n))
    shuffled.target[rest] = np.random.default_rng(1).permutation(shuffled.target[rest])   # only the rest changes
    a = zcgp.predict(task.subset(labeled), _columns(task, rest), proxies=PROXIES)
    b = zcgp.predict(shuffled.subset(labeled), _columns(task, rest), proxies=PROXIES)
    assert np.array_equal(a.scores, b.scores)


def test_the_formula_and_an_encoding_are_inputs(split):
    task, labeled, rest = split
    plain = zcgp.predict(task.subset(labeled), _columns(task, rest), proxies=PROXIES)
    formula = zcgp.predict(task.subset(labeled), _columns(task, rest), proxies=PROXIES, features="+formula",
                           proxy="min(flops, nwot)")
    assert formula.formula == "min(flops, nwot)" and not np.allclose(plain.scores, formula.scores)
    onehot = zcgp.predict(task.subset(labeled), _columns(task, rest), proxies=PROXIES, features="+onehot")
    space = get_space("nb201")
    x = feature_matrix(task, labeled, proxies=PROXIES, encoding=one_hot(space, [task.archs[i] for i in labeled]))
    fitted = fit_predictor("ridge", x, task.target[labeled])
    pool = feature_matrix(task, rest, proxies=PROXIES, encoding=one_hot(space, [task.archs[i] for i in rest]))
    assert np.allclose(onehot.scores, fitted.predict(pool))
    assert zcgp.predict(task.subset(labeled), _columns(task, rest), proxies=PROXIES, features="+formula").formula == \
        zcgp.Proxy("suite-without-nb201").formula                    # the suite proxy that never saw nb201


def test_the_mlp_is_deterministic_per_seed(split):
    pytest.importorskip("torch")
    task, labeled, rest = split
    runs = [zcgp.predict(task.subset(labeled), _columns(task, rest), proxies=PROXIES, predictor="mlp-pairwise",
                         seed=s, epochs=50) for s in (0, 0, 1)]
    assert np.array_equal(runs[0].scores, runs[1].scores)
    assert not np.array_equal(runs[0].scores, runs[2].scores)


def test_bad_inputs_are_one_line_errors(split, tmp_path):
    task, labeled, rest = split
    labels = task.subset(labeled)
    with pytest.raises(ZcgpError, match="unknown predictor 'xgb'"):
        zcgp.predict(labels, _columns(task, rest), predictor="xgb")
    with pytest.raises(ZcgpError, match="unknown features '\\+path'"):
        zcgp.predict(labels, _columns(task, rest), features="+path")
    with pytest.raises(ZcgpError, match="no column 'params'"):
        zcgp.predict(labels, _columns(task, rest, ("flops",)), proxies=PROXIES)
    with pytest.raises(ZcgpError, match="unknown proxy 'zen'"):
        zcgp.predict(labels, _columns(task, rest), proxies=["zen"])
    with pytest.raises(ZcgpError, match="repeat an architecture"):
        zcgp.predict(labels, _columns(task, [rest[0], rest[0]]), proxies=PROXIES)
    two = tmp_path / "two.csv"
    write_csv([task.subset(labeled), zcgp.load_tasks("nb201/cifar100")[0].subset(labeled)], two)
    with pytest.raises(ZcgpError, match="hold 2 tasks"):
        zcgp.predict(str(two), _columns(task, rest), proxies=PROXIES)
    assert zcgp.predict(str(two), _columns(task, rest), proxies=PROXIES, task="cifar100").labels["task"] == \
        "nb201/cifar100"
    bad = tmp_path / "bad.csv"
    bad.write_text("arch,flops\na,1.0\nb,lots\n")
    with pytest.raises(ZcgpError, match="bad.csv: row 3: non-numeric value 'lots' in column 'flops'"):
        zcgp.predict(labels, str(bad), proxies=["flops"])
    bad.write_text("arch,flops\na,1.0\na,2.0\n")
    with pytest.raises(ZcgpError, match="row 3: duplicate arch a, first at row 2"):
        read_candidates(bad)


def test_predict_command_writes_the_candidates_best_first(split, tmp_path, capsys):
    task, labeled, rest = split
    data = tmp_path / "labeled.csv"
    write_csv([task.subset(labeled)], data)
    cands = _write(tmp_path / "cands.csv", task, rest, extra={"note": [f"n{i}" for i in rest]})
    out = tmp_path / "ranked.csv"
    args = ["predict", "--data", str(data), "--candidates", str(cands), "--proxies", ",".join(PROXIES),
            "--top", "3", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "ridge fitted on 20 labeled architectures of nb201/cifar10" in printed
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["rank", "score", "arch", "note", *PROXIES]
    assert [r[0] for r in rows[1:4]] == ["1", "2", "3"] and len(rows) == 1 + rest.size
    scores = np.array([float(r[1]) for r in rows[1:]])
    assert np.all(np.diff(scores) <= 0)
    expected = zcgp.predict(str(data), str(cands), proxies=PROXIES)
    assert rows[1][2] == expected.top(1)[0][0] and rows[1][3] == f"n{rest[expected.order[0]]}"
    before = out.read_text()
    assert main(args) == 2                                    # no silent overwrite
    with pytest.raises(SystemExit) as usage:
        main([*args[:-2], "--out", str(tmp_path / "other.csv"), "--predictor", "nope"])
    assert usage.value.code == 2
    assert main(["predict", "--data", str(data), "--candidates", str(tmp_path / "none.csv"), "--out",
                 str(tmp_path / "x.csv")]) == 2
    assert "table not found" in capsys.readouterr().err
    assert out.read_text() == before and not (tmp_path / "x.csv").exists()


def test_the_encoding_alone_needs_only_the_candidates_architectures(split, tmp_path, capsys):
    task, labeled, rest = split
    archs = {"arch": [task.archs[i] for i in rest]}                    # no proxy column at all
    alone = zcgp.predict(task.subset(labeled), archs, proxies=[], features="+onehot")
    space = get_space("nb201")
    fitted = fit_predictor("ridge", one_hot(space, [task.archs[i] for i in labeled]), task.target[labeled])
    assert np.allclose(alone.scores, fitted.predict(one_hot(space, archs["arch"]))) and alone.proxies == ()
    with pytest.raises(ZcgpError, match="no inputs"):
        zcgp.predict(task.subset(labeled), archs, proxies=[])
    data, cands, out = tmp_path / "labeled.csv", tmp_path / "cands.csv", tmp_path / "ranked.csv"
    write_csv([task.subset(labeled)], data)
    with open(cands, "w", newline="") as fh:
        csv.writer(fh).writerows([["arch"], *([a] for a in archs["arch"])])
    assert main(["predict", "--data", str(data), "--candidates", str(cands), "--proxies", "none",
                 "--features", "+onehot", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "(encoding onehot); scored 200 candidates" in printed
    with open(out, newline="") as fh:
        assert next(csv.reader(fh)) == ["rank", "score", "arch"]


def test_a_blend_is_the_prediction_and_the_adapted_proxy_standardized_and_mixed_by_the_labels_share(split):
    task, labeled, rest = split
    every = _columns(task, rest, task.proxies)
    adapted = zcgp.adapt("suite-without-nb201", [task.subset(labeled)], method="combine").proxy
    plain = zcgp.predict(task.subset(labeled), every, proxies=PROXIES)
    blended = zcgp.predict(task.subset(labeled), every, proxies=PROXIES, blend=adapted)
    own = adapted.on_task(task, rest)

    def z(v):
        return (v - v.mean()) / v.std()

    assert blended.blend == {"proxy": adapted.formula, "weight": 0.5, "weight_by": "labels"}     # 20 labels: 0.5
    assert np.allclose(blended.scores, 2 * (0.5 * z(own) + 0.5 * z(plain.scores)))
    quarter = zcgp.predict(task.subset(labeled), every, proxies=PROXIES, blend=adapted, blend_weight=0.25)
    assert np.allclose(quarter.scores, 2 * (0.75 * z(own) + 0.25 * z(plain.scores)))
    assert quarter.blend["weight_by"] == "given"
    few = zcgp.predict(task.subset(labeled[:10]), every, proxies=PROXIES, blend="min(flops, nwot)")
    assert few.blend["weight"] == 0.25 and plain.blend == {}
    with pytest.raises(ZcgpError, match="a blend weight needs a proxy to blend with"):
        zcgp.predict(task.subset(labeled), every, proxies=PROXIES, blend_weight=0.5)
    with pytest.raises(ZcgpError, match="a blend weight is a number in \\[0, 1\\], got 1.5"):
        zcgp.predict(task.subset(labeled), every, proxies=PROXIES, blend=adapted, blend_weight=1.5)
    with pytest.raises(ZcgpError, match="the candidates lack 'jacov', a terminal of the formula"):
        zcgp.predict(task.subset(labeled), _columns(task, rest), proxies=PROXIES, blend="jacov + nwot")


def test_predict_command_blends_with_a_proxy_and_says_the_share(split, tmp_path, capsys):
    task, labeled, rest = split
    data = tmp_path / "labeled.csv"
    write_csv([task.subset(labeled)], data)
    cands = _write(tmp_path / "cands.csv", task, rest)
    common = ["predict", "--data", str(data), "--candidates", str(cands), "--proxies", ",".join(PROXIES)]
    assert main([*common, "--blend", "min(flops, nwot)", "--out", str(tmp_path / "a.csv")]) == 0
    assert ("blended with min(flops, nwot): the predictor's share 0.5 (by the 20 labels), each standardized over "
            "the candidates") in capsys.readouterr().out
    assert main([*common, "--blend", "min(flops, nwot)", "--blend-weight", "0.75", "--out",
                 str(tmp_path / "b.csv")]) == 0
    assert "the predictor's share 0.75 (given)" in capsys.readouterr().out
    assert main([*common, "--blend-weight", "0.75", "--out", str(tmp_path / "c.csv")]) == 2
    assert "a blend weight needs a proxy to blend with" in capsys.readouterr().err
    assert not (tmp_path / "c.csv").exists()
