"""Leave-one-out transfer: held-out labels are never read; baselines against references."""

import dataclasses
import json

import numpy as np
import pytest

from zcgp.bench.transfer import fit_unit, leave_one_out, score_unit, summarize
from zcgp.errors import ZcgpError
from zcgp.fitness import load_tasks
from zcgp.fitness.baselines import best_train_proxy, fit_ridge
from zcgp.fitness.rank import kendall_many
from zcgp.gp.dataset import heldout_terminals, select_terminals
from zcgp.gp.settings import EvolveSettings, GPConfig
from zcgp.scripts.cli import main

TINY = EvolveSettings(gp=GPConfig(population=40, generations=3))


@pytest.fixture(scope="module")
def tasks():
    return load_tasks("nb201/cifar10,nb301,tnb101_macro/class_scene,tnb101_micro/normal")


def _same_fit(a, b):
    assert a["formula"] == b["formula"] and a["best_proxy"] == b["best_proxy"] and a["select"] == b["select"]
    assert np.array_equal(a["ridge"][0], b["ridge"][0]) and a["ridge"][1] == b["ridge"][1]
    if a["lightgbm"] is not None:
        assert all(np.array_equal(a["lightgbm"][t], b["lightgbm"][t]) for t in a["lightgbm"])


@pytest.mark.parametrize("select", ["train", "inner-loso"])
def test_held_out_targets_are_never_read(tasks, select):
    train, held = tasks[:1] + tasks[2:], tasks[1:2]
    hidden = [dataclasses.replace(t, target=np.full(t.n, np.nan)) for t in held]
    terminals, _ = select_terminals(tasks, "impute")
    settings = dataclasses.replace(TINY, select=select)
    real = fit_unit(train, held, terminals, settings, seed=1)
    blind = fit_unit(train, hidden, terminals, settings, seed=1)
    _same_fit(real, blind)
    if select == "inner-loso":
        assert real["select"]["size_cap"] is None or real["size"] <= real["select"]["size_cap"]
    scores = score_unit(real, held, terminals, settings)
    assert set(scores) >= {"evolved", "best_proxy", "ridge", "oracle_proxy"}
    with pytest.raises(ZcgpError, match="non-finite"):    # scoring does need the labels
        score_unit(blind, hidden, terminals, settings)


def test_heldout_terminals_use_only_what_the_new_space_has():
    tasks = load_tasks("nb101,nb201/cifar10,tnb101_macro/normal")
    everything, _ = select_terminals(tasks, "impute")
    assert "nwot" in everything and "synflow" in everything
    assert "nwot" not in heldout_terminals(everything, tasks[:1])           # NB101 has no nwot
    assert heldout_terminals(everything, tasks[2:]) == tuple(p for p in everything if p in tasks[2].proxies)
    result = leave_one_out(tasks, "space", [0], dataclasses.replace(TINY, terminal_set="heldout"), boost=False)
    for run in result["runs"]:
        held = [t for t in tasks if t.space == run["unit"]]
        assert run["terminals"] == list(heldout_terminals(everything, held))
        used = {p for p in everything if p in run["formula"].replace("(", " ").replace(",", " ").split()}
        assert used <= set(run["terminals"]) and run["best_proxy"] in run["terminals"]
    nb101 = next(r for r in result["runs"] if r["unit"] == "nb101")
    assert nb101["best_proxy"] != "nwot" and nb101["scores"]["best_proxy"]["nb101/cifar10"]["kendall"] > 0.4
    with pytest.raises(ZcgpError, match="unknown terminal set"):
        leave_one_out(tasks, "space", [0], dataclasses.replace(TINY, terminal_set="some"), boost=False)


def test_ridge_equals_sklearn():
    linear_model = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(0)
    x, y = rng.random((200, 5)), rng.random(200)
    coef, intercept = fit_ridge(x, y, alpha=1.0)
    ref = linear_model.Ridge(alpha=1.0).fit(x, y)
    assert np.allclose(coef, ref.coef_, atol=1e-10) and intercept == pytest.approx(ref.intercept_, abs=1e-10)


def test_best_train_proxy_by_hand(tasks):
    from zcgp.fitness.splits import task_split
    from zcgp.fitness.transforms import apply_transform
    total = {}
    for t in tasks:
        rows = task_split(t, 0)[0]
        taus = kendall_many(apply_transform(t.values[rows], "raw").T, t.target[rows])
        for name, tau in zip(t.proxies, taus):
            total[name] = total.get(name, 0.0) + tau
    assert best_train_proxy(tasks, 0, 0.2) == max(total, key=total.get)


def test_leave_one_out_oracle_and_summary(tasks):
    result = leave_one_out(tasks[:2], "space", [0, 1], TINY, boost=False)
    assert [r["unit"] for r in result["runs"]] == ["nb201", "nb201", "nb301", "nb301"]
    task = tasks[1]
    oracle = result["runs"][2]["scores"]["oracle_proxy"][task.id]
    from zcgp.fitness.transforms import apply_transform
    taus = kendall_many(apply_transform(task.values, "raw").T, task.target)
    assert oracle["kendall"] == pytest.approx(taus.max()) and oracle["proxy"] == task.proxies[int(taus.argmax())]
    table = summarize(result)
    evolved = [r["scores"]["evolved"][task.id]["kendall"] for r in result["runs"][2:]]
    assert table["nb301"]["evolved"] == pytest.approx((np.mean(evolved), np.std(evolved)))


