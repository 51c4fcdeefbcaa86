"""Warm start: an in-distribution search starts from the best labeled architectures it saw."""

import numpy as np
import pytest
from test_search_algorithm import BitSpace, CountingSpace, ones

import zcgp
from zcgp.bench.search import evolved_objective
from zcgp.errors import ZcgpError
from zcgp.fitness.splits import task_split
from zcgp.nas.benchmark import labeled_best
from zcgp.scripts.cli import main
from zcgp.searching import WARM_START
from zcgp.spaces import get_space
from zcgp.spaces.search import aging_evolution


def test_parents_are_the_batch_after_the_initial_one_and_breed_first():
    calls = []

    def spy(archs):
        calls.append(list(archs))
        return ones(archs)

    rng = np.random.default_rng(0)
    initial = [tuple(int(b) for b in rng.random(12) < 0.2) for _ in range(6)]
    parents = [(1,) * 11 + (0,), (1,) * 10 + (0, 0), (0, 1) * 6]
    space = CountingSpace()
    result = aging_evolution(space, spy, population=6, sample_size=6, max_evaluations=20, batch=2, seed=0,
                             initial=initial, parents=parents)
    assert calls[0] == initial and calls[1] == parents      # one batch each, whatever the batch size
    assert all(len(c) <= 2 for c in calls[2:]) and result.evaluations == 20
    # the whole population is the tournament: the first mutant's parent is the best warm-start parent
    assert space.parents[0][0] == parents[0]
    plain = aging_evolution(BitSpace(), ones, population=6, sample_size=6, max_evaluations=20, batch=2, seed=0,
                            initial=initial)
    assert result.best_score > plain.best_score


def test_parents_without_an_initial_batch_open_the_search():
    calls = []

    def spy(archs):
        calls.append(list(archs))
        return ones(archs)

    parents = [(1,) * 12, (0,) * 12]
    result = aging_evolution(BitSpace(), spy, population=4, sample_size=2, max_evaluations=6, batch=1, seed=1,
                             parents=parents)
    assert calls[0] == parents and result.best_score == 12.0 and result.evaluations == 6


def test_labeled_best_are_the_train_split_rows_with_the_best_validation_accuracy(small_run):
    run = zcgp.Run.load(small_run)
    task = zcgp.load_tasks("nb201/cifar100")[0]
    rows = task_split(task, run.result["seed"], run.config["train_fraction"])[0]
    top = rows[np.argsort(-task.target[rows], kind="stable")[:4]]
    space = get_space("nb201")
    task_id, best = labeled_best(space, "cifar100", run.labels, run.result["seed"], run.config["train_fraction"], 4)
    assert task_id == "nb201/cifar100"
    assert [a for a, _ in best] == [space.normalize(task.archs[i]) for i in top]
    assert [v for _, v in best] == list(task.target[top]) and best[0][1] > best[-1][1]
    assert labeled_best(space, "cifar100", {}, 0, 0.2, 4) is None            # no label of the space


def test_an_in_distribution_search_starts_from_its_best_labels(small_run):
    options = {"evaluations": 20, "population": 8, "sample_size": 3, "lookup": True, "pick": "best"}
    rows = []
    found = zcgp.search("nb201", small_run, warm_start=3, on_batch=rows.append, **options)
    warm = found.info["warm_start"]
    assert warm["networks"] == 3 and warm["labeled_task"] == "nb201/cifar10"
    assert warm["val_accuracy"][0] == found.info["labels_alone"]["val_accuracy"]
    assert warm["val_accuracy"] == sorted(warm["val_accuracy"], reverse=True)
    assert [r["evaluations"] for r in rows[:2]] == [8, 11]     # the reference, then the three parents
    default = zcgp.search("nb201", small_run, **options)
    assert default.info["warm_start"]["networks"] == WARM_START == 10     # on by default in distribution
    off = zcgp.search("nb201", small_run, warm_start=0, **options)
    assert "warm_start" not in off.info and "warm_start" not in zcgp.search("nb201", "nwot", **options).info
    with pytest.raises(ZcgpError, match="warm start needs labeled architectures of nb201"):
        zcgp.search("nb201", "nwot", warm_start=2, **options)
    with pytest.raises(ZcgpError, match="warm start must be a whole number >= 0"):
        zcgp.search("nb201", small_run, warm_start=-1, **options)


