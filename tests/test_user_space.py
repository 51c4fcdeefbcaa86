"""The docs' example user space (docs/guide/spaces.md) loads with --space module:Class and a search runs on it."""

import json
import re

from tests.conftest import REPO
from zcgp.scripts.cli import main
from zcgp.spaces import get_space


def _example_source() -> str:
    text = (REPO / "docs" / "guide" / "spaces.md").read_text(encoding="utf-8")
    section = text[text.index("## Your own space"):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_docs_example_is_at_most_30_lines():
    assert len(_example_source().strip().splitlines()) <= 30


def test_search_runs_on_the_docs_space(tmp_path, monkeypatch, capsys):
    (tmp_path / "readme_space.py").write_text(_example_source())
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    space = get_space("readme_space:WidthSpace")
    arch = space.sample(0)
    assert space.normalize(space.to_string(arch)) == arch
    out = tmp_path / "out"
    assert main(["search", "--space", "readme_space:WidthSpace", "--formula", "nwot + synflow", "--evaluations", "6",
                 "--population", "4", "--sample-size", "2", "--batch", "3", "--batch-size", "8", "--workers", "1",
                 "--device", "cpu", "--quiet", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["evaluations"] == 6 and result["benchmark"] == "not in the table"
    best = space.normalize(result["best_arch"])
    assert all(0 <= c < 6 for c in best)
    assert "not in the table" in capsys.readouterr().out
