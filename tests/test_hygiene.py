"""Formula hygiene: non-finite constants, constant formulas and formulas non-finite
everywhere are refused with one line (evaluate, export, API) and never emitted by the GP."""

import json

import numpy as np
import pytest

import zcgp
from zcgp.errors import ZcgpError
from zcgp.fitness.tasks import Task
from zcgp.gp.dataset import Dataset
from zcgp.gp.evolution import Engine
from zcgp.gp.hygiene import degeneracy
from zcgp.gp.primitives import make_pset, parse_tree, to_code
from zcgp.gp.settings import GPConfig
from zcgp.scripts.cli import main

BAD = [
    ("nwot*1e400", "non-finite constant inf"),
    ("nwot - nwot", "is constant on every architecture"),
    ("2*3", "is constant on every architecture"),
    ("square(square(square(square(square(square(flops * 1e300))))))", "gives inf or NaN"),
]


@pytest.mark.parametrize("formula, message", BAD)
def test_evaluate_refuses_with_one_line(formula, message, tmp_path, capsys):
    out = tmp_path / "e.json"
    assert main(["evaluate", "--formula", formula, "--tasks", "nb201", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not out.exists()


@pytest.mark.parametrize("formula, message", BAD)
def test_api_refuses(formula, message):
    with pytest.raises(ZcgpError, match=message):
        zcgp.evaluate(formula, "nb201/cifar10")
    with pytest.raises(ZcgpError, match=message):
        zcgp.Proxy(formula)


def test_a_formula_constant_on_the_data_only_is_refused_on_that_data():
    task = _flat_task()                    # a is a constant column: a*2 varies only elsewhere
    with pytest.raises(ZcgpError, match="constant on every architecture of the selected tasks"):
        zcgp.evaluate("a * 2", [task])
    assert zcgp.evaluate("a * c", [task]).result["tasks"][0]["evolved"]["test"]["kendall"] > 0.5


def test_tree_strings_with_non_finite_constants_are_refused():
    pset = make_pset(("nwot",))
    for text in ("mul(nwot, inf)", "add(nwot, nan)", "mul(nwot, -inf)"):
        with pytest.raises(ZcgpError, match="non-finite constant"):
            parse_tree(text, pset)


def test_export_refuses_a_degenerate_member(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["evolve", "--tasks", "nb201/cifar10", "--population", "20", "--generations", "1",
                 "--no-plots", "--quiet", "--out", str(run)]) == 0
    result = json.loads((run / "result.json").read_text())
    result["hall_of_fame"][1]["formula"] = "sub(nwot, nwot)"       # a tampered result
    (run / "result.json").write_text(json.dumps(result))
    capsys.readouterr()
    assert main(["export", str(run), "--index", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "constant on every architecture" in err
    assert not (run / "proxy_hof1.py").exists()


def _flat_task(seed=0, n=60):
    """Proxies a and b are constant columns; only c varies, so most formulas are constant."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(0, 1, n)
    values = np.column_stack([np.full(n, 2.0), np.full(n, 3.0), c])
    return Task(id="syn/flat", archs=tuple(f"a{i}" for i in range(n)), proxies=("a", "b", "c"),
                values=values, target=c + 0.1 * rng.uniform(0, 1, n), cost={p: 1.0 for p in "abc"})


def test_the_engine_never_archives_a_degenerate_formula():
    data = Dataset.build([_flat_task()], ("a", "b", "c"), "train", transform="raw")
    engine = Engine(data, GPConfig(population=12, generations=2, hof_size=200, seed=1)).run()
    degenerate = [e for e in engine.cache.values()
                  if degeneracy(data, to_code(engine.tree(e.key))) is not None]
    assert degenerate                                     # the run did meet constant formulas
    emitted = list(engine.hof) + list(engine.front_size) + list(engine.front_cost)
    assert emitted and all(degeneracy(data, to_code(engine.tree(e.key))) is None for e in emitted)
    assert {e.key for e in degenerate}.isdisjoint({e.key for e in emitted})


def test_a_run_where_nothing_ranks_is_one_line():
    task = _flat_task()
    data = Dataset.build([task], ("a", "b"), "train", transform="raw")
    engine = Engine(data, GPConfig(population=6, generations=1, seed=0)).run()
    with pytest.raises(ZcgpError, match="no formula of this run ranks the architectures"):
        _ = engine.best