def test_cli_warm_start_prints_its_parents_and_bad_input_is_one_line(small_run, capsys):
    common = ["search", "--lookup", "--evaluations", "20", "--population", "8", "--sample-size", "3", "--quiet"]
    assert main([*common, "--proxy", str(small_run), "--warm-start", "2"]) == 0
    assert "warm start: the 2 best labeled architectures of nb201/cifar10" in capsys.readouterr().out
    needs = "warm start needs labeled architectures of nb201"
    for bad, message in ((["--warm-start", "-1"], "--warm-start must be >= 0, got -1"),
                         (["--objective", "nwot", "--warm-start", "2"], needs)):
        assert main([*common, *bad]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err


def test_bench_objective_option_warm_start():
    assert evolved_objective("own:warm10") == (True, {"warm_start": 10}, "combined")
    assert evolved_objective("own:top10:warm5:best") == (True, {"metric": "top10", "warm_start": 5}, "best")
    with pytest.raises(ZcgpError, match=r"a warm start \(warmN\)"):
        evolved_objective("own:warm")


def test_an_adapted_proxy_starts_cold_unless_asked(tmp_path):
    task = zcgp.load_tasks("nb201/cifar10")[0]
    labels = task.subset(np.arange(0, task.n, 36))
    out = tmp_path / "adapted"
    zcgp.adapt("nwot", [labels], method="combine", seed=0).export(out / "proxy.py")
    options = {"evaluations": 16, "population": 6, "sample_size": 2, "lookup": True}
    cold = zcgp.search("nb201", out / "proxy.json", **options)
    assert cold.info["labels"]["in_distribution"] and "warm_start" not in cold.info
    warm = zcgp.search("nb201", out / "proxy.json", warm_start=2, **options)
    best = np.sort(labels.target)[::-1][:2]
    assert warm.info["warm_start"]["networks"] == 2 and warm.info["warm_start"]["val_accuracy"] == list(best)


def test_a_predictor_warm_start_is_the_top_it_predicts_from_all_the_labels(small_run):
    from zcgp.predictors import fit_predictor
    from zcgp.spaces.encoding import one_hot

    run, space = zcgp.Run.load(small_run), get_space("nb201")
    task = zcgp.load_tasks("nb201/cifar10")[0]
    rows = task_split(task, run.result["seed"], run.config["train_fraction"])[0]
    options = {"evaluations": 20, "population": 8, "sample_size": 3, "lookup": True, "pick": "best"}
    counts = []
    found = zcgp.search("nb201", small_run, warm_start=3, warm_by="ridge", on_batch=counts.append, **options)
    warm = found.info["warm_start"]
    assert warm["by"] == "ridge" and warm["labels"] == rows.size and warm["networks"] == 3
    assert [r["evaluations"] for r in counts[:2]] == [8, 11]     # the reference, then the three predicted
    fitted = fit_predictor("ridge", one_hot(space, [task.archs[r] for r in rows]), task.target[rows], seed=0)
    parents = [space.normalize(a) for a in warm["archs"]]
    assert warm["predicted"] == pytest.approx(list(fitted.predict(one_hot(space, parents))), abs=1e-12)
    assert warm["predicted"] == sorted(warm["predicted"], reverse=True)
    # the predictor's search starts from the 10 best labels, so its top is predicted above all of them
    top_labeled = rows[np.argsort(-task.target[rows], kind="stable")[:10]]
    assert warm["predicted"][-1] >= fitted.predict(one_hot(space, [task.archs[r] for r in top_labeled])).max() - 1e-12
    table = {space.key(a) for a in task.archs}                  # a lookup search's warm start stays in the table
    assert all(space.key(a) in table for a in parents)
    by_labels = zcgp.search("nb201", small_run, warm_start=3, **options).info["warm_start"]
    assert by_labels["by"] == "labels" and by_labels["archs"] != warm["archs"]
    with pytest.raises(ZcgpError, match="warm_by 'xgb': choose a predictor from ridge"):
        zcgp.search("nb201", small_run, warm_by="xgb", **options)


def test_cli_warm_by_a_predictor_prints_it_and_a_bad_one_is_one_line(small_run, capsys):
    common = ["search", "--lookup", "--evaluations", "20", "--population", "8", "--sample-size", "3", "--quiet",
              "--proxy", str(small_run)]
    assert main([*common, "--warm-start", "2", "--warm-by", "ridge"]) == 0
    assert "warm start: the 2 best predicted by ridge, fitted on the" in capsys.readouterr().out
    assert main([*common, "--warm-by", "xgb"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--warm-by xgb: choose a predictor from" in err and "\n" not in err
    assert evolved_objective("own:warm-ridge:warm5") == (True, {"warm_by": "ridge", "warm_start": 5}, "combined")
    with pytest.raises(ZcgpError, match="objective 'own:warm-xgb': choose a predictor"):
        evolved_objective("own:warm-xgb")


def test_a_blend_adds_the_standardized_prediction_to_the_standardized_score():
    from zcgp.predicted import Blend

    space = get_space("nb201")
    archs = [space.sample(np.random.default_rng(i)) for i in range(6)]

    class Fitted:
        def predict(self, X):
            return X @ np.arange(X.shape[1], dtype=float)

    scores = {space.key(a): float(i) for i, a in enumerate(archs)}
    objective = lambda batch: np.array([scores[space.key(a)] for a in batch])     # noqa: E731
    blend = Blend(objective, Fitted(), space)
    from zcgp.spaces.encoding import one_hot
    encoded = one_hot(space, archs)
    predicted = encoded @ np.arange(encoded.shape[1], dtype=float)
    reference = blend(archs[:4])                      # the first batch fixes both scales
    f, p = np.arange(4.0), predicted[:4]
    assert p.std() > 0
    assert reference == pytest.approx((f - f.mean()) / f.std() + (p - p.mean()) / p.std(), abs=1e-12)
    later = blend(archs[4:])
    assert later == pytest.approx((np.arange(4.0, 6.0) - f.mean()) / f.std() + (predicted[4:] - p.mean()) / p.std(),
                                  abs=1e-12)
    scores[space.key(archs[5])] = -np.inf            # a failed network stays last
    assert Blend(objective, Fitted(), space)(archs)[5] == -np.inf


def test_a_blended_search_fits_on_every_label_it_saw_and_says_so(small_run, capsys):
    run = zcgp.Run.load(small_run)
    task = zcgp.load_tasks("nb201/cifar10")[0]
    rows = task_split(task, run.result["seed"], run.config["train_fraction"])[0]
    options = {"evaluations": 20, "population": 8, "sample_size": 3, "lookup": True, "pick": "best"}
    found = zcgp.search("nb201", small_run, blend="ridge", **options)
    assert found.info["blend"]["labels"] == rows.size and found.info["blend"]["predictor"] == "ridge"
    assert found.objective.endswith(", blended with ridge")
    plain = zcgp.search("nb201", small_run, **options)
    assert "blend" not in plain.info and found.best_score != plain.best_score
    with pytest.raises(ZcgpError, match="blend needs labeled architectures of nb201"):
        zcgp.search("nb201", "nwot", blend="ridge", **options)
    common = ["search", "--lookup", "--evaluations", "20", "--population", "8", "--sample-size", "3", "--quiet"]
    assert main([*common, "--proxy", str(small_run), "--blend", "ridge"]) == 0
    assert f"blend: ridge of the encoding, fitted on the {rows.size} labeled" in capsys.readouterr().out
    assert main([*common, "--proxy", str(small_run), "--blend", "xgb"]) == 2
    assert "--blend xgb: choose a predictor from" in capsys.readouterr().err
    assert evolved_objective("own:blend-mlp-listmle") == (True, {"blend": "mlp-listmle"}, "combined")
