"""Search spaces (torch-free to import; networks are built with torch on demand)."""

from zcgp.spaces.base import SearchSpace
from zcgp.spaces.errors import UserInputError

# name -> module holding `SPACE`, imported on first use
SPACES = {"nb201": "zcgp.spaces.nb201"}


def get_space(name: str) -> SearchSpace:
    """The search space registered under `name` (e.g. 'nb201')."""
    key = (name or "").strip().lower()
    if key not in SPACES:
        raise UserInputError(f"unknown search space '{name}'; known: {', '.join(SPACES)}")
    import importlib

    return importlib.import_module(SPACES[key]).SPACE


__all__ = ["SPACES", "SearchSpace", "UserInputError", "get_space"]
