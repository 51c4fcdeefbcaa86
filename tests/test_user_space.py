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


def _encoded_space(tmp_path, monkeypatch, module: str, count: int):
    """The docs' space with an encoding, as `module`, and a table of `count` of its architectures'
    trained accuracy (wider and larger-kernel choices are better, stage by stage) at tmp_path/trained.csv."""
    (tmp_path / f"{module}.py").write_text(_example_source() + """

class EncodedWidthSpace(WidthSpace):
    def encode(self, arch):
        return np.eye(6)[list(self.normalize(arch))].ravel()
""")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    space = get_space(f"{module}:EncodedWidthSpace")
    archs = list(dict.fromkeys(space.sample(seed) for seed in range(2 * count)))[:count]
    rows = "\n".join(f'"{space.to_string(a)}",{sum((i + 1) * c for i, c in enumerate(a)):.1f}' for a in archs)
    (tmp_path / "trained.csv").write_text("arch,accuracy\n" + rows + "\n")
    return space, archs


def test_a_predictor_searches_a_user_space_with_an_encoding_from_a_table_of_its_labels(tmp_path, monkeypatch,
                                                                                         capsys):
    space, archs = _encoded_space(tmp_path, monkeypatch, "encoded_space", 30)
    out = tmp_path / "out"
    assert main(["search", "--space", "encoded_space:EncodedWidthSpace", "--predictor", "ridge", "--labels",
                 str(tmp_path / "trained.csv"), "--evaluations", "150", "--quiet", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert space.normalize(result["best_arch"]) == (5, 5, 5)        # the best of all 216, labeled or not
    assert (5, 5, 5) not in archs and result["labels"]["space_labels"] == len(archs)
    assert result["predictor"]["labeled_task"] == str(tmp_path / "trained.csv")
    assert "fitted on the 30 labeled architectures" in capsys.readouterr().out


def test_a_formula_searches_a_user_space_blended_with_a_predictor_of_a_table_of_its_labels(tmp_path, monkeypatch,
                                                                                           capsys):
    space, archs = _encoded_space(tmp_path, monkeypatch, "blend_space", 20)
    out = tmp_path / "out"
    assert main(["search", "--space", "blend_space:EncodedWidthSpace", "--formula", "params", "--blend", "ridge",
                 "--labels", str(tmp_path / "trained.csv"), "--evaluations", "6", "--population", "4",
                 "--sample-size", "2", "--batch", "3", "--batch-size", "8", "--workers", "1", "--device", "cpu",
                 "--quiet", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["labels"]["space_labels"] == len(archs) and result["labels"]["in_distribution"]
    assert result["blend"]["labeled_task"] == str(tmp_path / "trained.csv") and result["blend"]["labels"] == len(archs)
    assert f"fitted on the {len(archs)} labeled architectures" in capsys.readouterr().out
