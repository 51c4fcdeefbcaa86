"""A search driven by a predictor fitted on the labels: what those labels buy with a predictor."""

import json

import numpy as np
import pytest

from zcgp.adapting import adapt
from zcgp.bench.search import drawn_labels, drawn_rows, predicted_objective, predicted_search, predicted_searches
from zcgp.errors import ZcgpError
from zcgp.fitness import load_tasks
from zcgp.fitness.splits import label_counts, task_split
from zcgp.predictors import fit_predictor
from zcgp.scripts.cli import main
from zcgp.spaces import get_space
from zcgp.spaces.encoding import one_hot

SPACE = get_space("nb201")


@pytest.fixture(scope="module")
def task():
    return load_tasks("nb201/cifar10")[0]


def _ridge_score(task, rows, arch):
    fitted = fit_predictor("ridge", one_hot(SPACE, [task.archs[r] for r in rows]), task.target[rows], seed=0)
    return float(fitted.predict(one_hot(SPACE, [arch]))[0])


def test_it_fits_on_the_train_split_own_reads_and_keeps_the_best_predicted(task):
    rows = task_split(task, 3, 0.2)[0]
    (record,) = predicted_searches(SPACE, [3], predictor="ridge", task="cifar10", evaluations=300)
    info = record["info"]
    assert info["labels"] == {"tasks": ["nb201/cifar10"], "space_labels": rows.size, "in_distribution": True}
    best = rows[np.argmax(task.target[rows])]
    assert info["labels_alone"]["val_accuracy"] == task.target[best]
    assert record["evaluations"] == 300 and record["seed"] == 3 and record["objective"] == "predicted:ridge"
    # the score it kept is the predictor fitted on exactly those rows, at the found cell
    assert record["best_score"] == pytest.approx(_ridge_score(task, rows, record["best_arch"]), abs=1e-12)
    warm = rows[np.argsort(-task.target[rows], kind="stable")[:10]]          # the warm start is scored too
    assert record["best_score"] >= max(_ridge_score(task, rows, task.archs[r]) for r in warm) - 1e-12
    found = record["benchmark"]["cifar10"]["test_accuracy"]
    assert 0 < found <= 100
    again = predicted_searches(SPACE, [3], predictor="ridge", task="cifar10", evaluations=300)[0]
    assert again["best_arch"] == record["best_arch"] and again["benchmark"] == record["benchmark"]


def test_named_labels_are_the_only_ones_read(task):
    rows = np.sort(np.random.default_rng(4).choice(task.n, 20, replace=False))
    archs = [task.archs[r] for r in rows]
    labels = {"tasks": {task.id: 20}, "spaces": {"nb201": 20}, "archs": {task.id: archs}}
    record = predicted_search(SPACE, "cifar10", labels, predictor="ridge", seed=1, evaluations=200)
    assert record["info"]["labels"]["space_labels"] == 20
    assert record["info"]["labels_alone"]["val_accuracy"] == task.target[rows].max()
    assert record["best_score"] == pytest.approx(_ridge_score(task, rows, record["best_arch"]), abs=1e-12)
    # a budget of the warm start alone keeps one of the 10 best labeled cells
    short = predicted_search(SPACE, "cifar10", labels, predictor="ridge", seed=1, evaluations=10)
    top = {SPACE.key(task.archs[r]) for r in rows[np.argsort(-task.target[rows])[:10]]}
    assert SPACE.key(short["best_arch"]) in top


def test_k_drawn_labels_are_those_the_few_shot_search_adapts_on(task):
    labels = drawn_labels(task, 20, 2)
    adapted = adapt("suite-without-nb201", [task.subset(drawn_rows(task, 20, 2))], method="select", seed=2)
    assert sorted(adapted.labels["archs"][task.id]) == sorted(labels["archs"][task.id])
    (record,) = predicted_searches(SPACE, [2], predictor="ridge", task="cifar10", k=20, evaluations=50)
    assert record["objective"] == "predicted:ridge:k20" and record["info"]["labels"]["space_labels"] == 20
    assert record["info"]["labels_alone"]["val_accuracy"] == task.target[drawn_rows(task, 20, 2)].max()


def test_bad_predicted_objectives_fail_before_any_search(tmp_path, capsys):
    assert predicted_objective("predicted:mlp-weighted") == ("mlp-weighted", None)
    assert predicted_objective("predicted:ridge:k20") == ("ridge", 20)
    assert predicted_objective("transfer") is None
    for bad in ("predicted:xgb", "predicted", "predicted:ridge:k1", "predicted:ridge:20", "predicted:ridge:k5:k6"):
        with pytest.raises(ZcgpError, match="predictor|kK"):
            predicted_objective(bad)
    out = tmp_path / "bench.json"
    for args, message in ((["--objectives", "nwot,predicted:xgb", "--minutes", "1"], "choose a predictor from"),
                          (["--objectives", "predicted:ridge"], "runs in the time mode")):
        assert main(["bench", "search", "--seeds", "0", *args, "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err and not out.exists()


def test_the_bench_prints_the_row_beside_labels_alone(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "search", "--objectives", "predicted:ridge", "--minutes", "1", "--seeds", "0,1",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    runs = json.loads(out.read_text())["runs"]
    found = [r["benchmark"]["cifar10"]["test_accuracy"] for r in runs]
    alone = [r["info"]["labels_alone"]["benchmark"]["cifar10"]["test_accuracy"] for r in runs]
    row = next(line for line in text.splitlines() if line.startswith("predicted:ridge"))
    assert f"{np.mean(found):.2f} +/- {np.std(found):.2f}" in row and " in " in row
    assert f"{np.mean(alone):.2f}" in next(line for line in text.splitlines() if "labels alone" in line)
    assert "none built" in text
    assert label_counts([load_tasks("nb201/cifar10")[0]], 0)["spaces"]["nb201"] == int(row.split()[1])


def test_a_lookup_scores_the_table_whole_and_finds_its_best_predicted_row(task):
    from zcgp.spaces.table import TableSpace

    members = TableSpace(SPACE, task.archs).members
    (record,) = predicted_searches(SPACE, [0], predictor="ridge", task="cifar10", lookup=True)
    assert record["evaluations"] == len(members)             # the budget capped at the table, not walked dry
    rows = task_split(task, 0, 0.2)[0]
    fitted = fit_predictor("ridge", one_hot(SPACE, [task.archs[r] for r in rows]), task.target[rows], seed=0)
    scores = fitted.predict(one_hot(SPACE, members))
    assert record["best_score"] == pytest.approx(scores.max(), abs=1e-12)
    assert record["benchmark"]["cifar10"]["val_accuracy"] in task.target
