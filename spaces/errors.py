"""Error raised for bad user input in spaces/ and proxies/ (torch-free, importable anywhere)."""


class UserInputError(ValueError):
    """Bad input (unknown op, malformed architecture, bad data path); message names the culprit."""
