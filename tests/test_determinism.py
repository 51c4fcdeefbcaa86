"""Same seed -> same run on every backend (serial, threading, loky, dask).

The dask cluster test reproduces the reported mismatch: dask's `sizeof` samples long
argument lists with the global `random`, which used to be the engine's stream."""

import random

import pytest

from zcgp.fitness.sources import load_tasks
from zcgp.gp.dataset import Dataset, select_terminals
from zcgp.gp.evolution import Engine
from zcgp.gp.parallel import Evaluator
from zcgp.gp.settings import GPConfig


@pytest.fixture(scope="module")
def dataset():
    tasks = load_tasks("nb201")
    terms, _ = select_terminals(tasks, "impute")
    return Dataset.build(tasks, terms, "train", missing="impute")


def _run(dataset, evaluator):
    engine = Engine(dataset, GPConfig(population=200, generations=2, seed=0), evaluator).run()
    return {"best": engine.best, "hof": [e.key for e in engine.hof],
            "evals": [r["evals"] for r in engine.logbook],
            "population": [str(i) for i in engine.population]}


class _DrawingEvaluator(Evaluator):
    """Serial scores, but draws from the global `random` while scoring (as dask does)."""

    def __call__(self, codes):
        random.sample(range(1000), 10)
        return super().__call__(codes)


def test_global_random_draws_during_evaluation_do_not_change_the_run(dataset):
    assert _run(dataset, _DrawingEvaluator(dataset)) == _run(dataset, Evaluator(dataset))


def test_threads_and_loky_give_the_serial_run(dataset):
    serial = _run(dataset, Evaluator(dataset))
    assert _run(dataset, Evaluator(dataset, n_jobs=2, backend="threading", chunk=16)) == serial
    assert _run(dataset, Evaluator(dataset, n_jobs=2, backend="loky", chunk=16)) == serial


def test_dask_local_cluster_with_two_processes_gives_the_serial_run(dataset):
    distributed = pytest.importorskip("dask.distributed")
    serial = _run(dataset, Evaluator(dataset))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = _run(dataset, Evaluator(dataset, n_jobs=2, backend="dask",
                                          scheduler=cluster.scheduler_address, chunk=16))
    assert on_dask == serial
