"""Fixed-length encodings and labeled graphs of architectures (numpy only, torch-free).

Both are read from a space's standard form (`space.normalize(arch)`), so every spelling of one
architecture (an NB201 benchmark string or its 6-int tuple, an NB101 dict or tuple, a DARTS
genotype or the data files' nested list) gives the same row and the same graph.

`one_hot(space, archs)`, one row per architecture (`encoding_size(space)` columns, 0/1 floats):

- nb201 (30 columns) and tnb101_micro (24): for each of the 6 edges, in the standard tuple's
  order, a one-hot of its op (5 and 4 ops).
- tnb101_macro (24): for each of the 6 layer positions, a one-hot of its block code 1..4; an
  absent layer (a network of 4 or 5 layers) is all zeros.
- nb301 (168): for the normal then the reduction cell, for each of the 8 (input, op) slots, a
  one-hot of the input state (node i's slots choose among its i + 2 earlier states) followed by
  a one-hot of the op (7 ops).
- nb101 (36): the NAS-Bench-101 cell after pruning (vertices off every input-output path
  removed, as the benchmark does), padded to 7 vertices by inserting empty vertices before the
  output: the 21 upper-triangular adjacency bits row by row, then a one-hot of the op
  (maxpool3x3, conv1x1, conv3x3) of each of the 5 interior vertices (all zeros for a padding
  vertex). The input and output ops are implied. Spellings with dead vertices share the row of
  their pruned cell; cells that are isomorphic only after relabeling the vertices do not.
- a user space: its `encode(arch)` (a 1-d array) when it defines one, else a ZcgpError.

`graph(space, arch)`, a node-labeled DAG `(adjacency, node_features)` in topological order
(adjacency upper-triangular, `adjacency[i, j] = 1` for an edge i -> j, features one-hot node types),
as arch2vec (Yan et al., "Does unsupervised architecture representation learning help neural
architecture search?", NeurIPS 2020) feeds its graph autoencoder:

- nb101: the pruned cell's vertices; types input, output, maxpool3x3, conv1x1, conv3x3.
- nb201 and tnb101_micro (ops on edges): every edge op becomes a node between the cell input
  node (first) and the cell output node (last): 8 nodes; the op node of edge (a, b) feeds the op
  nodes of the edges leaving b, or the output node when b is the cell output. Types: input,
  output, then the space's ops.
- a user space: its `graph(arch)` when it defines one; `None` otherwise and for nb301 and
  tnb101_macro (no graph here; `zcgp.predictors.fit_embedder` falls back to `one_hot`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.spaces import nb101, nb201, nb301, tnb101

__all__ = ["ENCODED_SPACES", "GRAPH_SPACES", "encoding_size", "graph", "has_encoding", "one_hot"]

# the registered spaces with a built-in one-hot encoding, and those with a built-in graph
ENCODED_SPACES = ("nb101", "nb201", "nb301", "tnb101_micro", "tnb101_macro")
GRAPH_SPACES = ("nb101", "nb201", "tnb101_micro")

_NB101_V = nb101.MAX_VERTICES
_NB101_TRIU = np.triu_indices(_NB101_V, 1)
_NB301_SOURCES = tuple(p // 2 + 2 for p in range(nb301.PAIRS))     # inputs a slot may choose among


def _space_name(space: Any) -> str:
    return str(getattr(space, "name", "") or type(space).__name__)


def _builtin(space: Any, names: Sequence[str]) -> str | None:
    """The space's registered name when it is one of `names` and uses the built-in encoding."""
    name = getattr(space, "name", None)
    return name if name in names else None


# ----------------------------------------------------------------------------- one-hot rows

def _ops_row(ops: Sequence[int], choices: int) -> np.ndarray:
    row = np.zeros((len(ops), choices))
    row[np.arange(len(ops)), list(ops)] = 1.0
    return row.ravel()


def _nb101_padded(arch: Any) -> tuple[np.ndarray, list[int]]:
    """The pruned cell on 7 vertices (empty vertices inserted before the output, op -1)."""
    rows, ops = nb101.pruned(nb101.to_tuple(arch))
    matrix = np.array(rows, dtype=float)
    n = len(ops)
    big = np.zeros((_NB101_V, _NB101_V))
    big[:n - 1, :n - 1] = matrix[:n - 1, :n - 1]
    big[:n - 1, _NB101_V - 1] = matrix[:n - 1, n - 1]
    return big, list(ops[:-1]) + [-1] * (_NB101_V - n) + [ops[-1]]


