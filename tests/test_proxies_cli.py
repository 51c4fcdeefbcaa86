"""`zcgp proxies` (scripts/proxies.py), the CIFAR-10 reader and the synthetic batch."""

import csv
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from zcgp.errors import UserInputError
from zcgp.proxies.data import load_batch, parse_data_spec, read_cifar10
from zcgp.scripts.cli import main
from zcgp.spaces import nb201

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = "|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|"


@pytest.fixture(autouse=True, scope="module")
def _one_thread(one_torch_thread):
    """Tiny networks: one intra-op thread (see conftest)."""


def write_cifar(directory: Path, files=("data_batch_1", "data_batch_2"), per_file=10) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in files:
        payload = {b"data": rng.integers(0, 256, (per_file, 3072), dtype=np.uint8),
                   b"labels": list(rng.integers(0, 10, per_file))}
        with open(directory / name, "wb") as fh:
            pickle.dump(payload, fh)
    return directory


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_sampled_architectures_to_csv(tmp_path, capsys):
    out = tmp_path / "p.csv"
    code = main(["proxies", "--archs", "3", "--names", "params,flops,synflow,snip", "--batch-size", "4",
                 "--device", "cpu", "--out", str(out)])
    assert code == 0
    rows = read_rows(out)
    assert list(rows[0]) == ["arch", "ops", "index", "key", "params", "flops", "synflow", "snip"]
    assert len(rows) == 3 and len({r["key"] for r in rows}) == 3
    for row in rows:
        arch = nb201.to_tuple(row["arch"])
        assert str(arch) == row["ops"] and int(row["index"]) == nb201.to_index(arch)
        assert float(row["params"]) == pytest.approx(nb201.param_count(arch) / 1e6, abs=1e-12)
        assert float(row["flops"]) == pytest.approx(nb201.flop_count(arch) / 1e6, abs=1e-9)
        assert np.isfinite(float(row["synflow"]))
    assert "wrote 3 architectures x 4 proxies" in capsys.readouterr().out


def test_listed_architectures_are_deterministic_and_match_the_library(tmp_path):
    listing = tmp_path / "archs.txt"
    listing.write_text("# one per line\n(4, 0, 4, 1, 2, 0)\n" + EXAMPLE + "\n")
    outs = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for out in outs:
        assert main(["proxies", "--arch", EXAMPLE, "--arch-file", str(listing), "--names", "nwot,zen,jacov",
                     "--task", "ImageNet16-120", "--batch-size", "6", "--seed", "2", "--device", "cpu",
                     "--threads", "1", "--quiet", "--out", str(out)]) == 0
    first, second = read_rows(outs[0]), read_rows(outs[1])
    assert first == second
    assert [r["arch"] for r in first] == [EXAMPLE, nb201.to_string((4, 0, 4, 1, 2, 0))]   # repeats once
    from zcgp.proxies import compute_proxies
    from zcgp.proxies.measure import build_network

    # the seeding rule of zcgp.proxies.measure, by hand: weights by (seed, key), passes by seed + init
    inputs, targets = load_batch("synthetic", 6, 120, 16, seed=2)
    direct = [compute_proxies(build_network(nb201.SPACE, EXAMPLE, 2, 120, init), inputs, targets,
                              names="nwot,zen,jacov", device="cpu", seed=2 + init) for init in (0, 1)]
    for name in ("nwot", "zen", "jacov"):
        assert float(first[0][name]) == (direct[0][name][0] + direct[1][name][0]) / 2


