"""A blend fitted on labels given with it: any objective, the labels counted once."""

import json

import numpy as np
import pytest

import zcgp
from zcgp.bench.search import drawn_rows
from zcgp.errors import ZcgpError
from zcgp.scripts.cli import main

OPTIONS = {"evaluations": 20, "population": 8, "sample_size": 3, "lookup": True}


@pytest.fixture(scope="module")
def labeled():
    task = zcgp.load_tasks("nb201/cifar10")[0]
    rows = drawn_rows(task, 30, 0)
    return task, rows, [(task.archs[i], float(task.target[i])) for i in rows]


def test_a_zero_shot_objective_blended_on_given_labels_counts_them_and_sets_them_beside(labeled):
    task, rows, pairs = labeled
    plain = zcgp.search("nb201", "nwot", **OPTIONS)
    found = zcgp.search("nb201", "nwot", blend="ridge", labels=pairs, **OPTIONS)
    assert plain.info["labels"]["space_labels"] == 0
    assert found.info["blend"]["labels"] == 30 and found.info["blend"]["labeled_task"] == "given"
    assert found.info["labels"]["space_labels"] == 30 and found.info["labels"]["in_distribution"]
    assert "given" in found.info["labels"]["tasks"]
    best = max(pairs, key=lambda p: p[1])
    assert found.info["labels_alone"]["val_accuracy"] == pytest.approx(best[1])
    assert found.best_score != plain.best_score


def test_an_adapted_proxys_own_labels_given_again_are_counted_once(labeled):
    task, rows, pairs = labeled
    adapted = zcgp.adapt("suite-without-nb201", [task.subset(rows)], method="combine-weighted",
                         proxies=["synflow", "flops"]).proxy
    found = zcgp.search("nb201", adapted, blend="ridge", labels=pairs, pick="best", **OPTIONS)
    assert found.info["labels"]["space_labels"] == 30 and found.info["labels"]["blend_labels"] == 30
    more = pairs + [(task.archs[i], float(task.target[i])) for i in np.setdiff1d(np.arange(60), rows)[:5]]
    assert zcgp.search("nb201", adapted, blend="ridge", labels=more, pick="best",
                       **OPTIONS).info["labels"]["space_labels"] == 35


def test_a_formula_given_as_text_blended_on_given_labels_saw_an_unknown_count_at_least_theirs(labeled, tmp_path,
                                                                                            capsys):
    _, _, pairs = labeled
    found = zcgp.search("nb201", "nwot + synflow", blend="ridge", labels=pairs, **OPTIONS)
    labels = found.info["labels"]
    assert labels["space_labels"] is None and labels["blend_labels"] == 30 and labels["in_distribution"] is True
    assert found.info["labels_alone"]["val_accuracy"] == pytest.approx(max(v for _, v in pairs))
    common = ["search", "--formula", "nwot + synflow", "--blend", "ridge", "--lookup", "--evaluations", "20",
              "--population", "8", "--sample-size", "3", "--quiet"]
    assert main(common) == 2                               # a text formula lists no labels to fit on
    assert "blend needs labeled architectures of nb201" in capsys.readouterr().err
    table = tmp_path / "trained.csv"
    table.write_text("arch,accuracy\n" + "\n".join(f'"{a}",{v}' for a, v in pairs) + "\n")
    assert main([*common, "--labels", str(table)]) == 0
    assert ("labels of nb201 the objective saw: unknown (at least the 30 given to the blend, a formula given "
            "as text)") in capsys.readouterr().out


def test_labels_need_a_predictor_or_a_blend_and_cv_needs_the_shipped_tables(labeled, tmp_path, capsys):
    _, _, pairs = labeled
    with pytest.raises(ZcgpError, match="labels are what a predictor or a blend is fitted on"):
        zcgp.search("nb201", "nwot", labels=pairs, **OPTIONS)
    with pytest.raises(ZcgpError, match="a cross-validated blend weight reads the labeled architectures' proxies"):
        zcgp.search("nb201", "nwot", blend="ridge", blend_weight="cv", labels=pairs, **OPTIONS)
    table = tmp_path / "trained.csv"
    table.write_text("arch,accuracy\n" + "\n".join(f'"{a}",{v}' for a, v in pairs) + "\n")
    common = ["search", "--objective", "nwot", "--lookup", "--evaluations", "20", "--population", "8",
              "--sample-size", "3", "--quiet"]
    assert main([*common, "--labels", str(table)]) == 2
    assert "give --predictor NAME or --blend NAME with them" in capsys.readouterr().err
    out = tmp_path / "out"
    assert main([*common, "--blend", "ridge", "--labels", str(table), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"fitted on the 30 labeled architectures of {table}" in printed
    assert "labels of nb201 the objective saw: 30 (in distribution)" in printed
    assert json.loads((out / "result.json").read_text())["labels"]["space_labels"] == 30
