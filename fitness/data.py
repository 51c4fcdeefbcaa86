"""Locate and read the NAS-Bench-Suite-Zero JSON files (shipped as package data)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from zcgp.errors import ZcgpError

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
    """The directory holding the five files: argument, else $ZCGP_DATA_DIR, else package data."""
    chosen = override or os.environ.get(ENV_DATA_DIR) or PACKAGED_DATA_DIR
    path = Path(chosen).expanduser()
    if not path.is_dir():
        raise ZcgpError(f"data directory not found: {path}")
    return path


def read_space_file(space: str, directory: Path) -> dict:
    """Parsed JSON of one space's file, with a one-line error for a missing or corrupt file."""
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
