"""Generic utilities below every layer: atomic writes, output locks, text tables, plotting.

Writes (`atomic_write_text`, `atomic_write_bytes`, `atomic_write_json`): through a temporary
file in the same directory, then a rename, so a crash never leaves a half-written file.

Outputs (`claim_dir`, `claim_file`): one writer per output and no silent overwrite.
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
Every file is still written atomically.

Tables (`format_table`, `fmt`): plain text for the terminal. Plots (`pyplot`, `finish`):
matplotlib on the Agg backend, imported lazily and optional.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from zcgp.errors import ZcgpError

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_write_text", "claim_dir", "claim_file", "finish", "fmt",
           "format_table", "json_safe", "pyplot"]


# ---- atomic writes -----------------------------------------------------------------------------
def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` as UTF-8, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The target file; missing parent directories are created.
    text : str
        The whole new content of the file.

    Notes
    -----
    The same temporary-file-and-rename protocol as `atomic_write_bytes`: a crash leaves either
    the old file or the new one, never a half-written file.
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same directory, then rename it over the target.

    Parameters
    ----------
    path : str or os.PathLike
        The target file; missing parent directories are created.
    data : bytes
        The whole new content of the file.

    Notes
    -----
    The temporary file is `.NAME.*.tmp` beside the target; it is flushed and fsynced before
    `os.replace`, and removed if anything fails (including KeyboardInterrupt). The new file gets
    the usual mode (0666 less the umask), not mkstemp's 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)          # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_safe(value):
    """A copy of `value` that JSON can hold: non-finite floats become None, tuples become lists.

    Parameters
    ----------
    value : object
        A float, dict, list, tuple or any other value; dicts, lists and tuples are converted
        recursively, other values are returned unchanged.

    Returns
    -------
    object
        The converted value; NaN, inf and -inf become None (JSON has no NaN or infinity).
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def atomic_write_json(path: str | os.PathLike, payload) -> None:
    """Write `payload` to `path` as indented JSON, atomically, non-finite floats as null.

    Parameters
    ----------
    path : str or os.PathLike
        The target file; missing parent directories are created.
    payload : object
        JSON-compatible data, passed through `json_safe` first; objects with a `tolist` method
        (numpy arrays and scalars) are written as their `tolist()`.

    Raises
    ------
    TypeError
        If `payload` holds a value that is neither JSON-compatible nor has `tolist`.
    """
    text = json.dumps(json_safe(payload), indent=2, allow_nan=False, default=_jsonable)
    atomic_write_text(path, text + "\n")


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# ---- outputs -------------------------------------------------------------------------------------
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
    """Hold output directory `path` while a command writes `names` into it (a context manager).

    Creates the directory, takes the exclusive lock `path/.zcgp.lock` for the duration of the
    `with` block, and refuses to mix new results with old ones (see the module docstring).

    Parameters
    ----------
    path : str, os.PathLike or None
        The output directory; None claims nothing and yields None.
    names : iterable of str, default ()
        The file names the command writes in `path`; any that already exist are "results".
    overwrite : bool, default False
        Remove existing `names` first instead of refusing (the command's --overwrite).
    resume : bool, default False
        Keep existing `names`: a resumed run continues its own directory.
    option : str, default "--out"
        The command-line option named in error messages.

    Yields
    ------
    pathlib.Path or None
        `path` as a Path, held until the block ends; None when `path` is None.

    Raises
    ------
    ZcgpError
        If `path` is an existing file, cannot be created or written, is locked by another
        process, or already holds any of `names` without `overwrite` or `resume`, or if one of
        those names to overwrite is a directory.
    """
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
    """Hold output file `path` (and its `companions`) while a command writes it (a context manager).

    Creates the parent directory and takes the exclusive lock `.NAME.lock` beside `path` for the
    duration of the `with` block. The caller writes the files; nothing is removed here.

    Parameters
    ----------
    path : str, os.PathLike or None
        The output file; None claims nothing and yields None.
    overwrite : bool, default False
        Allow `path` or a companion to exist already (the command's --overwrite).
    companions : iterable of str or os.PathLike, default ()
        Files written alongside `path`, e.g. its .json twin, checked the same way.
    option : str, default "--out"
        The command-line option named in error messages.

    Yields
    ------
    pathlib.Path or None
        `path` as a Path, held until the block ends; None when `path` is None.

    Raises
    ------
    ZcgpError
        If `path` is a directory, its parent cannot be created or written, it is locked by
        another process, it or a companion exists without `overwrite`, or an existing one is a
        directory.
    """
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


# ---- text tables ---------------------------------------------------------------------------------
def fmt(value, digits: int = 3) -> str:
    """One table cell as text: None and NaN as "-", floats with `digits` decimals, others by `str`.

    Parameters
    ----------
    value : object
        The cell value.
    digits : int, default 3
        Decimal places for floats.

    Returns
    -------
    str
        The cell text.

    Examples
    --------
    >>> fmt(0.12345), fmt(float("nan")), fmt(None), fmt(7)
    ('0.123', '-', '-', '7')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_table(header: list[str], rows: list[list], footer: list[list] | None = None) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned.

    A rule of dashes goes under the header and, when there is a footer, before it. Cells are
    formatted by `fmt` (floats with 3 decimals, None and NaN as "-").

    Parameters
    ----------
    header : list of str
        The column titles; their number sets the number of columns.
    rows : list of list
        The body rows, one value per column.
    footer : list of list, optional
        Rows set apart below a second rule, e.g. a mean.

    Returns
    -------
    str
        The table, lines joined by newlines, no trailing newline.

    Examples
    --------
    >>> print(format_table(["proxy", "tau"], [["synflow", 0.512], ["snip", None]], footer=[["mean", 0.512]]))
    proxy      tau
    --------------
    synflow  0.512
    snip         -
    --------------
    mean     0.512
    """
    cells = [[fmt(c) for c in row] for row in [header, *rows, *(footer or [])]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    out = [line(cells[0]), rule, *(line(r) for r in cells[1:1 + len(rows)])]
    if footer:
        out += [rule, *(line(r) for r in cells[1 + len(rows):])]
    return "\n".join(out)


# ---- plotting ----------------------------------------------------------------------------------
def pyplot():
    """`matplotlib.pyplot` on the Agg (file-only) backend, or None when matplotlib is not installed.

    Returns
    -------
    module or None
        `matplotlib.pyplot`, imported on first call; None without matplotlib, so plotting is
        optional.
    """
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path) -> Path:
    """Write a matplotlib figure to `path` as PNG (110 dpi), atomically; the figure stays open.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save.
    path : str or os.PathLike
        The target PNG file; missing parent directories are created.

    Returns
    -------
    pathlib.Path
        `path` as a Path.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def finish(fig, path) -> Path:
    """Lay the figure out, write it to `path` as PNG (atomically, 110 dpi) and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to finish; it is closed even when writing fails.
    path : str or os.PathLike
        The target PNG file; missing parent directories are created.

    Returns
    -------
    pathlib.Path
        `path` as a Path.
    """
    fig.tight_layout()
    try:
        return save_figure(fig, Path(path))
    finally:
        pyplot().close(fig)
