"""zcgp bench fewshot: every method is fitted on the k drawn labels only and scored on the rest."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import kendalltau

from zcgp.bench.fewshot import _draw, fewshot, summarize_fewshot
from zcgp.fitness.sources import load_tasks
from zcgp.nas.shipped import read_shipped
from zcgp.proxy import Proxy
from zcgp.scripts.cli import main

SMALL = {"ks": (0, 10), "draws": 2, "predictors": ("ridge",), "features": ("", "+formula"), "adapts": ("select",)}


@pytest.fixture(scope="module")
def records():
    return fewshot(("nb101",), n_jobs=1, **SMALL)


def test_draws_are_disjoint_seeded_and_sized():
    task = load_tasks("nb101")[0]
    labeled, rest = _draw(task, 10, 3)
    assert labeled.size == 10 and rest.size == task.n - 10 and not set(labeled) & set(rest)
    assert np.array_equal(labeled, _draw(task, 10, 3)[0]) and not np.array_equal(labeled, _draw(task, 10, 4)[0])
    ceiling = _draw(task, "all", 0)[1]
    assert ceiling.size == int(np.ceil(0.2 * task.n))


def test_the_proxy_row_is_the_suite_proxy_scored_on_the_unlabeled_rows(records):
    task = load_tasks("nb101")[0]
    proxy = Proxy("suite-without-nb101")
    _, rest = _draw(task, 10, 1)
    values = proxy.score({t: task.column(t)[rest] for t in proxy.terminals if t in task.proxies})
    row = next(r for r in records if r["method"] == "proxy" and r["k"] == 10 and r["draw"] == 1)
    assert row["labeled"] == 10
    assert row["kendall"] == pytest.approx(kendalltau(values, task.target[rest])[0], abs=1e-9)


def test_every_fitted_method_appears_once_per_draw_and_not_at_k0(records):
    at = {(r["k"], r["draw"], r["method"]) for r in records}
    methods = {"proxy", "best proxy (k)", "adapt:select", "ridge", "ridge+formula"}
    assert {m for k, _, m in at if k == 10} == methods
    assert {m for k, _, m in at if k == 0} == {"proxy"}
    assert len(records) == len(at)


def test_jobs_do_not_change_the_records(records):
    assert fewshot(("nb101",), n_jobs=2, **SMALL) == records


def test_summary_is_the_mean_over_draws_of_the_task_mean(records):
    table = summarize_fewshot(records, "spearman")
    ridge = [r["spearman"] for r in records if r["method"] == "ridge" and r["k"] == 10]
    mean, std = table["nb101"]["10"]["ridge"]
    assert mean == pytest.approx(np.mean(ridge)) and std == pytest.approx(np.std(ridge))
    assert table["mean"]["10"]["ridge"][0] == pytest.approx(mean)


def test_cli_writes_records_and_reads_them_back(tmp_path, capsys):
    out = tmp_path / "fs"
    assert main(["bench", "fewshot", "--spaces", "nb101", "--ks", "0,10", "--draws", "1", "--predictors", "ridge",
                 "--features", "none", "--adapts", "select", "--n-jobs", "1", "--quiet", "--out", str(out)]) == 0
    saved = json.loads((out / "fewshot.json").read_text())
    assert {r["method"] for r in saved["records"]} == {"proxy", "best proxy (k)", "adapt:select", "ridge"}
    capsys.readouterr()
    assert main(["bench", "fewshot", "--from", str(out / "fewshot.json")]) == 0
    assert "ridge" in capsys.readouterr().out
    assert main(["bench", "fewshot", "--spaces", "nb101", "--out", str(out), "--quiet"]) == 2
    assert saved["complete"] is True


def test_cli_keeps_the_finished_tasks_of_an_interrupted_run(tmp_path, capsys, monkeypatch):
    from zcgp.bench import fewshot as bench

    real = bench._task_records
    calls = []

    def stop_at_the_second(*args, **kwargs):
        calls.append(args[1].id)
        if len(calls) == 2:
            raise KeyboardInterrupt                     # Ctrl-C while the second task runs
        return real(*args, **kwargs)

    monkeypatch.setattr(bench, "_task_records", stop_at_the_second)
    out = tmp_path / "fs"
    code = main(["bench", "fewshot", "--spaces", "nb201", "--ks", "0,10", "--draws", "1", "--predictors", "ridge",
                 "--features", "none", "--adapts", "select", "--n-jobs", "1", "--quiet", "--out", str(out)])
    assert code == 130 and len(calls) == 2
    saved = json.loads((out / "fewshot.json").read_text())
    assert saved["complete"] is False and {r["task"] for r in saved["records"]} == {calls[0]}
    capsys.readouterr()
    assert main(["bench", "fewshot", "--from", str(out / "fewshot.json")]) == 0
    assert f"incomplete, {len(saved['records'])} records" in capsys.readouterr().out


def test_the_best_proxy_on_k_labels_ranks_a_failed_network_last():
    from zcgp.bench.fewshot import _fitted

    task = load_tasks("nb201/cifar10")[0]                     # one network lacks synflow, nwot, jacov
    assert not np.all(np.isfinite(task.values))
    labeled, rest = _draw(task, 20, 0)
    results = _fitted(task, Proxy("suite-without-nb201"), {}, np.zeros(task.n), labeled, rest, 0, ("ridge",), ("",),
                      ("select",))
    assert results["best proxy (k)"]["kendall"] > 0.4


def test_a_transfer_row_is_the_suite_proxy_adapted_on_the_other_spaces_alone():
    import zcgp

    cheap = ["synflow", "params"]
    got = fewshot(("nb101",), ks=(0, 10), draws=1, predictors=(), features=(), adapts=(),
                  transfers=("combine-weighted",), adapt_proxies=cheap, n_jobs=1)
    others = load_tasks("nb201,nb301,tnb101_micro,tnb101_macro")
    adapted = zcgp.adapt("suite-without-nb101", others, method="combine-weighted", proxies=cheap).proxy
    task = load_tasks("nb101")[0]
    for k in (0, 10):
        _, rest = _draw(task, k, 0)
        values = adapted.score({t: task.column(t)[rest] for t in adapted.terminals if t in task.proxies})
        row = next(r for r in got if r["method"] == "transfer:combine-weighted" and r["k"] == k)
        assert row["kendall"] == pytest.approx(kendalltau(values, task.target[rest])[0], abs=1e-9)
    assert "nb101" not in adapted.info["labels"]["spaces"]                  # zero-shot for nb101
    with pytest.raises(zcgp.ZcgpError, match="unknown adaptation 'nope'"):
        fewshot(("nb101",), ks=(0,), draws=1, predictors=(), features=(), adapts=(), transfers=("nope",))


def test_base_combined_starts_every_row_from_the_combined_suite_proxy(tmp_path):
    out = tmp_path / "fs"
    assert main(["bench", "fewshot", "--spaces", "nb101", "--ks", "0", "--draws", "1", "--predictors", "ridge",
                 "--features", "none", "--adapts", "select", "--base", "combined", "--n-jobs", "1", "--quiet",
                 "--out", str(out)]) == 0
    task = load_tasks("nb101")[0]
    proxy = Proxy("suite-combined-without-nb101")
    values = proxy.score({t: task.column(t) for t in proxy.terminals if t in task.proxies})
    row = next(r for r in json.loads((out / "fewshot.json").read_text())["records"] if r["method"] == "proxy")
    assert row["kendall"] == pytest.approx(kendalltau(values, task.target)[0], abs=1e-9)
    assert row["kendall"] == pytest.approx(read_shipped("suite-combined-without-nb101")["scores"]["held_out"]["nb101"]
                                           ["kendall"], abs=1e-9)


def test_a_blend_row_is_the_adapted_proxy_and_the_encodings_predictor_standardized_and_summed():
    import zcgp
    from zcgp.predictors import fit_predictor
    from zcgp.spaces import get_space
    from zcgp.spaces.encoding import one_hot

    got = fewshot(("nb101",), ks=(20,), draws=1, predictors=("ridge",), features=(":onehot",), adapts=("combine",),
                  blends=("combine+ridge:onehot",), n_jobs=1)
    task = load_tasks("nb101")[0]
    labeled, rest = _draw(task, 20, 0)
    adapted = zcgp.adapt("suite-without-nb101", [task.subset(labeled)], method="combine", seed=0).proxy.on_task(task,
                                                                                                                rest)
    encoding = one_hot(get_space("nb101"), task.archs)
    predicted = fit_predictor("ridge", encoding[labeled], task.target[labeled], seed=0).predict(encoding[rest])
    z = [(v - v.mean()) / v.std() for v in (adapted, predicted)]
    row = {r["method"]: r["kendall"] for r in got}
    assert row["ridge:onehot"] == pytest.approx(kendalltau(predicted, task.target[rest])[0], abs=1e-9)
    assert row["adapt:combine+ridge:onehot"] == pytest.approx(kendalltau(z[0] + z[1], task.target[rest])[0], abs=1e-9)
    assert row["adapt:combine+ridge:onehot"] not in (row["adapt:combine"], row["ridge:onehot"])
    with pytest.raises(zcgp.ZcgpError, match="blend 'combine\\+ridge' needs an adaptation"):
        fewshot(("nb101",), ks=(20,), draws=1, predictors=("ridge",), features=(":onehot",), adapts=("combine",),
                blends=("combine+ridge",))


def test_a_cv_weighted_blend_refits_both_parts_on_each_folds_others_and_takes_the_best_pooled_weight():
    import zcgp
    from zcgp.fitness.rank import RankTarget
    from zcgp.predicted import BLEND_FOLDS, BLEND_WEIGHTS, blend_scores
    from zcgp.predictors import fit_predictor
    from zcgp.spaces import get_space
    from zcgp.spaces.encoding import one_hot

    got = fewshot(("nb101",), ks=(20,), draws=1, predictors=("ridge",), features=(":onehot",), adapts=("combine",),
                  blends=("combine+ridge:onehot@cv", "combine+ridge:onehot@0.25"), n_jobs=1)
    task = load_tasks("nb101")[0]
    labeled, rest = _draw(task, 20, 0)
    encoding = one_hot(get_space("nb101"), task.archs)

    def parts(train, rows):
        adapted = zcgp.adapt("suite-without-nb101", [task.subset(train)], method="combine", seed=0).proxy
        fitted = fit_predictor("ridge", encoding[train], task.target[train], seed=0)
        return adapted.on_task(task, rows), fitted.predict(encoding[rows])

    folds = np.random.default_rng([0, 11]).permutation(20) % BLEND_FOLDS
    pooled = np.zeros((len(BLEND_WEIGHTS), 20))
    for fold in range(BLEND_FOLDS):
        held = folds == fold
        adapted, predicted = parts(labeled[~held], np.concatenate([labeled[held], rest]))
        for i, w in enumerate(BLEND_WEIGHTS):
            pooled[i, held] = blend_scores(adapted, predicted, w)[:held.sum()]
    weight = BLEND_WEIGHTS[int(np.argmax(RankTarget(task.target[labeled]).kendall(pooled)))]
    rows = {r["method"]: r for r in got}
    cv = rows["adapt:combine+ridge:onehot@cv"]
    assert cv["weight"] == weight and rows["adapt:combine+ridge:onehot@0.25"]["weight"] == 0.25
    adapted, predicted = parts(labeled, rest)
    assert cv["kendall"] == pytest.approx(kendalltau(blend_scores(adapted, predicted, weight), task.target[rest])[0],
                                          abs=1e-9)
    quarter = kendalltau(blend_scores(adapted, predicted, 0.25), task.target[rest])[0]
    assert rows["adapt:combine+ridge:onehot@0.25"]["kendall"] == pytest.approx(quarter, abs=1e-9)


def test_a_blend_weighted_across_spaces_takes_the_weight_the_other_spaces_rank_best():
    from zcgp.bench.fewshot import _weight_across_spaces
    from zcgp.errors import ZcgpError
    from zcgp.predicted import BLEND_WEIGHTS

    best_of = {"a": (1.0, 50.0), "b": (0.25, 2.0), "c": (0.25, 2.0), "d": (0.25, 2.0)}   # own best weight, its tau

    def tau(space, w, draw):
        best, value = best_of[space]
        return (value if w == best else 0.1 * w) + draw

    records = [{"space": s, "task": f"{s}/t", "k": 20, "draw": d, "method": "adapt:x+y@spaces", "weight": None,
                "tried": {str(w): {"kendall": tau(s, w, d), "spearman": w, "top10": 0} for w in BLEND_WEIGHTS}}
               for s in best_of for d in range(2)]
    records.append({"space": "a", "task": "a/t", "k": 20, "draw": 0, "method": "adapt:x", "kendall": 0.3})
    chosen = {(r["space"], r["draw"]): r for r in _weight_across_spaces(records) if r["method"].endswith("@spaces")}
    assert chosen["a", 0]["weight"] == 0.25 and chosen["a", 1]["kendall"] == pytest.approx(1.025)   # not its own
    assert chosen["a", 0]["spearman"] == 0.25
    assert chosen["b", 0]["weight"] == 1.0 and chosen["c", 1]["weight"] == 1.0    # the mean over a, c, d: a leads
    with pytest.raises(ZcgpError, match="a blend weighted '@cv' needs at least 10 labels for its 5 folds, got k = 5"):
        fewshot(("nb101", "nb201"), ks=(0, 5, 20), draws=1, predictors=("ridge",), features=(":onehot",),
                adapts=("combine",), blends=("combine+ridge:onehot@cv",))
    with pytest.raises(ZcgpError, match="give two spaces or more"):
        fewshot(("nb101",), ks=(20,), draws=1, predictors=("ridge",), features=(":onehot",), adapts=("combine",),
                blends=("combine+ridge:onehot@spaces",))


def test_chosen_blend_weights_are_the_same_for_any_number_of_jobs():
    kwargs = {"ks": (20,), "draws": 1, "predictors": ("ridge",), "features": (":onehot",), "adapts": ("combine",),
              "blends": ("combine+ridge:onehot@spaces", "combine+ridge:onehot@cv")}
    one = fewshot(("nb101", "nb301"), n_jobs=1, **kwargs)
    assert fewshot(("nb101", "nb301"), n_jobs=2, **kwargs) == one
    assert all(r["weight"] is not None for r in one if "@" in r["method"])


@pytest.mark.parametrize("weight", ["2", "x", "-0.5"])
def test_a_blend_weight_is_cv_spaces_or_a_share_in_the_unit_interval(weight):
    from zcgp.bench.fewshot import parse_blend
    from zcgp.errors import ZcgpError

    with pytest.raises(ZcgpError, match=f"is 'cv', 'spaces' or a number in \\[0, 1\\], got '{weight}'"):
        parse_blend(f"combine+ridge@{weight}")
    assert parse_blend("combine+ridge@0.75") == ("combine", "ridge", 0.75)


def test_cli_rejects_a_blend_of_methods_it_does_not_run(tmp_path, capsys):
    assert main(["bench", "fewshot", "--spaces", "nb101", "--ks", "10", "--predictors", "ridge", "--features", "none",
                 "--adapts", "combine", "--blends", "select+ridge", "--out", str(tmp_path / "fs")]) == 2
    assert "blend 'select+ridge' needs an adaptation of the run (combine)" in capsys.readouterr().err
    assert not (tmp_path / "fs").exists()


def test_predictors_read_only_the_proxies_they_are_given():
    got = fewshot(("nb101",), ks=(20,), draws=1, predictors=("ridge",), features=("",), adapts=(),
                  predictor_proxies=("synflow", "not_a_proxy"), n_jobs=1)
    task = load_tasks("nb101")[0]
    _, rest = _draw(task, 20, 0)
    row = next(r for r in got if r["method"] == "ridge")
    synflow = abs(kendalltau(task.column("synflow")[rest], task.target[rest])[0])    # one input: its order, or reversed
    assert abs(row["kendall"]) == pytest.approx(synflow, abs=1e-9)
    everything = next(r for r in fewshot(("nb101",), ks=(20,), draws=1, predictors=("ridge",), features=("",),
                                         adapts=(), n_jobs=1) if r["method"] == "ridge")
    assert everything["kendall"] != pytest.approx(row["kendall"], abs=1e-3)


def test_searched_predictor_proxies_are_the_adapted_proxys_own():
    from zcgp.bench.fewshot import SEARCHED

    kwargs = {"ks": (20,), "draws": 1, "predictors": ("ridge",), "features": ("",), "adapts": (), "n_jobs": 1}
    searched = fewshot(("nb201",), adapt_proxies=("synflow", "params"), predictor_proxies=SEARCHED, **kwargs)
    terminals = Proxy("suite-without-nb201").terminals
    listed = fewshot(("nb201",), predictor_proxies=("synflow", "params", *terminals), **kwargs)
    assert [r["kendall"] for r in searched] == [r["kendall"] for r in listed]
    assert [r["kendall"] for r in searched] != [r["kendall"] for r in fewshot(("nb201",), **kwargs)]
