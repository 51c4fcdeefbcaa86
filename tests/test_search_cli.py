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

def write_proxy(directory, formula="add(nwot, synflow)", terminals=("nwot", "synflow")):
    """An exported proxy: proxy.py (never imported by zcgp: importing it would fail) and the
    JSON description zcgp reads."""
    path = directory / "proxy.py"
    path.write_text("raise SystemExit('zcgp must never import proxy.py')\n")
    path.with_suffix(".json").write_text(json.dumps({"formula": formula, "terminals": list(terminals),
                                                     "transform": "rank"}))
    return path


@pytest.fixture
def proxy_file(tmp_path):
    return write_proxy(tmp_path)


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


def test_search_is_reproducible_per_seed(tmp_path):
    picks = []
    for seed in (1, 1, 2):
        _search(tmp_path, "--objective", "random", "--evaluations", "40", "--seed", str(seed), "--overwrite")
        picks.append(json.loads((tmp_path / "out" / "result.json").read_text())["best_arch"])
    assert picks[0] == picks[1] and picks[0] != picks[2]


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
    module = load_formula(write_proxy(tmp_path, "fmin(0.5, fmin(nwot, add(synflow, 1.0)))"))
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
    assert result["objective"].startswith("formula add(nwot, synflow) (ties broken") and result["evaluations"] == 60


@pytest.mark.parametrize("args, message", [
    (["--objective", "nwot", "--evaluations", "5", "--benchmark", "/no/such.csv"], "NB201 table not found"),
    (["--objective", "nwot"], "give a budget"),
    (["--objective", "zzz", "--evaluations", "5"], "unknown proxy 'zzz'"),
    (["--proxy", "/no/such/dir", "--evaluations", "5"], "proxy not found"),
])
def test_search_bad_input_is_one_line(args, message, capsys):
    assert main(["search", "--proxy-source", "table", "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_proxy_file_with_unknown_terminal(tmp_path, capsys):
    bad = write_proxy(tmp_path, "add(nwot, magic)", ("nwot", "magic"))
    assert main(["search", "--proxy", str(bad), "--evaluations", "5", "--quiet"]) == 2
    assert "terminals the proxy module cannot compute: magic" in capsys.readouterr().err
    bad.with_suffix(".json").write_text('{"formula": "add(nwot, ')
    assert main(["search", "--proxy", str(bad), "--evaluations", "5", "--quiet"]) == 2
    assert "not a readable zcgp proxy description" in capsys.readouterr().err


def test_table_search_stays_inside_the_table():
    task = load_tasks("nb201/cifar10")[0]
    space = TableSpace(SPACE, task.archs)
    rng = np.random.default_rng(0)
    arch = space.sample(rng)
    for _ in range(200):
        arch = space.mutate(arch, rng)
        assert arch in space.member_set
    assert to_string(arch).startswith("|")


def test_torch_search_computes_proxies_of_real_networks(tmp_path):
    code, out = _search_torch(tmp_path, "--objective", "params", "--evaluations", "6", "--batch-size", "8")
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    params_in_files = {SPACE.normalize(a): v for a, v in zip(*_nb201_params())}
    best = SPACE.normalize(result["best_arch"])
    if best in params_in_files:                       # same network builder as the data files
        assert result["best_score"] == pytest.approx(params_in_files[best], abs=1e-6)
    assert result["evaluations"] == 6 and result["proxy_source"] == "torch"


def _search_torch(tmp_path, *args):
    out = tmp_path / "torch"
    return main(["search", "--quiet", "--device", "cpu", "--out", str(out), *args]), out


def _nb201_params():
    task = load_tasks("nb201/cifar10")[0]
    return task.archs, task.column("params")


def test_run_pipeline_evolves_then_searches(tmp_path, capsys):
    out = tmp_path / "main"
    code = main(["run", "--out", str(out), "--population", "40", "--generations", "2", "--evaluations", "4",
                 "--reference", "4", "--quiet"])
    assert code == 0
    assert (out / "evolve" / "proxy.py").is_file()
    result = json.loads((out / "search" / "result.json").read_text())
    assert result["evaluations"] == 4 and result["objective"].startswith("formula ")
    assert 0 < result["benchmark"]["cifar10"]["test_accuracy"] < 95
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
