"""The distribution installs exactly one import name, `zcgp`, with the data it needs."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def _clean_copy(target: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    for name in ("zcgp", "gp", "fitness", "proxies", "spaces", "scripts", "setup.cfg", "pyproject.toml"):
        assert (target / name).exists(), f"{name} is not tracked by git"
    return target


def test_wheel_top_level_is_exactly_zcgp(tmp_path):
    source = _clean_copy(tmp_path / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("zcgp-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"zcgp"}
    for sub in ("fitness", "gp", "proxies", "spaces", "scripts"):
        assert f"zcgp/{sub}/__init__.py" in names
    assert "zcgp/fitness/data/nas-bench-suite-zero/zc_nasbench201.json" in names
    assert "zcgp/spaces/data/nas-bench-201/nb201_test_accuracy.csv" in names
    assert "zcgp/fitness/data/NOTICE" in names and "zcgp/spaces/data/NOTICE" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "zcgp = zcgp.scripts.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
