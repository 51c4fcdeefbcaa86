"""The suite proxies shipped with zcgp: formulas evolved by zcgp itself on NAS-Bench-Suite-Zero.

`suite` was evolved on all 19 tasks; `suite-without-SPACE` on every space but SPACE, so it
never saw a label of SPACE. Each is a JSON file in `zcgp/data/suite/` with the formula and
its provenance (the command that regenerates it, the version, tasks, seed, settings, the
labels it saw) and its scores (`zcgp.suite`). A search of a space with no objective given
uses the suite proxy that never saw that space (`default_for`).
"""

from __future__ import annotations

import json
from pathlib import Path

from zcgp.errors import ZcgpError
from zcgp.fitness.data import SPACE_FILES

SUITE_DIR = Path(__file__).resolve().parents[1] / "data" / "suite"
SUITE_SPACES = tuple(SPACE_FILES)
SUITE_NAMES = ("suite", *(f"suite-without-{s}" for s in SUITE_SPACES))

__all__ = ["SUITE_DIR", "SUITE_NAMES", "SUITE_SPACES", "default_for", "held_out_space", "read_shipped",
           "shipped_path", "suite_tasks"]


def held_out_space(name: str) -> str | None:
    """The space a suite proxy never saw (None for `suite`)."""
    return name.removeprefix("suite-without-") if name != "suite" else None


def suite_tasks(name: str) -> str:
    """The task selection a suite proxy is evolved on ("all", or every space but one)."""
    check_name(name)
    held = held_out_space(name)
    return "all" if held is None else ",".join(s for s in SUITE_SPACES if s != held)


def check_name(name: str) -> str:
    if name not in SUITE_NAMES:
        raise ZcgpError(f"unknown suite proxy '{name}'; shipped: {', '.join(SUITE_NAMES)}")
    return name


def default_for(space: str) -> str:
    """The suite proxy a search of `space` uses by default: the one that never saw it."""
    return f"suite-without-{space}" if space in SUITE_SPACES else "suite"


def shipped_path(name: str) -> Path:
    return SUITE_DIR / f"{check_name(name)}.json"


def read_shipped(name: str) -> dict:
    """The shipped JSON of suite proxy `name` (formula, terminals, transform, provenance, scores)."""
    path = shipped_path(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["formula"], data["terminals"], data["transform"], data["provenance"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ZcgpError(f"the shipped suite proxy {path} is not readable ({type(exc).__name__}); "
                        f"regenerate it with `zcgp suite {name}`") from None
    return data
