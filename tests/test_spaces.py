"""NB101, NB301 (DARTS), TransNAS-Bench-101 micro and macro: spellings round-trip on every
row of the data files, sampling and mutation stay valid, keys see isomorphism, and the torch
builders have exactly the files' parameter counts (50 rows here, every row under -m slow)."""

import collections
import itertools
import json

import numpy as np
import pytest
from scipy import stats

from zcgp.errors import UserInputError
from zcgp.fitness.data import PACKAGED_DATA_DIR
from zcgp.spaces import get_space, nb101, nb301, tnb101

FILES = {"nb101": "zc_nasbench101.json", "nb301": "zc_nasbench301.json",
         "tnb101_micro": "zc_transbench101_micro.json", "tnb101_macro": "zc_transbench101_macro.json"}
# (space, task) pairs whose `params` the builders must reproduce
PARAM_TASKS = [("nb101", "cifar10"), ("nb301", "cifar10"), ("tnb101_micro", "class_scene"),
               ("tnb101_micro", "class_object"), ("tnb101_macro", "class_scene"), ("tnb101_macro", "class_object")]


def _rows(space: str, task: str) -> dict[str, float]:
    """ARCH string -> params (millions) of one task of a data file."""
    with open(PACKAGED_DATA_DIR / FILES[space], encoding="utf-8") as fh:
        payload = json.load(fh)
    if space == "nb101":
        return {k: v["params"] for k, v in payload["nasbench101"][task].items()}
    return {k: v["params"]["score"] for k, v in payload[task].items()}


@pytest.fixture(scope="module", params=PARAM_TASKS, ids=lambda p: f"{p[0]}/{p[1]}")
def table(request):
    space, task = request.param
    return get_space(space), task, _rows(space, task)


def test_every_table_string_round_trips_through_both_spellings(table):
    space, _, rows = table
    for arch_string in rows:
        arch = space.normalize(arch_string)
        assert space.table_string(arch) == arch_string
        assert space.normalize(space.to_string(arch)) == arch


def test_exact_parameter_count_formula_on_every_row(table):
    space, task, rows = table
    classes = space.tasks[task][0]
    mismatched = [a for a, p in rows.items()
                  if not np.isclose(space.param_count(a, classes) / 1e6, p, rtol=1e-5, atol=0)]
    assert not mismatched, mismatched[:3]


def _built_params(space, arch, classes) -> float:
    import torch

    with torch.device("meta"):
        net = space.build(arch, classes)
    return sum(p.numel() for p in net.parameters()) / 1e6


