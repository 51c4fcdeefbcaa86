import json

import numpy as np
import pytest

import zcgp
from zcgp.errors import ZcgpError
from zcgp.fitness import load_tasks
from zcgp.nas.choice import expected_best_of
from zcgp.nas.objectives import FormulaObjective
from zcgp.proxies.measure import SharedMeasure, TableMeasure
from zcgp.scripts.cli import main
from zcgp.scripts.cli import main as zcgp_main
from zcgp.searching import load_formula
from zcgp.spaces import get_space
from zcgp.spaces.nb201 import SPACE, load_table
from zcgp.spaces.table import TableSpace


def _search(tmp_path, *args):
    out = tmp_path / "out"
    code = main(["search", "--lookup", "--quiet", "--out", str(out), *args])
    return code, out


def test_table_search_writes_results_with_true_accuracy(tmp_path, capsys):
    code, out = _search(tmp_path, "--objective", "nwot", "--evaluations", "120", "--seed", "0")
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    table = load_table()
    index = result["best_index"]
    assert table.strings[index] == result["best_arch"]
    acc = result["benchmark"]["cifar10"]["test_accuracy"]
    assert acc == pytest.approx(table.accuracy["cifar10"][index])
    assert result["benchmark"]["cifar10"]["percentile"] == pytest.approx(
        100 * (table.accuracy["cifar10"] < acc).mean())
    assert result["evaluations"] == 120
    # the found network has the highest nwot among all the table networks the search scored
    task = load_tasks("nb201/cifar10")[0]
    nwot = dict(zip((SPACE.normalize(a) for a in task.archs), task.column("nwot")))
    assert nwot[SPACE.normalize(result["best_arch"])] == pytest.approx(result["best_score"])
    lines = (out / "trajectory.csv").read_text().splitlines()
    assert lines[0].startswith("seconds,evaluations,best_score") and len(lines) > 5
    assert (out / "search.png").stat().st_size > 1000
    assert "test accuracy" in capsys.readouterr().out


def _trajectory(out):
    """(evaluations, best_score, best_arch) per batch: the trajectory without wall times."""
    return [line.split(",")[1:4] for line in (out / "trajectory.csv").read_text().splitlines()[1:]]


def test_search_is_reproducible_per_seed(tmp_path):
    runs = []
    for run, seed in enumerate((1, 1, 2)):
        out = tmp_path / f"run{run}"
        assert main(["search", "--lookup", "--quiet", "--objective", "nwot", "--evaluations", "40",
                     "--seed", str(seed), "--out", str(out)]) == 0
        runs.append((json.loads((out / "result.json").read_text()), _trajectory(out)))
    (first, trace1), (second, trace2), (other, trace3) = runs
    assert first["seed"] == second["seed"] == 1 and other["seed"] == 2
    assert first["best_arch"] == second["best_arch"] and trace1 == trace2 and len(trace1) >= 5
    assert trace1 != trace3


def _table_objective(formula, reference_rows):
    task = load_tasks("nb201/cifar10")[0]
    measure = SharedMeasure(TableMeasure(task, SPACE, formula.terminals), SPACE)
    reference = measure(list(task.archs[:reference_rows]))
    return task, measure, FormulaObjective(formula, measure, reference)


def test_formula_objective_ranks_against_a_fixed_reference():
    formula = load_formula("nwot + synflow")
    task, measure, objective = _table_objective(formula, 50)
    archs = list(task.archs[100:110])
    together = objective(archs)
    alone = np.array([objective([a])[0] for a in archs])
    np.testing.assert_allclose(together, alone)          # a score does not depend on its batch
    best = archs[int(np.argmax(together))]
    raw, ref = measure([best]), measure(list(task.archs[:50]))
    # rank transform over the 51 values (reference + candidate), then the sum
    expected = ((ref["nwot"] < raw["nwot"][0]).sum() + (ref["synflow"] < raw["synflow"][0]).sum()) / 50
    assert together.max() == pytest.approx(expected, abs=1e-6)


