"""Generalization levers: task aggregations, lexicase cases, epsilon-lexicase, evolve flags."""

import math

import numpy as np
import pytest

from zcgp.errors import ZcgpError
from zcgp.fitness import load_tasks
from zcgp.fitness.aggregate import aggregate_tasks
from zcgp.fitness.rank import kendall_many
from zcgp.gp.dataset import Dataset, select_terminals
from zcgp.gp.evolution import Engine
from zcgp.gp.lexicase import epsilon_lexicase
from zcgp.gp.settings import GPConfig


def test_aggregations_by_hand():
    v = [0.1, 0.5, 0.3, 0.9, 0.2]
    assert aggregate_tasks(v, "mean") == pytest.approx(0.4)
    assert aggregate_tasks(v, "min") == pytest.approx(0.1)
    assert aggregate_tasks(v, "mean-std", 2.0) == pytest.approx(0.4 - 2 * np.std(v))
    assert aggregate_tasks(v, "worst-quartile") == pytest.approx((0.1 + 0.2) / 2)     # ceil(5/4) = 2
    assert aggregate_tasks(v, "space-mean", spaces=["a", "a", "b", "b", "b"]) == pytest.approx(
        (0.3 + (0.3 + 0.9 + 0.2) / 3) / 2)
    assert aggregate_tasks(v, "space-min", spaces=["a", "a", "b", "b", "b"]) == pytest.approx(0.3)
    assert aggregate_tasks(v, "space-min", spaces=["a", "b", "b", "a", "b"]) == pytest.approx(1 / 3)


def test_epsilon_lexicase_keeps_specialists_and_drops_dominated():
    cases = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.0, 0.0]])
    picks = epsilon_lexicase(cases, 400, seed=0)
    counts = np.bincount(picks, minlength=4)
    assert counts[3] == 0 and counts[0] > 100 and counts[1] > 100      # eps = MAD = 0.25 here
    assert np.array_equal(picks, epsilon_lexicase(cases, 400, seed=0))


@pytest.fixture(scope="module")
def tasks():
    return load_tasks("nb201/cifar10,tnb101_micro/normal")


def test_case_splits_score_row_subsets(tasks):
    terms, _ = select_terminals(tasks, "impute")
    data = Dataset.build(tasks, terms, "train", 0, missing="impute", case_splits=3, aggregation="min")
    code = ["nwot"]
    row = data.score([code])[0]
    assert row.size == 2 + 6 and data.width == 8
    values = data.columns["nwot"]
    for c, (t, rows, _) in enumerate(data.cases, start=2):
        block = data.blocks[t]
        ref = kendall_many(values[block.start + rows], block.target.y_rank_centered[rows])
        assert row[c] == pytest.approx(ref[0])
    assert data.aggregate(row) == pytest.approx(min(row[:2]))
    assert np.array_equal(data.lexicase_cases(row), row[2:])
    with pytest.raises(ZcgpError, match="aggregation"):
        Dataset.build(tasks, terms, "train", missing="impute", aggregation="median")


def test_lexicase_engine_is_deterministic(tasks):
    terms, _ = select_terminals(tasks, "impute")
    data = Dataset.build(tasks, terms, "train", 0, missing="impute", case_splits=2)
    runs = [Engine(data, GPConfig(population=30, generations=3, parents="lexicase", seed=4)).run() for _ in (0, 1)]
    assert runs[0].best.key == runs[1].best.key and math.isfinite(runs[0].best.fitness)
    with pytest.raises(ZcgpError, match="--parents"):
        GPConfig(parents="roulette").validate()


def test_evolve_levers_and_family_metric(tmp_path, capsys):
    import json

    from zcgp.scripts.cli import main
    out = tmp_path / "run"
    code = main(["evolve", "--tasks", "nb201/cifar10,tnb101_micro/normal", "--population", "30",
                 "--generations", "2", "--metric", "wkendall", "--aggregate", "mean-std", "--aggregate-k", "0.5",
                 "--parents", "lexicase", "--lexicase-splits", "2", "--no-plots", "--quiet", "--out", str(out)])
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    cfg = result["config"]
    assert (cfg["metric"], cfg["aggregation"], cfg["aggregation_k"], cfg["parents"], cfg["case_splits"]) == \
        ("wkendall", "mean-std", 0.5, "lexicase", 2)
    per_task = list(result["best"]["train_per_task"].values())
    assert result["best"]["train_fitness"] == pytest.approx(np.mean(per_task) - 0.5 * np.std(per_task))
    assert main(["evolve", "--resume", str(out), "--generations", "3", "--quiet", "--no-plots"]) == 0


def test_evolve_select_inner_loso_records_the_cap(tmp_path):
    import json

    from zcgp.gp.final import SIZE_CAPS
    from zcgp.scripts.cli import main
    out = tmp_path / "loso"
    assert main(["evolve", "--tasks", "nb201/cifar10,nb301", "--population", "30", "--generations", "2",
                 "--select", "inner-loso", "--no-plots", "--quiet", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    loso = result["select"]["inner_loso"]
    assert set(loso["inner_scores"]) == {str(c) for c in SIZE_CAPS}
    cap = loso["size_cap"]
    assert cap is None or result["best"]["size"] <= cap
    best_cap = max(loso["inner_scores"].values())
    assert loso["inner_scores"][str(cap)] == best_cap
