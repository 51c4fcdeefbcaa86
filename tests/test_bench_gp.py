"""zcgp bench gp: the gplearn anchor runs the same job and reports real fitness values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

import zcgp
from zcgp.bench.gplearn_anchor import compare
from zcgp.fitness.splits import task_split
from zcgp.gp.dataset import select_terminals
from zcgp.scripts.cli import main


def test_gplearn_anchor_scores_match_scipy():
    pytest.importorskip("gplearn")
    tasks = zcgp.load_tasks("nb201/cifar10,nb201/cifar100")
    ours, theirs = compare(tasks, population=30, generations=1, seed=0)
    assert ours["engine"] == "zcgp" and theirs["engine"] == "gplearn"
    terms, _ = select_terminals(tasks, "exclude")
    for part, key in ((0, "train"), (1, "test")):
        taus = []
        for task in tasks:
            rows = np.sort(task_split(task, 0, 0.2)[part])
            scores = {p: task.values[rows, task.proxies.index(p)] for p in terms}
            x = np.column_stack([zcgp.Proxy("flops", transform="rank").score({"flops": scores[p]}) for p in terms])
            taus.append(kendalltau(theirs["program"].execute(x), task.target[rows]).statistic)
        assert theirs[key] == pytest.approx(np.mean(taus), abs=1e-9)
    assert ours["evaluations"] > 0 and theirs["evaluations"] == 30 * 2
    assert ours["wall_s"] > 0 and theirs["cpu_s"] > 0


def test_bench_gp_against_prints_both_engines(capsys):
    pytest.importorskip("gplearn")
    assert main(["bench", "gp", "--against", "gplearn", "--tasks", "nb201/cifar10", "--population", "20",
                 "--generations", "1", "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "zcgp vs gplearn" in out and "gplearn" in out.splitlines()[-1] and "x CPU" in out
