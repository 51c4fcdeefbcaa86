"""`zcgp export` writes the member it was asked for: checked by scoring the module with scipy."""

import json

import numpy as np
import pytest
from conftest import load_exported
from scipy import stats

from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import task_split
from zcgp.scripts.cli import main


@pytest.fixture
def run_dir(small_run):
    return small_run


def _load(path):
    return load_exported(path, f"exported_{path.stem}")


def _train_fitness(module):
    """Mean train Kendall of an exported module over the NB201 tasks, computed with scipy."""
    taus = []
    for task in load_tasks("nb201"):
        train = task_split(task, 2)[0]
        scores = module.proxy({p: task.column(p)[train] for p in module.TERMINALS})
        constant = np.ptp(scores) == 0             # the engine scores a constant formula -1 (WORST)
        taus.append(-1.0 if constant else stats.kendalltau(scores, task.target[train]).statistic)
    return float(np.mean(taus))


@pytest.mark.parametrize("front, index", [(None, 0), (None, 3), (None, 5), ("size", 0), ("size", -1), ("cost", 0)])
def test_export_writes_the_chosen_member(run_dir, tmp_path, capsys, front, index):
    result = json.loads((run_dir / "result.json").read_text())
    listing = result["hall_of_fame"] if front is None else result[f"pareto_{front}"]
    index = index % len(listing)
    member = listing[index]
    args = ["export", str(run_dir), "--index", str(index), "--out", str(tmp_path / "m.py")]
    assert main([*args, *(["--pareto", front] if front else [])]) == 0
    assert capsys.readouterr().out.startswith(f"{member['formula_infix']}  (train fitness {member['fitness']:.4f}")
    module = _load(tmp_path / "m.py")
    assert member["formula"] == module.FORMULA
    assert _train_fitness(module) == pytest.approx(member["fitness"], abs=1e-12)
    info = json.loads((tmp_path / "m.json").read_text())
    assert (info["index"], info["source"], info["size"]) == (index, f"pareto_{front}" if front else "hof",
                                                             member["size"])


def test_members_differ_and_default_paths_name_them(run_dir):
    result = json.loads((run_dir / "result.json").read_text())
    assert len(result["hall_of_fame"]) == 6
    assert main(["export", str(run_dir), "--index", "4"]) == 0
    assert main(["export", str(run_dir), "--pareto", "size", "--index", "1"]) == 0
    hof4, size1 = _load(run_dir / "proxy_hof4.py"), _load(run_dir / "proxy_pareto_size1.py")
    assert hof4.FORMULA == result["hall_of_fame"][4]["formula"] != result["hall_of_fame"][0]["formula"]
    assert result["pareto_size"][1]["formula"] == size1.FORMULA
    assert result["hall_of_fame"][0]["fitness"] >= result["hall_of_fame"][4]["fitness"]


@pytest.mark.parametrize("args, message", [
    (["--index", "6"], "--index 6 is out of range: the hall of fame has 6 member(s)"),
    (["--index", "-1"], "--index -1 is out of range: the hall of fame has 6 member(s)"),
    (["--pareto", "cost", "--index", "99"], "--index 99 is out of range: the Pareto front (cost) has"),
])
def test_out_of_range_index_is_a_one_line_error(run_dir, tmp_path, capsys, args, message):
    assert main(["export", str(run_dir), *args, "--out", str(tmp_path / "x.py")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"zcgp export: error: {message}") and "\n" not in err
    assert not (tmp_path / "x.py").exists()
