"""The one exception type the command line turns into a one-line error (exit code 2)."""


class ZcgpError(Exception):
    """Bad input or a request that cannot be served; the message names the culprit."""


class Interrupted(Exception):
    """A run stopped by SIGINT / SIGTERM at a safe point; exit code 128 + signal number."""

    def __init__(self, message: str, signum: int, generation: int | None = None):
        super().__init__(message)
        self.signum = signum
        self.generation = generation
        self.exit_code = 128 + int(signum)
