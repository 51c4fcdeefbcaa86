"""One writer per output: locks, refusal of existing results, --overwrite."""

import json
import subprocess
import sys

import pytest

from zcgp.errors import ZcgpError
from zcgp.scripts.cli import main
from zcgp.util import claim_dir, claim_file

SMALL = ["--tasks", "nb201/cifar10", "--population", "20", "--generations", "1", "--no-plots", "--quiet"]


def _evolve(out, *extra):
    return main(["evolve", *SMALL, "--out", str(out), *extra])


def _one_error_line(capsys, *needles):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    return err


def test_a_second_writer_of_a_run_directory_gets_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    with claim_dir(out, ("result.json",)):
        assert _evolve(out) == 2
    _one_error_line(capsys, "being written by another zcgp process")
    assert not (out / "result.json").exists()
    assert _evolve(out) == 0            # the lock is gone with its holder


def test_two_evolve_processes_on_one_out_one_wins_untouched(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "zcgp.scripts.cli", "evolve", *SMALL, "--generations", "3", "--out", str(out)]
    procs = [subprocess.Popen([*cmd, "--seed", str(s)], stderr=subprocess.PIPE, text=True) for s in (0, 1)]
    codes = [p.wait(timeout=120) for p in procs]
    errors = [p.stderr.read() for p in procs]
    assert sorted(codes) == [0, 2], (codes, errors)
    loser = errors[codes.index(2)].strip().splitlines()
    assert len(loser) == 1 and ("another zcgp process" in loser[0] or "already holds results" in loser[0])
    result = json.loads((out / "result.json").read_text())
    assert result["seed"] == codes.index(0)              # only the winner's run is there
    assert len(result["hall_of_fame"]) > 0


def test_existing_run_is_refused_unless_overwrite_and_kept_intact(tmp_path, capsys):
    out = tmp_path / "run"
    assert _evolve(out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    capsys.readouterr()
    assert _evolve(out, "--seed", "3") == 2
    _one_error_line(capsys, "already holds results", "--overwrite", "--resume")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert _evolve(out, "--seed", "3", "--overwrite") == 0
    assert json.loads((out / "result.json").read_text())["seed"] == 3


def test_out_naming_a_file_or_an_unwritable_place_is_one_line(tmp_path, capsys):
    afile = tmp_path / "taken.txt"
    afile.write_text("keep me")
    assert _evolve(afile) == 2
    _one_error_line(capsys, "is an existing file, not a directory")
    assert afile.read_text() == "keep me"
    assert _evolve(afile / "below") == 2
    _one_error_line(capsys, "cannot create")


def test_resume_continues_its_own_directory(tmp_path):
    out = tmp_path / "run"
    assert _evolve(out) == 0
    assert main(["evolve", "--resume", str(out), "--generations", "2", "--quiet", "--no-plots"]) == 0
    assert json.loads((out / "result.json").read_text())["timings"]["generations"] == 2


def test_evaluate_and_export_refuse_existing_files(tmp_path, capsys):
    run = tmp_path / "run"
    assert _evolve(run) == 0
    target = tmp_path / "e.json"
    target.write_text("{}")
    assert main(["evaluate", "--formula", "nwot", "--tasks", "nb201/cifar10", "--out", str(target)]) == 2
    _one_error_line(capsys, "exists; pass --overwrite")
    assert target.read_text() == "{}"
    assert main(["evaluate", "--formula", "nwot", "--tasks", "nb201/cifar10", "--out", str(tmp_path)]) == 2
    _one_error_line(capsys, "is a directory")
    assert main(["evaluate", "--formula", "nwot", "--tasks", "nb201/cifar10", "--out", str(target),
                 "--overwrite"]) == 0
    assert json.loads(target.read_text())["formula"] == "nwot"
    assert main(["export", str(run)]) == 0
    before = (run / "proxy_hof0.py").read_bytes()
    capsys.readouterr()
    assert main(["export", str(run)]) == 2
    _one_error_line(capsys, "proxy_hof0.py exists")
    assert (run / "proxy_hof0.py").read_bytes() == before


def test_claims_in_the_library(tmp_path):
    with claim_file(tmp_path / "x.json"), pytest.raises(ZcgpError, match="another zcgp process"), \
            claim_file(tmp_path / "x.json"):
        pass
    with claim_dir(None) as nothing, claim_file(None) as none_either:
        assert nothing is None and none_either is None
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.csv").write_text("old")
    with pytest.raises(ZcgpError, match="already holds results"), claim_dir(tmp_path / "d", ("a.csv",)):
        pass
    with claim_dir(tmp_path / "d", ("a.csv",), overwrite=True):
        assert not (tmp_path / "d" / "a.csv").exists()     # removed: no mix of old and new
