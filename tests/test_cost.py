"""Seconds per network measured on this machine beside the run's formulas (zcgp.nas.cost)."""

import json

import pytest

import zcgp
from zcgp.nas.cost import measured_cost
from zcgp.nas.objectives import make_measure
from zcgp.proxies.measure import MeasureSettings
from zcgp.proxy import Proxy
from zcgp.spaces import get_space

DEFAULT = MeasureSettings()


@pytest.fixture(scope="module")
def measured_run(tmp_path_factory, one_torch_thread):
    """An evolved nb201 run, its directory, and the cache directory its costs went to."""
    out, cache = tmp_path_factory.mktemp("cost") / "run", tmp_path_factory.mktemp("cost-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZCGP_CACHE_DIR", str(cache))
        run = zcgp.evolve("nb201", population=60, generations=2, seed=1, out=out, progress=False, plots=False,
                          measure_cost=True)
    return run, out, cache


def test_every_front_formula_gets_the_cost_the_search_reads(measured_run, monkeypatch):
    run, out, cache = measured_run
    monkeypatch.setenv("ZCGP_CACHE_DIR", str(cache))
    result = run.result
    where = result["cost_measured_on"]
    assert where["space"] == "nb201" and where["batch_size"] == DEFAULT.batch_size
    entries = [result["best"], *result["pareto_cost"]]
    space = get_space("nb201")
    measure, _ = make_measure(space, ("synflow",), "cifar10", settings=DEFAULT)
    for entry in entries:
        names = Proxy(entry["formula"]).terminals
        if not names:
            assert entry["seconds_per_network"] == 0.0
            continue
        assert 0.0 < entry["seconds_per_network"] < 30.0
        # the search's pick reads the very same number from the cache, without measuring again
        seconds, cached = measured_cost(measure.measure, space, names)
        assert cached and seconds == entry["seconds_per_network"]
    # keyed by space, input and proxies, not by seed: a search with another seed reads it too
    other, _ = make_measure(space, ("synflow",), "cifar10", settings=MeasureSettings(seed=3))
    names = Proxy(result["best"]["formula"]).terminals
    assert measured_cost(other.measure, space, names) == (result["best"]["seconds_per_network"], True)
    exported = json.loads((out / "proxy.json").read_text())
    assert exported["seconds_per_network"] == result["best"]["seconds_per_network"]
    assert exported["cost_measured_on"]["device"] == result["cost_measured_on"]["device"]


def test_cost_is_measured_per_proxy_set_cheap_below_expensive(measured_run, one_torch_thread):
    space = get_space("nb201")
    measure, _ = make_measure(space, ("params", "jacov"), "cifar10",
                              settings=MeasureSettings(batch_size=32, inits=1, device="cpu"))
    cheap, _ = measured_cost(measure.measure, space, ("params",))
    dear, _ = measured_cost(measure.measure, space, ("params", "jacov"))
    assert 0 < cheap < dear          # a backward pass over a batch of 32 costs more than counting weights


def test_no_measurement_unless_asked_or_without_a_buildable_space(tmp_path):
    run = zcgp.evolve("nb201/cifar10", population=30, generations=1, progress=False)
    assert "seconds_per_network" not in run.result["best"] and "cost_measured_on" not in run.result
    several = zcgp.evolve(["nb201/cifar10", "nb301/cifar10"], population=30, generations=1, progress=False,
                          select="train", measure_cost=True)
    assert several.result["cost_measured_on"] is None and "seconds_per_network" not in several.result["best"]