def test_formula_plateau_is_ordered_by_terminal_consensus():
    formula = load_formula("min(0.5, nwot)")
    task, measure, objective = _table_objective(formula, 100)
    archs = list(task.archs[200:260])
    scores = objective(archs)
    raw = measure(archs)
    plateau = np.flatnonzero(np.round(scores, 6) == 0.5)
    assert plateau.size > 5                                   # the clipped formula ties them
    consensus = [np.sum(objective.reference["nwot"] < raw["nwot"][i]) for i in plateau]
    assert plateau[np.argmax(scores[plateau])] == plateau[int(np.argmax(consensus))]
    assert np.abs(scores[plateau] - 0.5).max() < 1e-8        # the formula's value is kept


def test_formula_search_end_to_end(tmp_path):
    code, out = _search(tmp_path, "--formula", "nwot + synflow", "--evaluations", "60", "--population", "20")
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    assert result["objective"] == "formula nwot + synflow" and result["evaluations"] == 60
    assert result["reference"] == {"networks": 20, "from_cache": False}      # table values: nothing cached


def test_expected_best_of_matches_monte_carlo():
    rng = np.random.default_rng(0)
    scores, accuracy = rng.normal(size=40).round(1), rng.normal(size=40)       # rounding makes ties
    draws = rng.integers(0, 40, size=(200_000, 7))
    top = scores[draws]
    tied = top == top.max(axis=1, keepdims=True)
    simulated = ((accuracy[draws] * tied).sum(axis=1) / tied.sum(axis=1)).mean()
    assert expected_best_of(scores, accuracy, 7) == pytest.approx(simulated, abs=0.01)
    assert expected_best_of(scores, accuracy, 10_000) == pytest.approx(accuracy[scores == scores.max()].mean())
    assert expected_best_of(scores, accuracy, 1) == pytest.approx(accuracy.mean())


