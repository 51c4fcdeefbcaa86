"""`zcgp search --predictor`: the objective is a predictor of the encoding, fitted on labeled architectures."""

import csv
import json

import numpy as np
import pytest

import zcgp
from zcgp.errors import ZcgpError
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION, label_counts
from zcgp.fitness.table import read_labels
from zcgp.nas.benchmark import Benchmark, labeled_best, labels_alone
from zcgp.predicted import PREDICTED_START, TRAIN_SPLIT, fit_on_encoding, predicted_top, read_labeled
from zcgp.scripts.cli import main
from zcgp.spaces import get_space
from zcgp.spaces.encoding import one_hot


@pytest.fixture(scope="module")
def space():
    return get_space("nb201")


@pytest.fixture(scope="module")
def split_labels(space):
    task = zcgp.load_tasks("nb201/cifar10")[0]
    counts = label_counts([task], 3, DEFAULT_TRAIN_FRACTION)
    return counts, labeled_best(space, "cifar10", counts, 3, DEFAULT_TRAIN_FRACTION, None)[1]


def _write(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_train_split_labels_are_the_rows_evolve_sees_best_first(space, split_labels):
    counts, rows = split_labels
    labeled = read_labeled(space, TRAIN_SPLIT, task="cifar10", seed=3)
    assert labeled.source == "nb201/cifar10" and labeled.split == (3, DEFAULT_TRAIN_FRACTION)
    assert labeled.rows == rows and len(rows) == counts["tasks"]["nb201/cifar10"] == 145
    values = [v for _, v in labeled.rows]
    assert values == sorted(values, reverse=True)


def test_a_predictor_search_finds_the_top_of_its_own_prediction_from_the_best_labels(space, split_labels):
    counts, rows = split_labels
    found = zcgp.search("nb201", predictor="ridge", labels=TRAIN_SPLIT, seed=3, evaluations=300)
    # the same search as the predictor's own walk (`predicted_top`), fitted on the same labels
    _, top = predicted_top(space, rows, "ridge", seed=3, evaluations=300)
    assert found.best_arch == top[0][0] and found.best_score == pytest.approx(top[0][1])
    fitted = fit_on_encoding(space, rows, "ridge", seed=3)
    assert found.best_score == pytest.approx(float(fitted.predict(one_hot(space, [found.best_arch]))[0]))
    warm = found.info["warm_start"]
    assert warm["archs"] == [space.to_string(a) for a, _ in rows[:PREDICTED_START]]
    assert found.info["labels"] == {"tasks": ["nb201/cifar10"], "space_labels": 145, "in_distribution": True}
    expected = labels_alone(Benchmark(space, "cifar10"), counts, 3, DEFAULT_TRAIN_FRACTION)
    assert found.info["labels_alone"] == expected
    assert found.info["predictor"]["name"] == "ridge" and found.info["predictor"]["split"] == [3, 0.2]
    assert found.evaluations == 300 and found.objective.startswith("predicted by ridge")


def test_a_users_table_of_several_tasks_gives_the_searched_tasks_rows(space, tmp_path):
    task = zcgp.load_tasks("nb201/cifar10")[0]
    picked = np.random.default_rng(0).choice(task.n, 12, replace=False)
    rows = [("nb201/cifar100", task.archs[i], 50.0) for i in picked[:3]]
    rows += [("nb201/cifar10", space.to_string(space.normalize(task.archs[i])), task.target[i]) for i in picked]
    path = _write(tmp_path / "mine.csv", ["task", "arch", "accuracy", "nwot"], [(*r, 1.0) for r in rows])
    labeled = read_labeled(space, path, task="cifar10")
    best = max(picked, key=lambda i: task.target[i])
    assert len(labeled.rows) == 12 and labeled.source == str(path) and labeled.split is None
    assert labeled.rows[0] == (space.normalize(task.archs[best]), pytest.approx(task.target[best]))
    found = zcgp.search(space, predictor="ridge", labels=path, seed=0, evaluations=40)
    alone = found.info["labels_alone"]
    assert alone["arch"] == space.to_string(task.archs[best]) and alone["labeled_architectures"] == 12
    assert found.info["labels"]["space_labels"] == 12 and found.info["warm_start"]["labeled_task"] == str(path)
    pairs = zcgp.search(space, predictor="ridge", labels=labeled.rows, seed=0, evaluations=40)
    assert pairs.best_arch == found.best_arch and pairs.info["predictor"]["labeled_task"] == "given"


@pytest.mark.parametrize("rows, message", [
    ([("a", "1"), ("a", "2")], "row 3: duplicate arch a, first at row 2"),
    ([("a", "1"), ("b", "x")], "row 3: non-numeric value 'x' in column 'accuracy'"),
    ([("a", "1"), ("b", "nan")], "row 3: NaN accuracy"),
    ([("a", "1"), ("", "2")], "row 3: empty arch value"),
])
def test_a_bad_label_table_names_its_row(tmp_path, rows, message):
    path = _write(tmp_path / "labels.csv", ["arch", "accuracy"], rows)
    with pytest.raises(ZcgpError, match=message):
        read_labels(path)


def test_a_label_table_needs_its_columns_and_the_searched_task(tmp_path):
    path = _write(tmp_path / "labels.csv", ["arch", "val"], [("a", "1")])
    with pytest.raises(ZcgpError, match="row 1: missing column 'accuracy'"):
        read_labels(path)
    archs, values = read_labels(path, columns={"accuracy": "val"})
    assert archs == ["a"] and values.tolist() == [1.0]
    two = _write(tmp_path / "two.csv", ["task", "arch", "accuracy"], [("x/a", "a", "1"), ("x/b", "a", "2")])
    with pytest.raises(ZcgpError, match="holds tasks x/a, x/b; none is x/c"):
        read_labels(two, "x/c")
    assert read_labels(two, "x/b")[1].tolist() == [2.0]


def test_a_predictor_search_refuses_what_does_not_apply(space):
    for kwargs, message in (({}, "needs labels"), ({"labels": TRAIN_SPLIT, "blend": "ridge"}, "blend does not apply"),
                            ({"labels": TRAIN_SPLIT, "screen": 4}, "screen does not apply"),
                            ({"labels": [(space.sample(0), 1.0)]}, "1 labeled architecture"),
                            ({"labels": TRAIN_SPLIT, "task": "cifar10", "proxy": "nwot"}, "not both")):
        with pytest.raises(ZcgpError, match=message):
            zcgp.search(space, predictor="ridge", evaluations=10, **kwargs)
    with pytest.raises(ZcgpError, match="give a predictor or a blend with them"):
        zcgp.search(space, "nwot", labels=TRAIN_SPLIT, evaluations=10)


def test_cli_predictor_search_prints_its_labels_and_bad_input_is_one_line(tmp_path, capsys):
    out = tmp_path / "found"
    assert main(["search", "--predictor", "ridge", "--labels", "train-split", "--evaluations", "60", "--quiet",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "predicted by ridge of the encoding, fitted on 145 labeled architectures (nb201/cifar10)" in printed
    assert "labels of nb201 the objective saw: 145 (in distribution); labels alone" in printed
    assert "the shipped" not in printed
    result = json.loads((out / "result.json").read_text())
    assert result["predictor"]["labels"] == 145 and result["labels_alone"]["labeled_architectures"] == 145
    bad = _write(tmp_path / "bad.csv", ["arch", "accuracy"], [("foo", "1"), ("bar", "2")])
    for args, message in ((["--predictor", "ridge"], "--predictor needs --labels"),
                          (["--objective", "nwot", "--labels", "train-split"], "or --blend NAME with them"),
                          (["--predictor", "xgb", "--labels", "train-split"], "--predictor xgb: choose a predictor"),
                          (["--predictor", "ridge", "--labels", str(bad)], "arch 'foo': malformed NB201"),
                          (["--predictor", "ridge", "--labels", "train-split", "--space", "tnb101_macro",
                            "--dataset", "nope"], "unknown task")):
        assert main(["search", "--quiet", *args]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err
