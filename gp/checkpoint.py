"""Checkpoints: a versioned pickle of plain data (no classes), written atomically.

The state holds only dicts, lists, tuples, strings, numbers, bools and None (trees as
strings, scores as float tuples, `random.getstate()`). Loading uses an unpickler that
refuses every class or function, so a foreign or tampered file cannot run code; a
missing, truncated, corrupt or foreign file is a one-line `ZcgpError`.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

from zcgp.errors import ZcgpError
from zcgp.util import atomic_write_bytes

MAGIC = b"ZCGP-GP-CHECKPOINT\n"
FORMAT = "zcgp-gp-checkpoint"
VERSION = 1
FILENAME = "checkpoint.pkl"


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"unexpected object {module}.{name}")


def checkpoint_path(directory) -> Path:
    path = Path(directory)
    return path if path.suffix == ".pkl" else path / FILENAME


def save_checkpoint(directory, state: dict) -> Path:
    path = checkpoint_path(directory)
    payload = {"format": FORMAT, "version": VERSION, **state}
    atomic_write_bytes(path, MAGIC + pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def load_checkpoint(directory) -> dict:
    path = checkpoint_path(directory)
    if not path.is_file():
        raise ZcgpError(f"no checkpoint found: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ZcgpError(f"cannot read checkpoint {path}: {exc.strerror or exc}") from None
    if not data.startswith(MAGIC):
        raise ZcgpError(f"checkpoint {path} is corrupt: not a zcgp checkpoint")
    try:
        state = _PlainUnpickler(io.BytesIO(data[len(MAGIC):])).load()
    except Exception as exc:  # noqa: BLE001 -- truncated or garbled pickles raise many different types
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ZcgpError(f"checkpoint {path} is corrupt: {reason}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ZcgpError(f"checkpoint {path} is corrupt: not a zcgp checkpoint")
    if state.get("version") != VERSION:
        raise ZcgpError(f"checkpoint {path} has version {state.get('version')!r}; "
                        f"this zcgp reads version {VERSION}")
    return state