@pytest.mark.parametrize("args, message", [
    (["--objective", "nwot", "--evaluations", "5", "--benchmark", "/no/such.csv"], "NB201 table not found"),
    (["--objective", "nwot"], "give a budget"),
    (["--objective", "zzz", "--evaluations", "5"], "unknown proxy 'zzz'"),
    (["--proxy", "/no/such/dir", "--evaluations", "5"], "/no/such/dir"),
    (["--formula", "nwot +", "--evaluations", "5"], "nwot +"),
    (["--objective", "nwot", "--evaluations", "5", "--pick", "sometimes"], "--pick must be"),
    (["--proxy", "/no/such/proxy.py", "--evaluations", "5"], "proxy file not found"),
    (["--formula", "nwot + magic", "--evaluations", "5"], "cannot compute: magic"),
    (["--objective", "nwot", "--evaluations", "5", "--space", "nb999"], "unknown search space 'nb999'"),
    (["--objective", "nwot", "--evaluations", "5", "--space", "nb301", "--dataset", "cifar100"],
     "unknown task 'nb301/cifar100'"),
])
def test_search_bad_input_is_one_line(args, message, capsys):
    assert main(["search", "--lookup", "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_formula_with_unknown_terminal_and_proxy_py_never_imported(tmp_path, capsys):
    assert main(["search", "--formula", "nwot + magic", "--evaluations", "5", "--quiet"]) == 2
    assert "cannot compute: magic" in capsys.readouterr().err
    marker = tmp_path / "executed"
    evil = tmp_path / "proxy.py"
    evil.write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    assert main(["search", "--proxy", str(evil), "--evaluations", "5", "--quiet"]) == 2
    assert "no proxy description" in capsys.readouterr().err and not marker.exists()


def test_table_search_stays_inside_the_table():
    task = load_tasks("nb201/cifar10")[0]
    space = TableSpace(SPACE, task.archs)
    assert len(space.member_set) == len({SPACE.key(a) for a in task.archs}) == 445   # one per isomorphism class
    rng = np.random.default_rng(0)
    arch = space.sample(rng)
    seen = set()
    for _ in range(200):
        arch = space.mutate(arch, rng)
        assert arch in space.member_set
        seen.add(arch)
    assert len(seen) > 50                             # it moves through the table, not in place


def test_torch_search_computes_proxies_of_real_networks(tmp_path):
    code, out = _search_torch(tmp_path, "--objective", "params", "--evaluations", "6", "--batch-size", "8")
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    net = SPACE.build(result["best_arch"], 10)            # builder checked against the data files' params
    assert result["best_score"] == pytest.approx(sum(p.numel() for p in net.parameters()) / 1e6, abs=1e-9)
    assert result["evaluations"] == 6 and result["lookup"] is False
    # the best of what was scored: every batch's best-so-far is no better than the final one
    assert all(float(row[1]) <= result["best_score"] + 1e-9 for row in _trajectory(out))


def _search_torch(tmp_path, *args):
    out = tmp_path / "torch"
    return main(["search", "--quiet", "--device", "cpu", "--out", str(out), *args]), out


def test_run_searches_nb201_with_a_proxy_that_never_saw_it(tmp_path, capsys):
    out = tmp_path / "main"
    code = main(["run", "--out", str(out), "--evaluations", "4", "--workers", "1", "--quiet"])
    assert code == 0
    result = json.loads((out / "search" / "result.json").read_text())
    assert result["evaluations"] == 4 and result["objective"].startswith("formula ")
    assert result["objective_source"] == "suite-combined-without-nb201" and result["labels"]["space_labels"] == 0
    table = load_table()
    assert result["best_index"] == SPACE.describe(result["best_arch"])["index"]
    for dataset in ("cifar10", "cifar100", "ImageNet16-120"):
        assert result["benchmark"][dataset]["test_accuracy"] == table.accuracy[dataset][result["best_index"]]
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "labels of nb201 the objective saw: 0 (zero-shot)" in printed
    assert "TE-NAS" in printed                            # the published anchors


def test_ctrl_c_stops_cleanly_and_still_writes_results(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    out = tmp_path / "interrupted"
    proc = subprocess.Popen([sys.executable, "-m", "zcgp.scripts.cli", "search", "--objective", "params",
                             "--minutes", "5", "--batch", "1", "--quiet", "--device", "cpu", "--out", str(out)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509
    time.sleep(12)                                   # past start-up, inside the search loop
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "(interrupted)" in stdout
    result = json.loads((out / "result.json").read_text())
    assert result["interrupted"] and result["stop_reason"] == "interrupted" and result["evaluations"] >= 1


PROXY_JSON = {"formula": "add(nwot, synflow)", "terminals": ["nwot", "synflow"], "transform": "rank"}


def test_bench_search_lookup_mode_compares_objectives(tmp_path, capsys):
    (tmp_path / "proxy.json").write_text(json.dumps(PROXY_JSON))
    proxy_file = tmp_path / "proxy.py"
    proxy_file.write_text("raise SystemExit('never imported')\n")
    out = tmp_path / "bench.json"
    assert main(["bench", "search", "--proxy", str(proxy_file), "--lookup", "--evaluations", "30",
                 "--seeds", "0,1", "--objectives", "evolved,nwot,random", "--timing-networks", "0",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    rows = {line.split()[0]: line for line in text.splitlines()
            if line.split()[:1] in (["evolved"], ["nwot"], ["random"])}
    assert set(rows) == {"evolved", "nwot", "random"}
    runs = json.loads(out.read_text())["runs"]
    assert len(runs) == 6 and all(r["evaluations"] == 30 for r in runs)
    nwot_runs = [r for r in runs if r["objective"] == "nwot"]
    mean = np.mean([r["accuracy"] for r in nwot_runs])
    assert f"{mean:.2f}" in rows["nwot"]
    task = load_tasks("nb201/cifar10")[0]
    val = {SPACE.key(a): v for a, v in zip(task.archs, task.target)}
    assert all(r["accuracy"] == val[SPACE.key(r["best_arch"])] for r in runs)
    assert all(r["percentile"] == pytest.approx(100 * (task.target < r["accuracy"]).mean()) for r in runs)


def test_bench_search_lookup_refuses_a_proxy_the_table_lacks_before_searching(tmp_path, capsys, monkeypatch):
    from zcgp.bench import search as bench_search

    searched = []
    monkeypatch.setattr(bench_search, "search", lambda *a, **k: searched.append(a))
    out = tmp_path / "bench.json"
    code = main(["bench", "search", "--space", "nb101", "--lookup", "--minutes", "0.02", "--seeds", "0",
                 "--objectives", "flops,nwot,random", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "nb101/cifar10 table has no values for nwot" in err and "\n" not in err
    assert searched == [] and not out.exists()


def test_bench_search_keeps_finished_searches_and_stops_at_an_interrupted_one(tmp_path, capsys, monkeypatch):
    from zcgp.bench import search as bench_search

    real, results = bench_search.search, []

    def cut_short(*args, **kwargs):
        result = real(*args, **kwargs)
        results.append(result)
        result.interrupted = len(results) == 2          # what Ctrl-C leaves of the second search
        return result

    monkeypatch.setattr(bench_search, "search", cut_short)
    out = tmp_path / "bench.json"
    code = main(["bench", "search", "--lookup", "--minutes", "0.02", "--seeds", "0,1,2", "--objectives", "nwot,flops",
                 "--population", "5", "--sample-size", "2", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 130 and len(results) == 2
    assert "interrupted during the search of nwot seed 1 (not recorded)" in err
    assert f"the 1 finished search(es) are in {out}" in err
    saved = json.loads(out.read_text())
    assert saved["complete"] is False
    assert [(r["objective"], r["seed"]) for r in saved["runs"]] == [("nwot", 0)]
    assert main(["bench", "search", "--from", str(out)]) == 0
    text = capsys.readouterr().out
    assert "incomplete, 1 finished search(es)" in text
    assert [line.split()[0] for line in text.splitlines() if line.startswith("nwot")] == ["nwot"]


def test_bench_search_time_mode_runs_user_paths(tmp_path, capsys):
    run = tmp_path / "run"
    assert zcgp_main(["evolve", "--tasks", "nb201", "--population", "40", "--generations", "2", "--quiet",
                      "--out", str(run)]) == 0
    out = tmp_path / "bench.json"
    assert main(["bench", "search", "--proxy", f"ev={run}", "--lookup", "--minutes", "0.02", "--seeds", "0,1",
                 "--objectives", "ev,ev:best,nwot", "--population", "5", "--sample-size", "2",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    rows = {line.split()[0]: line for line in text.splitlines() if line.split()[:1] in (["ev"], ["ev:best"], ["nwot"])}
    assert set(rows) == {"ev", "ev:best", "nwot"}
    saved = json.loads(out.read_text())
    runs = saved["runs"]
    assert saved["complete"] is True
    assert len(runs) == 6 and all(r["seconds"] <= 0.02 * 60 + 2.0 for r in runs)
    assert {r["info"]["pick"]["chosen"] for r in runs if r["objective"] == "ev:best"} == {"best"}
    task = load_tasks("nb201/cifar10")[0]
    val = {SPACE.key(a): v for a, v in zip(task.archs, task.target)}
    nwot = [val[SPACE.key(r["best_arch"])] for r in runs if r["objective"] == "nwot"]
    assert f"{np.mean(nwot):.2f} +/- {np.std(nwot):.2f}" in rows["nwot"]


def test_dataset_picks_the_table_task_and_the_reported_accuracy(tmp_path):
    code, out = _search(tmp_path, "--objective", "nwot", "--evaluations", "60", "--seed", "3", "--dataset", "cifar100")
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    assert result["dataset"] == "cifar100"
    # the score is the cifar100 file's nwot of the found network (the cifar10 file's differs)
    by_task = {}
    for task in load_tasks("nb201/cifar10,nb201/cifar100"):
        by_task[task.id] = dict(zip((SPACE.normalize(a) for a in task.archs), task.column("nwot")))
    best = SPACE.normalize(result["best_arch"])
    assert result["best_score"] == pytest.approx(by_task["nb201/cifar100"][best], abs=1e-12)
    assert by_task["nb201/cifar100"][best] != by_task["nb201/cifar10"].get(best)
    # the trajectory reports cifar100 accuracies
    table = load_table()
    last = (out / "trajectory.csv").read_text().splitlines()[-1].split(",")
    assert float(last[4]) == pytest.approx(table.lookup(last[3], "cifar100"), abs=0.005)


def test_space_option(tmp_path, capsys):
    code, out = _search(tmp_path, "--objective", "random", "--evaluations", "5", "--space", "nb201")
    assert code == 0 and json.loads((out / "result.json").read_text())["space"] == "nb201"
    code, _ = _search(tmp_path / "other", "--objective", "random", "--evaluations", "5", "--space", "nb999")
    err = capsys.readouterr().err.strip()
    assert code == 2 and "unknown search space 'nb999'" in err and "\n" not in err


def test_sample_size_option(tmp_path, capsys):
    traces = {}
    for size in ("1", "50"):
        out = tmp_path / size
        assert main(["search", "--lookup", "--quiet", "--objective", "nwot", "--evaluations", "120",
                     "--population", "50", "--sample-size", size, "--seed", "0", "--out", str(out)]) == 0
        traces[size] = _trajectory(out)
    assert traces["1"][:7] == traces["50"][:7]           # the same random initial population
    assert traces["1"] != traces["50"]                   # then different parents
    code, _ = _search(tmp_path, "--objective", "nwot", "--evaluations", "5", "--population", "5", "--sample-size", "6")
    assert code == 2 and "1 <= sample size <= population, got 5, 6" in capsys.readouterr().err


def test_lookup_search_imputes_a_terminal_the_table_lacks(tmp_path):
    # nb101's table has no nwot: an imputing formula scores with nwot's neutral value, so
    # min(flops, nwot) tops out at 0.5 and its plateau is ordered by flops (the tie-break)
    formula = zcgp.Proxy("min(flops, nwot)", missing="impute")
    task = load_tasks("nb101/cifar10")[0]
    assert "nwot" not in task.proxies
    space = get_space("nb101")
    measure = SharedMeasure(TableMeasure(task, space, ("flops",)), space)
    objective = FormulaObjective(formula, measure, measure(list(task.archs[:100])))
    assert objective.names == ("flops",)
    scores = objective(list(task.archs[100:300]))
    flops = task.column("flops")[100:300]
    assert scores.max() == pytest.approx(0.5)
    top = scores > 0.5 - 1e-6
    assert 50 < top.sum() < 200
    ref = np.sort(task.column("flops")[:100])            # the tie-break: flops' rank in the reference
    rank = (np.searchsorted(ref, flops[top], "left") + np.searchsorted(ref, flops[top], "right"))
    assert np.all(np.diff(rank[np.argsort(scores[top], kind="stable")]) >= 0)
    # the same formula without imputation refuses, naming the lacking terminal
    with pytest.raises(ZcgpError, match="lacks nwot"):
        FormulaObjective(zcgp.Proxy("min(flops, nwot)", missing="exclude"), measure)
    result = zcgp.search("nb101", formula, evaluations=60, lookup=True, population=20, seed=0)
    assert result.info["imputed"] == ["nwot"] and result.evaluations == 60
    assert result.benchmark["cifar10"]["val_accuracy"] > 0


def test_table_measure_reads_another_column_on_demand():
    task = load_tasks("nb201/cifar10")[0]
    measure = TableMeasure(task, SPACE, ("nwot",))
    values = measure(list(task.archs[:5]), ("synflow",))
    assert np.array_equal(values["synflow"], task.column("synflow")[:5])
    with pytest.raises(ZcgpError, match="no values for bogus"):
        measure(list(task.archs[:5]), ("bogus",))


def test_a_combined_transfer_searches_with_the_run_adapted_on_the_other_spaces_labels():
    from zcgp.adapting import COMBINE_PROXIES
    from zcgp.bench.search import transfer_searches

    options = {"population": 30, "generations": 2}
    space = get_space("nb301")
    plain, combined = (transfer_searches(space, [0], minutes=0.01, task="cifar10", lookup=True, workers=1,
                                         evolve_options=options, combine=c)[0] for c in (None, "combine-weighted"))
    others = ["nb101", "nb201", "tnb101_micro", "tnb101_macro"]
    assert plain["run_formula"] == combined["run_formula"] and combined["evolved_on"] == others
    run = zcgp.evolve(",".join(others), seed=0, **options)
    expected = zcgp.adapt(run, zcgp.load_tasks(others), method="combine-weighted", proxies=list(COMBINE_PROXIES))
    assert combined["info"]["formula"] == expected.proxy.formula != plain["info"]["formula"]
    assert combined["info"]["labels"]["space_labels"] == 0 and not combined["info"]["labels"]["in_distribution"]


@pytest.mark.slow
def test_run_evolve_builds_the_combined_proxy_on_the_spot(tmp_path):
    out = tmp_path / "main"
    assert main(["run", "--evolve", "--out", str(out), "--evaluations", "4", "--workers", "1", "--quiet"]) == 0
    combined = zcgp.Proxy(out / "evolve" / "combined.json")
    assert combined.formula == zcgp.Proxy("suite-combined-without-nb201").formula     # seed 0, as shipped
    result = json.loads((out / "search" / "result.json").read_text())
    assert combined.formula in result["objective"]
    assert result["labels"]["space_labels"] == 0 and "nb201" not in combined.info["labels"]["spaces"]
