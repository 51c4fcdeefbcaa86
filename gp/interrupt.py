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

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_state = {"signum": None, "active": False}


def requested() -> int | None:
    """The signal received inside `stop_on_signals()`, or None."""
    return _state["signum"]


def raise_if_requested(generation: int) -> None:
    signum = requested()
    if signum is not None:
        raise Interrupted(f"interrupted by {signal.Signals(signum).name} after generation {generation}",
                          signum, generation)


@contextmanager
def stop_on_signals(resume: str | None = None):
    """Defer SIGINT / SIGTERM to the next generation boundary; `resume` (a command line)
    is appended to the `Interrupted` message."""
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
    """The exact `zcgp evolve --resume` line that continues a run checkpointed in `directory`."""
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
