"""zcgp bench scale: synthetic tasks, per-generation time, peak memory, growth vs n log n."""

import math

import pytest
from scipy.stats import kendalltau

from zcgp.bench.scale import PROXIES, growth_vs_nlogn, measure_scale, synthetic_tasks
from zcgp.scripts.cli import main


def test_synthetic_tasks_have_informative_proxies():
    tasks = synthetic_tasks(300, count=4, seed=1)
    assert [t.id for t in tasks] == [f"synthetic/{i:02d}" for i in range(4)]
    for task in tasks:
        assert task.values.shape == (300, len(PROXIES)) and task.target.shape == (300,)
        taus = [kendalltau(task.column(p), task.target).statistic for p in PROXIES]
        assert min(taus) > 0.2                        # every proxy carries signal, none is perfect
        assert max(taus) < 0.95
    assert (synthetic_tasks(300, 4, seed=1)[2].values == tasks[2].values).all()


def test_measure_scale_scores_every_architecture():
    m = measure_scale(200, population=8, generations=1, count=3)
    assert m["rows"] == 600 and m["tasks"] == 3
    assert m["evaluations"] >= 8 and m["cpu_ms_per_formula"] > 0 and m["peak_rss_mb"] > 10
    assert 0 < m["best_fitness"] <= 1


def test_growth_is_cost_ratio_over_nlogn_ratio():
    small = {"rows": 1000, "cpu_ms_per_formula": 2.0}
    large = {"rows": 10000, "cpu_ms_per_formula": 23.0}
    expected = (23.0 / 2.0) / (10000 * math.log(10000) / (1000 * math.log(1000)))
    assert growth_vs_nlogn(small, large) == pytest.approx(expected)


def test_bench_scale_prints_its_table(capsys):
    assert main(["bench", "scale", "--sizes", "100,300", "--tasks", "2", "--population", "6",
                 "--generations", "1"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith(("100 ", "300 "))]
    assert len(lines) == 2 and lines[0].split()[1] == "200" and lines[1].split()[1] == "600"
    assert "vs n log n" in out and lines[1].split()[-1] == "yes"


@pytest.mark.parametrize("argv, message", [
    (["--sizes", "1000,100"], "increasing"),
    (["--sizes", "ten"], "comma list of integers"),
    (["--sizes", "5"], "at least 10 architectures"),
    (["--tasks", "0"], "--tasks must be >= 1"),
])
def test_bench_scale_bad_input(argv, message, capsys):
    assert main(["bench", "scale", *argv, "--population", "4", "--generations", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


@pytest.mark.slow
def test_a_hundred_thousand_per_task_fits_in_4_gb_and_grows_at_most_n_log_n():
    small = measure_scale(10_000, population=10, generations=1)
    large = measure_scale(100_000, population=10, generations=1)
    assert large["peak_rss_mb"] < 4096
    assert growth_vs_nlogn(small, large) < 1.25            # CPU time per formula, contended machine


def test_long_rows_kendall_equals_the_vectorized_merge():
    import numpy as np

    from zcgp.fitness.rank import LONG_ROWS, RankTarget
    rng = np.random.default_rng(3)
    n = LONG_ROWS
    y = np.round(rng.standard_normal(n), 2)                 # ties in the target
    scores = np.stack([y + rng.standard_normal(n), np.round(-y + rng.standard_normal(n), 1),
                       np.full(n, 2.0)])                     # ties; a constant candidate
    target = RankTarget(y)
    long_rows = target.kendall(scores)
    merged = np.array([target._kendall_merge(row[None])[0] for row in scores[:2]] + [-1.0])
    np.testing.assert_allclose(long_rows, merged, atol=1e-12)
    assert long_rows[2] == -1.0
