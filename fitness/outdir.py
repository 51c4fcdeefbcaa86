"""One writer per output: a lock on every `--out`, and no silent overwrite.

`claim_dir(DIR, names=...)` and `claim_file(FILE)` are context managers held while a
command writes its output. They
  * refuse a path of the wrong kind (a file given as a directory, or the reverse), a
    directory that cannot be created or written, in one line (ZcgpError);
  * take an exclusive lock (filelock, non-blocking): a second process writing the same
    output gets a one-line error instead of mixing its files with the first one's. The
    lock file is `DIR/.zcgp.lock` (a directory) or `.NAME.lock` beside FILE; the operating
    system drops the lock when the process ends, however it ends, so a crash never
    leaves the output locked;
  * refuse an output that already holds results (any of `names` in DIR, or FILE itself)
    unless `overwrite` (the command's --overwrite), which removes those files first so an
    interrupted new run never mixes with the old one; a resumed run (`resume=True`)
    continues its own directory.
Every file is still written atomically (`fitness.io`).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from zcgp.fitness.errors import ZcgpError

LOCK_NAME = ".zcgp.lock"


def _make_dir(path: Path, option: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ZcgpError(f"cannot create {option} {path}: a parent is an existing file") from None
    except OSError as exc:
        raise ZcgpError(f"cannot create {option} {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ZcgpError(f"{option} {path} is not writable")


@contextmanager
def _locked(lock_path: Path, output: Path, option: str):
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ZcgpError(f"{option} {output} is being written by another zcgp process (lock "
                        f"{lock_path}); wait for it to finish or choose another {option}") from None
    except OSError as exc:
        raise ZcgpError(f"cannot lock {option} {output}: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def claim_dir(path, names=(), overwrite: bool = False, resume: bool = False, option: str = "--out"):
    """Hold output directory `path` (None: nothing to claim) while writing `names` into it."""
    if path is None:
        yield None
        return
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ZcgpError(f"{option} {path} is an existing file, not a directory")
    _make_dir(path, option)
    with _locked(path / LOCK_NAME, path, option):
        existing = [n for n in names if (path / n).exists()]
        if existing and not resume:
            if not overwrite:
                hint = f", or --resume {path} to continue it" if "checkpoint.pkl" in existing else ""
                raise ZcgpError(f"{option} {path} already holds results ({', '.join(existing)}); "
                                f"pass --overwrite to replace them{hint}")
            for name in existing:
                target = path / name
                if target.is_dir():
                    raise ZcgpError(f"cannot overwrite {target}: it is a directory")
                target.unlink()
        yield path


@contextmanager
def claim_file(path, overwrite: bool = False, companions=(), option: str = "--out"):
    """Hold output file `path` (and `companions`, e.g. its .json twin) while writing it."""
    if path is None:
        yield None
        return
    path = Path(path)
    if path.is_dir():
        raise ZcgpError(f"{option} {path} is a directory; give a file name")
    _make_dir(path.parent, f"{option} parent")
    with _locked(path.parent / f".{path.name}.lock", path, option):
        existing = [p for p in (path, *map(Path, companions)) if p.exists()]
        if existing and not overwrite:
            raise ZcgpError(f"{option} {existing[0]} exists; pass --overwrite to replace it")
        for other in existing:
            if other.is_dir():
                raise ZcgpError(f"cannot overwrite {other}: it is a directory")
        yield path

