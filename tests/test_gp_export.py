import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import load_exported

from zcgp.fitness.sources import load_tasks
from zcgp.fitness.splits import task_split
from zcgp.gp.dataset import Dataset, select_terminals
from zcgp.gp.evolution import Engine
from zcgp.gp.export import render_module, write_proxy
from zcgp.gp.formula import parse_formula
from zcgp.gp.primitives import make_pset, to_code
from zcgp.gp.settings import GPConfig

FORMULA = "tanh(nwot * log(synflow + 0.5)) / sqrt(flops) - max(jacov, snip)**2 + min(grasp, -fisher)"


def _load(path):
    return load_exported(path)


@pytest.fixture(scope="module")
def tasks():
    return load_tasks("nb201,nb301/cifar10,nb101/cifar10")


@pytest.mark.parametrize("transform", ["rank", "log", "zscore", "raw"])
def test_exported_proxy_equals_engine_values(tmp_path, tasks, transform):
    usable = [t for t in tasks if t.id != "nb101/cifar10"]
    terms, _ = select_terminals(usable)
    tree = parse_formula(FORMULA, make_pset(terms))
    module = _load(write_proxy(tmp_path / "proxy.py", tree, terms, transform, "s"))
    assert transform == module.TRANSFORM and str(tree) == module.FORMULA
    assert set(module.TERMINALS) == {"nwot", "synflow", "flops", "jacov", "snip", "grasp", "fisher"}
    for part in ("train", "test"):
        data = Dataset.build(usable, terms, part, transform=transform)
        engine_values = data.task_outputs(to_code(tree))
        for task in usable:
            rows = task_split(task)[0 if part == "train" else 1]
            got = module.proxy({p: task.column(p)[rows] for p in module.TERMINALS})
            assert got.shape == (rows.size,)
            np.testing.assert_allclose(got, engine_values[task.id], rtol=1e-12, atol=1e-12)


def test_evolved_best_round_trip_and_json(tmp_path, tasks):
    terms, _ = select_terminals(tasks)
    data = Dataset.build(tasks, terms, "train")
    engine = Engine(data, GPConfig(population=100, generations=4, seed=0)).run()
    tree = engine.tree(engine.best.key)
    path = write_proxy(tmp_path / "p.py", tree, terms, "rank", "x", {"train_fitness": engine.best.fitness})
    module = _load(path)
    assert path.with_suffix(".json").is_file()
    outputs = data.task_outputs(to_code(tree))
    for task in tasks:
        rows = task_split(task)[0]
        np.testing.assert_allclose(module.proxy({p: task.column(p)[rows] for p in module.TERMINALS}),
                                   outputs[task.id], rtol=1e-12, atol=1e-12)
    # and the engine's fitness is what the exported scores give
    from zcgp.fitness.rank import RankTarget
    taus = [RankTarget(t.target[task_split(t)[0]]).kendall(
        module.proxy({p: t.column(p)[task_split(t)[0]] for p in module.TERMINALS}))[0] for t in tasks]
    assert np.mean(taus) == pytest.approx(engine.best.fitness, abs=1e-12)


