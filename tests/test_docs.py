"""The README and the documentation pages say what the code does: every Python block runs (the
blocks of one page in order, in one namespace, in a fresh directory), every `zcgp ...` line of
a bash block parses with its command's own parser. A block right after `<!-- no-test -->` is
left out (none should need it)."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from zcgp.scripts.bench import BENCHES
from zcgp.scripts.cli import COMMANDS, command_parser

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
BLOCK = re.compile(r"(<!-- no-test -->\n)?```(\w+)[^\n]*\n(.*?)```", re.S)


def blocks(page: Path, language: str) -> list[str]:
    return [body for skip, lang, body in BLOCK.findall(page.read_text(encoding="utf-8"))
            if lang == language and not skip]


def zcgp_lines(text: str) -> list[list[str]]:
    """The argv of every `zcgp ...` command in a bash block (`&&` chains split, comments cut)."""
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if words[:1] == ["zcgp"] and len(words) > 1:
                out.append(words[1:])
    return out


def _parse(argv: list[str]) -> None:
    if argv[0] in ("--help", "-h") or argv[0] not in COMMANDS:
        raise AssertionError(f"unknown command: zcgp {' '.join(argv)}")
    args = command_parser(argv[0]).parse_args(argv[1:])
    if argv[0] == "bench":
        import importlib

        from zcgp.scripts.cli import OneLineParser

        module = importlib.import_module(BENCHES[args.name])
        parser = OneLineParser(prog=f"zcgp bench {args.name}", formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure(parser)
        parser.parse_args(args.options)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_zcgp_command_line_parses(page, capsys):
    for text in blocks(page, "bash"):
        for argv in zcgp_lines(text):
            try:
                _parse(argv)
            except SystemExit as exc:
                raise AssertionError(f"{page.name}: `zcgp {' '.join(argv)}` does not parse: "
                                     f"{capsys.readouterr().err.strip()}") from exc


@pytest.mark.integration
@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "python")], ids=lambda p: str(p.relative_to(REPO)))
def test_every_python_block_runs(page, tmp_path, monkeypatch, one_torch_thread):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for i, code in enumerate(blocks(page, "python")):
        try:
            exec(compile(code, f"{page.name}[block {i}]", "exec"), namespace)   # noqa: S102 -- our own docs
        except Exception as exc:
            raise AssertionError(f"{page.relative_to(REPO)} block {i} fails: {type(exc).__name__}: {exc}") from exc


def test_the_checker_finds_a_bad_command_line():
    assert zcgp_lines("zcgp evolve --tasks all && zcgp search --minutes 3 # note\nls") == \
        [["evolve", "--tasks", "all"], ["search", "--minutes", "3"]]
    with pytest.raises(SystemExit):
        _parse(["evolve", "--no-such-option"])
