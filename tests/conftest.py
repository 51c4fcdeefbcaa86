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
