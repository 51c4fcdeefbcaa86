"""Locate and read the NAS-Bench-Suite-Zero JSON files (shipped as package data)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from zcgp.errors import ZcgpError

__all__ = ["ENV_DATA_DIR", "PACKAGED_DATA_DIR", "SPACE_FILES", "data_dir", "read_space_file"]

ENV_DATA_DIR = "ZCGP_DATA_DIR"
PACKAGED_DATA_DIR = Path(__file__).resolve().parent / "data" / "nas-bench-suite-zero"

# space prefix of the task id -> file name
SPACE_FILES = {
    "nb101": "zc_nasbench101.json",
    "nb201": "zc_nasbench201.json",
    "nb301": "zc_nasbench301.json",
    "tnb101_micro": "zc_transbench101_micro.json",
    "tnb101_macro": "zc_transbench101_macro.json",
}


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The directory holding the five NAS-Bench-Suite-Zero JSON files.

    Parameters
    ----------
    override : str or os.PathLike, optional
        A directory to use; ``~`` is expanded. Without it, $ZCGP_DATA_DIR (ENV_DATA_DIR),
        else the copies shipped with zcgp (PACKAGED_DATA_DIR).

    Returns
    -------
    pathlib.Path
        The chosen directory. Only its existence is checked here; a missing or corrupt file
        is reported when it is read (`read_space_file`).

    Raises
    ------
    ZcgpError
        When the chosen path is not a directory.

    Examples
    --------
    >>> data_dir("/no/such/directory")
    Traceback (most recent call last):
    ...
    zcgp.errors.ZcgpError: data directory not found: /no/such/directory
    """
    chosen = override or os.environ.get(ENV_DATA_DIR) or PACKAGED_DATA_DIR
    path = Path(chosen).expanduser()
    if not path.is_dir():
        raise ZcgpError(f"data directory not found: {path}")
    return path


def read_space_file(space: str, directory: Path) -> dict:
    """The parsed JSON file of one search space.

    The result is cached per (path, modification time), so repeated loads of a space read
    the file once and an edited file is read again.

    Parameters
    ----------
    space : str
        A key of SPACE_FILES, e.g. "nb201" or "tnb101_micro".
    directory : pathlib.Path
        The data directory (`data_dir`).

    Returns
    -------
    dict
        The file's top-level JSON object (non-empty). Callers must not modify it: it is the
        cached object.

    Raises
    ------
    ZcgpError
        When the file is missing, unreadable, not valid JSON (with its line) or not a
        non-empty JSON object.
    KeyError
        When `space` is not a key of SPACE_FILES.
    """
    path = directory / SPACE_FILES[space]
    return _read_json(str(path), _mtime(path))


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        raise ZcgpError(f"data file missing: {path}") from None


@lru_cache(maxsize=16)
def _read_json(path: str, mtime_ns: float) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            payload = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ZcgpError(f"corrupt JSON in {path}: {exc.msg} at line {exc.lineno}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ZcgpError(f"cannot read {path}: {exc}") from None
    if not isinstance(payload, dict) or not payload:
        raise ZcgpError(f"unexpected layout in {path}: expected a non-empty JSON object")
    return payload