def test_built_networks_match_the_table_params_on_50_rows(table):
    space, task, rows = table
    picked = list(rows.items())[::max(1, len(rows) // 50)][:50]
    classes = space.tasks[task][0]
    for arch, params in picked:
        assert _built_params(space, arch, classes) == pytest.approx(params, rel=1e-5), arch


@pytest.mark.slow
def test_built_networks_match_the_table_params_on_every_row(table):
    space, task, rows = table
    classes = space.tasks[task][0]
    for arch, params in rows.items():
        assert _built_params(space, arch, classes) == pytest.approx(params, rel=1e-5), arch


def test_space_modules_import_without_torch():
    import subprocess
    import sys

    code = "import zcgp.spaces.nb101, zcgp.spaces.nb301, zcgp.spaces.tnb101, sys; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_forward_shapes():
    import torch

    for name in ("nb101", "nb301", "tnb101_micro"):          # macro networks are large: see test_proxies
        space = get_space(name)
        classes = next(iter(space.tasks.values()))[0]
        net = space.build(space.sample(0), classes)
        assert net(torch.randn(2, 3, 32, 32)).shape == (2, classes)


@pytest.mark.parametrize("name", ["nb101", "nb201", "nb301", "tnb101_micro", "tnb101_macro"])
def test_sampling_and_mutation_stay_valid_and_are_seeded(name):
    space = get_space(name)
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(40)]
    assert space.sample(np.random.default_rng(0)) == archs[0]
    for arch in archs:
        child = space.mutate(arch, rng)
        assert space.normalize(space.table_string(child)) == child
        assert space.normalize(child) == child
        if name in ("nb101", "nb301", "tnb101_macro"):
            assert space.key(child) != space.key(arch)


def test_nb101_spellings_and_validity():
    arch = {"matrix": [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
            "ops": ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]}
    t = nb101.to_tuple(arch)
    assert t == (0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 2, 1)
    assert nb101.to_dict(t) == arch and nb101.to_tuple(json.dumps(arch)) == t
    with pytest.raises(UserInputError, match="input-output path"):
        nb101.to_tuple({"matrix": [[0, 1, 0], [0, 0, 0], [0, 0, 0]], "ops": ["input", "maxpool3x3", "output"]})
    with pytest.raises(UserInputError, match="unknown NB101 op"):
        nb101.to_tuple({"matrix": [[0, 1], [0, 0]], "ops": ["input", "conv5x5"]})
    dense = np.triu(np.ones((7, 7), dtype=int), 1)           # 21 edges > 9
    with pytest.raises(UserInputError, match="9 edges"):
        nb101.to_tuple({"matrix": dense.tolist(), "ops": ["input"] + ["conv1x1-bn-relu"] * 5 + ["output"]})


def test_nb101_key_is_invariant_to_relabelling_and_pruning():
    matrix = np.array([[0, 1, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]])
    ops = [0, 4, 3, 2, 1]
    base = nb101.to_tuple({"matrix": matrix, "ops": ops})
    order = [0, 2, 1, 3, 4]                 # swap the two branches: vertex 2 must precede 3
    swapped = matrix[np.ix_(order, order)]
    assert not np.tril(swapped).any()
    relabelled = nb101.to_tuple({"matrix": swapped, "ops": [ops[k] for k in order]})
    assert relabelled != base and nb101.canonical_key(relabelled) == nb101.canonical_key(base)
    other_op = nb101.to_tuple({"matrix": matrix, "ops": [0, 3, 3, 2, 1]})
    assert nb101.canonical_key(other_op) != nb101.canonical_key(base)
    padded, padded_ops = np.zeros((6, 6), dtype=int), ops[:-1] + [4, 1]   # a dangling vertex 4
    padded[:4, :4], padded[:4, 5] = matrix[:4, :4], matrix[:4, 4]
    padded[1, 4] = 1
    assert nb101.canonical_key(nb101.to_tuple({"matrix": padded, "ops": padded_ops})) == nb101.canonical_key(base)


def _classes_up_to(max_vertices: int) -> set[str]:
    """Every valid cell of <= max_vertices vertices, by brute force, as graph hashes."""
    keys = set()
    for n in range(2, max_vertices + 1):
        slots = [(i, j) for i in range(n) for j in range(i + 1, n)]
        for bits in itertools.product((0, 1), repeat=len(slots)):
            m = np.zeros((n, n), dtype=int)
            for (i, j), b in zip(slots, bits):
                m[i, j] = b
            for interior in itertools.product(nb101.INTERIOR_OPS, repeat=n - 2):
                arch = tuple(m.ravel()) + (0, *interior, 1)
                small = nb101.pruned(arch)
                if small is not None and len(small[1]) == n:
                    keys.add(nb101.canonical_key(arch))
    return keys


def test_nb101_sampler_is_uniform_over_isomorphism_classes():
    classes = sorted(_classes_up_to(4))
    rng = np.random.default_rng(1)
    counts = collections.Counter(nb101.canonical_key(nb101.sample(rng, max_vertices=4))
                                 for _ in range(40 * len(classes)))
    assert set(counts) == set(classes)
    assert stats.chisquare([counts[c] for c in classes]).pvalue > 1e-3


def test_nb301_genotype_and_key():
    arch = nb301.sample(3)
    text = nb301.to_genotype(arch)
    assert text.startswith("Genotype(normal=[(") and nb301.to_cells(text) == arch
    normal = list(arch[0])
    normal[0], normal[1] = normal[1], normal[0]               # a node's two inputs swapped
    assert nb301.canonical_key((tuple(normal), arch[1])) == nb301.canonical_key(arch)
    with pytest.raises(UserInputError, match="twice"):
        nb301.to_cells([[(0, 1), (0, 2)] * 4, list(arch[1])])
    with pytest.raises(UserInputError, match="cannot take input 2"):
        nb301.to_cells([[(2, 1), (0, 2)] + list(arch[0][2:]), list(arch[1])])
    with pytest.raises(UserInputError, match="unknown DARTS op"):
        nb301.to_cells({"normal": [("conv_9x9", 0)] * 8, "reduce": [("skip_connect", 0)] * 8})


def test_transnas_spellings_and_macro_space_size():
    assert tnb101.micro_string((1, 0, 0, 2, 1, 0)) == "64-41414-1_00_210"
    assert tnb101.micro_tuple("64-41414-1_00_210") == (1, 0, 0, 2, 1, 0)
    assert tnb101.macro_string((1, 2, 4, 2, 0, 0)) == "64-1242-basic"
    assert tnb101.macro_tuple("64-1242-basic") == (1, 2, 4, 2, 0, 0)
    assert len(tnb101.all_macro()) == 3256                    # the benchmark's macro space
    with pytest.raises(UserInputError, match="downsampling"):
        tnb101.macro_tuple("64-1111-basic")
    assert tnb101.micro_key((0, 0, 0, 0, 0, 0)) == "0"
    # an op on a zero node carries nothing: e=(1,3) only matters when node 1 is non-zero
    assert tnb101.micro_key((0, 0, 0, 3, 3, 0)) == tnb101.micro_key((0, 0, 0, 3, 2, 0))


def test_unknown_space_and_user_space_errors():
    with pytest.raises(UserInputError, match="unknown search space"):
        get_space("nb999")
    with pytest.raises(UserInputError, match="cannot import"):
        get_space("no_such_module_xyz:Space")
    with pytest.raises(UserInputError, match="has no attribute"):
        get_space("zcgp.spaces.nb101:Missing")
