"""`zcgp search` on every space: lookup mode reports the table's true accuracy, torch mode
builds and scores real networks and says when the found one is not in the table."""

import json

import numpy as np
import pytest

from zcgp.fitness import load_tasks
from zcgp.scripts.cli import main
from zcgp.spaces import get_space

SPACES = {"nb101": "cifar10", "nb301": "cifar10", "tnb101_micro": "class_scene", "tnb101_macro": "class_object"}


@pytest.mark.parametrize("name", list(SPACES))
def test_lookup_search_reports_the_tables_accuracy(name, tmp_path):
    out = tmp_path / name
    assert main(["search", "--space", name, "--dataset", SPACES[name], "--lookup", "--formula", "snip + l2_norm",
                 "--evaluations", "40", "--quiet", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    space, task = get_space(name), load_tasks(f"{name}/{SPACES[name]}")[0]
    rows = {space.key(a): i for i, a in enumerate(task.archs)}
    row = rows[result["best_key"]]
    entry = result["benchmark"][SPACES[name]]
    assert entry["val_accuracy"] == task.target[row]
    assert entry["percentile"] == pytest.approx(100 * (task.target < task.target[row]).mean())
    assert result["evaluations"] == 40 and space.normalize(result["best_table_arch"]) in {
        space.normalize(a) for a in task.archs}


@pytest.mark.parametrize("name", list(SPACES))
def test_torch_search_scores_built_networks(name, tmp_path, capsys):
    out = tmp_path / name
    assert main(["search", "--space", name, "--dataset", SPACES[name], "--objective", "params", "--evaluations", "3",
                 "--batch", "3", "--population", "3", "--sample-size", "1", "--device", "cpu", "--quiet",
                 "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    space = get_space(name)
    classes = space.tasks[SPACES[name]][0]
    arch = space.normalize(result["best_table_arch"])
    assert result["best_score"] == pytest.approx(space.param_count(arch, classes) / 1e6, rel=1e-9)
    assert space.normalize(result["best_arch"]) == arch
    text = capsys.readouterr().out
    if result["benchmark"] == "not in the table":
        assert "benchmark: not in the table" in text
    else:
        assert "val accuracy" in text and np.isfinite(result["benchmark"][SPACES[name]]["val_accuracy"])


def test_proxies_command_reads_table_arch_strings_of_every_space(tmp_path):
    for name, task in SPACES.items():
        table = load_tasks(f"{name}/{task}")[0]
        archs = list(table.archs[:2])
        (tmp_path / "archs.txt").write_text("\n".join(archs) + "\n")
        out = tmp_path / f"{name}.csv"
        assert main(["proxies", "--space", name, "--task", task, "--arch-file", str(tmp_path / "archs.txt"),
                     "--names", "params", "--quiet", "--out", str(out)]) == 0
        lines = out.read_text().splitlines()
        assert lines[0] == "arch,table_arch,key,params"
        params = [float(line.rsplit(",", 1)[1]) for line in lines[1:]]
        np.testing.assert_allclose(params, table.column("params")[:2], rtol=1e-6)


def test_proxy_agreement_on_a_table_matches_exact_counts():
    from zcgp.bench.proxy_agreement import exact_params, proxy_agreement

    space = get_space("nb301")
    assert exact_params(space, "cifar10") == (725, 0.0)
    found = proxy_agreement(space, "cifar10", ("params", "flops"), archs=5, batch_size=2, seed=3)
    assert found.networks == 5 and found.failures == 0 and found.cpu_seconds_per_network > 0
    assert [r["spearman_table"] for r in found.rows] == [pytest.approx(1.0), pytest.approx(1.0)]
    assert found.rows[0]["median_ours"] == pytest.approx(found.rows[0]["median_table"], rel=1e-6)
    # a formula over the measured values: Spearman with the accuracy as scipy gives it
    from scipy import stats

    from zcgp.bench.proxy_agreement import formula_accuracy
    from zcgp.proxy import Proxy

    formula = Proxy("sub(params, flops)")         # on ranks (the rank transform), as the engine does
    ranks = stats.rankdata(found.values["params"]) - stats.rankdata(found.values["flops"])
    by_hand = stats.spearmanr(ranks, found.accuracy).statistic
    assert formula_accuracy(found, formula) == pytest.approx(by_hand)
    assert found.accuracy.shape == (5,) and np.all(found.accuracy > 0)
