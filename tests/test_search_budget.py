"""The search spends its budget on search: a reference paid once, both cores, budgets kept,
and a formula picked for the budget."""

import json
import time

import numpy as np
import pytest

import zcgp
from zcgp.nas.objectives import make_measure
from zcgp.proxies.measure import MeasureSettings
from zcgp.scripts.cli import main
from zcgp.spaces.nb201 import SPACE

CPU8 = MeasureSettings(batch_size=8, device="cpu", inits=1)


def test_workers_give_values_identical_to_one_worker(one_torch_thread):
    archs = SPACE.sample_distinct(5, np.random.default_rng(4))
    names = ("synflow", "nwot", "snip", "params")
    one, _ = make_measure(SPACE, names, "cifar10", settings=CPU8, workers=1)
    two, _ = make_measure(SPACE, names, "cifar10", settings=CPU8, workers=2)
    a, b = one(archs), two(archs)
    for n in names:
        np.testing.assert_array_equal(a[n], b[n])
    assert two.measure.seconds["proxies"] > 0 and np.isfinite(a["nwot"]).all()


def test_inits_average_the_proxies_over_seeded_initialisations(one_torch_thread):
    from zcgp.proxies.compute import compute_proxies
    from zcgp.proxies.measure import build_network

    archs = SPACE.sample_distinct(3, np.random.default_rng(5))
    names = ("synflow", "snip")
    one, _ = make_measure(SPACE, names, "cifar10", settings=MeasureSettings(batch_size=8, device="cpu", seed=2,
                                                                           inits=1))
    two, _ = make_measure(SPACE, names, "cifar10", settings=MeasureSettings(batch_size=8, device="cpu", seed=2,
                                                                           inits=2))
    first, both = one(archs), two(archs)
    x, t = two.measure.inputs, two.measure.targets
    second = [compute_proxies(build_network(SPACE, a, 2, 10, init=1), x, t, names=names, device="cpu", seed=3)
              for a in archs]
    for n in names:
        by_hand = (first[n] + np.array([r[n][0] for r in second])) / 2
        np.testing.assert_allclose(both[n], by_hand, rtol=1e-12)
        assert not np.allclose(both[n], first[n])          # the second initialisation moved the values
    assert two.measure.key_fields["inits"] == 2 != one.measure.key_fields["inits"]


def test_reference_is_cached_on_disk_and_reused(private_cache, one_torch_thread, monkeypatch):
    import zcgp.proxies.measure as measure_module

    built = []
    chunk = measure_module._measure_chunk
    monkeypatch.setattr(measure_module, "_measure_chunk",
                        lambda space, archs, *a: (built.extend(archs), chunk(space, archs, *a))[1])
    kwargs = {"evaluations": 10, "population": 6, "sample_size": 3, "seed": 3, "settings": CPU8, "workers": 1}
    first = zcgp.search("nb201", "nwot + params", **kwargs)
    assert first.info["reference"] == {"networks": 6, "from_cache": False} and len(built) == 10
    built.clear()
    assert len(list(private_cache.glob("reference-*.json"))) == 1
    second = zcgp.search("nb201", "nwot + params", **kwargs)
    assert second.info["reference"]["from_cache"] is True
    assert second.best_arch == first.best_arch and second.best_score == first.best_score
    assert [h["best_score"] for h in second.history] == [h["best_score"] for h in first.history]
    assert len(built) == 4                            # the 6 reference networks came from the cache


def test_minutes_budget_is_kept_with_setup_included(tmp_path, one_torch_thread):
    out = tmp_path / "s"
    start = time.monotonic()
    assert main(["search", "--objective", "params", "--minutes", "0.15", "--quiet", "--device", "cpu",
                 "--workers", "1", "--out", str(out)]) == 0
    elapsed = time.monotonic() - start
    result = json.loads((out / "result.json").read_text())
    assert result["stop_reason"] == "time" and result["evaluations"] > 5
    # the budget counts from the command's start; the last batch is cut to the time left, so at
    # most one network's cost past it (the exact cut is tested on a fake clock in test_search_algorithm)
    per_network = result["time"]["scoring"] / result["evaluations"]
    assert result["time"]["total"] <= 9.0 + 2 * per_network + 0.5
    assert elapsed <= 9.0 + 2 * per_network + 2.0     # + writing result.json, trajectory and the plot
    assert set(result["time"]) == {"setup", "scoring", "screening", "selection", "total", "building_cpu",
                                   "proxies_cpu"}      # nb201 screens by its encoding by default


def test_pick_chooses_by_budget_from_the_cost_front(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["evolve", "--tasks", "nb201", "--population", "60", "--generations", "3", "--quiet",
                 "--out", str(run)]) == 0
    capsys.readouterr()
    for pick in ("best", "cheapest", "0"):
        result = zcgp.search("nb201", str(run), evaluations=5, lookup=True, pick=pick, population=5,
                                sample_size=2)
        assert result.info["pick"]["chosen"] == ("best" if pick in ("best", "0") else result.info["pick"]["chosen"])
    with pytest.raises(zcgp.ZcgpError, match="out of range"):
        zcgp.search("nb201", str(run), evaluations=5, lookup=True, pick="99", population=5, sample_size=2)


