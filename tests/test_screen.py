"""Screening: cheap values choose which children a search scores in full (`nas.screen`)."""

import json

import numpy as np
import pytest
from test_search_algorithm import BitSpace  # 64 bits here: the objective weighs the first half double

import zcgp
from zcgp.errors import UserInputError, ZcgpError
from zcgp.nas.screen import Screen
from zcgp.scripts.cli import main
from zcgp.searching import SCREEN, _screen_by, _screening
from zcgp.spaces import get_space
from zcgp.spaces.search import aging_evolution


def objective(archs):
    return np.array([sum(a[:32]) + 0.5 * sum(a[32:]) for a in archs], dtype=float)


def first_half(archs):
    return np.array([[sum(a[:32])] for a in archs], dtype=float)


def test_pick_keeps_the_best_predicted_candidates_in_proposal_order():
    calls = []

    def cheap(archs):
        calls.append(len(archs))
        return np.array([[a] for a in archs], dtype=float)

    screen = Screen(cheap, key=str, factor=3)
    scored = {str(v): 2.0 * v for v in range(10)}            # the objective rises with the cheap value
    chosen = screen.pick([4.5, 9.5, 0.5, 7.5, 8.5, 1.5], 3, scored, {str(v): v for v in range(10)})
    assert chosen == [9.5, 7.5, 8.5]
    assert screen.screened == 6 and calls == [16]              # 10 scored + 6 candidates, measured once
    falling = {str(v): -float(v) for v in range(10)}
    assert Screen(cheap, key=str, factor=3).pick([4.5, 9.5, 0.5, 7.5], 2, falling,
                                                  {str(v): v for v in range(10)}) == [4.5, 0.5]


def test_pick_with_too_few_scored_networks_keeps_the_first_candidates():
    screen = Screen(lambda archs: np.array([[a, -a] for a in archs], dtype=float), key=str, factor=2)
    scored = {"1": 1.0, "2": 2.0, "3": -np.inf}              # two finite: fewer than columns + 2
    assert screen.pick([5, 0, 9], 2, scored, {"1": 1, "2": 2, "3": 3}) == [5, 0]


def test_screen_factor_must_be_a_whole_number_of_two_or_more():
    with pytest.raises(UserInputError, match="at least 2"):
        Screen(first_half, key=str, factor=1)
    with pytest.raises(UserInputError, match="at least 2"):
        Screen(first_half, key=str, factor=2.5)


def test_a_screened_search_scores_the_same_number_of_networks_and_finds_more():
    space = BitSpace(64)
    plain = [aging_evolution(space, objective, population=20, sample_size=5, max_evaluations=120, seed=s)
             for s in range(5)]
    screens = [Screen(first_half, space.key, factor=4) for _ in range(5)]
    screened = [aging_evolution(space, objective, population=20, sample_size=5, max_evaluations=120, seed=s,
                                screen=sc) for s, sc in enumerate(screens)]
    assert all(r.evaluations == 120 for r in plain + screened)
    assert np.mean([r.best_score for r in screened]) > np.mean([r.best_score for r in plain]) + 2.0
    assert all(sc.screened == 4 * 112 for sc in screens)      # every child after the first batch of 8
    again = aging_evolution(space, objective, population=20, sample_size=5, max_evaluations=120, seed=0,
                            screen=Screen(first_half, space.key, factor=4))
    untimed = [[{k: v for k, v in row.items() if k != "seconds"} for row in r.history] for r in (again, screened[0])]
    assert untimed[0] == untimed[1]                            # deterministic


def test_search_records_the_screen_and_its_time():
    found = zcgp.search("nb201", evaluations=60, lookup=True, population=20, seed=0, screen=3, screen_by="proxies")
    assert found.info["screen"] == {"factor": 3, "by": "proxies", "features": ["flops", "params", "synflow"],
                                    "screened": 3 * 40}
    assert found.info["seconds"]["screening"] >= 0.0 and found.evaluations == 60
    unscreened = zcgp.search("nb201", evaluations=60, lookup=True, population=20, seed=0, screen=1)
    assert "screen" not in unscreened.info and "screening" not in unscreened.info["seconds"]


def test_a_space_with_an_encoding_is_screened_by_it_and_that_finds_better_cells():
    options = {"evaluations": 80, "lookup": True, "population": 20}
    found = zcgp.search("nb201", seed=0, **options)                       # the default: 4, by the encoding
    assert found.info["screen"] == {"factor": SCREEN, "by": "encoding", "features": ["one-hot encoding"],
                                    "screened": 4 * 60}
    screened = [zcgp.search("nb201", seed=s, screen=4, **options).best_score for s in range(5)]
    plain = [zcgp.search("nb201", seed=s, screen=1, **options).best_score for s in range(5)]
    assert np.mean(screened) > np.mean(plain) + 0.03


