import json

import numpy as np
import pytest

from zcgp.fitness import load_tasks
from zcgp.scripts.cli import main
from zcgp.scripts.search_objectives import (
    FormulaObjective,
    TableMeasure,
    TableSpace,
    load_formula,
)
from zcgp.spaces.nb201 import SPACE, load_table, to_string

PROXY_FILE = '''
import numpy as np
TERMINALS = ("nwot", "synflow")
TRANSFORM = "rank"
FORMULA = "nwot + synflow"
def _rank(v):
    v = np.asarray(v, dtype=float)
    order = np.argsort(np.argsort(v, kind="stable"), kind="stable")
    return order / max(v.size - 1, 1)
def proxy(scores):
    return _rank(scores["nwot"]) + _rank(scores["synflow"])
'''


@pytest.fixture
def proxy_file(tmp_path):
    path = tmp_path / "proxy.py"
    path.write_text(PROXY_FILE)
    return path


def _search(tmp_path, *args):
    out = tmp_path / "out"
    code = main(["search", "--proxy-source", "table", "--quiet", "--out", str(out), *args])
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
        assert main(["search", "--proxy-source", "table", "--quiet", "--objective", "nwot", "--evaluations", "40",
                     "--seed", str(seed), "--out", str(out)]) == 0
        runs.append((json.loads((out / "result.json").read_text()), _trajectory(out)))
    (first, trace1), (second, trace2), (other, trace3) = runs
    assert first["seed"] == second["seed"] == 1 and other["seed"] == 2
    assert first["best_arch"] == second["best_arch"] and trace1 == trace2 and len(trace1) >= 5
    assert trace1 != trace3


def test_formula_objective_ranks_against_a_fixed_reference(proxy_file):
    module = load_formula(proxy_file)
    task = load_tasks("nb201/cifar10")[0]
    space = TableSpace(SPACE, task.archs)
    measure = TableMeasure(task, SPACE, module.TERMINALS)
    reference = task.archs[:50]
    objective = FormulaObjective(module, measure, reference)
    archs = list(task.archs[100:110])
    together = objective(archs)
    alone = np.array([objective([a])[0] for a in archs])
    np.testing.assert_allclose(together, alone)          # a score does not depend on its batch
    best = archs[int(np.argmax(together))]
    raw = measure([best])
    ref = measure(list(reference))
    expected = ((ref["nwot"] < raw["nwot"][0]).sum() + (ref["synflow"] < raw["synflow"][0]).sum()) / 50
    assert together.max() == pytest.approx(expected)
    assert space.sample(np.random.default_rng(0)) in space.member_set


def test_formula_plateau_is_ordered_by_terminal_consensus(tmp_path):
    path = tmp_path / "plateau.py"
    path.write_text(PROXY_FILE.replace("return _rank(scores[\"nwot\"]) + _rank(scores[\"synflow\"])",
                                       "return np.minimum(0.5, _rank(scores[\"nwot\"]))"))
    module = load_formula(path)
    task = load_tasks("nb201/cifar10")[0]
    measure = TableMeasure(task, SPACE, module.TERMINALS)
    objective = FormulaObjective(module, measure, task.archs[:100])
    archs = list(task.archs[200:260])
    scores = objective(archs)
    raw = measure(archs)
    plateau = np.flatnonzero(np.round(scores, 6) == 0.5)
    assert plateau.size > 5                                   # the clipped formula ties them
    consensus = [(np.sum(np.sort(objective.reference["nwot"]) < raw["nwot"][i])
                  + np.sum(objective.reference["synflow"] < raw["synflow"][i])) for i in plateau]
    assert plateau[np.argmax(scores[plateau])] == plateau[int(np.argmax(consensus))]
    assert np.abs(scores[plateau] - 0.5).max() < 1e-8        # the formula's value is kept


def test_formula_search_end_to_end(tmp_path, proxy_file):
    code, out = _search(tmp_path, "--proxy", str(proxy_file), "--evaluations", "60", "--reference", "32")
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    assert result["objective"].startswith("formula nwot + synflow (ties broken") and result["evaluations"] == 60


