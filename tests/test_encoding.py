"""zcgp.spaces.encoding: fixed-length one-hot rows and node-labeled graphs of architectures."""

from __future__ import annotations

import numpy as np
import pytest

from zcgp.errors import ZcgpError
from zcgp.spaces import get_space, nb101, nb201, nb301, tnb101
from zcgp.spaces.encoding import encoding_size, graph, one_hot

SPACES = {"nb101": 36, "nb201": 30, "nb301": 168, "tnb101_micro": 24, "tnb101_macro": 24}
# ones per row: an op per edge / a code per layer (a 4- or 5-layer macro net has fewer) / input + op per slot
ONES = {"nb201": {6}, "tnb101_micro": {6}, "nb301": {32}, "tnb101_macro": {4, 5, 6}}


@pytest.mark.parametrize("name", list(SPACES))
def test_rows_have_the_space_width_and_differ(name):
    space = get_space(name)
    archs = space.sample_distinct(5, 0)
    rows = one_hot(space, archs)
    assert rows.shape == (5, SPACES[name]) == (5, encoding_size(space))
    assert rows.dtype == np.float64 and set(np.unique(rows)) <= {0.0, 1.0}
    assert len({row.tobytes() for row in rows}) == 5          # distinct standard forms, distinct rows
    if name in ONES:
        assert set(rows.sum(axis=1)) <= ONES[name]


def test_nb201_row_is_the_op_of_each_edge():
    ops = (0, 1, 2, 3, 4, 0)
    row = one_hot(get_space("nb201"), [ops])[0].reshape(6, 5)
    assert row.argmax(axis=1).tolist() == list(ops) and row.sum() == 6


def test_nb101_row_is_adjacency_then_interior_ops():
    chain = {"matrix": [[0, 1, 0], [0, 0, 1], [0, 0, 0]], "ops": ["input", "conv3x3-bn-relu", "output"]}
    row = one_hot(get_space("nb101"), [chain])[0]
    bits = np.zeros((7, 7))
    bits[np.triu_indices(7, 1)] = row[:21]
    assert np.argwhere(bits).tolist() == [[0, 1], [1, 6]]      # padded before the output
    assert row[21:].reshape(5, 3).tolist()[0] == [0, 0, 1] and row[24:].sum() == 0


def _spellings():
    a201 = (0, 2, 3, 2, 3, 1)
    a101 = nb101.SPACE.sample(0)
    a301 = nb301.SPACE.sample(0)
    return [
        ("nb201", [a201, nb201.to_string(a201), str(a201), list(a201)]),
        ("nb101", [a101, nb101.to_dict(a101), nb101.to_string(a101), str(a101)]),
        ("nb301", [a301, nb301.to_genotype(a301), nb301.table_string(a301)]),
        ("tnb101_micro", [(3, 2, 2, 1, 1, 0), tnb101.micro_string((3, 2, 2, 1, 1, 0))]),
        ("tnb101_macro", [(1, 2, 3, 4, 0, 0), "64-1234-basic", "(1, 2, 3, 4)"]),
    ]


@pytest.mark.parametrize(("name", "spellings"), _spellings(), ids=lambda v: v if isinstance(v, str) else "")
def test_spellings_of_one_architecture_share_the_row_and_graph(name, spellings):
    space = get_space(name)
    rows = one_hot(space, spellings)
    assert (rows == rows[0]).all()
    graphs = [graph(space, a) for a in spellings]
    if graphs[0] is not None:
        assert all(np.array_equal(g[0], graphs[0][0]) and np.array_equal(g[1], graphs[0][1]) for g in graphs)


def test_nb101_dead_vertex_is_pruned_away():
    dead = {"matrix": [[0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]],
            "ops": ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]}
    chain = {"matrix": [[0, 1, 0], [0, 0, 1], [0, 0, 0]], "ops": ["input", "conv3x3-bn-relu", "output"]}
    space = get_space("nb101")
    assert (one_hot(space, [dead]) == one_hot(space, [chain])).all()
    adjacency, features = graph(space, dead)
    assert adjacency.shape == (3, 3) and features.argmax(1).tolist() == [0, 4, 1]


def test_nb201_graph_puts_every_edge_op_on_a_node():
    adjacency, features = graph(get_space("nb201"), (0, 1, 2, 3, 4, 0))
    assert adjacency.shape == (8, 8) and features.shape == (8, 7)
    assert not np.tril(adjacency).any()                          # a DAG in topological order
    assert (features.sum(1) == 1).all()
    assert features.argmax(1).tolist() == [0, 2, 3, 4, 5, 6, 2, 1]   # input, the 6 edge ops, output
    # input feeds the 3 edges leaving node 1, 3 edges enter the output, 4 op-to-op links
    assert adjacency[0].sum() == 3 and adjacency[:, 7].sum() == 3 and adjacency.sum() == 10


def test_spaces_without_a_graph_return_none():
    assert graph(get_space("nb301"), nb301.SPACE.sample(0)) is None
    assert graph(get_space("tnb101_macro"), (1, 2, 3, 4, 0, 0)) is None
    adjacency, _ = graph(get_space("tnb101_micro"), (3, 2, 2, 1, 1, 0))
    assert adjacency.shape == (8, 8) and not np.tril(adjacency).any()


class _Toy:
    name = "toy"

    def sample(self, rng=None):
        return int(np.random.default_rng(rng).integers(4))


class _ToyEncoded(_Toy):
    name = "toy-encoded"

    def encode(self, arch):
        return np.eye(4)[int(arch)]


def test_a_user_space_needs_encode():
    with pytest.raises(ZcgpError, match="toy has no architecture encoding"):
        one_hot(_Toy(), [1])
    with pytest.raises(ZcgpError, match="toy"):
        encoding_size(_Toy())
    assert graph(_Toy(), 1) is None
    assert one_hot(_ToyEncoded(), [1, 3]).tolist() == [[0, 1, 0, 0], [0, 0, 0, 1]]
    assert encoding_size(_ToyEncoded()) == 4
