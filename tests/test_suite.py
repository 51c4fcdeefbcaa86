"""The shipped suite proxies: every file parses, has its provenance and scores as recorded;
one regenerates from its recorded command to the identical formula (slow)."""

from __future__ import annotations

import json

import pytest

import zcgp
from zcgp.adapting import COMBINE_METHOD, COMBINE_PROXIES
from zcgp.nas.shipped import (
    COMBINED_NAMES,
    SHIPPED_NAMES,
    SUITE_NAMES,
    default_for,
    evolved_for,
    evolved_name,
    held_out_space,
    read_shipped,
    shipped_path,
    suite_tasks,
)
from zcgp.proxy import Proxy
from zcgp.scripts.cli import main
from zcgp.suite import COMBINE_METRIC, suite_scores

PROVENANCE = {"command", "zcgp_version", "tasks", "held_out_space", "seed", "train_fraction", "settings", "labels"}


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_every_shipped_suite_proxy_parses_has_provenance_and_scores_as_recorded(name):
    data = read_shipped(name)
    assert set(data["provenance"]) >= PROVENANCE
    provenance = data["provenance"]
    assert provenance["command"] == f"zcgp suite {name} --seed {provenance['seed']} --out DIR"
    assert provenance["held_out_space"] == held_out_space(name)
    held = held_out_space(name)
    expected = [t.id for t in zcgp.load_tasks(suite_tasks(name))]
    assert provenance["tasks"] == expected
    assert held is None or held not in provenance["labels"]["spaces"]           # never saw it
    proxy = Proxy(name)
    assert proxy.formula == data["formula_infix"] and proxy.info["labels"] == provenance["labels"]
    combined = name in COMBINED_NAMES
    scores = suite_scores(proxy, provenance["seed"], provenance["train_fraction"], set(provenance["tasks"]),
                          seen_split="all" if combined else "test")
    for task, row in data["scores"]["per_task"].items():
        for metric in ("kendall", "spearman", "top10"):
            assert scores["per_task"][task][metric] == pytest.approx(row[metric], abs=1e-12), (task, metric)
    assert set(scores["held_out"]) == ({held} if held else set())
    assert provenance["settings"]["metric"] == (COMBINE_METRIC if combined else "kendall")
    if combined:                          # a formula evolved for the top, combined on every label of the same tasks
        evolved = Proxy(provenance["combine"]["evolved_formula"])
        assert provenance["combine"]["metric"] == COMBINE_METRIC and provenance["combine"]["method"] == COMBINE_METHOD
        assert evolved.formula in proxy.formula
        assert set(proxy.terminals) <= {*evolved.terminals, *COMBINE_PROXIES}
        assert provenance["tasks"] == read_shipped(evolved_name(name))["provenance"]["tasks"]
        every = {}
        for task in zcgp.load_tasks(provenance["tasks"]):
            assert provenance["labels"]["tasks"][task.id] == task.n
            every.setdefault(task.space, set()).update(task.archs)
        assert provenance["labels"]["spaces"] == {s: len(a) for s, a in every.items()}
        assert all(row["split"] == "all" for row in data["scores"]["per_task"].values())


def test_a_search_with_no_objective_uses_the_suite_proxy_that_never_saw_the_space():
    found = zcgp.search("nb301", evaluations=8, population=4, sample_size=2, lookup=True)
    assert found.info["default_objective"] and found.info["objective_source"] == "suite-combined-without-nb301"
    assert found.info["labels"]["space_labels"] == 0 and found.info["labels"]["in_distribution"] is False
    assert default_for("myspace") == "suite-combined" and evolved_for("myspace") == "suite"
    assert evolved_for("nb301") == "suite-without-nb301" == evolved_name("suite-combined-without-nb301")


def test_suite_proxies_are_read_by_name_everywhere(capsys):
    assert main(["evaluate", "suite", "--tasks", "nb201/cifar10", "--metric", "kendall"]) == 0
    assert "formula:" in capsys.readouterr().out
    assert main(["suite", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in SHIPPED_NAMES) and len(SHIPPED_NAMES) == 2 * len(SUITE_NAMES)
    with pytest.raises(zcgp.ZcgpError, match="unknown suite proxy"):
        shipped_path("suite-without-nb999")


@pytest.mark.slow
def test_a_suite_proxy_regenerates_from_its_recorded_command(tmp_path):
    name = "suite-combined-without-nb201"                  # evolves for the top, then combines
    recorded = read_shipped(name)
    command = recorded["provenance"]["command"].split()[1:]
    assert main([*command[:-1], str(tmp_path), "--quiet"]) == 0
    again = json.loads((tmp_path / f"{name}.json").read_text())
    assert again["formula"] == recorded["formula"] and again["provenance"]["labels"] == recorded["provenance"]["labels"]
    for task, row in recorded["scores"]["per_task"].items():
        assert again["scores"]["per_task"][task] == pytest.approx(row, abs=1e-12)
    assert again["provenance"]["combine"] == recorded["provenance"]["combine"]
