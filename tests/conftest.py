import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from zcgp.fitness.data import PACKAGED_DATA_DIR

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# tests/mutation.py sets ZCGP_MUTATION: every mutant reruns the property tests, so they draw
# fewer, fixed examples there (a mutant must be killed the same way every time)
MUTATION = bool(os.environ.get("ZCGP_MUTATION"))
if MUTATION:
    settings.register_profile("mutation", derandomize=True, database=None)
    settings.load_profile("mutation")


def examples(n: int) -> int:
    """Hypothesis max_examples: n, or at most 40 under mutation testing."""
    return min(n, 40) if MUTATION else n


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped data directory, for corrupting in tests."""
    target = tmp_path / "data"
    shutil.copytree(PACKAGED_DATA_DIR, target)
    for f in target.iterdir():
        f.chmod(0o644)
    return target


@pytest.fixture
def tiny_data(tmp_path: Path):
    """Write a small data directory with one NB201-style file; returns a writer."""

    def write(records_by_task: dict) -> Path:
        directory = tmp_path / "tiny"
        directory.mkdir(exist_ok=True)
        for space_file in ("zc_nasbench201.json",):
            (directory / space_file).write_text(json.dumps(records_by_task))
        return directory

    return write


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op torch thread: tiny networks on a shared machine run up to 100x slower
    with more threads (oversubscription)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own zcgp cache directory (search references, measured costs)."""
    path = tmp_path_factory.mktemp("zcgp-cache")
    monkeypatch.setenv("ZCGP_CACHE_DIR", str(path))
    return path


# one small run of `zcgp evolve` on the three NB201 tasks, read (never written) by many tests
SMALL_RUN = ["--tasks", "nb201", "--population", "60", "--generations", "3", "--seed", "2", "--hof-size", "6",
             "--quiet", "--no-plots"]


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """The directory of a small nb201 run (SMALL_RUN), shared by the session: copy it before
    changing anything in it."""
    from zcgp.scripts.cli import main

    out = tmp_path_factory.mktemp("small_run") / "run"
    assert main(["evolve", *SMALL_RUN, "--out", str(out)]) == 0
    return out


@pytest.fixture
def small_run_copy(small_run, tmp_path) -> Path:
    """A private, writable copy of `small_run`."""
    target = tmp_path / "run"
    shutil.copytree(small_run, target)
    return target


def load_exported(path, name: str | None = None):
    """Import an exported proxy.py the way a user does (tests only: zcgp itself never imports one)."""
    spec = importlib.util.spec_from_file_location(name or f"exported_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
