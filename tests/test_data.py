import hashlib
import json

import numpy as np
import pytest

from tests.conftest import SHARED
from zcgp.errors import ZcgpError
from zcgp.fitness import load_tasks, task_ids
from zcgp.fitness.data import PACKAGED_DATA_DIR, SPACE_FILES
from zcgp.fitness.splits import split_indices, task_split
from zcgp.fitness.tasks import build_task, resolve_selector

EXPECTED_IDS = [
    "nb101/cifar10", "nb201/cifar10", "nb201/cifar100", "nb201/ImageNet16-120", "nb301/cifar10",
    *(f"tnb101_{kind}/{t}" for kind in ("micro", "macro") for t in (
        "class_scene", "class_object", "autoencoder", "normal", "jigsaw", "room_layout", "segmentsemantic")),
]


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.skipif(not (SHARED / "nas-bench-suite-zero").is_dir(), reason="../shared not present")
def test_shipped_files_are_byte_identical_to_shared():
    for name in SPACE_FILES.values():
        assert _sha(PACKAGED_DATA_DIR / name) == _sha(SHARED / "nas-bench-suite-zero" / name), name


def test_all_19_tasks_load_with_expected_shapes():
    tasks = load_tasks("all")
    assert [t.id for t in tasks] == EXPECTED_IDS
    sizes = {t.id: t.n for t in tasks}
    assert sizes["nb101/cifar10"] == 500 and sizes["nb201/ImageNet16-120"] == 724
    assert sizes["tnb101_macro/class_scene"] == 662 and sizes["tnb101_micro/jigsaw"] == 711
    for t in tasks:
        assert t.values.shape == (t.n, len(t.proxies)) and t.target.shape == (t.n,)
        assert np.isfinite(t.target).all()
        present = t.values[np.isfinite(t.values)]
        assert (np.abs(present) < 1e8).all()


def test_readme_example_row_and_missing_conventions():
    nb201, nb101, micro = load_tasks("nb201/cifar10,nb101/cifar10,tnb101_micro/class_scene")
    row = nb201.archs.index("(0, 2, 3, 2, 3, 1)")
    assert nb201.column("params")[row] == pytest.approx(0.615386)
    assert nb201.target[row] == pytest.approx(86.06)
    assert "nwot" not in nb101.proxies and np.isnan(nb101.cost["flops"])
    assert "synflow" not in micro.proxies and micro.dropped == {"epe_nas": 0.0}
    assert np.isnan(micro.column("jacov")).sum() == 20
    assert 0.3 < nb201.cost["flops"] < 0.4          # mean seconds from the files' time fields
    with pytest.raises(ZcgpError, match="not usable on task tnb101_micro/class_scene"):
        micro.column("epe_nas")
    with pytest.raises(ZcgpError, match="unknown proxy 'zzz'"):
        micro.column("zzz")


def test_selectors():
    known = task_ids()
    assert resolve_selector("all", known) == EXPECTED_IDS
    assert resolve_selector("nb201", known) == EXPECTED_IDS[1:4]
    assert resolve_selector("nb201/imagenet16-120, nb101/cifar10", known) == ["nb201/ImageNet16-120", "nb101/cifar10"]
    assert len(resolve_selector("tnb101_macro,nb201/cifar10,nb201", known)) == 10
    with pytest.raises(ZcgpError, match="unknown task 'nb999'.*valid: all"):
        resolve_selector("nb999", known)
    with pytest.raises(ZcgpError, match="empty task selection"):
        resolve_selector(" , ", known)


def test_splits_are_deterministic_disjoint_and_seeded():
    train, test = split_indices("nb201/cifar10", 725, seed=0)
    assert train.size == 145 and test.size == 580
    assert np.intersect1d(train, test).size == 0 and np.union1d(train, test).size == 725
    again = split_indices("nb201/cifar10", 725, seed=0)
    assert (again[0] == train).all()
    assert not np.array_equal(split_indices("nb201/cifar10", 725, seed=1)[0], train)
    assert not np.array_equal(split_indices("nb201/cifar100", 725, seed=0)[0], train)
    task = load_tasks("nb201/cifar10")[0]
    assert (task_split(task, 0)[0] == train).all()
    with pytest.raises(ZcgpError, match="train fraction"):
        split_indices("x", 100, train_fraction=1.5)


def test_build_task_errors_and_sentinels():
    good = {"a": {"val_accuracy": 1.0, "synflow": {"score": 1e8, "time": 1}, "nwot": {"score": 3.0, "time": 2}},
            "b": {"val_accuracy": 2.0, "synflow": {"score": float("nan"), "time": 1}, "nwot": {"score": 4.0}}}
    task = build_task("nb201/x", good, "f.json")
    assert task.proxies == ("nwot",) and task.dropped == {"synflow": 0.0}
    assert task.cost == {"nwot": 2.0}
    with pytest.raises(ZcgpError, match="task nb201/x in f.json has no usable proxy"):
        build_task("nb201/x", {"a": {"val_accuracy": 1.0, "synflow": 1e9}}, "f.json")
    with pytest.raises(ZcgpError, match="has no architectures"):
        build_task("nb201/x", {}, "f.json")
    with pytest.raises(ZcgpError, match="lacks a numeric val_accuracy"):
        build_task("nb201/x", {"a": {"nwot": 1.0}}, "f.json")


def test_data_dir_errors(data_copy, monkeypatch):
    (data_copy / "zc_nasbench301.json").write_text('{"cifar10": {"(0,')
    with pytest.raises(ZcgpError, match=r"corrupt JSON in .*zc_nasbench301.json"):
        load_tasks("nb301", data_dir=data_copy)
    assert load_tasks("nb201/cifar10", data_dir=data_copy)[0].n == 725     # other files still fine
    (data_copy / "zc_nasbench101.json").unlink()
    with pytest.raises(ZcgpError, match=r"data file missing: .*zc_nasbench101.json"):
        load_tasks("nb101", data_dir=data_copy)
    monkeypatch.setenv("ZCGP_DATA_DIR", str(data_copy / "nope"))
    with pytest.raises(ZcgpError, match="data directory not found"):
        load_tasks("nb201")
    monkeypatch.setenv("ZCGP_DATA_DIR", str(data_copy))
    (data_copy / "zc_nasbench201.json").write_text(json.dumps({"cifar10": {"x": {"val_accuracy": 1, "nwot": 2}}}))
    with pytest.raises(ZcgpError, match="too few"):
        task_split(load_tasks("nb201/cifar10")[0])


def test_atomic_write_keeps_the_usual_file_mode(tmp_path):
    import os

    from zcgp.util import atomic_write_json
    atomic_write_json(tmp_path / "r.json", {"x": float("nan"), "y": (1, 2)})
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o666 & ~umask
    assert json.loads((tmp_path / "r.json").read_text()) == {"x": None, "y": [1, 2]}
