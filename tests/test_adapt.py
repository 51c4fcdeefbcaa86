"""zcgp.adapt: a proxy adapted on k labeled architectures, read from the labels only."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import zcgp
from zcgp.adapting import ADAPT_METHODS
from zcgp.fitness.rank import RankTarget
from zcgp.fitness.splits import split_indices
from zcgp.fitness.table import write_csv
from zcgp.scripts.cli import main


@pytest.fixture(scope="module")
def labeled():
    task = zcgp.load_tasks("nb301/cifar10")[0]
    rows = np.sort(np.random.default_rng(0).choice(task.n, 30, replace=False))
    return task, task.subset(rows)


@pytest.mark.parametrize("method", ADAPT_METHODS)
def test_every_method_reads_only_the_labels(labeled, method):
    task, labels = labeled
    adapted = zcgp.adapt("min(flops, nwot)", [labels], method=method, seed=1)
    again = zcgp.adapt("min(flops, nwot)", [labels], method=method, seed=1)
    assert adapted.proxy.formula == again.proxy.formula                     # deterministic
    assert adapted.labels["tasks"]["nb301/cifar10"] == 30 and adapted.labels["spaces"]["nb301"] == 30
    assert adapted.labels["archs"] == {"nb301/cifar10": list(labels.archs)}
    ranked = [c["kendall"] for c in adapted.candidates]
    assert ranked == sorted(ranked, reverse=True)
    values = adapted.proxy.score({p: labels.column(p) for p in adapted.proxy.terminals if p in labels.proxies})
    tau = float(RankTarget(labels.target).kendall(values[None, :])[0])
    if method == "select":
        assert adapted.proxy.formula == adapted.candidates[0]["formula"] and tau == pytest.approx(ranked[0])
    assert adapted.candidates[0]["kendall"] >= next(c["kendall"] for c in adapted.candidates if c["name"] == "proxy")


@pytest.mark.parametrize("method", ADAPT_METHODS)
def test_a_space_lacking_a_terminal_is_adapted_as_the_proxy_is_scored(method):
    task = zcgp.load_tasks("nb101/cifar10")[0]                   # nb101 has no nwot
    labels = task.subset(np.arange(0, task.n, 25))
    base = zcgp.Proxy("suite-without-nb101")
    assert "nwot" in base.terminals and base.missing == "impute"
    adapted = zcgp.adapt(base, [labels], method=method, seed=0).proxy
    values = adapted.score({p: task.column(p) for p in adapted.terminals if p in task.proxies})
    assert np.asarray(values).shape in ((), (task.n,)) and np.all(np.isfinite(values))


def test_an_ensemble_imputes_when_a_member_was_ranked_imputing():
    from zcgp.adapting import _ensemble

    task = zcgp.load_tasks("nb101/cifar10")[0]
    ranked = [("synflow", zcgp.Proxy("synflow"), 0.4), ("suite", zcgp.Proxy("suite-without-nb101"), 0.3)]
    ensemble, members = _ensemble(ranked)
    assert [m.formula for m in members] == [p.formula for _, p, _ in ranked]
    assert ensemble.missing == "impute"
    values = ensemble.score({p: task.column(p) for p in ensemble.terminals if p in task.proxies})
    assert np.all(np.isfinite(values))


def test_select_keeps_the_proxy_on_ties_and_combine_starts_from_it(labeled):
    _, labels = labeled
    flat = dataclasses.replace(labels, target=np.arange(labels.n, dtype=float))
    flat = dataclasses.replace(flat, values=np.column_stack([flat.target] * len(flat.proxies)))
    chosen = zcgp.adapt("flops", [flat], method="select")
    assert chosen.candidates[0]["name"] == "proxy" and chosen.proxy.formula == "flops"
    combined = zcgp.adapt("flops", [flat], method="combine")
    assert "flops" in combined.proxy.formula


def test_adapt_command_writes_a_proxy_search_reads(labeled, tmp_path, capsys):
    _, labels = labeled
    table = write_csv([labels], tmp_path / "labeled.csv")
    out = tmp_path / "adapted"
    assert main(["adapt", "--proxy", "min(flops, nwot)", "--data", str(table), "--out", str(out)]) == 0
    assert "labels seen in all: 30 of nb301" in capsys.readouterr().out
    described = json.loads((out / "proxy.json").read_text())
    assert described["labels"]["spaces"] == {"nb301": 30} and described["method"] == "combine"   # the default
    proxy = zcgp.Proxy(out / "proxy.json")
    assert proxy.info["labels"]["spaces"]["nb301"] == 30
    assert zcgp.Proxy(out).formula == proxy.formula and zcgp.Proxy(str(out)).info == proxy.info   # the directory
    found = zcgp.search("nb301", out, evaluations=12, population=6, sample_size=2, lookup=True)
    assert found.info["labels"]["space_labels"] == 30 and found.info["labels"]["in_distribution"]
    assert main(["adapt", "--proxy", "nwot", "--data", str(tmp_path / "nope.csv"), "--out", str(out)]) == 2


def test_no_candidate_saw_the_labeled_space_and_the_labels_of_the_chosen_are_counted():
    task = zcgp.load_tasks("nb201/cifar10")[0]
    labels = task.subset(np.arange(0, task.n, 36))
    adapted = zcgp.adapt("suite-without-nb201", [labels], method="ensemble")
    names = [c["name"] for c in adapted.candidates]
    # every other shipped proxy was evolved on NB201's labels: none may be a candidate
    assert not [n for n in names if n.startswith("suite") and n != "proxy"]
    assert "suite-without-nb201" not in names and names.count("proxy") == 1
    assert adapted.labels["spaces"]["nb201"] == labels.n
    # nb101's labels are another matter: the ensemble of the three best counts what each saw
    target = zcgp.load_tasks("nb101/cifar10")[0]
    few = target.subset(np.arange(0, target.n, 25))
    ensemble = zcgp.adapt("min(flops, jacov)", [few], method="ensemble")
    members = ensemble.proxy.formula.split(" + ")
    shipped = [c for c in ensemble.candidates if c["name"].startswith("suite")]
    assert [c["name"] for c in shipped] == ["suite-without-nb101"]
    seen = zcgp.Proxy("suite-without-nb101").info["labels"]["spaces"]
    if f"({shipped[0]['formula']})" in members:
        assert ensemble.labels["spaces"] == {**seen, "nb101": few.n}
    else:
        assert ensemble.labels["spaces"] == {"nb101": few.n}


@pytest.mark.parametrize("method", ADAPT_METHODS)
def test_proxies_bound_what_an_adaptation_may_add(labeled, method):
    _, labels = labeled
    adapted = zcgp.adapt("nwot", [labels], method=method, seed=0, proxies=["synflow", "params"])
    assert set(adapted.proxy.terminals) <= {"nwot", "synflow", "params"}
    assert all(set(zcgp.Proxy(c["formula"]).terminals) <= {"nwot", "synflow", "params"} for c in adapted.candidates)
    assert {c["name"] for c in adapted.candidates} == {"proxy", "synflow", "params"}
    free = zcgp.adapt("nwot", [labels], method=method, seed=0)
    assert "suite-without-nb301" in {c["name"] for c in free.candidates}    # min(flops, nwot): flops not allowed


def test_combine_over_chosen_proxies_weighs_exactly_those(labeled):
    _, labels = labeled
    combined = zcgp.adapt("nwot", [labels], proxies=["synflow", "jacov"]).proxy
    assert set(combined.terminals) == {"nwot", "synflow", "jacov"}
    with pytest.raises(zcgp.ZcgpError, match="proxy 'zen' is in no labeled task"):
        zcgp.adapt("nwot", [labels], proxies=["zen"])


def test_adapt_command_reads_proxies(labeled, tmp_path, capsys):
    _, labels = labeled
    table = write_csv([labels], tmp_path / "labeled.csv")
    out = tmp_path / "cheap"
    assert main(["adapt", "--proxy", "nwot", "--data", str(table), "--proxies", "synflow,flops", "--out",
                 str(out)]) == 0
    assert set(zcgp.Proxy(out / "proxy.json").terminals) == {"nwot", "synflow", "flops"}
    assert main(["adapt", "--proxy", "nwot", "--data", str(table), "--proxies", "zen", "--out",
                 str(tmp_path / "bad")]) == 2
    assert "proxy 'zen' is in no labeled task" in capsys.readouterr().err


def test_combine_weighted_is_the_pairwise_fit_on_the_formula_and_the_proxies_ranks(labeled):
    from zcgp.fitness.baselines import fit_pairwise
    from zcgp.fitness.transforms import apply_transform

    _, labels = labeled
    adapted = zcgp.adapt("nwot", [labels], method="combine-weighted", proxies=["synflow", "jacov"]).proxy
    names = ["nwot", "synflow", "jacov"]
    ranks = apply_transform(np.column_stack([labels.column(p) for p in names]), adapted.transform)
    x = np.column_stack([ranks[:, 0], ranks])                 # the formula nwot, then each proxy's rank
    expected = x @ fit_pairwise(x, labels.target)
    got = adapted.score({p: labels.column(p) for p in adapted.terminals})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    ridge = zcgp.adapt("nwot", [labels], method="combine", proxies=["synflow", "jacov"]).proxy
    assert ridge.formula != adapted.formula


def test_combine_monotone_keeps_every_weight_non_negative(labeled):
    _, labels = labeled
    names = ["synflow", "jacov", "params", "grad_norm", "l2_norm"]
    free = zcgp.adapt("nwot", [labels], method="combine-weighted", proxies=names).proxy
    bound = zcgp.adapt("nwot", [labels], method="combine-monotone", proxies=names).proxy
    assert "(-" in free.formula and "-" not in bound.formula           # a negative weight dropped, none left
    assert set(bound.terminals) < set(free.terminals) and "nwot" in bound.terminals
    rows = {p: labels.column(p) for p in free.terminals}
    up = {**rows, "jacov": rows["jacov"] * 2.0 + 1.0}                  # one proxy rises: no score falls
    assert np.all(bound.score(up) >= bound.score(rows) - 1e-9)


def test_combine_over_spaces_gives_a_task_lacking_a_proxy_its_neutral_rank():
    from zcgp.fitness.baselines import fit_pairwise
    from zcgp.fitness.transforms import apply_transform

    nb201 = zcgp.load_tasks("nb201/cifar10")[0]
    macro = zcgp.load_tasks("tnb101_macro/class_scene")[0]              # TransNAS has no synflow
    assert "synflow" in nb201.proxies and "synflow" not in macro.proxies
    labels = [nb201.subset(np.arange(0, nb201.n, 20)), macro.subset(np.arange(0, macro.n, 20))]
    adapted = zcgp.adapt("flops", labels, method="combine-weighted", proxies=["synflow"]).proxy
    assert set(adapted.terminals) == {"flops", "synflow"} and adapted.missing == "impute"
    xs, ys = [], []
    for task in labels:
        flops = apply_transform(task.column("flops"))[:, 0]
        synflow = apply_transform(task.column("synflow"))[:, 0] if "synflow" in task.proxies else np.full(task.n, 0.5)
        xs.append(np.column_stack([flops, flops, synflow]))
        ys.append(task.target)
    groups = np.repeat([0, 1], [t.n for t in labels])
    weights = fit_pairwise(np.concatenate(xs), np.concatenate(ys), groups)
    for task, x in zip(labels, xs):
        got = adapted.score({p: task.column(p) for p in adapted.terminals if p in task.proxies})
        np.testing.assert_allclose(got, x @ weights, rtol=1e-5, atol=1e-6)


def test_labels_the_source_also_saw_are_counted_once():
    source = zcgp.Proxy("suite-without-nb201")                # evolved on nb101's train split (seed 0)
    task = zcgp.load_tasks("nb101/cifar10")[0]
    few = task.subset(np.arange(0, task.n, 25))
    train, _ = split_indices(task.id, task.n, source.info["seed"], source.info["train_fraction"])
    union = {task.archs[i] for i in train} | set(few.archs)
    assert source.info["labels"]["spaces"]["nb101"] < len(union) < source.info["labels"]["spaces"]["nb101"] + few.n
    adapted = zcgp.adapt(source, [few], method="combine")
    assert adapted.labels["spaces"]["nb101"] == len(union) and adapted.labels["tasks"]["nb101/cifar10"] == len(union)
    assert adapted.labels["spaces"]["nb301"] == source.info["labels"]["spaces"]["nb301"]      # untouched
    whole = zcgp.adapt(source, zcgp.load_tasks("tnb101_macro"), method="combine", proxies=["flops"])
    assert whole.labels["spaces"]["tnb101_macro"] == len({a for t in zcgp.load_tasks("tnb101_macro") for a in t.archs})
    formula = zcgp.adapt("log(flops)", [few], method="combine")                  # a formula saw no label
    assert formula.labels["spaces"] == {"nb101": few.n}


def test_a_combined_source_counts_every_architecture_it_read():
    source = zcgp.Proxy("suite-combined-without-nb201")         # read all 500 NB101 architectures
    task = zcgp.load_tasks("nb101/cifar10")[0]
    few = task.subset(np.arange(0, task.n, 25))
    assert source.info["labels"]["spaces"]["nb101"] == task.n
    adapted = zcgp.adapt(source, [few], method="combine")
    assert adapted.labels["spaces"]["nb101"] == task.n and adapted.labels["tasks"]["nb101/cifar10"] == task.n