def test_bench_transfer_command(tmp_path, capsys):
    out = tmp_path / "bt"
    code = main(["bench", "transfer", "--tasks", "nb201/cifar10,nb301", "--seeds", "0", "--population", "30",
                 "--generations", "2", "--no-boost", "--no-plots", "--metrics", "kendall,top10",
                 "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0 and "per-task best proxy (uses held-out labels)" in printed
    assert "one formula evolved on all 2 tasks" in printed and "mean top10" in printed
    result = json.loads((out / "transfer.json").read_text())
    assert set(result["summary"]) >= {"kendall", "spearman", "wkendall", "top10"}
    assert (out / "transfer.csv").read_text().startswith("unit,seed,method,task,metric,value")
    loo = printed[printed.index("leave-one-space-out: mean kendall"):printed.index("leave-one-space-out: mean top10")]
    assert main(["bench", "transfer", "--from", str(out / "transfer.json")]) == 0
    assert loo.strip() in capsys.readouterr().out          # the saved runs print the same table
    assert result["complete"] is True
    before = (out / "transfer.json").read_bytes()
    assert main(["bench", "transfer", "--tasks", "nb301", "--seeds", "0", "--out", str(out), "--quiet"]) == 2
    assert "already holds results (transfer.json, transfer.csv); pass --overwrite" in capsys.readouterr().err
    assert (out / "transfer.json").read_bytes() == before   # an earlier result is never replaced silently


def test_bench_transfer_keeps_the_finished_folds_of_an_interrupted_run(tmp_path, capsys, monkeypatch):
    from zcgp.scripts import bench_transfer

    def stop_after_one(*args, progress=None, **kwargs):
        def then_stop(run):
            progress(run)
            raise KeyboardInterrupt                     # Ctrl-C while the second fold runs
        return leave_one_out(*args, progress=then_stop, **kwargs)

    monkeypatch.setattr(bench_transfer, "leave_one_out", stop_after_one)
    out = tmp_path / "bt"
    code = main(["bench", "transfer", "--tasks", "nb201/cifar10,nb301", "--seeds", "0", "--population", "30",
                 "--generations", "2", "--no-boost", "--no-plots", "--n-jobs", "1", "--out", str(out), "--quiet"])
    assert code == 130
    saved = json.loads((out / "transfer.json").read_text())
    assert saved["complete"] is False and [r["unit"] for r in saved["runs"]] == ["nb201"]
    capsys.readouterr()
    assert main(["bench", "transfer", "--from", str(out / "transfer.json")]) == 0
    assert "incomplete, 1 finished fold(s)" in capsys.readouterr().out


def test_bench_transfer_bad_metric(capsys):
    assert main(["bench", "transfer", "--metrics", "bogus", "--seeds", "0"]) == 2
    assert "unknown metric 'bogus'" in capsys.readouterr().err


@pytest.mark.integration
def test_folds_in_worker_processes_give_the_same_result(tasks):
    few = [t for t in tasks if t.space in ("nb201", "nb301")]
    serial = leave_one_out(few, "space", [0], TINY, ("kendall",), boost=False, n_jobs=1)
    parallel = leave_one_out(few, "space", [0], TINY, ("kendall",), boost=False, n_jobs=2)
    assert [(r["unit"], r["formula"], r["scores"]) for r in serial["runs"]] == \
        [(r["unit"], r["formula"], r["scores"]) for r in parallel["runs"]]


def test_combined_is_the_fold_formula_adapted_on_the_training_tasks_only(tasks):
    import zcgp
    from zcgp.adapting import COMBINE_PROXIES
    from zcgp.gp.formula import infix

    train, held = tasks[:1] + tasks[2:], tasks[1:2]
    hidden = [dataclasses.replace(t, target=np.full(t.n, np.nan)) for t in held]
    terminals, _ = select_terminals(tasks, "impute")
    fitted = fit_unit(train, hidden, terminals, TINY, seed=0, boost=False, combine="combine-weighted")
    base = zcgp.Proxy(infix(fitted["tree"]), transform=TINY.transform, missing="impute")
    cheap = [p for p in COMBINE_PROXIES if any(p in t.proxies for t in train)]
    expected = zcgp.adapt(base, train, method="combine-weighted", proxies=cheap).proxy
    assert fitted["combined"].formula == expected.formula and held[0].space not in expected.info["labels"]["spaces"]
    scores = score_unit(fitted, held, terminals, TINY)
    task = held[0]
    values = expected.score({p: task.column(p) for p in expected.terminals if p in task.proxies})
    assert scores["combined"][task.id]["kendall"] == pytest.approx(kendall_many(values[None, :], task.target)[0])
    assert "combined" not in score_unit(fit_unit(train, held, terminals, TINY, seed=0, boost=False), held,
                                        terminals, TINY)
