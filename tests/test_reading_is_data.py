"""Reading a result, an exported proxy or a data file never executes code from it."""

import json
import os
import pickle

import numpy as np
import pytest

from zcgp.errors import UserInputError
from zcgp.proxies.data import read_cifar10
from zcgp.scripts.cli import main
from zcgp.searching import load_formula


class _Hostile:
    """Unpickling it makes a directory (as a stand-in for any command)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


@pytest.fixture
def run_dir(small_run_copy):
    return small_run_copy


def _plant(proxy_py, marker):
    """A line added to proxy.py that would run on import."""
    text = proxy_py.read_text()
    proxy_py.write_text(f"import os\nos.mkdir({str(marker)!r})\n" + text)


def test_search_proxy_dir_reads_json_and_never_imports_proxy_py(run_dir, tmp_path):
    marker = tmp_path / "ran"
    _plant(run_dir / "proxy.py", marker)
    for source in (run_dir, run_dir / "proxy.py"):
        formula = load_formula(source)
        best = json.loads((run_dir / "result.json").read_text())["best"]
        assert str(formula.tree) == best["formula"]
        values = formula.score({t: np.arange(5.0) for t in formula.terminals})
        assert values.shape == (5,)
    assert not marker.exists()


def test_evaluate_proxy_py_never_imports_it(run_dir, tmp_path, capsys):
    marker = tmp_path / "ran"
    _plant(run_dir / "proxy.py", marker)
    assert main(["evaluate", str(run_dir / "proxy.py"), "--tasks", "nb201/cifar10", "--metric", "kendall"]) == 0
    assert not marker.exists()


def test_hostile_cifar_batch_is_refused_without_running(tmp_path):
    marker = tmp_path / "ran"
    directory = tmp_path / "cifar"
    directory.mkdir()
    payload = {b"data": np.zeros((2, 3072), dtype=np.uint8), b"labels": [0, 1], b"x": _Hostile(marker)}
    (directory / "data_batch_1").write_bytes(pickle.dumps(payload))
    with pytest.raises(UserInputError, match=r"not a CIFAR-10 python batch: .*refusing posix.mkdir") as caught:
        read_cifar10(directory)
    assert "\n" not in str(caught.value)
    assert not marker.exists()


def test_genuine_cifar_batches_still_load(tmp_path):
    directory = tmp_path / "cifar"
    directory.mkdir()
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
    labels = [np.int64(3), np.int64(1), 2, 0]                 # numpy scalars and ints, as in real files
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        (directory / "data_batch_1").write_bytes(pickle.dumps({b"data": data, b"labels": labels}, protocol))
        images, got = read_cifar10(directory)
        np.testing.assert_array_equal(images.reshape(4, -1), data)
        assert got.tolist() == [3, 1, 2, 0]


def test_checkpoint_with_a_class_is_refused(run_dir, tmp_path):
    from zcgp.errors import ZcgpError
    from zcgp.gp.checkpoint import MAGIC, load_checkpoint
    marker = tmp_path / "ran"
    (tmp_path / "checkpoint.pkl").write_bytes(MAGIC + pickle.dumps({"format": "zcgp-gp-checkpoint",
                                                                    "x": _Hostile(marker)}))
    with pytest.raises(ZcgpError, match="corrupt"):
        load_checkpoint(tmp_path)
    assert not marker.exists()
