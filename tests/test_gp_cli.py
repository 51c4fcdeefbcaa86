import csv
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zcgp.gp.checkpoint import MAGIC, load_checkpoint
from zcgp.scripts.cli import main

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--tasks", "nb201", "--population", "80", "--generations", "3", "--seed", "1", "--quiet"]


def zcgp(*args, **kw):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "zcgp.scripts.cli", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, check=False, **kw)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["evolve", *SMALL, "--out", str(out)]) == 0
    return out


def test_evolve_writes_every_output(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {"result.json", "proxy.py", "proxy.json", "hall_of_fame.csv", "pareto.csv", "logbook.csv",
            "checkpoint.pkl", "fitness.png", "test_tau.png"} <= names
    result = json.loads((run_dir / "result.json").read_text())
    assert result["seed"] == 1 and result["config"]["population"] == 80
    assert result["config"]["transform"] == "rank" and result["config"]["missing"] == "impute"
    assert result["config"]["partial_proxies"].startswith("imputed")
    assert result["best"]["formula"] == result["hall_of_fame"][0]["formula"]
    assert len(result["tasks"]) == 3
    for row in result["tasks"]:
        for part in ("train", "test"):
            assert set(row["evolved"][part]) == {"kendall", "spearman"}
        assert {"best_proxy", "linear_rank", "proxies"} <= set(row)
        assert "nwot" in row["proxies"]
    mean_train = sum(r["evolved"]["train"]["kendall"] for r in result["tasks"]) / 3
    assert mean_train == pytest.approx(result["best"]["train_fitness"], abs=1e-12)
    with open(run_dir / "pareto.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["front"] for r in rows} == {"size", "cost"}
    assert set(rows[0]) >= {"fitness", "size", "cost_s", "formula"}
    with open(run_dir / "logbook.csv") as fh:
        assert [int(r["gen"]) for r in csv.DictReader(fh)] == [0, 1, 2, 3]


def test_export_and_evaluate_agree(run_dir, tmp_path, capsys):
    out = tmp_path / "member.py"
    assert main(["export", str(run_dir), "--index", "1", "--out", str(out)]) == 0
    assert out.is_file() and out.with_suffix(".json").is_file()
    assert main(["export", str(run_dir), "--pareto", "cost", "--index", "0", "--out", str(tmp_path / "c.py")]) == 0
    capsys.readouterr()
    result = json.loads((run_dir / "result.json").read_text())
    for source in (str(run_dir), str(run_dir / "proxy.py"), None):
        args = ["evaluate", source] if source else \
            ["evaluate", "--formula", result["best"]["formula_infix"], "--seed", "1"]
        assert main([*args, "--tasks", "nb201", "--metric", "kendall",
                     "--out", str(tmp_path / "e.json"), "--overwrite"]) == 0
        rows = json.loads((tmp_path / "e.json").read_text())["tasks"]
        for mine, theirs in zip(rows, result["tasks"]):
            assert mine["evolved"]["test"]["kendall"] == pytest.approx(theirs["evolved"]["test"]["kendall"], abs=1e-12)
    assert "mean" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["evaluate", "--formula", "nwot*"], "malformed formula"),
    (["evaluate", "--formula", "nwot + bogus"], "unknown terminal 'bogus'"),
    (["evaluate", "--formula", "exp(nwot)"], "unknown function 'exp'"),
    (["evaluate"], "exactly one of"),
    (["evolve", "--tasks", "nb201"], "--out DIR is required"),
    (["evolve", "--tasks", "nope", "--out", "x"], "unknown task"),
    (["evolve", "--tasks", "nb201", "--proxies", "zzz", "--out", "x"], "unknown proxy"),
    (["evolve", "--tasks", "nb201", "--max-depth", "1", "--out", "x"], "--max-depth"),
    (["evolve", "--tasks", "nb201", "--n-jobs", "0", "--out", "x"], "--n-jobs"),
])
def test_bad_input_is_a_one_line_error(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("\n") == 0 and err.startswith(f"zcgp {args[0]}: error:")


def test_bad_checkpoints(tmp_path, run_dir, capsys):
    """Each broken checkpoint gets its own message (hostile pickles: tests/test_gp_checkpoint.py)."""
    good = (run_dir / "checkpoint.pkl").read_bytes()
    cases = {
        "missing": (None, "no checkpoint found: {path}"),
        "truncated": (good[: len(good) // 2], "checkpoint {path} is corrupt: "),
        "garbage": (MAGIC + b"\x80\x05not a pickle at all", "checkpoint {path} is corrupt: "),
        "foreign": (b"PK\x03\x04 some zip file", "checkpoint {path} is corrupt: not a zcgp checkpoint"),
        "class": (MAGIC + pickle.dumps(Path("x")), "checkpoint {path} is corrupt: unexpected object pathlib."),
        "not-a-dict": (MAGIC + pickle.dumps([1, 2]), "checkpoint {path} is corrupt: not a zcgp checkpoint"),
        "wrong-fields": (MAGIC + pickle.dumps({"format": "zcgp-gp-checkpoint", "version": 1, "run": {}}),
                         "checkpoint {path} is corrupt: missing config, dataset, fingerprint, generation"),
    }
    for name, (data, message) in cases.items():
        d = tmp_path / name
        d.mkdir()
        if data is not None:
            (d / "checkpoint.pkl").write_bytes(data)
        assert main(["evolve", "--resume", str(d), "--quiet"]) == 2, name
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0, err
        assert message.format(path=d / "checkpoint.pkl") in err, (name, err)
    state = load_checkpoint(run_dir)
    assert state["generation"] == 3


def test_resume_rejects_conflicting_settings(run_dir, tmp_path, capsys):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    assert main(["evolve", "--resume", str(copy), "--seed", "2", "--quiet"]) == 2
    assert "conflicts with the checkpoint" in capsys.readouterr().err
    # extending a finished run works
    assert main(["evolve", "--resume", str(copy), "--generations", "4", "--quiet", "--no-plots"]) == 0
    assert load_checkpoint(copy)["generation"] == 4


def _strip(logbook_csv: Path):
    with open(logbook_csv) as fh:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(fh)]


def test_resume_after_kill_equals_uninterrupted_run(tmp_path):
    args = ["evolve", "--tasks", "all", "--population", "600", "--generations", "12", "--seed", "3",
            "--quiet", "--no-plots"]
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "zcgp.scripts.cli", *args, "--out", str(killed)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    generation = -1
    while time.time() < deadline and proc.poll() is None:
        try:
            generation = load_checkpoint(killed)["generation"]
        except Exception:  # noqa: BLE001 -- not written yet or mid-replace
            generation = -1
        if generation >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at_kill = load_checkpoint(killed)["generation"]
    assert 2 <= at_kill < 12 and not (killed / "result.json").exists()
    assert zcgp("evolve", "--resume", str(killed), "--quiet", "--no-plots").returncode == 0

    full = tmp_path / "full"
    assert zcgp(*args, "--out", str(full)).returncode == 0
    a, b = (json.loads((d / "result.json").read_text()) for d in (killed, full))
    assert a["best"] == b["best"]
    assert a["hall_of_fame"] == b["hall_of_fame"] and a["pareto_size"] == b["pareto_size"]
    assert a["pareto_cost"] == b["pareto_cost"] and a["tasks"] == b["tasks"]
    assert _strip(killed / "logbook.csv") == _strip(full / "logbook.csv")
    assert (killed / "proxy.py").read_text() == (full / "proxy.py").read_text()


def test_transfer_and_partial_are_recorded(tmp_path):
    out = tmp_path / "transfer"
    assert main(["evolve", "--tasks", "nb201", "--test-tasks", "nb201/cifar10,tnb101_macro/normal",
                 "--population", "60", "--generations", "2", "--missing", "exclude", "--quiet", "--no-plots",
                 "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["config"]["train_tasks"] == ["nb201/cifar10", "nb201/cifar100", "nb201/ImageNet16-120"]
    assert [r["task"] for r in result["tasks"]] == ["nb201/cifar10", "tnb101_macro/normal"]
    assert [r["role"] for r in result["tasks"]] == ["evolved on", "transfer"]
    assert "synflow" in result["config"]["excluded_proxies"]          # absent on the transfer task
    assert all(r["evolved"] is not None for r in result["tasks"])
    out = tmp_path / "partial"
    assert main(["evolve", "--tasks", "nb101,nb201/cifar10", "--missing", "zero", "--population", "60",
                 "--generations", "1", "--quiet", "--no-plots", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert "nwot" in result["config"]["terminals"] and result["config"]["excluded_proxies"] == {}
    assert result["config"]["partial_proxies"].startswith("allowed") and result["config"]["missing"] == "zero"


def test_missing_modes_are_recorded_and_exported(tmp_path, capsys):
    out = tmp_path / "impute"
    assert main(["evolve", "--tasks", "nb101,nb201/cifar10", "--population", "60", "--generations", "1",
                 "--quiet", "--no-plots", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["config"]["missing"] == "impute"                       # the default
    assert {"nwot", "synflow"} <= set(result["config"]["terminals"])
    assert result["config"]["partial_proxies"].startswith("imputed") and not result["config"]["excluded_proxies"]
    assert all(r["evolved"] is not None for r in result["tasks"])
    assert result["tasks"][0]["imputed"] == (["nwot"] if "nwot" in result["best"]["formula"] else [])
    assert "MISSING = 'impute'" in (out / "proxy.py").read_text()
    assert main(["evaluate", str(out / "proxy.py"), "--tasks", "nb101,nb201/cifar10", "--metric", "kendall",
                 "--out", str(tmp_path / "e.json")]) == 0
    rows = json.loads((tmp_path / "e.json").read_text())["tasks"]
    assert [r["evolved"]["test"]["kendall"] for r in rows] == \
        pytest.approx([r["evolved"]["test"]["kendall"] for r in result["tasks"]], abs=1e-12)
    out = tmp_path / "exclude"
    assert main(["evolve", "--tasks", "nb101,nb201/cifar10", "--missing", "exclude", "--population", "60",
                 "--generations", "1", "--quiet", "--no-plots", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert "nwot" in result["config"]["excluded_proxies"] and result["config"]["missing"] == "exclude"
    with pytest.raises(SystemExit):                                    # no legacy aliases
        main(["evolve", "--tasks", "nb201", "--allow-partial", "--out", str(tmp_path / "x")])
    assert "unrecognized arguments: --allow-partial" in capsys.readouterr().err


def test_select_validation_is_recorded_and_resumes_identically(tmp_path):
    args = ["evolve", "--tasks", "nb201", "--population", "60", "--seed", "2", "--quiet", "--no-plots",
            "--select", "validation"]
    full, part = tmp_path / "full", tmp_path / "part"
    assert main([*args, "--generations", "4", "--out", str(full)]) == 0
    assert main([*args, "--generations", "2", "--out", str(part)]) == 0
    assert main(["evolve", "--resume", str(part), "--generations", "4", "--quiet", "--no-plots"]) == 0
    a, b = (json.loads((d / "result.json").read_text()) for d in (full, part))
    assert a["config"]["select"] == "validation" and a["config"]["validation_fraction"] == 0.25
    assert a["best"] == b["best"] and a["select"] == b["select"] and a["tasks"] == b["tasks"]
    cands = a["select"]["candidates"]
    assert a["best"]["formula"] == cands[0]["formula"]
    assert a["best"]["validation_fitness"] == cands[0]["validation_fitness"] == max(
        c["validation_fitness"] for c in cands)
    hof = {e["formula"] for e in a["hall_of_fame"]} | {e["formula"] for e in a["pareto_size"]}
    assert {c["formula"] for c in cands} == hof
    assert 0.3 < a["best"]["validation_fitness"] < 1.0
    # a train-selected run keeps the old record: the hall of fame's best, no validation
    assert main([*args[:-2], "--select", "train", "--generations", "1", "--out", str(tmp_path / "t")]) == 0
    t = json.loads((tmp_path / "t" / "result.json").read_text())
    assert t["config"]["select"] == "train" and t["config"]["validation_fraction"] is None
    assert t["best"]["formula"] == t["hall_of_fame"][0]["formula"] and t["best"]["validation_fitness"] is None
    # the default, inner-loso, has no second space here: the same formula as train
    assert main([*args[:-2], "--generations", "1", "--out", str(tmp_path / "d")]) == 0
    d = json.loads((tmp_path / "d" / "result.json").read_text())
    assert d["config"]["select"] == "inner-loso" and d["best"]["formula"] == t["best"]["formula"]


def test_evolve_help_lists_select(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["evolve", "--help"])
    assert exc.value.code == 0 and "--select {train,validation,inner-loso}" in capsys.readouterr().out