@pytest.mark.parametrize("args, message", [
    (["--objective", "nwot", "--evaluations", "5", "--benchmark", "/no/such.csv"], "NB201 table not found"),
    (["--objective", "nwot"], "give a budget"),
    (["--objective", "zzz", "--evaluations", "5"], "unknown proxy 'zzz'"),
    (["--proxy", "/no/such/dir", "--evaluations", "5"], "proxy module not found"),
])
def test_search_bad_input_is_one_line(args, message, capsys):
    assert main(["search", "--proxy-source", "table", "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_proxy_file_with_unknown_terminal(tmp_path, capsys):
    bad = tmp_path / "proxy.py"
    bad.write_text(PROXY_FILE.replace('("nwot", "synflow")', '("nwot", "magic")'))
    assert main(["search", "--proxy", str(bad), "--evaluations", "5", "--quiet"]) == 2
    assert "terminals the proxy module cannot compute: magic" in capsys.readouterr().err
    bad.write_text("TERMINALS = (")
    assert main(["search", "--proxy", str(bad), "--evaluations", "5", "--quiet"]) == 2
    assert "cannot load" in capsys.readouterr().err


def test_table_search_stays_inside_the_table():
    task = load_tasks("nb201/cifar10")[0]
    space = TableSpace(SPACE, task.archs)
    assert len(space.member_set) == len(task.archs) == 725
    rng = np.random.default_rng(0)
    arch = space.sample(rng)
    one_edge = 0
    for _ in range(200):
        child = space.mutate(arch, rng)
        assert child in space.member_set
        distance = sum(a != b for a, b in zip(arch, child))
        neighbours = sum(tuple(arch[:e]) + (op,) + tuple(arch[e + 1:]) in space.member_set
                         for e in range(6) for op in range(5) if op != arch[e])
        # a one-edge neighbour inside the table whenever the table has a few of them
        assert distance == 1 or neighbours <= 3, (arch, child, neighbours)
        one_edge += distance == 1
        arch = child
    assert one_edge > 100


def test_torch_search_computes_proxies_of_real_networks(tmp_path):
    code, out = _search_torch(tmp_path, "--objective", "params", "--evaluations", "6", "--batch-size", "8")
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    net = SPACE.build(result["best_arch"], 10)            # builder checked against the data files' params
    assert result["best_score"] == pytest.approx(sum(p.numel() for p in net.parameters()) / 1e6, abs=1e-9)
    assert result["evaluations"] == 6 and result["proxy_source"] == "torch"
    # the best of what was scored: every batch's best-so-far is no better than the final one
    assert all(float(row[1]) <= result["best_score"] + 1e-9 for row in _trajectory(out))


def _search_torch(tmp_path, *args):
    out = tmp_path / "torch"
    return main(["search", "--quiet", "--device", "cpu", "--out", str(out), *args]), out


def test_run_pipeline_evolves_then_searches(tmp_path, capsys):
    out = tmp_path / "main"
    code = main(["run", "--out", str(out), "--population", "40", "--generations", "2", "--evaluations", "4",
                 "--reference", "4", "--quiet"])
    assert code == 0
    assert (out / "evolve" / "proxy.py").is_file()
    result = json.loads((out / "search" / "result.json").read_text())
    assert result["evaluations"] == 4 and result["objective"].startswith("formula ")
    table = load_table()
    assert result["best_index"] == SPACE.describe(result["best_arch"])["index"]
    for dataset in ("cifar10", "cifar100", "ImageNet16-120"):
        assert result["benchmark"][dataset]["test_accuracy"] == table.accuracy[dataset][result["best_index"]]
    assert "test accuracy" in capsys.readouterr().out


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


def test_bench_search_table_mode_compares_objectives(tmp_path, proxy_file, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "search", "--proxy", str(proxy_file), "--proxy-source", "table", "--evaluations", "30",
                 "--seeds", "0,1", "--objectives", "evolved,nwot,random", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    rows = {line.split()[0]: line for line in text.splitlines() if line.split()[:1] in (["evolved"], ["nwot"], ["random"])}
    assert set(rows) == {"evolved", "nwot", "random"}
    runs = json.loads(out.read_text())["runs"]
    assert len(runs) == 6 and all(r["evaluations"] == 30 for r in runs)
    table = load_table()
    nwot_runs = [r for r in runs if r["objective"] == "nwot"]
    mean = np.mean([r["test_accuracy"]["cifar10"] for r in nwot_runs])
    assert f"{mean:.2f}" in rows["nwot"]
    assert all(r["test_accuracy"]["cifar10"] == table.lookup(r["best_arch"], "cifar10") for r in runs)


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
    code, _ = _search(tmp_path, "--objective", "random", "--evaluations", "5", "--space", "nb999")
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.endswith("unknown search space 'nb999'; known: nb201") and "\n" not in err


def test_sample_size_option(tmp_path, capsys):
    traces = {}
    for size in ("1", "50"):
        out = tmp_path / size
        assert main(["search", "--proxy-source", "table", "--quiet", "--objective", "nwot", "--evaluations", "120",
                     "--population", "50", "--sample-size", size, "--seed", "0", "--out", str(out)]) == 0
        traces[size] = _trajectory(out)
    assert traces["1"][:7] == traces["50"][:7]           # the same random initial population
    assert traces["1"] != traces["50"]                   # then different parents
    code, _ = _search(tmp_path, "--objective", "nwot", "--evaluations", "5", "--population", "5", "--sample-size", "6")
    assert code == 2 and "1 <= sample size <= population, got 5, 6" in capsys.readouterr().err
