"""The one exception type the command line turns into a one-line error (exit code 2)."""


class ZcgpError(Exception):
    """Bad input or a request that cannot be served; the message names the culprit."""
