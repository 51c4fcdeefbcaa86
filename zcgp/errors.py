"""The exceptions of zcgp: one base type for bad input, one for a clean stop on a signal.

`ZcgpError` is a `ValueError`, so scikit-learn conventions (a bad parameter raises
ValueError) hold without translation; the command line turns it into one line on stderr
and exit code 2. `UserInputError` marks input a user typed or pointed at (an unknown
architecture, a malformed file); it is a `ZcgpError`.
"""

from __future__ import annotations

__all__ = ["Interrupted", "UserInputError", "ZcgpError"]


class ZcgpError(ValueError):
    """Bad input or a request that cannot be served; the message names the culprit."""


class UserInputError(ZcgpError):
    """Bad user input (unknown op, malformed architecture, bad data path)."""


class Interrupted(Exception):
    """A run stopped by SIGINT or SIGTERM at a safe point.

    Parameters
    ----------
    message : str
        What was interrupted and how to continue.
    signum : int
        The signal number.
    generation : int or None
        The last generation written to the checkpoint, if any.

    Attributes
    ----------
    exit_code : int
        128 + the signal number, the shell's convention.
    """

    def __init__(self, message: str, signum: int, generation: int | None = None):
        super().__init__(message)
        self.signum = signum
        self.generation = generation
        self.exit_code = 128 + int(signum)
