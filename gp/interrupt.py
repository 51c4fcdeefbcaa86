"""Stop a run at the next generation boundary on SIGINT or SIGTERM.

Inside `stop_on_signals()` the first SIGINT / SIGTERM only records the signal; the
engine finishes the generation it is in, writes its checkpoint (its `on_generation`
callback) and raises `Interrupted` (exit code 130 / 143). The handlers in force before
are put back at once, so a second signal acts as usual (KeyboardInterrupt, termination).
If the generation in progress fails after the signal (e.g. joblib workers that got the
terminal's Ctrl-C too), the run stops with the checkpoint of the last completed generation.
Outside the block, or off the main thread, signals behave as usual.
"""

from __future__ import annotations

import shlex
import signal
import threading
from contextlib import contextmanager

from zcgp.errors import Interrupted

__all__ = ["raise_if_requested", "requested", "resume_command", "stop_on_signals"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_state = {"signum": None, "active": False}


def requested() -> int | None:
    """The signal received inside `stop_on_signals()`, or None.

    Returns
    -------
    int or None
        The signal number (SIGINT or SIGTERM) recorded since the block began.
    """
    return _state["signum"]


def raise_if_requested(generation: int) -> None:
    """Stop at a generation boundary if a signal was recorded.

    Parameters
    ----------
    generation : int
        The last completed (and checkpointed) generation, named in the exception.

    Raises
    ------
    Interrupted
        When `requested()` is not None; its exit code is 128 + the signal number.
    """
    signum = requested()
    if signum is not None:
        raise Interrupted(f"interrupted by {signal.Signals(signum).name} after generation {generation}",
                          signum, generation)


@contextmanager
def stop_on_signals(resume: str | None = None):
    """Defer SIGINT / SIGTERM to the next generation boundary.

    Outside the main thread, or nested inside another such block, this does nothing.

    Parameters
    ----------
    resume : str, optional
        A command line (e.g. `resume_command`), appended to the message of an `Interrupted`
        raised inside the block.

    Yields
    ------
    None

    Raises
    ------
    Interrupted
        Raised inside the block and passed on; with `resume`, its message ends in
        "checkpoint written; continue with: <resume>".
    """
    if _state["active"] or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}

    def handler(signum, frame):
        _state["signum"] = signum
        for s, h in previous.items():       # a second signal acts as usual
            signal.signal(s, h)

    _state.update(signum=None, active=True)
    for s in SIGNALS:
        signal.signal(s, handler)
    try:
        yield
    except Interrupted as exc:
        if resume:
            raise Interrupted(f"{exc}; checkpoint written; continue with: {resume}",
                              exc.signum, exc.generation) from None
        raise
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        _state.update(signum=None, active=False)


def resume_command(directory, data_dir=None, n_jobs: int = -1, backend: str = "loky",
                   scheduler: str | None = None) -> str:
    """The exact `zcgp evolve --resume` line that continues a run checkpointed in `directory`.

    Parameters
    ----------
    directory : str or path
        The run's output directory.
    data_dir : str or path, optional
        The data directory the run used, if not the default.
    n_jobs : int, default -1
        The run's --n-jobs (-1, all cores, is not written).
    backend : str, default "loky"
        The run's joblib backend; written when not "loky" and `n_jobs` is not 1.
    scheduler : str, optional
        A dask scheduler address; replaces `backend`.

    Returns
    -------
    str
        A shell-quoted command line.

    Examples
    --------
    >>> resume_command("runs/a", n_jobs=4)
    'zcgp evolve --resume runs/a --n-jobs 4'
    >>> resume_command("my runs/a", backend="threading")
    "zcgp evolve --resume 'my runs/a' --backend threading"
    """
    parts = ["zcgp", "evolve", "--resume", str(directory)]
    if data_dir:
        parts += ["--data-dir", str(data_dir)]
    if n_jobs != -1:
        parts += ["--n-jobs", str(n_jobs)]
    if scheduler:
        parts += ["--scheduler", scheduler]
    elif backend != "loky" and n_jobs != 1:
        parts += ["--backend", backend]
    return shlex.join(parts)