def test_proxy_accepts_floats_lists_and_checks_inputs(tmp_path):
    tree = parse_formula("a * 2 + b", make_pset(("a", "b")))
    module = _load(write_proxy(tmp_path / "p.py", tree, ("a", "b"), "raw", "2*a + b"))
    np.testing.assert_array_equal(module.proxy({"a": [1.0, 2.0], "b": 1.0}), [3.0, 5.0])
    np.testing.assert_array_equal(module.proxy({"a": 1.0, "b": 1.0}), [3.0])
    with pytest.raises(KeyError, match="b"):
        module.proxy({"a": [1.0]})
    with pytest.raises(ValueError, match="differ in length"):
        module.proxy({"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]})
    rank = _load(write_proxy(tmp_path / "r.py", tree, ("a", "b"), "rank", ""))
    np.testing.assert_array_equal(rank.proxy({"a": [10.0, 30.0, 20.0], "b": [0.0, 0.0, 0.0]}),
                                  [0.5, 2.5, 1.5])      # ranks within the given set


def test_module_is_standalone_numpy_only():
    tree = parse_formula("log(a) / b", make_pset(("a", "b")))
    source = render_module(tree, ("a", "b"), "rank", "log(a)/b")
    imports = [line for line in source.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import warnings", "import numpy as np"]
    assert "zcgp" not in "".join(imports) and "fitness" not in "".join(imports)


def test_proxy_torch(tmp_path):
    import torch  # a core dependency
    tree = parse_formula("a * b", make_pset(("a", "b")))
    module = _load(write_proxy(tmp_path / "p.py", tree, ("a", "b"), "raw", ""))
    out = module.proxy_torch({"a": torch.tensor([1.0, 2.0], dtype=torch.float32), "b": torch.tensor([3.0, 4.0])})
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    assert out.tolist() == [3.0, 8.0]


def test_gp_and_fitness_never_import_torch():
    mods = ["zcgp.gp." + m for m in ("ops", "primitives", "formula", "dataset", "parallel", "evolution", "archive",
                                     "checkpoint", "simplify", "export", "report", "results", "plots")]
    mods += ["zcgp.fitness", "zcgp.fitness.baselines", "zcgp.scripts.evolve", "zcgp.scripts.export",
             "zcgp.scripts.evaluate"]
    code = f"import sys, {', '.join(mods)}; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("transform", ["rank", "zscore"])
def test_imputed_proxy_round_trip(tmp_path, tasks, transform):
    """A terminal absent from `scores` is the neutral constant, exactly as in evolution."""
    terms, _ = select_terminals(tasks, "impute")
    assert "nwot" in terms and "nwot" not in tasks[-1].proxies           # nb101 lacks nwot
    tree = parse_formula("nwot * synflow + min(flops, nwot) - jacov / nwot", make_pset(terms))
    module = _load(write_proxy(tmp_path / "proxy.py", tree, terms, transform, "s", missing="impute"))
    assert module.MISSING == "impute"
    data = Dataset.build(tasks, terms, "test", transform=transform, missing="impute")
    engine_values = data.task_outputs(to_code(tree))
    for task in tasks:
        rows = task_split(task)[1]
        got = module.proxy({p: task.column(p)[rows] for p in module.TERMINALS if p in task.proxies})
        np.testing.assert_allclose(got, engine_values[task.id], rtol=1e-12, atol=1e-12)
    nb101 = engine_values["nb101/cifar10"]
    strict = _load(write_proxy(tmp_path / "strict.py", tree, terms, transform, "s"))
    assert strict.MISSING == "exclude"
    with pytest.raises(KeyError, match="nwot"):
        strict.proxy({"synflow": [1.0, 2.0], "flops": [1.0, 3.0], "jacov": [0.0, 1.0]})
    assert np.isfinite(nb101).all()


def test_exact_header_attributes_and_json(tmp_path):
    import json
    tree = parse_formula("nwot * log(synflow) + 0.5", make_pset(("flops", "nwot", "synflow")))
    info = {"train_fitness": 0.61234, "metric": "spearman", "tasks": ["t1", "t2", "t3"], "seed": 4}
    path = write_proxy(tmp_path / "p.py", tree, ("flops", "nwot", "synflow"), "rank", "SIMPLE", info, "impute")
    source = path.read_text()
    head = source.split('"""')[1].splitlines()
    assert head[2:6] == [
        "formula:     nwot * log(synflow) + 0.5",
        "simplified:  SIMPLE   (display only; protected ops: x/0 = 1, log|x|, sqrt|x|)",
        "transform:   rank (applied per proxy within the architectures passed in)",
        "missing:     a proxy absent from `scores` is a constant column (the transform's neutral value), "
        "as in evolution"]
    assert head[6] == "train fitness: 0.6123 (spearman, mean over 3 task(s))"
    assert "    score = proxy.proxy({'nwot': ..., 'synflow': ...})   # arrays over the same architectures" in head
    module = _load(path)
    assert module.TERMINALS == ("nwot", "synflow")                   # used terminals, in the given order
    assert ("rank", "impute", str(tree)) == (module.TRANSFORM, module.MISSING, module.FORMULA)
    assert (
        "nwot * log(synflow) + 0.5", "SIMPLE", info) == (module.FORMULA_INFIX, module.FORMULA_SIMPLIFIED, module.INFO)
    assert json.loads(path.with_suffix(".json").read_text()) == {
        "formula": str(tree), "formula_infix": "nwot * log(synflow) + 0.5", "formula_simplified": "SIMPLE",
        "terminals": ["nwot", "synflow"], "transform": "rank", "missing": "impute", **info}
    # defaults: no info (no fitness line), every proxy required
    plain = write_proxy(tmp_path / "q.py", tree, ("synflow", "nwot"), "raw", "S")
    head = plain.read_text().split('"""')[1].splitlines()
    assert head[5] == "missing:     every proxy in TERMINALS is required" and head[6] == ""
    assert head[9] == "    score = proxy.proxy({'synflow': ..., 'nwot': ...})   # arrays over the same architectures"
    q = _load(plain)
    assert (q.MISSING, q.INFO, q.TERMINALS) == ("exclude", {}, ("synflow", "nwot"))
    assert json.loads(plain.with_suffix(".json").read_text())["missing"] == "exclude"
    # a fitness of None writes no fitness line; a missing metric reads kendall
    for extra, line in (({"train_fitness": None}, ""), ({"train_fitness": 0.5}, "train fitness: 0.5000 (kendall, "
                                                                                 "mean over 0 task(s))")):
        text = write_proxy(tmp_path / "r.py", tree, ("nwot", "synflow"), "raw", "S", extra).read_text()
        assert text.split('"""')[1].splitlines()[6] == line


def test_embedded_sections_are_the_library_code():
    from zcgp.fitness import transforms
    from zcgp.gp import ops
    from zcgp.gp.export import ops_source
    source = ops_source()
    for module, marker in ((ops, "ops"), (transforms, "transform")):
        text = Path(module.__file__).read_text(encoding="utf-8")
        body = text.split(f"# --- {marker} begin\n")[1].split(f"# --- {marker} end\n")[0].strip()
        assert body + "\n" in source
    assert source.count("def transform(") == 1 and "# ---" not in source