def test_an_objective_evolved_on_the_space_is_unscreened_unless_asked(small_run, tmp_path):
    options = {"evaluations": 30, "lookup": True, "population": 10, "pick": "best"}
    own = zcgp.search("nb201", small_run, **options)
    assert own.info["labels"]["in_distribution"] and "screen" not in own.info
    asked = zcgp.search("nb201", small_run, screen=2, **options)
    assert asked.info["screen"]["factor"] == 2 and asked.info["screen"]["by"] == "encoding"
    told = zcgp.search("nb201", small_run, screen_by="encoding", **options)
    assert told.info["screen"]["factor"] == SCREEN
    task = zcgp.load_tasks("nb201/cifar10")[0]                 # an adapted proxy keeps the default screen
    zcgp.adapt("nwot", [task.subset(np.arange(0, task.n, 36))], method="combine").export(tmp_path / "a" / "proxy.py")
    adapted = zcgp.search("nb201", tmp_path / "a" / "proxy.json", **options)
    assert adapted.info["labels"]["in_distribution"] and adapted.info["screen"]["factor"] == SCREEN


def test_screen_by_must_be_known_and_the_encoding_must_exist():
    with pytest.raises(ZcgpError, match="unknown screen_by 'graph'; choose from encoding, proxies"):
        zcgp.search("nb201", evaluations=10, lookup=True, population=5, screen=2, screen_by="graph")
    space = get_space("nb201")
    plain = type("Plain", (), {"name": "mine", "tasks": space.tasks})()
    with pytest.raises(ZcgpError, match="space mine has no architecture encoding to screen by"):
        _screen_by("encoding", plain)
    assert _screen_by(None, plain) == "proxies" and _screen_by(None, space) == "encoding"
    # the default factor: SCREEN by the encoding; without one, no screen unless told to screen by proxies
    assert _screening(None, None, space) == (SCREEN, "encoding") and _screening(None, None, plain) == (1, "proxies")
    assert _screening(None, "proxies", plain) == (SCREEN, "proxies") and _screening(1, None, space) == (1, "encoding")


@pytest.mark.parametrize("factor", [0, -2, 1.5])
def test_search_refuses_a_screen_below_one_or_fractional(factor):
    with pytest.raises(ZcgpError, match="screen must be a whole number"):
        zcgp.search("nb201", evaluations=10, lookup=True, population=5, screen=factor)


def test_cli_screen_prints_what_it_screened_and_bad_factors_are_one_line(capsys):
    common = ["search", "--lookup", "--evaluations", "40", "--population", "10", "--screen", "4", "--quiet"]
    assert main([*common, "--screen-by", "proxies"]) == 0
    assert "screen: 120 children proposed, measured by flops, params, synflow, the best-predicted 1 in 4 scored" \
        in capsys.readouterr().out
    assert main(common) == 0
    assert "measured by one-hot encoding, the best-predicted 1 in 4" in capsys.readouterr().out
    assert main(["search", "--lookup", "--evaluations", "5", "--screen", "0", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--screen must be >= 1, got 0" in err and "\n" not in err


def test_bench_search_runs_every_objective_at_each_screen(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "search", "--lookup", "--minutes", "0.02", "--seeds", "0", "--objectives", "nwot",
                 "--screens", "1,3", "--population", "5", "--sample-size", "2", "--out", str(out)]) == 0
    runs = json.loads(out.read_text())["runs"]
    assert [r["objective"] for r in runs] == ["nwot screen 1", "nwot screen 3"]
    assert "screen" not in runs[0]["info"] and runs[1]["info"]["screen"]["factor"] == 3
    assert main(["bench", "search", "--lookup", "--minutes", "0.02", "--objectives", "nwot", "--screens", "1,x",
                 "--out", str(tmp_path / "other.json")]) == 2
    assert "--screens needs a comma list of whole numbers >= 1, got '1,x'" in capsys.readouterr().err
    assert not (tmp_path / "other.json").exists()


def test_bench_fewshot_refuses_a_screen_below_one_before_any_work(tmp_path, capsys):
    out = tmp_path / "f"
    assert main(["bench", "fewshot", "--spaces", "nb201", "--search", "--screen", "0", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "--screen must be >= 1, got 0" in err and "\n" not in err and not out.exists()
