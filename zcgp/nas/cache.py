"""The search's disk cache: reference values and measured costs, keyed by what they depend on.

Both live in `cache_dir()` ($ZCGP_CACHE_DIR, else $XDG_CACHE_HOME/zcgp, else ~/.cache/zcgp)
as small JSON files named by a hash of their key fields (`cache_file`). A file that cannot
be read is ignored and one that cannot be written is skipped: the cache only saves time.
  * reference values: the raw proxies of a search's reference networks, keyed by the
    measure (space, input, seed, device, initialisations), the proxy names and the
    architectures, so a second search with the same settings pays nothing for them;
  * costs: seconds per network of a proxy set, keyed by the measure without its seed (the
    same network for every search seed), so every seed reads what was measured once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from zcgp import __version__
from zcgp.util import atomic_write_json

ENV_CACHE_DIR = "ZCGP_CACHE_DIR"

__all__ = ["ENV_CACHE_DIR", "cache_dir", "cache_file", "load_reference", "read_cached", "store_reference",
           "write_cached"]


def cache_dir() -> Path:
    """The cache directory: $ZCGP_CACHE_DIR, else $XDG_CACHE_HOME/zcgp, else ~/.cache/zcgp.

    Empty environment variables count as unset. The directory is not created here; writing a
    cache file creates it.

    Returns
    -------
    pathlib.Path
        The directory, read from the environment at each call.
    """
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "zcgp"


def cache_file(kind: str, fields: dict, **key) -> Path:
    """The cache file of one entry: `cache_dir()/KIND-HASH.json`.

    HASH is the first 20 hex digits of a SHA-256 over `fields`, `key` and the zcgp version, so
    a new zcgp version never reads an older version's values.

    Parameters
    ----------
    kind : str
        The entry kind, the file name's prefix: "reference" or "cost".
    fields : dict
        The fields the values depend on, e.g. a measure's `key_fields`; JSON-serializable.
    **key
        Further JSON-serializable fields of the key (proxy names, architecture keys); they
        override `fields` of the same name.

    Returns
    -------
    pathlib.Path
        The file's path; it may not exist.
    """
    blob = json.dumps({**fields, **key, "version": __version__}, sort_keys=True)
    return cache_dir() / f"{kind}-{hashlib.sha256(blob.encode()).hexdigest()[:20]}.json"


def read_cached(path: Path):
    """The JSON in `path`, or None when it is absent or unreadable.

    Parameters
    ----------
    path : pathlib.Path
        A cache file (`cache_file`).

    Returns
    -------
    object or None
        The decoded JSON; None when the file is missing, cannot be read or is not valid JSON.
    """
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_cached(path: Path, payload) -> None:
    """Write `payload` to `path` as JSON, atomically; a cache that cannot be written is skipped.

    Parameters
    ----------
    path : pathlib.Path
        A cache file (`cache_file`); missing directories are created.
    payload : object
        JSON-compatible data (`zcgp.util.atomic_write_json`: non-finite floats become null).
    """
    with contextlib.suppress(OSError):
        atomic_write_json(path, payload)


def _reference_file(measure, names, archs) -> Path | None:
    fields = getattr(measure.measure, "key_fields", None)
    if fields is None:                            # table values cost nothing: no cache
        return None
    return cache_file("reference", fields, names=sorted(names), archs=sorted(measure.space.key(a) for a in archs))


def load_reference(measure, archs: Sequence, names: Sequence[str]) -> bool:
    """Put the reference architectures' cached raw values, if any, into the measure's cache.

    Parameters
    ----------
    measure : SharedMeasure
        The search's measure; its `cache` receives the values, keyed by `measure.space.key`. A
        table measure (no `key_fields`) has no disk cache.
    archs : sequence
        The reference architectures.
    names : sequence of str
        The proxies whose raw values are wanted.

    Returns
    -------
    bool
        True when a value of every proxy in `names` for every architecture was in the cache
        (a cached null is NaN); False otherwise, and then nothing is put into `measure.cache`.
    """
    path = _reference_file(measure, names, archs)
    stored = None if path is None else read_cached(path)
    if stored is None:
        return False
    try:
        values = {measure.space.key(a): {n: (np.nan if stored[measure.space.key(a)][n] is None
                                             else float(stored[measure.space.key(a)][n])) for n in names}
                  for a in archs}
    except (KeyError, TypeError, ValueError):
        return False
    for key, row in values.items():
        measure.cache.setdefault(key, {}).update(row)
    return True


def store_reference(measure, archs: Sequence, names: Sequence[str]) -> None:
    """Write the reference architectures' raw values to the cache, when all were computed.

    Nothing is written for a table measure (no `key_fields`), or when a value of one of
    `names` is missing from `measure.cache` for one of `archs`.

    Parameters
    ----------
    measure : SharedMeasure
        The search's measure, whose `cache` holds the values.
    archs : sequence
        The reference architectures.
    names : sequence of str
        The proxies whose raw values are stored.
    """
    path = _reference_file(measure, names, archs)
    keys = [measure.space.key(a) for a in archs]
    if path is None or not all(all(n in measure.cache.get(k, {}) for n in names) for k in keys):
        return
    write_cached(path, {k: {n: measure.cache[k][n] for n in names} for k in keys})
