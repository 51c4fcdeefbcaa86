import json
import subprocess
import sys

import pytest

from tests.conftest import REPO
from zcgp.scripts.cli import COMMANDS, main


def _run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False)


# the commands the README documents, written out here (not read from the CLI's own table)
DOCUMENTED = ("run", "tasks", "baselines", "evolve", "export", "evaluate", "proxies", "adapt", "predict", "suite",
              "search", "bench")


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.split("commands:\n", 1)[1].splitlines() if line.startswith("  ")]
    assert listed == list(DOCUMENTED)
    for name in DOCUMENTED:                       # and each one answers its own --help
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0 and capsys.readouterr().out.startswith(f"usage: zcgp {name}")
    assert set(COMMANDS) == set(DOCUMENTED)


def test_baselines_prints_all_tasks_and_writes_outputs(tmp_path, capsys):
    assert main(["baselines", "--tasks", "all", "--metric", "kendall", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "test kendall (19 tasks)" in out and out.count("\n") > 22
    mean_line = next(line for line in out.splitlines() if line.startswith("mean"))
    assert len(mean_line.split()) == 15           # mean + 12 proxies + best + linear
    payload = json.loads((tmp_path / "baselines.json").read_text())
    assert len(payload["tasks"]) == 19
    from zcgp.fitness import load_tasks
    from zcgp.fitness.baselines import task_baselines
    linear = [task_baselines(t)["linear_rank"]["test"]["kendall"] for t in load_tasks("all")]
    assert [row["linear_rank"]["test"]["kendall"] for row in payload["tasks"]] == linear
    assert payload["mean_test"]["kendall"]["linear_rank"] == pytest.approx(sum(linear) / 19, abs=1e-12)
    assert f"{sum(linear) / 19:.3f}" in mean_line
    csv_lines = (tmp_path / "baselines.csv").read_text().splitlines()
    assert csv_lines[0] == "task,method,split,kendall,spearman" and len(csv_lines) > 19 * 2 * 10


def test_script_file_and_console_command_agree():
    via_script = _run("scripts/baselines.py", "--tasks", "nb201", "--metric", "kendall")
    via_module = _run("-m", "zcgp.scripts.cli", "baselines", "--tasks", "nb201", "--metric", "kendall")
    assert via_script.returncode == 0
    def strip(s):
        return [line for line in s.splitlines() if " s" not in line[-6:]]

    assert strip(via_script.stdout) == strip(via_module.stdout)


@pytest.mark.parametrize("args, message", [
    (["--tasks", "nb999"], "unknown task 'nb999'"),
    (["--tasks", ","], "empty task selection"),
    (["--data-dir", "/nonexistent/dir"], "data directory not found"),
    (["--train-fraction", "2"], "train fraction must lie in (0, 1)"),
])
def test_bad_input_is_one_line_exit_2(args, message, capsys):
    assert main(["baselines", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and err.startswith("zcgp baselines: error:")


def test_corrupt_and_missing_files_are_one_line_errors(data_copy, capsys):
    (data_copy / "zc_transbench101_macro.json").write_bytes(b'{"class_scene": {"(1, 2')
    assert main(["baselines", "--data-dir", str(data_copy), "--tasks", "tnb101_macro"]) == 2
    err = capsys.readouterr().err.strip()
    assert "corrupt JSON" in err and "zc_transbench101_macro.json" in err and "\n" not in err
    (data_copy / "zc_nasbench201.json").write_text(json.dumps(
        {"cifar10": {str(i): {"val_accuracy": i, "synflow": {"score": -1e8}} for i in range(10)}}))
    assert main(["baselines", "--data-dir", str(data_copy), "--tasks", "nb201"]) == 2
    err = capsys.readouterr().err
    assert "task nb201/cifar10" in err and "no usable proxy" in err
    (data_copy / "zc_nasbench301.json").unlink()
    proc = _run("-m", "zcgp.scripts.cli", "baselines", "--data-dir", str(data_copy), "--tasks", "nb301")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "data file missing" in proc.stderr
