"""`zcgp bench rank` and `zcgp bench gp` on tiny sizes: their tables hold the right numbers."""

import numpy as np
import pytest
from deap import gp
from scipy import stats

from zcgp.fitness.baselines import task_baselines
from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import task_split
from zcgp.fitness.transforms import apply_transform
from zcgp.gp.primitives import make_pset, parse_tree
from zcgp.scripts.cli import main


def _rows(text, first):
    """Table rows (split on 2+ spaces) whose first cell is `first`."""
    import re
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.startswith(first)]


def test_bench_rank_tiny(capsys):
    assert main(["bench", "rank", "--candidates", "30", "--tasks", "nb201/cifar10", "--ties"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("30 candidates x 1 tasks (725 architectures)")
    rows = {r[0]: r for r in _rows(out, "spearman") + _rows(out, "kendall")}
    assert set(rows) == {"spearman", "kendall"}
    for metric, (_, fast, slow, speedup, diff) in rows.items():
        assert float(diff) <= 1e-9, metric                            # the two implementations agree
        assert float(fast) >= 0 and float(slow) > 0 and speedup.endswith("x")


def _kendall(tree_key, terminals, part, seed=0):
    """Kendall of a formula on one split of nb201/cifar10, from scratch: rank transform + scipy."""
    task = load_tasks("nb201/cifar10")[0]
    rows = task_split(task, seed)[0 if part == "train" else 1]
    columns = apply_transform(np.column_stack([task.column(t)[rows] for t in terminals]), "rank")
    pset = make_pset(terminals)
    fn = gp.compile(parse_tree(tree_key, pset), pset)                  # DEAP's own evaluation
    x = np.broadcast_to(np.asarray(fn(*columns.T), dtype=float), rows.shape)
    return stats.kendalltau(x, task.target[rows]).statistic


def test_bench_gp_tiny(capsys):
    assert main(["bench", "gp", "--tasks", "nb201/cifar10", "--candidates", "40", "--population", "20",
                 "--generations", "1", "--n-jobs", "1", "--quality", "--seeds", "1", "--q-population", "20",
                 "--q-generations", "1", "--q-task-population", "20", "--q-task-generations", "1",
                 "--select", "train"]) == 0
    out = capsys.readouterr().out
    (speed,) = _rows(out, "40 formulas x 1 tasks")
    assert float(speed[6]) <= 1e-9 and 1 <= int(speed[7]) <= 40          # engine == naive loop
    (wall,) = _rows(out, "20 x 1, 1 tasks")
    terminals = tuple(load_tasks("nb201/cifar10")[0].proxies)
    assert float(wall[5]) == pytest.approx(_kendall(wall[6], terminals, "train"), abs=5e-5)
    base = task_baselines(load_tasks("nb201/cifar10")[0], 0)
    quality = _rows(out, "0 ") + _rows(out, "mean ")
    assert len(quality) == 4
    for row in quality:
        assert row[5] == f"{base['best_proxy']['test']['kendall']:.4f}"
        assert row[6] == f"{base['linear_rank']['test']['kendall']:.4f}"
    one_formula = quality[0]
    assert one_formula[1] == "one formula, --missing impute 20x1" and len(one_formula[8]) < 50
    assert float(one_formula[2]) == pytest.approx(_kendall(one_formula[8], terminals, "test"), abs=5e-5)
    assert one_formula[3] == ("1/1" if float(one_formula[2]) > base["best_proxy"]["test"]["kendall"] else "0/1")
