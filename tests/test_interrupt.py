"""SIGINT / SIGTERM stop evolve at a generation boundary with a checkpoint and the exact
--resume line; the resumed run ends exactly where an uninterrupted one does."""

import json
import os
import shlex
import signal
import subprocess
import sys
import time

import pytest

from zcgp.errors import Interrupted
from zcgp.fitness.sources import load_tasks
from zcgp.gp.checkpoint import load_checkpoint, save_checkpoint
from zcgp.gp.dataset import Dataset, select_terminals
from zcgp.gp.evolution import Engine
from zcgp.gp.interrupt import stop_on_signals
from zcgp.gp.settings import GPConfig
from zcgp.scripts.cli import main

SMALL = ["--tasks", "nb201/cifar10", "--population", "20", "--no-plots", "--quiet"]


@pytest.fixture(scope="module")
def dataset():
    tasks = load_tasks("nb201/cifar10")
    terms, _ = select_terminals(tasks, "impute")
    return Dataset.build(tasks, terms, "train", missing="impute")


def _summary(engine):
    return engine.best, [e.key for e in engine.hof], [str(i) for i in engine.population]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_at_the_boundary_and_resume_matches(dataset, tmp_path, signum):
    config = GPConfig(population=60, generations=6, seed=2)
    reference = Engine(dataset, config).run()

    def checkpoint(engine):
        save_checkpoint(tmp_path, engine.state())
        if engine.generation == 2:
            os.kill(os.getpid(), signum)          # arrives in the middle of the run

    before = signal.getsignal(signum)
    with pytest.raises(Interrupted) as caught, stop_on_signals("zcgp evolve --resume X"):
        Engine(dataset, GPConfig(population=60, generations=6, seed=2)).run(on_generation=checkpoint)
    assert signal.getsignal(signum) is before                  # handlers restored
    assert caught.value.exit_code == 128 + signum and caught.value.generation == 2
    assert str(caught.value).endswith("continue with: zcgp evolve --resume X")
    state = load_checkpoint(tmp_path)
    assert state["generation"] == 2
    resumed = Engine.restore(state, dataset).run()
    assert _summary(resumed) == _summary(reference)


def test_outside_the_block_a_signal_acts_as_usual(dataset):
    def ctrl_c(engine):
        os.kill(os.getpid(), signal.SIGINT)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)   # other tests' libraries may change it
    try:
        with pytest.raises(KeyboardInterrupt):
            Engine(dataset, GPConfig(population=20, generations=3)).run(on_generation=ctrl_c)
    finally:
        signal.signal(signal.SIGINT, before)


def test_sigterm_on_a_real_evolve_process_then_resume(tmp_path, capsys):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "zcgp.scripts.cli", "evolve", *SMALL, "--generations", "80", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "checkpoint.pkl").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted by SIGTERM after generation" in lines[0], err
    command = lines[0].split("continue with: ")[1]
    assert shlex.split(command) == ["zcgp", "evolve", "--resume", str(out)]
    stopped_at = load_checkpoint(out)["generation"]
    assert 0 <= stopped_at < 80
    assert not (out / "result.json").exists()
    assert main(shlex.split(command)[1:] + ["--quiet", "--no-plots"]) == 0
    assert main(["evolve", *SMALL, "--generations", "80", "--out", str(tmp_path / "whole")]) == 0
    resumed = json.loads((out / "result.json").read_text())
    whole = json.loads((tmp_path / "whole" / "result.json").read_text())
    for key in ("best", "hall_of_fame", "pareto_size", "pareto_cost"):
        assert resumed[key] == whole[key]