def _nb101_row(arch: Any) -> np.ndarray:
    matrix, ops = _nb101_padded(arch)
    interior = np.zeros((_NB101_V - 2, len(nb101.INTERIOR_OPS)))
    for v, op in enumerate(ops[1:-1]):
        if op >= 0:
            interior[v, nb101.INTERIOR_OPS.index(op)] = 1.0
    return np.concatenate([matrix[_NB101_TRIU], interior.ravel()])


def _nb301_row(arch: Any) -> np.ndarray:
    parts = []
    for cell in nb301.to_cells(arch):
        for width, (source, op) in zip(_NB301_SOURCES, cell):
            slot = np.zeros(width + len(nb301.OP_NAMES))
            slot[source] = 1.0
            slot[width + op] = 1.0
            parts.append(slot)
    return np.concatenate(parts)


def _macro_row(arch: Any) -> np.ndarray:
    row = np.zeros((tnb101.MACRO_DEPTHS[-1], len(tnb101.MACRO_CODES)))
    for position, code in enumerate(tnb101.macro_tuple(arch)):
        if code:
            row[position, tnb101.MACRO_CODES.index(code)] = 1.0
    return row.ravel()


_ROWS = {
    "nb101": _nb101_row,
    "nb201": lambda arch: _ops_row(nb201.to_tuple(arch), nb201.NUM_OPS),
    "nb301": _nb301_row,
    "tnb101_micro": lambda arch: _ops_row(tnb101.micro_tuple(arch), len(tnb101.MICRO_OPS)),
    "tnb101_macro": _macro_row,
}
_SIZES = {
    "nb101": len(_NB101_TRIU[0]) + (_NB101_V - 2) * len(nb101.INTERIOR_OPS),
    "nb201": nb201.NUM_EDGES * nb201.NUM_OPS,
    "nb301": 2 * (sum(_NB301_SOURCES) + nb301.PAIRS * len(nb301.OP_NAMES)),
    "tnb101_micro": len(tnb101.MICRO_EDGES) * len(tnb101.MICRO_OPS),
    "tnb101_macro": tnb101.MACRO_DEPTHS[-1] * len(tnb101.MACRO_CODES),
}


