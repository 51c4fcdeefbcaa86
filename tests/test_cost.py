"""Seconds per network measured on this machine beside the run's formulas (zcgp._cost)."""

import json

import pytest
from zcgp.spaces import get_space

import zcgp
from zcgp._pick import measured_cost
from zcgp.objectives import (
    SEARCH_BATCH_SIZE,
    SEARCH_INITS,
    make_measure,
    reference_cache_dir,
)
from zcgp.proxy import Proxy


@pytest.fixture(scope="module")
def measured_run(tmp_path_factory, one_torch_thread):
    """An evolved nb201 run, its directory, and the cache directory its costs went to."""
    out, cache = tmp_path_factory.mktemp("cost") / "run", tmp_path_factory.mktemp("cost-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZCGP_CACHE_DIR", str(cache))
        run = zcgp.evolve("nb201", population=60, generations=2, seed=1, out=out, progress=False, plots=False)
    return run, out, cache


def test_every_front_formula_gets_the_cost_the_search_reads(measured_run):
    run, out, cache = measured_run
    result = run.result
    assert result["cost_measured_on"]["space"] == "nb201" and result["cost_measured_on"]["batch_size"] == SEARCH_BATCH_SIZE
    entries = [result["best"], *result["pareto_cost"]]
    space = get_space("nb201")
    measure, _ = make_measure(space, ("synflow",), "cifar10", batch_size=SEARCH_BATCH_SIZE, device="auto", seed=0,
                              threads=1, inits=SEARCH_INITS)
    for entry in entries:
        names = Proxy(entry["formula"]).TERMINALS
        if not names:
            assert entry["seconds_per_network"] == 0.0
            continue
        assert 0.0 < entry["seconds_per_network"] < 30.0
        # the search's pick reads the very same number from the cache, without measuring again
        seconds, cached = measured_cost(measure.measure, space, names, cache)
        assert cached and seconds == entry["seconds_per_network"]
    # keyed by space, input and proxies, not by seed: a search with another seed reads it too
    other, _ = make_measure(space, ("synflow",), "cifar10", batch_size=SEARCH_BATCH_SIZE, device="auto", seed=3,
                            threads=1, inits=SEARCH_INITS)
    names = Proxy(result["best"]["formula"]).TERMINALS
    assert measured_cost(other.measure, space, names, cache) == (result["best"]["seconds_per_network"], True)
    exported = json.loads((out / "proxy.json").read_text())
    assert exported["seconds_per_network"] == result["best"]["seconds_per_network"]
    assert exported["cost_measured_on"]["device"] == result["cost_measured_on"]["device"]


def test_cost_is_measured_per_proxy_set_cheap_below_expensive(measured_run, one_torch_thread):
    space = get_space("nb201")
    measure, _ = make_measure(space, ("params", "jacov"), "cifar10", batch_size=32, device="cpu", seed=0, threads=1)
    cheap, _ = measured_cost(measure.measure, space, ("params",), reference_cache_dir())
    dear, _ = measured_cost(measure.measure, space, ("params", "jacov"), reference_cache_dir())
    assert 0 < cheap < dear          # a backward pass over a batch of 32 costs more than counting weights


def test_no_measurement_when_asked_or_without_a_buildable_space(tmp_path):
    run = zcgp.evolve("nb201/cifar10", population=30, generations=1, progress=False, measure_cost=False)
    assert "seconds_per_network" not in run.result["best"] and "cost_measured_on" not in run.result
    several = zcgp.evolve(["nb201/cifar10", "nb301/cifar10"], population=30, generations=1, progress=False,
                          select="train")
    assert several.result["cost_measured_on"] is None and "seconds_per_network" not in several.result["best"]