@pytest.mark.gpu
def test_search_runs_on_cuda(tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    out = tmp_path / "cuda"
    assert main(["search", "--formula", "nwot + synflow", "--evaluations", "12", "--population", "6",
                 "--sample-size", "3", "--device", "cuda", "--quiet", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["evaluations"] == 12 and result["workers"] == 1 and np.isfinite(result["best_score"])


def test_reference_is_cut_to_what_the_budget_affords(private_cache, one_torch_thread, monkeypatch):
    from zcgp import searching

    initial = list(range(50))
    assert searching._affordable(initial, None, None, None, 60.0, cost=2.0) == initial[:15]    # 0.5 * 60 / 2
    assert searching._affordable(initial, None, None, None, 60.0, cost=100.0) == initial[:8]   # at least 8
    assert searching._affordable(initial, None, None, None, 60.0, cost=0.01) == initial
    monkeypatch.setattr(searching, "measured_cost", lambda *a, **k: (0.4, False))     # as if 0.4 s per network
    kwargs = {"population": 30, "sample_size": 3, "seed": 1, "settings": CPU8, "workers": 1, "evaluations": 24}
    short = zcgp.search("nb201", "nwot + params", minutes=0.25, **kwargs)
    assert 12 <= short.info["reference"]["networks"] <= 18                          # 0.5 * (15 s - setup) / 0.4
    full = zcgp.search("nb201", "nwot + params", **kwargs)                          # no time budget: no cut
    assert full.info["reference"]["networks"] == 30


def test_proxies_command_and_search_agree_to_the_last_bit(tmp_path, private_cache, one_torch_thread):
    """One seeding rule: the values `zcgp proxies` writes are the raw values the search scored
    (its reference, cached on disk), for the same architecture, seed, batch and inits."""
    settings = MeasureSettings(batch_size=8, inits=2, device="cpu")
    found = zcgp.search("nb201", "nwot + synflow", evaluations=6, population=6, sample_size=2, seed=3,
                        settings=settings)
    initial = SPACE.sample_distinct(6, np.random.default_rng([3, 1]))       # the search's reference sample
    (cached,) = private_cache.glob("reference-*.json")
    stored = json.loads(cached.read_text())
    out = tmp_path / "p.csv"
    args = ["proxies", "--names", "nwot,synflow", "--seed", "3", "--batch-size", "8", "--inits", "2",
            "--device", "cpu", "--quiet", "--out", str(out)]
    assert main([*args, *(x for a in initial for x in ("--arch", str(a)))]) == 0
    import csv

    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 6 and found.evaluations == 6
    for row in rows:
        values = stored[row["key"]]
        assert float(row["nwot"]) == values["nwot"] and float(row["synflow"]) == values["synflow"]


def test_search_result_save_writes_what_the_command_writes(tmp_path):
    args = {"evaluations": 30, "population": 10, "sample_size": 3, "seed": 4, "lookup": True, "workers": -1}
    result = zcgp.search("nb201", "nwot", **args)
    written = result.save(tmp_path / "api")
    assert [p.name for p in written][:2] == ["result.json", "trajectory.csv"]
    assert main(["search", "--objective", "nwot", "--evaluations", "30", "--population", "10", "--sample-size",
                 "3", "--seed", "4", "--lookup", "--quiet", "--out", str(tmp_path / "cli")]) == 0
    api, cli = (json.loads((tmp_path / d / "result.json").read_text()) for d in ("api", "cli"))
    timing = {"seconds", "setup_seconds", "time", "networks_per_minute"}
    assert {k: v for k, v in api.items() if k not in timing} == {k: v for k, v in cli.items() if k not in timing}
    assert api["benchmark"]["cifar10"]["test_accuracy"] == result.benchmark["cifar10"]["test_accuracy"]
    api_rows = (tmp_path / "api" / "trajectory.csv").read_text().splitlines()
    cli_rows = (tmp_path / "cli" / "trajectory.csv").read_text().splitlines()
    assert [r.split(",")[1:] for r in api_rows] == [r.split(",")[1:] for r in cli_rows]
    with pytest.raises(zcgp.ZcgpError, match="already holds results"):
        result.save(tmp_path / "api")


def test_every_search_says_which_labels_its_objective_saw(small_run):
    """In distribution: the run's labels of the searched space and "labels alone" (the best of
    them, looked up); a hand-crafted proxy saw none."""
    from zcgp.fitness.splits import task_split
    from zcgp.spaces.nb201 import load_table, to_index

    options = {"evaluations": 20, "population": 8, "sample_size": 3, "lookup": True, "pick": "best"}
    found = zcgp.search("nb201", small_run, **options)
    run = zcgp.Run.load(small_run)
    labels = found.info["labels"]
    assert labels == {"tasks": sorted(run.labels["tasks"]), "space_labels": run.labels["spaces"]["nb201"],
                      "in_distribution": True}
    task = zcgp.load_tasks("nb201/cifar10")[0]
    rows = task_split(task, run.result["seed"], run.config["train_fraction"])[0]
    best = rows[np.argmax(task.target[rows])]
    alone = found.info["labels_alone"]
    table = load_table()
    assert alone["val_accuracy"] == task.target[best] and alone["labeled_architectures"] == rows.size
    index = to_index(task.archs[best], table)
    assert alone["benchmark"]["cifar10"]["test_accuracy"] == pytest.approx(table.accuracy["cifar10"][index])
    assert zcgp.search("nb201", "nwot", **options).info["labels"]["space_labels"] == 0
    assert "labels_alone" not in zcgp.search("nb201", "nwot", **options).info
    text = zcgp.search("nb201", "nwot + synflow", **options).info["labels"]
    assert text["space_labels"] is None                  # a formula given as text: unknown


def test_pick_auto_reads_only_the_labels_the_run_saw(small_run):
    """The cost-aware choice estimates on the run's labeled (train-split) rows: hiding every
    other label changes nothing, and a run evolved elsewhere reads no label of the searched space."""
    import dataclasses

    from zcgp import searching
    from zcgp.nas.choice import pick_formula

    run = zcgp.Run.load(small_run)
    labeled = searching.labeled_rows(run)
    assert [t.id for t, _ in labeled] == run.config["train_tasks"]
    hidden = []
    for task, rows in labeled:
        target = np.full(task.n, np.nan)
        target[rows] = task.target[rows]
        hidden.append((dataclasses.replace(task, target=target), rows))
    chosen = searching.candidates(run)
    assert len(chosen) > 1
    costs = {p.terminals: 0.01 * (1 + i) for i, (_, p) in enumerate(chosen)}
    for seconds in (1.0, 30.0, 600.0):
        assert pick_formula(chosen, "auto", seconds=seconds, costs=costs, labeled=labeled) == \
            pick_formula(chosen, "auto", seconds=seconds, costs=costs, labeled=hidden)
    assert pick_formula(chosen, "auto", seconds=30.0, costs=costs, labeled=[])[0] == 0


def test_a_run_searches_combined_on_its_own_train_splits_by_default(small_run):
    """The default pick: the run's formula combined with the cheap proxies on exactly the
    train-split rows it was evolved on (no label more), its labels and "labels alone" the run's."""
    from zcgp.adapting import COMBINE_METHOD, COMBINE_PROXIES
    from zcgp.fitness.splits import task_split

    run = zcgp.Run.load(small_run)
    adapted = zcgp.combine(run)
    for task in zcgp.load_tasks(run.config["train_tasks"]):
        rows = task_split(task, run.result["seed"], run.config["train_fraction"])[0]
        assert adapted.labels["archs"][task.id] == [task.archs[i] for i in rows]
    assert adapted.labels["spaces"] == run.labels["spaces"] and adapted.method == COMBINE_METHOD
    assert set(adapted.proxy.terminals) <= {*zcgp.Proxy(run).terminals, *COMBINE_PROXIES}
    options = {"evaluations": 12, "population": 6, "sample_size": 3, "lookup": True}
    found = zcgp.search("nb201", small_run, **options)
    assert found.info["pick"]["chosen"] == "combined"
    assert found.info["formula"] == adapted.proxy.formula != run.formula
    best = zcgp.search("nb201", small_run, pick="best", **options)
    assert found.info["labels"] == best.info["labels"]
    assert found.info["labels_alone"] == best.info["labels_alone"]


def test_a_run_whose_table_has_moved_searches_with_its_formula_and_says_why(tmp_path, capsys):
    task = zcgp.load_tasks("nb201/cifar10")[0]
    import csv

    table = tmp_path / "mine.csv"
    cols = [task.proxies.index(p) for p in ("synflow", "nwot", "flops")]
    with table.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["task", "arch", "accuracy", "synflow", "nwot", "flops"])
        for arch, acc, row in zip(task.archs[:80], task.target[:80], task.values[:80]):
            writer.writerow(["mine/c10", arch, float(acc), *(float(row[c]) for c in cols)])
    run = zcgp.evolve(tasks="all", data=table, population=30, generations=2, progress=False,
                      out=tmp_path / "run", plots=False)
    assert zcgp.combine(run).labels["tasks"] == {"mine/c10": run.labels["tasks"]["mine/c10"]}
    table.unlink()
    with pytest.raises(zcgp.ZcgpError, match="table not found"):
        zcgp.combine(tmp_path / "run")
    found = zcgp.search("nb201", tmp_path / "run", evaluations=6, population=4, sample_size=2, lookup=True)
    assert found.info["pick"]["chosen"] == "best" and "cannot be read to combine" in found.info["pick"]["reason"]
    assert found.info["formula"] == run.formula
