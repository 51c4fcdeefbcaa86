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

__all__ = ["FILENAME", "FORMAT", "MAGIC", "VERSION", "checkpoint_path", "load_checkpoint", "save_checkpoint"]

MAGIC = b"ZCGP-GP-CHECKPOINT\n"
FORMAT = "zcgp-gp-checkpoint"
VERSION = 1
FILENAME = "checkpoint.pkl"


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"unexpected object {module}.{name}")


def checkpoint_path(directory) -> Path:
    """The checkpoint file of a run.

    Parameters
    ----------
    directory : str or path
        A run directory, or a path ending in ".pkl" (the file itself).

    Returns
    -------
    pathlib.Path
        `directory` when it ends in ".pkl", else ``directory / FILENAME``.
    """
    path = Path(directory)
    return path if path.suffix == ".pkl" else path / FILENAME


def save_checkpoint(directory, state: dict) -> Path:
    """Write a run's state as a checkpoint, atomically (a crash leaves the previous one).

    Parameters
    ----------
    directory : str or path
        The run directory (or the .pkl file, see `checkpoint_path`); created if missing.
    state : dict
        Plain data only (dicts, lists, tuples, strings, numbers, bools, None), e.g.
        `gp.evolution.Engine.state()`; "format" and "version" keys are added.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_checkpoint(tmp, {"generation": 3})
    ...     state = load_checkpoint(tmp)
    >>> path.name, state["generation"], state["version"]
    ('checkpoint.pkl', 3, 1)
    """
    path = checkpoint_path(directory)
    payload = {"format": FORMAT, "version": VERSION, **state}
    atomic_write_bytes(path, MAGIC + pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def load_checkpoint(directory) -> dict:
    """Read a checkpoint written by `save_checkpoint`, refusing any pickled class or function.

    Parameters
    ----------
    directory : str or path
        The run directory (or the .pkl file, see `checkpoint_path`).

    Returns
    -------
    dict
        The saved state, with its "format" and "version" keys.

    Raises
    ------
    ZcgpError
        When the file is missing or unreadable, is not a zcgp checkpoint, is truncated or
        corrupt, holds anything but plain data, or has another VERSION.
    """
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