def test_script_entry_point_is_the_same_command(tmp_path):
    out = tmp_path / "p.csv"
    args = ["--arch", EXAMPLE, "--names", "params", "--out", str(out), "--quiet", "--device", "cpu"]
    done = subprocess.run([sys.executable, "scripts/proxies.py", *args], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert read_rows(out)[0]["params"] == repr(0.615386)
    helped = subprocess.run([sys.executable, "scripts/proxies.py", "--help"], cwd=REPO,
                            capture_output=True, text=True, check=True)
    assert "zero-cost proxies" in helped.stdout and "--archs N" in helped.stdout


@pytest.mark.parametrize("argv, message", [
    (["--archs", "2", "--names", "snip,sinp"], "unknown proxy 'sinp'"),
    (["--arch", "|conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|"], "unknown NB201 op 'conv_9x9'"),
    (["--arch", "(0, 1, 2)"], "expected 6 op indices"),
    (["--archs", "1", "--data", "cifar10:/no/such/dir"], "CIFAR-10 directory not found: /no/such/dir"),
    (["--archs", "1", "--data", "imagenet:/x"], "unknown data source 'imagenet:/x'"),
    (["--archs", "1", "--device", "tpu"], "unknown device 'tpu'"),
    (["--archs", "1", "--task", "svhn"], "unknown task 'svhn' for space nb201"),
    (["--names", "snip"], "no architectures"),
    (["--arch-file", "/no/such/file"], "cannot read architecture file /no/such/file"),
])
def test_user_errors_are_one_line_with_exit_code_2(tmp_path, capsys, argv, message):
    code = main(["proxies", *argv, "--out", str(tmp_path / "x.csv"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("zcgp proxies: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()


def test_failed_values_are_written_as_nan_and_warned(tmp_path, capsys):
    out = tmp_path / "p.csv"
    assert main(["proxies", "--arch", EXAMPLE, "--names", "zico,params", "--batch-size", "1",
                 "--device", "cpu", "--quiet", "--out", str(out)]) == 0
    row = read_rows(out)[0]
    assert row["zico"] == "nan" and float(row["params"]) == 0.615386
    assert "zico: ValueError: zico needs a batch of at least 2 samples" in capsys.readouterr().err


def test_cifar10_reader_and_batch(tmp_path):
    directory = write_cifar(tmp_path / "cifar-10-batches-py")
    images, labels = read_cifar10(directory)
    assert images.shape == (20, 3, 32, 32) and images.dtype == np.uint8 and labels.shape == (20,)
    inputs, targets = load_batch(f"cifar10:{directory}", batch_size=8, seed=1)
    assert inputs.shape == (8, 3, 32, 32) and inputs.dtype == torch.float32 and targets.dtype == torch.int64
    again, _ = load_batch(f"cifar10:{directory}", batch_size=8, seed=1)
    assert torch.equal(inputs, again)
    # standardised with the CIFAR-10 statistics: pixel 0 of the first chosen image by hand
    pick = np.sort(np.random.default_rng(1).choice(20, 8, replace=False))
    expected = (images[pick[0], 0, 0, 0] / 255 - 0.49139968) / 0.24703233
    assert inputs[0, 0, 0, 0].item() == pytest.approx(expected, rel=1e-5)
    assert set(targets.tolist()) <= set(labels.tolist())


def test_cifar10_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserInputError, match="no CIFAR-10 train batches"):
        read_cifar10(empty)
    garbled = tmp_path / "garbled"
    garbled.mkdir()
    (garbled / "data_batch_1").write_bytes(b"not a pickle")
    with pytest.raises(UserInputError, match="not a CIFAR-10 python batch: .*data_batch_1"):
        read_cifar10(garbled)
    directory = write_cifar(tmp_path / "small", per_file=3)
    with pytest.raises(UserInputError, match="batch size 64 exceeds the 6 CIFAR-10 images"):
        load_batch(f"cifar10:{directory}")
    with pytest.raises(UserInputError, match="CIFAR-10 images are 32x32, but the task needs 16x16"):
        load_batch(f"cifar10:{directory}", batch_size=2, resolution=16)
    with pytest.raises(UserInputError, match="cifar10 data needs a directory"):
        parse_data_spec("cifar10")


def test_synthetic_batch_is_seeded_and_shaped():
    a, ta = load_batch("synthetic", 5, num_classes=120, resolution=16, seed=3)
    b, tb = load_batch(None, 5, num_classes=120, resolution=16, seed=3)
    c, _ = load_batch("synthetic", 5, num_classes=120, resolution=16, seed=4)
    assert a.shape == (5, 3, 16, 16) and torch.equal(a, b) and torch.equal(ta, tb) and not torch.equal(a, c)
    assert int(ta.max()) < 120
    with pytest.raises(UserInputError, match="batch size must be >= 1"):
        load_batch("synthetic", 0)


def test_bench_proxies_smoke(capsys):
    code = main(["bench", "proxies", "--networks", "2", "--archs", "4", "--batch-size", "4",
                 "--agreement-names", "params,flops,synflow"])
    out = capsys.readouterr().out
    assert code == 0
    assert "speed-up of the shared passes" in out and "NASLib-style" in out
    assert "max |params diff|" in out and "Spearman vs file" in out
    assert "own passes 0.0e+00" in out                 # shared and separate values identical


def test_bench_proxies_times_any_proxies_without_a_naslib_side(capsys):
    code = main(["bench", "proxies", "--networks", "2", "--batch-size", "4", "--skip-agreement",
                 "--names", "grad_norm,plain,grasp,fisher,jacov"])
    out = capsys.readouterr().out
    assert code == 0
    assert "no NASLib-style pass for plain, grasp, fisher: that side is left out" in out
    assert out.splitlines()[2].split() == ["proxy", "(ms", "/", "network)", "this", "module,", "own", "pass"]
    assert "own passes 0.0e+00" in out                 # grasp's shared backward gives the others' exact values
    rows = [line.rsplit(None, 1) for line in out.splitlines()[3:] if not line.startswith("-")]
    assert [name for name, _ in rows] == ["grad_norm", "plain", "grasp", "fisher", "jacov", "all, one pass per proxy",
                                          "all, shared passes (one call)", "speed-up of the shared passes"]
    assert float(rows[-1][1].rstrip("x")) > 1.0          # one forward for all five beats five forwards


def test_measuring_in_chunks_equals_one_network_at_a_time(one_torch_thread):
    import numpy as np

    from zcgp.proxies.measure import MeasureSettings, measure_networks
    from zcgp.spaces import get_space

    space = get_space("nb201")
    archs = space.sample_distinct(5, 1)
    names = ("synflow", "params", "snip")
    settings = MeasureSettings(batch_size=8, inits=1, seed=2, device="cpu")
    alone = [measure_networks(space, [a], names, 10, 32, settings) for a in archs]
    chunked = measure_networks(space, archs, names, 10, 32, settings, chunk=2)
    reversed_order = measure_networks(space, archs[::-1], names, 10, 32, settings, chunk=3)
    for name in names:
        np.testing.assert_array_equal(chunked[name], [r[name][0] for r in alone])
        np.testing.assert_array_equal(reversed_order[name][::-1], chunked[name])


@pytest.mark.slow
def test_proxies_through_joblib_equal_serial(tmp_path, one_torch_thread):
    """--n-jobs scores chunks of networks in joblib (loky) workers; every value equals the serial run."""
    args = ["proxies", "--archs", "5", "--names", "synflow,params,snip,jacov", "--batch-size", "8",
            "--seed", "3", "--quiet", "--threads", "1"]
    assert main([*args, "--out", str(tmp_path / "serial.csv")]) == 0
    assert main([*args, "--n-jobs", "2", "--out", str(tmp_path / "joblib.csv")]) == 0
    serial, parallel = ((tmp_path / f).read_text() for f in ("serial.csv", "joblib.csv"))
    assert serial == parallel and len(serial.splitlines()) == 6
