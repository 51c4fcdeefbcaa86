"""The README's notebook flow runs exactly as written (read from README.md, not copied here)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO


def readme_flow() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_flow_has_at_most_ten_lines():
    lines = [line for line in readme_flow().splitlines() if line.strip()]
    assert len(lines) <= 10
    for call in ("load_tasks", "evolve", ".scores", ".export", "Proxy", "zcgp.search"):
        assert call in readme_flow()


def test_readme_flow_runs(tmp_path, monkeypatch, capsys, one_torch_thread):
    pytest.importorskip("pandas")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(readme_flow(), "README.md (Python API)", "exec"), namespace)   # noqa: S102 -- our README
    run, proxy, result = namespace["run"], namespace["proxy"], namespace["result"]
    assert (tmp_path / "proxy.py").is_file() and (tmp_path / "proxy.json").is_file()
    assert proxy.formula == run.formula and result.evaluations == 10
    out = capsys.readouterr().out
    assert "nb201/cifar10" in out and str(result.best_arch) in out
