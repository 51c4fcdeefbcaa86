"""Checkpoints never execute what they load: a hostile pickle's payload must not run."""

import pickle

import pytest

from zcgp.errors import ZcgpError
from zcgp.gp.checkpoint import FORMAT, MAGIC, VERSION, load_checkpoint, save_checkpoint
from zcgp.scripts.cli import main


class WritesMarker:
    """Unpickling this calls exec(), which writes `marker`: a real code-execution payload."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('payload ran')",)


def _hostile(tmp_path, name, payload):
    marker = tmp_path / f"{name}.marker"
    data = pickle.dumps(payload(marker), protocol=pickle.HIGHEST_PROTOCOL)
    pickle.loads(data)                                   # the payload is real: plain pickle runs it
    assert marker.read_text() == "payload ran"
    marker.unlink()
    directory = tmp_path / name
    directory.mkdir()
    (directory / "checkpoint.pkl").write_bytes(MAGIC + data)
    return directory, marker


@pytest.mark.parametrize("name, payload, shown", [
    ("top-level", WritesMarker, "builtins.exec"),
    # hidden inside a well-formed checkpoint dict
    ("nested", lambda m: {"format": FORMAT, "version": VERSION, "population": [WritesMarker(m)]}, "builtins.exec"),
])
def test_hostile_pickle_does_not_run(tmp_path, capsys, name, payload, shown):
    directory, marker = _hostile(tmp_path, name, payload)
    with pytest.raises(ZcgpError) as exc:
        load_checkpoint(directory)
    assert str(exc.value) == f"checkpoint {directory / 'checkpoint.pkl'} is corrupt: unexpected object {shown}"
    assert not marker.exists()
    assert main(["evolve", "--resume", str(directory), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"zcgp evolve: error: {exc.value}"
    assert not marker.exists()


def test_plain_state_round_trips(tmp_path):
    state = {"generation": 3, "population": ["add(a, b)"], "random_state": (3, tuple(range(5)), None),
             "scores": [(0.5, float("inf"))], "flag": True, "none": None}
    path = save_checkpoint(tmp_path, state)
    assert path == tmp_path / "checkpoint.pkl" and path.read_bytes().startswith(MAGIC)
    assert load_checkpoint(tmp_path) == {"format": FORMAT, "version": VERSION, **state}
    assert load_checkpoint(path) == load_checkpoint(tmp_path)          # a file path works too


@pytest.mark.parametrize("data, message", [
    (None, "no checkpoint found: {path}"),
    (b"PK\x03\x04 zip", "checkpoint {path} is corrupt: not a zcgp checkpoint"),
    (MAGIC + pickle.dumps([1, 2]), "checkpoint {path} is corrupt: not a zcgp checkpoint"),
    (MAGIC + pickle.dumps({"format": "other", "version": VERSION}),
     "checkpoint {path} is corrupt: not a zcgp checkpoint"),
    (MAGIC + pickle.dumps({"format": FORMAT, "version": 99}),
     "checkpoint {path} has version 99; this zcgp reads version 1"),
    (MAGIC + b"\x80\x05", "checkpoint {path} is corrupt: Ran out of input"),
    # an exception without a message is named by its type; a multi-line one shows its first line
    (MAGIC + b"\x80\x05\x96" + (2**62).to_bytes(8, "little"), "checkpoint {path} is corrupt: MemoryError"),
    (MAGIC + b"\x80\x05K\x01Q", "checkpoint {path} is corrupt: A load persistent id instruction was encountered,"),
])
def test_bad_files_name_the_problem(tmp_path, data, message):
    path = tmp_path / "checkpoint.pkl"
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(ZcgpError) as exc:
        load_checkpoint(tmp_path)
    assert str(exc.value) == message.format(path=path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path, {"generation": 0})

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(path), "read_bytes", denied)
    with pytest.raises(ZcgpError) as exc:
        load_checkpoint(tmp_path)
    assert str(exc.value) == f"cannot read checkpoint {path}: Permission denied"

    def bare(self):
        raise OSError("device gone")

    monkeypatch.setattr(type(path), "read_bytes", bare)
    with pytest.raises(ZcgpError) as exc:
        load_checkpoint(tmp_path)
    assert str(exc.value) == f"cannot read checkpoint {path}: device gone"
