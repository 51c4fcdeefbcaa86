"""NAS-Bench-201 space: spellings, benchmark index, sampling, mutation, canonical key and the
network builder (exact parameter and FLOP counts for every row of the data files)."""

import json
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from zcgp.errors import UserInputError
from zcgp.fitness.data import PACKAGED_DATA_DIR
from zcgp.spaces import SearchSpace, get_space, nb201

EXAMPLE = (0, 2, 3, 2, 3, 1)
EXAMPLE_STRING = "|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|"
CLASSES = {"cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}


@pytest.fixture(scope="module")
def records():
    with open(PACKAGED_DATA_DIR / "zc_nasbench201.json", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def table():
    return nb201.load_table()


def test_modules_import_without_torch():
    code = "import spaces, spaces.nb201, spaces.base, proxies, sys; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_spellings_convert_both_ways():
    assert nb201.to_string(EXAMPLE) == EXAMPLE_STRING
    assert nb201.to_tuple(EXAMPLE_STRING) == EXAMPLE
    assert nb201.to_tuple("(0, 2, 3, 2, 3, 1)") == EXAMPLE
    assert nb201.to_tuple([0, 2, 3, 2, 3, 1]) == EXAMPLE
    assert nb201.to_tuple(np.array(EXAMPLE)) == EXAMPLE
    assert nb201.SPACE.normalize(EXAMPLE_STRING) == EXAMPLE


def test_every_table_string_round_trips_with_its_index(table):
    assert len(table) == 15625
    for index in (0, 1, 4811, 15624):
        assert nb201.to_index(nb201.from_index(index)) == index
    tuples = [nb201.to_tuple(s) for s in table.strings]
    assert len(set(tuples)) == 15625                       # all 5^6 cells, each once
    assert all(nb201.to_string(t) == s for t, s in zip(tuples, table.strings))
    assert nb201.to_index(EXAMPLE) == 4811


def test_table_values_and_lookup(table):
    best = {task: round(float(acc.max()), 2) for task, acc in table.accuracy.items()}
    assert best == {"cifar10": 94.37, "cifar100": 73.51, "ImageNet16-120": 47.31}
    assert len(set(table.unique)) == 6466
    assert table.lookup(EXAMPLE, "cifar10") == pytest.approx(89.17, abs=0.01)
    with pytest.raises(UserInputError, match="unknown NB201 task 'svhn'"):
        table.lookup(EXAMPLE, "svhn")


def test_tuple_edge_order_matches_the_data_files(records, table):
    # if the tuple <-> string edge mapping were wrong, the file's validation accuracies
    # would not track the table's test accuracies
    archs = list(records["cifar10"])
    val = [records["cifar10"][a]["val_accuracy"] for a in archs]
    test = [table.lookup(a, "cifar10") for a in archs]
    assert stats.spearmanr(val, test).statistic > 0.95


def test_table_location_override(tmp_path, monkeypatch):
    small = tmp_path / "t.csv"
    lines = nb201.table_path().read_text().splitlines()[:3]
    small.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv(nb201.ENV_TABLE, str(small))
    assert len(nb201.load_table()) == 2
    monkeypatch.setenv(nb201.ENV_TABLE, str(tmp_path / "missing.csv"))
    with pytest.raises(UserInputError, match="NB201 table not found: .*missing.csv"):
        nb201.load_table()
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(UserInputError, match="lacks columns"):
        nb201.load_table(bad)


@pytest.mark.parametrize("arch, message", [
    ("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown NB201 op 'conv_5x5'"),
    ("|none~0|+|none~0|none~1|", "expected 3 nodes"),
    ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2 needs 2 inputs"),
    ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "entry 'none~1' should read '<op>~0'"),
    ((0, 1, 2), "expected 6 op indices, got 3"),
    ((0, 1, 2, 3, 4, 5), "unknown NB201 op index 5"),
    ("(0, 1, x, 3, 4, 0)", "op indices must be integers"),
    ((0.5, 1, 2, 3, 4, 0), "op indices must be integers"),
    ("resnet", "malformed NB201 architecture 'resnet'"),
    (42, "malformed NB201 architecture 42"),
])
def test_malformed_architectures_name_the_culprit(arch, message):
    with pytest.raises(UserInputError, match=message.replace("(", r"\(").replace("|", r"\|")):
        nb201.to_tuple(arch)


def test_index_errors(table):
    with pytest.raises(UserInputError, match="NB201 index 15625 out of range"):
        nb201.from_index(15625, table)


def test_sampling_is_uniform_and_seeded():
    rng = np.random.default_rng(0)
    draws = np.array([nb201.sample(rng) for _ in range(5000)])
    freq = np.stack([(draws == op).mean(axis=0) for op in range(5)])
    assert np.abs(freq - 0.2).max() < 0.03
    assert nb201.sample(7) == nb201.sample(7)
    assert all(isinstance(v, int) for v in nb201.sample(1))


def test_mutation_changes_exactly_one_edge_to_another_op():
    rng = np.random.default_rng(1)
    seen = Counter()
    for _ in range(2000):
        child = nb201.mutate(EXAMPLE, rng)
        diff = [i for i in range(6) if child[i] != EXAMPLE[i]]
        assert len(diff) == 1
        seen[(diff[0], child[diff[0]])] += 1
    assert len(seen) == 6 * 4                     # every edge, every other op


def _evaluate_cell(arch, fns, x0):
    """Numeric stand-in for the cell: each op type a fixed nonlinear map with f(0) = 0."""
    nodes = [x0]
    for target in (2, 3, 4):
        total = np.zeros_like(x0)
        for edge, (source, end) in enumerate(nb201.EDGES):
            if end == target:
                total = total + fns[arch[edge]](nodes[source - 1])
        nodes.append(total)
    return nodes[-1]


def test_canonical_key_identifies_exactly_the_functionally_equal_cells(table):
    rng = np.random.default_rng(3)
    a, b, c = rng.uniform(0.5, 2, size=(3, 4))
    fns = {
        nb201.SKIP: lambda v: v,
        nb201.NONE: lambda v: 0 * v,
        nb201.CONV3: lambda v: np.tanh(a * v) + 0.3 * v ** 2,
        nb201.CONV1: lambda v: np.sin(b * v) + 0.1 * v ** 3,
        nb201.POOL: lambda v: np.arctan(c * v) - 0.2 * v ** 2,
    }
    x0 = rng.uniform(0.2, 1.5, size=4)
    archs = [nb201.to_tuple(s) for s in table.strings]
    keys = [nb201.canonical_key(arch) for arch in archs]
    values = [tuple(np.round(_evaluate_cell(arch, fns, x0), 9)) for arch in archs]
    by_key, by_value = {}, {}
    for key, value in zip(keys, values):
        assert by_key.setdefault(key, value) == value       # equal keys -> equal functions
        assert by_value.setdefault(value, key) == key       # equal functions -> equal keys
    assert len(by_key) == 4930
    # never finer than the benchmark's own isomorphism classes
    benchmark = {}
    assert all(benchmark.setdefault(u, k) == k for u, k in zip(table.unique, keys))


def test_canonical_key_examples():
    key = nb201.canonical_key
    only_conv = (1, 1, 2, 1, 1, 1)                   # conv3 on (1,4)
    via_skip = (0, 1, 1, 1, 2, 1)                    # skip (1,2), conv3 (2,4)
    assert key(only_conv) == key(via_skip) == "c3[x]"
    assert key((1,) * 6) == "0"
    assert key((0, 1, 1, 1, 1, 0)) == "0"             # node 3 never receives anything
    swapped = (2, 3, 1, 1, 3, 2)                      # nodes 2 and 3 exchanged (no edge between them)
    assert key((3, 2, 1, 1, 2, 3)) == key(swapped)
    assert key((2, 1, 1, 1, 1, 1)) == "0"             # dead conv: the output sees nothing


def test_exact_counts_match_every_row_of_the_three_tasks(records):
    for task, rows in records.items():
        classes, resolution = nb201.TASKS[task]
        for arch, record in rows.items():
            assert nb201.param_count(arch, classes) / 1e6 == pytest.approx(record["params"]["score"], abs=1e-9)
            assert nb201.flop_count(arch, classes, resolution) / 1e6 == pytest.approx(
                record["flops"]["score"], abs=1e-9)


def test_built_networks_have_the_files_parameter_counts_for_every_row(records):
    # a network's parameter count depends only on its multiset of ops (cells are per-edge
    # modules); networks are built on the meta device, once per multiset and class count
    cache = {}

    def built(arch, classes):
        signature = (tuple(sorted(arch)), classes)
        if signature not in cache:
            net = nb201.build_network(arch, classes, device="meta")
            cache[signature] = sum(p.numel() for p in net.parameters())
        return cache[signature]

    checked = 0
    for task, rows in records.items():
        for arch, record in rows.items():
            assert built(nb201.to_tuple(arch), CLASSES[task]) / 1e6 == pytest.approx(
                record["params"]["score"], abs=1e-9), (task, arch)
            checked += 1
    assert checked == 2174


@pytest.mark.slow
def test_every_distinct_file_architecture_built_exactly(records):
    for task, rows in records.items():
        for arch, record in rows.items():
            net = nb201.build_network(arch, CLASSES[task], device="meta")
            assert sum(p.numel() for p in net.parameters()) == round(record["params"]["score"] * 1e6)


def test_network_forward_shapes_and_structure():
    import torch

    torch.manual_seed(0)
    net = nb201.build_network(EXAMPLE_STRING, 10)
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert net.forward_features(torch.randn(2, 3, 32, 32)).shape == (2, 64, 8, 8)
    imagenet = nb201.build_network(EXAMPLE, 120)
    assert imagenet(torch.randn(2, 3, 16, 16)).shape == (2, 120)
    assert sum(p.numel() for p in net.parameters()) == nb201.param_count(EXAMPLE, 10) == 615386
    assert len(net.cells) == 17
    with pytest.raises(UserInputError, match="number of classes"):
        nb201.build_network(EXAMPLE, 0)


def test_none_edges_zero_the_output_of_an_all_none_cell():
    import torch

    cell = nb201.build_network((1,) * 6).cells[0]
    assert torch.count_nonzero(cell(torch.randn(2, 16, 8, 8))) == 0


def test_search_space_interface():
    space = get_space("nb201")
    assert isinstance(space, SearchSpace) and space is nb201.SPACE
    arch = space.sample(np.random.default_rng(0))
    assert space.normalize(space.to_string(arch)) == arch
    assert space.key(arch) == nb201.canonical_key(arch)
    assert sum(1 for a, b in zip(arch, space.mutate(arch, 1)) if a != b) == 1
    distinct = space.sample_distinct(50, 0)
    assert len({space.key(a) for a in distinct}) == 50
    assert space.describe(EXAMPLE) == {"arch": EXAMPLE_STRING, "ops": str(EXAMPLE), "index": 4811,
                                       "key": nb201.canonical_key(EXAMPLE)}
    assert space.tasks["ImageNet16-120"] == (120, 16)
    with pytest.raises(UserInputError, match="unknown search space 'nb999'; known: nb101, nb201"):
        get_space("nb999")


OPS_LIST = "0=skip_connect, 1=none, 2=nor_conv_3x3, 3=nor_conv_1x1, 4=avg_pool_3x3"


@pytest.mark.parametrize("arch, message", [
    ("resnet", "malformed NB201 architecture 'resnet': expected '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' "
               "or '(i, i, i, i, i, i)'"),
    ("(0, 1, 2", "malformed NB201 architecture '(0, 1, 2'"),
    ("(0, 1, x, 3, 4, 0)", "malformed NB201 architecture '(0, 1, x, 3, 4, 0)': op indices must be integers"),
    ((0.5, 1, 2, 3, 4, 0), "malformed NB201 architecture (0.5, 1, 2, 3, 4, 0): op indices must be integers"),
    ((0, "a", 2, 3, 4, 0), "malformed NB201 architecture (0, 'a', 2, 3, 4, 0): op indices must be integers"),
    (42, "malformed NB201 architecture 42: expected a tuple of 6 op indices or an architecture string"),
    ((0, 1, 2), "malformed NB201 architecture (0, 1, 2): expected 6 op indices, got 3"),
    ("[0, 1, 2]", "malformed NB201 architecture '[0, 1, 2]': expected 6 op indices, got 3"),
    ((0, 1, 2, 3, 4, 5), f"unknown NB201 op index 5 in (0, 1, 2, 3, 4, 5); valid: 0..4 ({OPS_LIST})"),
    ((0, -1, 2, 3, 4, 0), f"unknown NB201 op index -1 in (0, -1, 2, 3, 4, 0); valid: 0..4 ({OPS_LIST})"),
    ("|x~0|+|none~0|none~1|+|none~0|none~1|none~2|",
     "unknown NB201 op 'x' in '|x~0|+|none~0|none~1|+|none~0|none~1|none~2|'; valid: skip_connect, none, "
     "nor_conv_3x3, nor_conv_1x1, avg_pool_3x3"),
    ("|none~0|+none~0|none~1|+|none~0|none~1|none~2|",
     "malformed NB201 architecture string '|none~0|+none~0|none~1|+|none~0|none~1|none~2|': node 2 needs 2 inputs"),
    ("|none~0~0|+|none~0|none~1|+|none~0|none~1|none~2|",
     "malformed NB201 architecture string '|none~0~0|+|none~0|none~1|+|none~0|none~1|none~2|': "
     "entry 'none~0~0' should read '<op>~0'"),
])
def test_architecture_errors_are_exact(arch, message):
    with pytest.raises(UserInputError) as exc:
        nb201.to_tuple(arch)
    assert str(exc.value) == message


def test_spellings_of_every_shape():
    assert nb201.to_tuple("[0, 2, 3, 2, 3, 1]") == EXAMPLE == nb201.to_tuple(" (0,2,3,2,3,1) ")
    assert nb201.to_tuple("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|") == (1,) * 6
    assert nb201.to_tuple("|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|"
                          "skip_connect~2|") == (0,) * 6


def test_index_and_table_errors_are_exact(table):
    with pytest.raises(UserInputError) as exc:
        nb201.from_index(15625, table)
    assert str(exc.value) == "NB201 index 15625 out of range 0..15624"
    with pytest.raises(UserInputError) as exc:
        nb201.from_index(-1, table)
    assert str(exc.value) == "NB201 index -1 out of range 0..15624"
    assert nb201.from_index(15624, table) == nb201.to_tuple(table.strings[15624])
    assert table.index_of(EXAMPLE) == 4811 == nb201.to_index(EXAMPLE)
    assert table.lookup(EXAMPLE) == table.lookup(EXAMPLE, "cifar10") == table.accuracy["cifar10"][4811]
    with pytest.raises(UserInputError) as exc:
        table.lookup(EXAMPLE, "mnist")
    assert str(exc.value) == "unknown NB201 task 'mnist'; valid: cifar10, cifar100, ImageNet16-120"


@pytest.mark.parametrize("resolution", [0, 2, 4, 6, 30])
def test_flop_count_resolution(resolution):
    if resolution in (4,):
        assert nb201.flop_count(EXAMPLE, 10, resolution) > 0
        return
    with pytest.raises(UserInputError) as exc:
        nb201.flop_count(EXAMPLE, 10, resolution)
    assert str(exc.value) == f"NB201 input resolution must be a positive multiple of 4, got {resolution}"


def test_space_methods_use_the_given_generator():
    space = nb201.SPACE
    assert space.sample(np.random.default_rng(5)) == nb201.sample(np.random.default_rng(5))
    assert space.mutate(EXAMPLE, np.random.default_rng(5)) == nb201.mutate(EXAMPLE, np.random.default_rng(5))
    children = {space.mutate(EXAMPLE, np.random.default_rng(s)) for s in range(40)}
    assert len(children) > 10                       # the generator drives the choice


def test_exact_keys_counts_and_x_spellings():
    assert nb201.canonical_key((2,) * 6) == "c3[c3[c3[x]]+c3[x]]+c3[c3[x]]+c3[x]"
    assert nb201.canonical_key(EXAMPLE) == "c1[x]+c1[x]"
    count = nb201.param_count(EXAMPLE)
    flops = nb201.flop_count(EXAMPLE)
    assert count == nb201.param_count(EXAMPLE, 10) == 615386 and type(count) is int
    assert flops == nb201.flop_count(EXAMPLE, 10, 32) == 88307392 and type(flops) is int
    assert type(nb201.flop_count(EXAMPLE, 120, 16)) is int
    for text, message in (("XYZ", "malformed NB201 architecture 'XYZ': expected '|op~0|+|op~0|op~1|+|op~0|op~1|"
                                  "op~2|' or '(i, i, i, i, i, i)'"),
                          ("(0, 1, 2, 3, 4, 0X", "malformed NB201 architecture '(0, 1, 2, 3, 4, 0X'")):
        with pytest.raises(UserInputError) as exc:
            nb201.to_tuple(text)
        assert str(exc.value) == message
