"""mkdocs hook: lay out the installed package tree for the API reference.

zcgp installs its root folders (fitness/, gp/, proxies/, spaces/, scripts/) as subpackages of
`zcgp`; griffe, which mkdocstrings uses, looks for `zcgp.fitness` inside zcgp/ only. This hook
links the tree as it is installed under build/docs-src/ (git-ignored), the path mkdocs.yml
gives mkdocstrings.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TREE = ROOT / "build" / "docs-src" / "zcgp"
SUBPACKAGES = ("fitness", "gp", "proxies", "spaces", "scripts")


def on_startup(**_) -> None:
    shutil.rmtree(TREE.parent, ignore_errors=True)
    TREE.mkdir(parents=True)
    for entry in (ROOT / "zcgp").iterdir():
        if entry.name != "__pycache__":
            (TREE / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for name in SUBPACKAGES:
        (TREE / name).symlink_to(ROOT / name, target_is_directory=True)
