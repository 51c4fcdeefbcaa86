"""The layers of zcgp, read from the source: imports follow the layer order, no circle, the
commands use the public API, and the table-side API stays torch-free."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = {"fitness": "zcgp.fitness", "gp": "zcgp.gp", "proxies": "zcgp.proxies", "spaces": "zcgp.spaces",
           "scripts": "zcgp.scripts", "zcgp": "zcgp"}
# layer of each module prefix (longest prefix wins); a module may import its own layer and lower ones
LAYERS = {"zcgp.errors": 0, "zcgp.util": 0, "zcgp": 0,
          "zcgp.fitness": 1, "zcgp.spaces": 1, "zcgp.gp": 2, "zcgp.proxies": 2, "zcgp.nas": 3,
          "zcgp.proxy": 4, "zcgp.run": 4, "zcgp.evolving": 4, "zcgp.evaluation": 4, "zcgp.searching": 4,
          "zcgp.estimator": 4, "zcgp.adapting": 4, "zcgp.suite": 4, "zcgp.predictors": 4, "zcgp.predicting": 4,
          "zcgp.predicted": 4,
          "zcgp.bench": 5,
          "zcgp.scripts": 6}
# the two stacks below the search layer never meet: tables (fitness, gp) and torch (spaces, proxies)
TABLE_SIDE, TORCH_SIDE = ("zcgp.fitness", "zcgp.gp"), ("zcgp.spaces", "zcgp.proxies")
# the only function-level imports of zcgp's own modules: the ones that load torch when used
LAZY_TORCH = ("zcgp.proxies.compute", "zcgp.proxies.data", "zcgp.spaces.nb101_torch", "zcgp.spaces.nb201_torch",
              "zcgp.spaces.nb301_torch", "zcgp.spaces.tnb101_torch")


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in (REPO / folder).rglob("*.py"):
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """(imported zcgp module, inside a function, line) of every import in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("zcgp"):
            targets = [node.module]
            # `from zcgp.gp import plots` imports a module
            targets += [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES]
            out += [(t, id(node) in inner, node.lineno) for t in targets]
        elif isinstance(node, ast.Import):
            out += [(a.name, id(node) in inner, node.lineno) for a in node.names if a.name.startswith("zcgp")]
    return [(t, lazy, line) for t, lazy, line in out if t in MODULES]


def _layer(module: str) -> tuple[str, int]:
    prefix = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return prefix, LAYERS[prefix]


def _side(module: str) -> str | None:
    for side, prefixes in (("table", TABLE_SIDE), ("torch", TORCH_SIDE)):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return side
    return None


def test_every_import_follows_the_layer_order():
    wrong = []
    for name, path in MODULES.items():
        _, mine = _layer(name)
        for target, _, line in _imports(path):
            _, theirs = _layer(target)
            if theirs > mine or (_side(name) and _side(target) and _side(name) != _side(target)):
                wrong.append(f"{path.relative_to(REPO)}:{line} {name} -> {target}")
    assert not wrong, "\n".join(wrong)


def test_no_circle_among_the_modules():
    graph = {name: {t for t, _, _ in _imports(path) if t != name} for name, path in MODULES.items()}
    # a space's lazy torch builder imports its space module back (the builder loads torch on use)
    for name in [n for n in graph if n.endswith("_torch")]:
        graph[name].discard(name.removesuffix("_torch"))
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


def test_function_level_imports_are_only_the_lazy_torch_ones():
    lazy = [f"{path.relative_to(REPO)}:{line} {target}" for name, path in MODULES.items()
            for target, inside, line in _imports(path) if inside and target not in LAZY_TORCH]
    assert not lazy, "\n".join(lazy)


def test_commands_use_the_public_api_only():
    private = [f"{path.relative_to(REPO)}:{line} {target}" for name, path in MODULES.items()
               if name.startswith("zcgp.scripts") for target, _, line in _imports(path)
               if any(part.startswith("_") for part in target.split("."))]
    names = []
    for name, path in MODULES.items():
        if not name.startswith("zcgp.scripts"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("zcgp"):
                names += [f"{path.relative_to(REPO)}:{node.lineno} {a.name}" for a in node.names
                          if a.name.startswith("_")]
    assert not private and not names, "\n".join(private + names)


def test_the_rule_catches_an_import_against_the_order(tmp_path, monkeypatch):
    """The checker itself: a table-side module importing the API is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from zcgp.searching import search\nfrom zcgp.proxies.measure import MeasureSettings\n")
    targets = [t for t, _, _ in _imports(bad)]
    assert targets == ["zcgp.searching", "zcgp.proxies.measure"]
    assert _layer("zcgp.gp.dataset")[1] < _layer(targets[0])[1]
    assert _side("zcgp.gp.dataset") == "table" != _side(targets[1])


@pytest.mark.integration
def test_import_and_evolve_on_tables_load_no_torch():
    code = ("import sys, zcgp; assert 'torch' not in sys.modules and 'deap' not in sys.modules; "
            "run = zcgp.evolve('nb201/cifar10', population=20, generations=1, progress=False); "
            "zcgp.Proxy(run)({'flops': [1.0, 2.0], 'params': [2.0, 1.0], 'synflow': [1.0, 3.0]}); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_dir_lists_the_api():
    import zcgp

    listed = set(dir(zcgp))
    assert {"evolve", "resume", "search", "Proxy", "Run", "SearchResult", "ProxyRegressor", "load_tasks",
            "evaluate", "baselines", "ZcgpError", "spaces", "proxies", "fitness", "gp", "nas", "bench"} <= listed
    for name in zcgp.__all__:
        assert getattr(zcgp, name) is not None