def _user_row(space: Any, arch: Any) -> np.ndarray:
    try:
        row = np.asarray(space.encode(arch), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ZcgpError(f"space {_space_name(space)}: encode({arch!r}) did not return numbers: {exc}") from None
    if row.ndim != 1 or not row.size or not np.isfinite(row).all():
        raise ZcgpError(f"space {_space_name(space)}: encode({arch!r}) must return a finite non-empty 1-d array, "
                        f"got shape {row.shape}")
    return row


def _encoded_name(space: Any) -> str:
    """The registered name of a space with a built-in encoding; an error for any other."""
    name = _builtin(space, ENCODED_SPACES)
    if name is None:
        raise ZcgpError(f"space {_space_name(space)} has no architecture encoding; define "
                        "encode(arch) -> 1-d array on it")
    return name


def _row_function(space: Any):
    if callable(getattr(space, "encode", None)):
        return lambda arch: _user_row(space, arch)
    return _ROWS[_encoded_name(space)]


def one_hot(space: Any, archs: Sequence[Any]) -> np.ndarray:
    """The fixed-length encoding of each architecture (see the module docstring).

    Parameters
    ----------
    space : SearchSpace
        A registered space (`zcgp.spaces.get_space(name)`) or a user space defining
        `encode(arch) -> 1-d array`.
    archs : sequence
        Architectures of `space`, in any spelling it accepts.

    Returns
    -------
    numpy.ndarray
        (len(archs), encoding_size(space)) float64; equal rows for spellings of one architecture.

    Raises
    ------
    ZcgpError
        The space has no encoding, an architecture is malformed, or a user `encode` returns
        rows that are not finite 1-d arrays of one length.
    """
    row_of = _row_function(space)
    rows = [row_of(arch) for arch in archs]
    if not rows:
        return np.zeros((0, encoding_size(space)))
    widths = {row.size for row in rows}
    if len(widths) > 1:
        raise ZcgpError(f"space {_space_name(space)}: encode returned rows of different lengths {sorted(widths)}")
    return np.vstack(rows)


def has_encoding(space: Any) -> bool:
    """Whether `one_hot` encodes the space.

    Parameters
    ----------
    space : SearchSpace
        A registered space or a user space.

    Returns
    -------
    bool
        True for a registered space with a built-in encoding (ENCODED_SPACES) and for a space
        defining `encode(arch)`.
    """
    return callable(getattr(space, "encode", None)) or _builtin(space, ENCODED_SPACES) is not None


def encoding_size(space: Any) -> int:
    """The number of columns of `one_hot(space, ...)`.

    Parameters
    ----------
    space : SearchSpace
        A registered space or a user space defining `encode` (measured on `space.sample(0)`).

    Returns
    -------
    int
        The encoding's width.

    Raises
    ------
    ZcgpError
        The space has no encoding.
    """
    if callable(getattr(space, "encode", None)):
        return int(_user_row(space, space.sample(0)).size)
    return _SIZES[_encoded_name(space)]


# ----------------------------------------------------------------------------- graphs

def _edge_op_graph(ops: Sequence[int], edges: Sequence[tuple[int, int]], n_ops: int,
                   cell_input: int, cell_output: int) -> tuple[np.ndarray, np.ndarray]:
    """Edge-labeled cell -> node-labeled DAG: input node, one node per edge op, output node."""
    order = sorted(range(len(edges)), key=lambda e: edges[e])          # by source: a topological order
    n = len(edges) + 2
    node_of = {e: k + 1 for k, e in enumerate(order)}
    adjacency = np.zeros((n, n))
    features = np.zeros((n, n_ops + 2))
    features[0, 0] = features[n - 1, 1] = 1.0
    for e in order:
        source, target = edges[e]
        features[node_of[e], 2 + ops[e]] = 1.0
        if source == cell_input:
            adjacency[0, node_of[e]] = 1.0
        if target == cell_output:
            adjacency[node_of[e], n - 1] = 1.0
        for f in order:
            if edges[f][0] == target:
                adjacency[node_of[e], node_of[f]] = 1.0
    return adjacency, features


def _nb101_graph(arch: Any) -> tuple[np.ndarray, np.ndarray]:
    rows, ops = nb101.pruned(nb101.to_tuple(arch))
    features = np.zeros((len(ops), len(nb101.OP_NAMES)))
    features[np.arange(len(ops)), list(ops)] = 1.0
    return np.array(rows, dtype=float), features


_GRAPHS = {
    "nb101": _nb101_graph,
    "nb201": lambda arch: _edge_op_graph(nb201.to_tuple(arch), nb201.EDGES, nb201.NUM_OPS, 1, 4),
    "tnb101_micro": lambda arch: _edge_op_graph(tnb101.micro_tuple(arch), tnb101.MICRO_EDGES,
                                                len(tnb101.MICRO_OPS), 0, 3),
}


def _checked_graph(space: Any, arch: Any, value: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        adjacency, features = value
        adjacency = np.asarray(adjacency, dtype=float)
        features = np.asarray(features, dtype=float)
    except (TypeError, ValueError):
        raise ZcgpError(f"space {_space_name(space)}: graph({arch!r}) must return (adjacency, node features)") \
            from None
    n = adjacency.shape[0] if adjacency.ndim == 2 else -1
    if n < 1 or adjacency.shape != (n, n) or features.ndim != 2 or features.shape[0] != n \
            or not (np.isfinite(adjacency).all() and np.isfinite(features).all()):
        raise ZcgpError(f"space {_space_name(space)}: graph({arch!r}) must return a finite (N, N) adjacency and "
                        f"(N, F) node features, got {adjacency.shape} and {features.shape}")
    return adjacency, features


def graph(space: Any, arch: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The architecture as a node-labeled DAG (see the module docstring), or None.

    Parameters
    ----------
    space : SearchSpace
        A registered space or a user space (its `graph(arch)` is used when it defines one).
    arch : object
        An architecture of `space`, in any spelling it accepts.

    Returns
    -------
    tuple of numpy.ndarray or None
        (adjacency (N, N) float64, upper-triangular for the built-in graphs; node features
        (N, F) float64, one-hot node types), or None for a space without a graph (nb301,
        tnb101_macro, a user space without `graph`).

    Raises
    ------
    ZcgpError
        A malformed architecture, or a user `graph` returning something else than
        (adjacency, features) of matching sizes.
    """
    if callable(getattr(space, "graph", None)):
        return _checked_graph(space, arch, space.graph(arch))
    name = _builtin(space, GRAPH_SPACES)
    return _GRAPHS[name](arch) if name else None
