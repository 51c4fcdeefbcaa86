"""The Python API: zcgp.load_tasks / evolve / resume / Run / Proxy / evaluate / baselines."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import load_exported
from scipy.stats import kendalltau

import zcgp
from zcgp.errors import ZcgpError
from zcgp.fitness.splits import task_split

SMALL = {"seed": 1, "population": 40, "generations": 2, "progress": False}


@pytest.fixture(scope="module")
def nb201():
    return zcgp.load_tasks("nb201")


@pytest.fixture(scope="module")
def run(nb201):
    return zcgp.evolve(nb201, **SMALL)


def _scores(task, rows=None):
    rows = np.arange(task.n) if rows is None else rows
    return {p: task.values[rows, j] for j, p in enumerate(task.proxies)}


def test_import_is_light():
    code = "import sys, zcgp; zcgp.load_tasks; assert 'torch' not in sys.modules and 'deap' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_scores_match_scipy_on_the_test_split(run, nb201):
    pytest.importorskip("pandas")
    proxy = zcgp.Proxy(run)
    records = run.scores.to_dict("records")
    assert [r["task"] for r in records] == [t.id for t in nb201]
    for task, rec in zip(nb201, records):
        _, test = task_split(task, SMALL["seed"], 0.2)
        tau = kendalltau(proxy(_scores(task, test)), task.target[test]).statistic
        assert rec["evolved_test"] == pytest.approx(tau, abs=1e-9)
        j = task.proxies.index("snip")
        assert np.isfinite(task.values[test, j]).all()
        assert rec["snip"] == pytest.approx(kendalltau(task.values[test, j], task.target[test]).statistic, abs=1e-9)
    assert run.fitness == run.hall_of_fame.iloc[0]["fitness"]
    assert set(run.pareto["front"]) == {"size", "cost"}


def test_proxy_equals_the_exported_module_and_reads_data_only(run, nb201, tmp_path):
    path = run.export(tmp_path / "proxy.py")
    module = load_exported(path, "exported_proxy")
    scores = _scores(nb201[1])
    np.testing.assert_array_equal(zcgp.Proxy(run)(scores), module.proxy(scores))
    # a run directory and proxy.py are read as data: a hostile proxy.py never runs
    run.save(tmp_path / "run", plots=False)
    (tmp_path / "run" / "proxy.py").write_text("raise SystemExit('executed')\n")
    path.write_text("raise SystemExit('executed')\n")
    for source in (tmp_path / "run", str(tmp_path / "run"), path, run.to_callable()):
        np.testing.assert_array_equal(zcgp.Proxy(source)(scores), module.proxy(scores))
    loaded = zcgp.Run.load(tmp_path / "run")
    assert loaded.formula == run.formula and len(loaded.logbook) == SMALL["generations"] + 1
    assert str(loaded.sympy()) == str(run.sympy())


def test_proxy_from_a_formula_and_a_dataframe(nb201):
    pd = pytest.importorskip("pandas")
    from scipy.stats import rankdata
    task = nb201[0]
    frame = pd.DataFrame(_scores(task))
    proxy = zcgp.Proxy("grasp * log(snip)")
    assert proxy.terminals == ("snip", "grasp")
    ranks = {p: (rankdata(frame[p].to_numpy()) - 1) / (task.n - 1) for p in proxy.terminals}
    safe = np.where(ranks["snip"] > 0, ranks["snip"], 1.0)
    expected = ranks["grasp"] * np.where(ranks["snip"] > 0, np.log(safe), 0.0)
    np.testing.assert_allclose(proxy(frame), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(proxy(frame[list(proxy.terminals)].to_numpy()), proxy(frame))
    with pytest.raises(ZcgpError, match="one column per terminal"):
        proxy(frame.to_numpy())
    with pytest.raises(ZcgpError, match="missing proxy scores: grasp"):
        proxy({"snip": frame["snip"].to_numpy()})
    with pytest.raises(ZcgpError, match="unknown function"):
        zcgp.Proxy("__import__('os')")


def test_proxy_on_task_scores_the_task_rows_and_imputes_what_it_lacks():
    task = zcgp.load_tasks("nb101/cifar10")[0]                      # NB101 has no nwot column
    proxy = zcgp.Proxy("flops + synflow")
    rows = np.arange(0, task.n, 7)
    expected = proxy.score({p: task.column(p)[rows] for p in proxy.terminals})
    np.testing.assert_array_equal(proxy.on_task(task, rows), expected)
    assert proxy.on_task(task).shape == (task.n,)
    imputing = zcgp.Proxy("flops + nwot", missing="impute")
    np.testing.assert_array_equal(imputing.on_task(task, rows), imputing.score({"flops": task.column("flops")[rows]}))
    with pytest.raises(ZcgpError, match="missing proxy scores: nwot"):
        zcgp.Proxy("flops + nwot").on_task(task)
    assert zcgp.Proxy("nwot", missing="impute").on_task(task, rows).shape == (rows.size,)    # nothing to read


def test_proxy_scores_torch_networks():
    torch = pytest.importorskip("torch")
    from zcgp.proxies.compute import compute_proxies
    from zcgp.proxies.data import load_batch
    space = zcgp.spaces.get_space("nb201")
    archs = space.sample_distinct(3, 0)
    nets = []
    for a in archs:
        torch.manual_seed(0)
        nets.append(space.build(a, 10))
    proxy = zcgp.Proxy("synflow + params")
    inputs, targets = load_batch("synthetic", 8, 10, 32, 0)
    raw = compute_proxies(nets, inputs, targets, names=("synflow", "params"), device=torch.device("cpu"), seed=0)
    expected = proxy({"synflow": raw["synflow"], "params": raw["params"]})
    np.testing.assert_array_equal(proxy(nets, batch_size=8, device="cpu"), expected)


def test_resume_continues_exactly(nb201, tmp_path):
    full = zcgp.evolve(nb201, **{**SMALL, "generations": 4})
    zcgp.evolve(nb201, **SMALL, out=tmp_path / "part", plots=False)
    resumed = zcgp.resume(tmp_path / "part", generations=4, progress=False, plots=False)
    assert resumed.result["best"] == full.result["best"]
    assert resumed.result["hall_of_fame"] == full.result["hall_of_fame"]
    with pytest.raises(ZcgpError, match="conflicts with the checkpoint"):
        zcgp.resume(tmp_path / "part", seed=2, progress=False)
    with pytest.raises(ZcgpError, match="conflicts with the checkpoint"):
        zcgp.resume(tmp_path / "part", elite=9, progress=False)


def test_options_pass_through_by_name(nb201):
    run = zcgp.evolve(nb201[:1], seed=0, population=20, generations=1, progress=False, elite=5,
                      missing="exclude", proxies="jacov,nwot", metric="spearman")
    cfg = run.config
    assert cfg["elite"] == 5 and cfg["missing"] == "exclude" and cfg["metric"] == "spearman"
    assert cfg["terminals"] == ["jacov", "nwot"]
    with pytest.raises(ZcgpError, match="unknown option 'allow_partial'"):
        zcgp.evolve(nb201, allow_partial=True, progress=False)


def test_evaluate_and_baselines_match_scipy(nb201):
    ev = zcgp.evaluate("snip", nb201[:1], seed=0).result
    task = nb201[0]
    _, test = task_split(task, 0, 0.2)
    j = task.proxies.index("snip")
    tau = kendalltau(task.values[test, j], task.target[test]).statistic
    assert ev["tasks"][0]["evolved"]["test"]["kendall"] == pytest.approx(tau, abs=1e-9)
    base = zcgp.baselines(nb201[:1], seed=0)
    assert base["tasks"][0]["proxies"]["snip"]["test"]["kendall"] == pytest.approx(tau, abs=1e-9)
    json.dumps(base)     # plain data
