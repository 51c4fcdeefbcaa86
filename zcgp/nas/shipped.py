"""The suite proxies shipped with zcgp: formulas built by zcgp itself on NAS-Bench-Suite-Zero.

`suite` was evolved on all 19 tasks; `suite-without-SPACE` on every space but SPACE, so it
never saw a label of SPACE. `suite-combined` and `suite-combined-without-SPACE` are formulas
evolved on the same tasks for the top of their rankings (fitness sample500), combined with
cheap proxies (`zcgp adapt --method combine-weighted`) on all their labeled architectures:
still no label of SPACE. Each is a JSON file in
`zcgp/data/suite/` with the formula and its provenance (the command that regenerates it, the
version, tasks, seed, settings, the labels it saw) and its scores (`zcgp.suite`). A search of
a space with no objective given uses the combined proxy that never saw that space
(`default_for`); the few-shot benchmark and the predictors start from the evolved one
(`evolved_for`).
"""

from __future__ import annotations

import json
from pathlib import Path

from zcgp.errors import ZcgpError
from zcgp.fitness.data import SPACE_FILES

SUITE_DIR = Path(__file__).resolve().parents[1] / "data" / "suite"
SUITE_SPACES = tuple(SPACE_FILES)
SUITE_NAMES = ("suite", *(f"suite-without-{s}" for s in SUITE_SPACES))
COMBINED_PREFIX = "suite-combined"
COMBINED_NAMES = tuple(name.replace("suite", COMBINED_PREFIX, 1) for name in SUITE_NAMES)
SHIPPED_NAMES = SUITE_NAMES + COMBINED_NAMES

__all__ = ["COMBINED_NAMES", "SHIPPED_NAMES", "SUITE_DIR", "SUITE_NAMES", "SUITE_SPACES", "check_name", "default_for",
           "evolved_for", "evolved_name", "held_out_space", "read_shipped", "shipped_path", "suite_tasks"]


def held_out_space(name: str) -> str | None:
    """The space a suite proxy never saw.

    Parameters
    ----------
    name : str
        A shipped proxy name, e.g. "suite", "suite-without-SPACE", "suite-combined-without-SPACE";
        it is not checked.

    Returns
    -------
    str or None
        SPACE for "...-without-SPACE"; None for "suite" and "suite-combined", which saw every space.

    Examples
    --------
    >>> held_out_space("suite-combined-without-nb201"), held_out_space("suite")
    ('nb201', None)
    """
    return name.partition("-without-")[2] or None


def evolved_name(name: str) -> str:
    """The evolved suite proxy a shipped proxy is built from: itself, or for a combined one the
    evolved formula it combines ("suite-combined-without-nb201" -> "suite-without-nb201").

    Parameters
    ----------
    name : str
        One of SHIPPED_NAMES.

    Returns
    -------
    str
        One of SUITE_NAMES.
    """
    return check_name(name).replace(COMBINED_PREFIX, "suite", 1)


def suite_tasks(name: str) -> str:
    """The task selection a shipped proxy is built on, as `zcgp evolve` reads it.

    Parameters
    ----------
    name : str
        One of SHIPPED_NAMES.

    Returns
    -------
    str
        "all" for "suite" and "suite-combined", else the comma-separated spaces other than the
        held-out one, e.g. "nb201,nb301,tnb101_micro,tnb101_macro" for "suite-without-nb101".

    Raises
    ------
    ZcgpError
        When `name` is not one of SHIPPED_NAMES.
    """
    check_name(name)
    held = held_out_space(name)
    return "all" if held is None else ",".join(s for s in SUITE_SPACES if s != held)


def check_name(name: str) -> str:
    """Check that `name` is a shipped proxy.

    Parameters
    ----------
    name : str
        The name to check.

    Returns
    -------
    str
        `name` unchanged.

    Raises
    ------
    ZcgpError
        When `name` is not one of SHIPPED_NAMES; the message lists them.
    """
    if name not in SHIPPED_NAMES:
        raise ZcgpError(f"unknown suite proxy '{name}'; shipped: {', '.join(SHIPPED_NAMES)}")
    return name


def evolved_for(space: str) -> str:
    """The evolved suite proxy that never saw `space`.

    Parameters
    ----------
    space : str
        A space's name.

    Returns
    -------
    str
        "suite-without-SPACE" for a space of SUITE_SPACES; "suite" for any other space, which no
        suite proxy was evolved on.

    Examples
    --------
    >>> evolved_for("nb201")
    'suite-without-nb201'
    >>> evolved_for("my_space")
    'suite'
    """
    return f"suite-without-{space}" if space in SUITE_SPACES else "suite"


def default_for(space: str) -> str:
    """The proxy a search of `space` uses by default: the combined suite proxy that never saw it.

    Parameters
    ----------
    space : str
        The searched space's name.

    Returns
    -------
    str
        "suite-combined-without-SPACE" for a space of SUITE_SPACES; "suite-combined" for any
        other space.

    Examples
    --------
    >>> default_for("nb201")
    'suite-combined-without-nb201'
    >>> default_for("my_space")
    'suite-combined'
    """
    return evolved_for(space).replace("suite", COMBINED_PREFIX, 1)


def shipped_path(name: str) -> Path:
    """The shipped JSON file of suite proxy `name`: `SUITE_DIR/NAME.json`.

    Parameters
    ----------
    name : str
        One of SHIPPED_NAMES.

    Returns
    -------
    pathlib.Path
        The file's path; it is not read here.

    Raises
    ------
    ZcgpError
        When `name` is not one of SHIPPED_NAMES.
    """
    return SUITE_DIR / f"{check_name(name)}.json"


def read_shipped(name: str) -> dict:
    """The shipped JSON of suite proxy `name`.

    Parameters
    ----------
    name : str
        One of SHIPPED_NAMES.

    Returns
    -------
    dict
        The file's content; it has at least "formula", "terminals", "transform" and "provenance",
        and the scores `zcgp.suite` wrote.

    Raises
    ------
    ZcgpError
        When `name` is not one of SHIPPED_NAMES, or the file is missing, not valid JSON or lacks one
        of those keys; the message says how to regenerate it.
    """
    path = shipped_path(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["formula"], data["terminals"], data["transform"], data["provenance"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ZcgpError(f"the shipped suite proxy {path} is not readable ({type(exc).__name__}); "
                        f"regenerate it with `zcgp suite {name}`") from None
    return data
