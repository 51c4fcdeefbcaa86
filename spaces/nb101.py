"""The NAS-Bench-101 cell space (torch-free; `build` imports torch lazily).

An architecture is a cell spec: an upper-triangular adjacency matrix over n <= 7 vertices
(vertex 0 = input, n-1 = output) and one op per vertex. Spellings accepted everywhere:
- the NAS-Bench-Suite-Zero tuple: the n*n matrix row by row, then n op codes
  (0 = input, 1 = output, 2 = maxpool3x3, 3 = conv1x1-bn-relu, 4 = conv3x3-bn-relu),
  as a tuple or its string "(0, 1, ...)";
- the NAS-Bench-101 form: {"matrix": [[...], ...], "ops": ["input", "conv3x3-bn-relu", ...,
  "output"]} as a dict or JSON text.
A spec may contain vertices off every input-output path (the data files do); they are
pruned before hashing and building, as NAS-Bench-101 does. A spec is valid when its pruned
graph connects input to output with at most 9 edges.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from functools import lru_cache
from typing import Any

import numpy as np

from zcgp.errors import UserInputError
from zcgp.spaces.base import FunctionSpace, as_rng, check_classes, parse_int_tuple

__all__ = ["CELLS_PER_STACK", "CONV1", "CONV3", "INPUT", "INTERIOR_OPS", "MAXPOOL", "MAX_EDGES", "MAX_VERTICES",
           "OP_NAMES", "OUTPUT", "SPACE", "STACKS", "STEM_CHANNELS", "TASKS", "NB101Space", "canonical_key",
           "mutate", "param_count", "pruned", "sample", "to_dict", "to_string", "to_tuple", "vertex_channels"]

OP_NAMES = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
INPUT, OUTPUT, MAXPOOL, CONV1, CONV3 = range(5)
INTERIOR_OPS = (MAXPOOL, CONV1, CONV3)
MAX_VERTICES, MAX_EDGES = 7, 9

# macro skeleton (NAS-Bench-101 paper / NASLib's zero-cost models)
STEM_CHANNELS = 128
STACKS, CELLS_PER_STACK = 3, 3
TASKS = {"cifar10": (10, 32)}

Arch = tuple[int, ...]          # n*n matrix entries, then n op codes


# ----------------------------------------------------------------------------- spellings

def _from_parts(matrix: Any, ops: Any, original: Any) -> Arch:
    try:
        m = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise UserInputError(f"malformed NB101 matrix in {original!r}") from None
    if m.ndim != 2 or m.shape[0] != m.shape[1] or not 2 <= m.shape[0] <= MAX_VERTICES:
        raise UserInputError(f"malformed NB101 architecture {original!r}: the matrix must be square, "
                             f"2..{MAX_VERTICES} vertices")
    if not np.isin(m, (0, 1)).all() or np.tril(m).any():
        raise UserInputError(f"malformed NB101 architecture {original!r}: the matrix must be 0/1 and "
                             "strictly upper-triangular")
    codes = []
    for op in ops:
        if isinstance(op, str):
            if op not in OP_NAMES:
                raise UserInputError(f"unknown NB101 op '{op}'; valid: {', '.join(OP_NAMES)}")
            codes.append(OP_NAMES.index(op))
        else:
            try:
                code = int(op)
            except (TypeError, ValueError):
                raise UserInputError(f"unknown NB101 op {op!r}; valid: {', '.join(OP_NAMES)}") from None
            codes.append(code)
    n = m.shape[0]
    if len(codes) != n:
        raise UserInputError(f"malformed NB101 architecture {original!r}: {n} vertices but {len(codes)} ops")
    if codes[0] != INPUT or codes[-1] != OUTPUT or any(c not in INTERIOR_OPS for c in codes[1:-1]):
        raise UserInputError(f"malformed NB101 architecture {original!r}: ops must be input, then "
                             f"{'/'.join(OP_NAMES[c] for c in INTERIOR_OPS)}, then output")
    arch = tuple(int(v) for v in m.astype(int).ravel()) + tuple(codes)
    if pruned(arch) is None:
        raise UserInputError(f"invalid NB101 architecture {original!r}: no input-output path or more than "
                             f"{MAX_EDGES} edges after pruning")
    return arch


def to_tuple(arch: Any) -> Arch:
    """The spec tuple of `arch` (tuple, tuple string, dict or JSON text); checks validity.

    The spec tuple is the space's standard form: the n*n adjacency matrix row by row, then
    the n op codes. It is not pruned: vertices off every input-output path stay.

    Parameters
    ----------
    arch : Any
        A sequence of n*n + n integers (2 <= n <= 7) or its string "(0, 1, ...)", or the
        NAS-Bench-101 form {"matrix": ..., "ops": [...]} as a dict or JSON text (ops as names
        or codes).

    Returns
    -------
    tuple of int
        The spec tuple.

    Raises
    ------
    UserInputError
        When `arch` is malformed (wrong length, a matrix that is not 0/1 and strictly upper
        triangular, unknown ops, ops not input-interior-output) or invalid (no input-output
        path, or more than 9 edges after pruning).

    Examples
    --------
    >>> to_tuple({"matrix": [[0, 1], [0, 0]], "ops": ["input", "output"]})
    (0, 1, 0, 0, 0, 1)
    >>> to_tuple("(0, 1, 0, 0, 0, 1)")
    (0, 1, 0, 0, 0, 1)
    """
    if isinstance(arch, dict):
        if "matrix" not in arch or "ops" not in arch:
            raise UserInputError(f"malformed NB101 architecture {arch!r}: needs 'matrix' and 'ops'")
        return _from_parts(arch["matrix"], arch["ops"], arch)
    if isinstance(arch, str) and arch.strip().startswith("{"):
        try:
            return to_tuple(json.loads(arch))
        except json.JSONDecodeError:
            raise UserInputError(f"malformed NB101 architecture: not JSON: {arch!r}") from None
    values = parse_int_tuple(arch, "NB101") if isinstance(arch, str) else arch
    try:
        values = [int(v) for v in values]
    except (TypeError, ValueError):
        raise UserInputError(f"malformed NB101 architecture {arch!r}") from None
    n = next((k for k in range(2, MAX_VERTICES + 1) if k * k + k == len(values)), None)
    if n is None:
        raise UserInputError(f"malformed NB101 architecture {arch!r}: expected n*n + n integers (n <= 7), "
                             f"got {len(values)}")
    return _from_parts(np.reshape(values[:n * n], (n, n)), values[n * n:], arch)


def spec(arch: Any) -> tuple[np.ndarray, list[int]]:
    """(matrix, op codes) of a spec tuple (not pruned).

    Parameters
    ----------
    arch : Any
        A spec tuple (taken as it is, unchecked), or any spelling `to_tuple` accepts.

    Returns
    -------
    tuple of (numpy.ndarray, list of int)
        The (n, n) int adjacency matrix and the n op codes.
    """
    values = to_tuple(arch) if not isinstance(arch, tuple) else arch
    n = next(k for k in range(2, MAX_VERTICES + 1) if k * k + k == len(values))
    return np.array(values[:n * n], dtype=int).reshape(n, n), list(values[n * n:])


def to_dict(arch: Any) -> dict:
    """The NAS-Bench-101 form {"matrix": [[...]], "ops": [names]} (not pruned).

    Parameters
    ----------
    arch : Any
        Any spelling `to_tuple` accepts.

    Returns
    -------
    dict
        "matrix": list of rows of 0/1 ints; "ops": op names of `OP_NAMES`.

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.
    """
    matrix, ops = spec(to_tuple(arch))
    return {"matrix": matrix.tolist(), "ops": [OP_NAMES[o] for o in ops]}


def to_string(arch: Any) -> str:
    """JSON text of the NAS-Bench-101 form.

    Parameters
    ----------
    arch : Any
        Any spelling `to_tuple` accepts.

    Returns
    -------
    str
        Compact JSON of `to_dict(arch)`.

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.

    Examples
    --------
    >>> to_string((0, 1, 0, 0, 0, 1))
    '{"matrix":[[0,1],[0,0]],"ops":["input","output"]}'
    """
    return json.dumps(to_dict(arch), separators=(",", ":"))


# ----------------------------------------------------------------------------- pruning and hash

@lru_cache(maxsize=65536)
def pruned(arch: Arch, max_edges: int = MAX_EDGES) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]] | None:
    """(matrix rows, ops) with vertices off every input-output path removed, or None if the
    spec is invalid (no path, or more than `max_edges` edges left).

    Parameters
    ----------
    arch : tuple of int
        A spec tuple (hashable: results are cached).
    max_edges : int
        Most edges the pruned cell may have.

    Returns
    -------
    tuple or None
        (matrix rows as tuples of ints, op codes) of the pruned cell, or None.
    """
    matrix, ops = spec(arch)
    n = len(ops)
    forward, backward = {0}, {n - 1}
    for j in range(1, n):
        if any(matrix[i, j] and i in forward for i in range(j)):
            forward.add(j)
    for i in range(n - 2, -1, -1):
        if any(matrix[i, j] and j in backward for j in range(i + 1, n)):
            backward.add(i)
    keep = sorted(forward & backward)
    if 0 not in keep or n - 1 not in keep or n - 1 not in forward:
        return None
    small = matrix[np.ix_(keep, keep)]
    if small.sum() > max_edges:
        return None
    return tuple(tuple(int(v) for v in row) for row in small), tuple(ops[k] for k in keep)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def graph_hash(matrix: np.ndarray, ops: list[int]) -> str:
    """NAS-Bench-101's module hash: iterated neighbourhood hashing of (out degree, in degree,
    label); isomorphic labelled graphs share it (labels -1 input, -2 output, 0..2 ops).

    Parameters
    ----------
    matrix : numpy.ndarray
        (n, n) 0/1 upper-triangular adjacency matrix.
    ops : list of int
        The n op codes (input first, output last).

    Returns
    -------
    str
        The MD5 hex digest.
    """
    matrix = np.asarray(matrix)
    n = len(ops)
    labels = [-1] + [INTERIOR_OPS.index(o) for o in ops[1:-1]] + [-2]
    hashes = [_md5(str((int(o), int(i), lab))) for o, i, lab in zip(matrix.sum(1), matrix.sum(0), labels)]
    for _ in range(n):
        hashes = [_md5("".join(sorted(hashes[w] for w in range(n) if matrix[w, v])) + "|"
                       + "".join(sorted(hashes[w] for w in range(n) if matrix[v, w])) + "|" + hashes[v])
                  for v in range(n)]
    return _md5(str(sorted(hashes)))


def canonical_key(arch: Any) -> str:
    """Graph hash of the pruned cell: equal for isomorphic cells.

    Parameters
    ----------
    arch : Any
        Any spelling `to_tuple` accepts.

    Returns
    -------
    str
        `graph_hash` of the pruned cell (NAS-Bench-101's module hash).

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.
    """
    return _pruned_hash(pruned(to_tuple(arch)))


@lru_cache(maxsize=65536)
def _pruned_hash(cell) -> str:
    matrix, ops = cell
    return graph_hash(np.array(matrix), list(ops))


# ----------------------------------------------------------------------------- sampling and mutation

def _representations(matrix: np.ndarray, ops: tuple[int, ...]) -> int:
    """How many distinct upper-triangular (matrix, ops) spell this graph (interior relabelings)."""
    n = len(ops)
    seen = set()
    for perm in itertools.permutations(range(1, n - 1)):
        order = (0, *perm, n - 1)
        m = matrix[np.ix_(order, order)]
        if not np.tril(m).any():
            seen.add((m.tobytes(), tuple(ops[k] for k in order)))
    return len(seen)


def _size_weights(max_vertices: int) -> np.ndarray:
    sizes = np.arange(2, max_vertices + 1)
    log = sizes * (sizes - 1) / 2 * np.log(2) + (sizes - 2) * np.log(len(INTERIOR_OPS))
    weights = np.exp(log - log.max())
    return weights / weights.sum()


def _full_graphs(matrices: np.ndarray) -> np.ndarray:
    """Which of the (B, n, n) upper-triangular matrices have every vertex on an input-output path."""
    batch, n, _ = matrices.shape
    forward = np.zeros((batch, n), dtype=bool)
    backward = np.zeros((batch, n), dtype=bool)
    forward[:, 0], backward[:, -1] = True, True
    for j in range(1, n):
        forward[:, j] = (matrices[:, :j, j].astype(bool) & forward[:, :j]).any(1)
    for i in range(n - 2, -1, -1):
        backward[:, i] = (matrices[:, i, i + 1:].astype(bool) & backward[:, i + 1:]).any(1)
    return (forward & backward).all(1)


def sample(rng: np.random.Generator | int | None = None, max_vertices: int = MAX_VERTICES,
           max_edges: int = MAX_EDGES, batch: int = 512) -> Arch:
    """Uniform over valid cells up to isomorphism (pruned graphs of <= 7 vertices, <= 9 edges).

    Draws specs uniformly over all sizes (in batches), keeps those where no vertex needs
    pruning, and accepts one with probability 1/(number of its spellings), so every
    isomorphism class is equally likely.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        Generator or seed (see `zcgp.spaces.base.as_rng`).
    max_vertices : int
        Most vertices of a cell (input and output included).
    max_edges : int
        Most edges of a cell.
    batch : int
        Specs drawn per round of rejection sampling.

    Returns
    -------
    tuple of int
        A spec tuple whose every vertex lies on an input-output path.
    """
    rng = as_rng(rng)
    sizes = np.arange(2, max_vertices + 1)
    weights = _size_weights(max_vertices)
    while True:
        drawn = rng.choice(sizes, size=batch, p=weights)
        candidates = []                      # (draw position, matrix, ops, uniform) of full graphs
        for n in sizes:
            positions = np.flatnonzero(drawn == n)
            if not positions.size:
                continue
            matrices = np.triu(rng.integers(0, 2, (positions.size, n, n)), 1)
            ops = rng.choice(INTERIOR_OPS, (positions.size, n - 2))
            uniform = rng.random(positions.size)
            ok = (matrices.sum((1, 2)) <= max_edges) & _full_graphs(matrices)
            candidates += [(positions[k], matrices[k], ops[k], uniform[k]) for k in np.flatnonzero(ok)]
        for _, matrix, ops, u in sorted(candidates, key=lambda c: c[0]):    # in draw order
            cell_ops = (INPUT, *(int(o) for o in ops), OUTPUT)
            if u * _representations(matrix, cell_ops) < 1.0:
                return tuple(int(v) for v in matrix.ravel()) + cell_ops


def _padded(arch: Arch) -> tuple[np.ndarray, list[int]]:
    """The spec on 7 vertices: missing ones are inserted unconnected before the output."""
    matrix, ops = spec(arch)
    n = len(ops)
    if n == MAX_VERTICES:
        return matrix.copy(), list(ops)
    big = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=int)
    big[:n - 1, :n - 1] = matrix[:n - 1, :n - 1]
    big[:n - 1, MAX_VERTICES - 1] = matrix[:n - 1, n - 1]
    return big, list(ops[:-1]) + [CONV3] * (MAX_VERTICES - n) + [OUTPUT]


def mutate(arch: Any, rng: np.random.Generator | int | None = None) -> Arch:
    """Flip one edge or change one interior op (on the 7-vertex spec); the child is valid
    and not isomorphic to the parent.

    Parameters
    ----------
    arch : Any
        The parent, any spelling `to_tuple` accepts.
    rng : numpy.random.Generator, int or None
        Generator or seed (see `zcgp.spaces.base.as_rng`).

    Returns
    -------
    tuple of int
        The child as a 7-vertex spec tuple (smaller parents are padded with unconnected
        vertices first), with a canonical key different from the parent's.

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.
    """
    rng = as_rng(rng)
    parent = to_tuple(arch)
    key = canonical_key(parent)
    base_matrix, base_ops = _padded(parent)
    edges = [(i, j) for i in range(MAX_VERTICES) for j in range(i + 1, MAX_VERTICES)]
    while True:
        matrix, ops = base_matrix.copy(), list(base_ops)
        choice = int(rng.integers(len(edges) + MAX_VERTICES - 2))
        if choice < len(edges):
            i, j = edges[choice]
            matrix[i, j] = 1 - matrix[i, j]
        else:
            v = choice - len(edges) + 1
            ops[v] = int(rng.choice([o for o in INTERIOR_OPS if o != ops[v]]))
        child = tuple(int(v) for v in matrix.ravel()) + tuple(ops)
        if pruned(child) is not None and canonical_key(child) != key:
            return child


# ----------------------------------------------------------------------------- network

def vertex_channels(c_in: int, c_out: int, matrix: np.ndarray) -> list[int]:
    """Channels of every vertex: the output's channels split among the vertices feeding it
    (the first ones get the remainder), others take the max over their successors.

    Parameters
    ----------
    c_in : int
        Channels of the cell input (vertex 0).
    c_out : int
        Channels of the cell output (vertex n-1).
    matrix : numpy.ndarray
        (n, n) adjacency matrix of a pruned cell.

    Returns
    -------
    list of int
        The channels of vertices 0..n-1, as in NAS-Bench-101's model builder.
    """
    n = matrix.shape[0]
    channels = [c_in] + [0] * (n - 2) + [c_out]
    if n == 2:
        return channels
    fan_in = int(matrix[1:, n - 1].sum())
    share, extra = divmod(c_out, fan_in)
    for v in range(1, n - 1):
        if matrix[v, n - 1]:
            channels[v] = share + (1 if extra > 0 else 0)
            extra -= 1
    for v in range(n - 3, 0, -1):
        if not matrix[v, n - 1]:
            channels[v] = max(channels[d] for d in range(v + 1, n - 1) if matrix[v, d])
    return channels


def _conv_bn(c_in: int, c_out: int, k: int) -> int:
    return k * k * c_in * c_out + 2 * c_out


def param_count(arch: Any, num_classes: int = 10) -> int:
    """Exact number of parameters of `NB101Space.build(arch, num_classes)`.

    Parameters
    ----------
    arch : Any
        Any spelling `to_tuple` accepts.
    num_classes : int
        Output classes of the linear classifier.

    Returns
    -------
    int
        Parameters of the network of the pruned cell (BN affine included).

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.
    """
    rows, ops = pruned(to_tuple(arch))
    matrix = np.array(rows)
    n = len(ops)
    total = _conv_bn(3, STEM_CHANNELS, 3)
    c_in = c_out = STEM_CHANNELS
    for stack in range(STACKS):
        if stack:
            c_out *= 2
        for _ in range(CELLS_PER_STACK):
            ch = vertex_channels(c_in, c_out, matrix)
            total += sum(_conv_bn(ch[v], ch[v], 3 if ops[v] == CONV3 else 1)
                         for v in range(1, n - 1) if ops[v] in (CONV1, CONV3))
            total += sum(_conv_bn(c_in, ch[v], 1) for v in range(1, n) if matrix[0, v])
            c_in = c_out
    return total + (c_out + 1) * num_classes


class NB101Space(FunctionSpace):
    """NAS-Bench-101 behind the generic `SearchSpace` interface.

    Standard form: the spec tuple of `to_tuple` (not pruned); `key` is `canonical_key`
    (NAS-Bench-101's graph hash of the pruned cell), `sample` is uniform over isomorphism
    classes, `mutate` returns a non-isomorphic child. Task: cifar10. The constructor takes no
    parameters; use the shared instance `SPACE`.
    """

    name = "nb101"
    tasks = TASKS
    standard, sampler = staticmethod(to_tuple), staticmethod(sample)
    mutator, keyer = staticmethod(mutate), staticmethod(canonical_key)

    def build(self, arch: Any, num_classes: int = 10):
        """A freshly initialised NB101 network of the pruned cell of `arch`.

        A 128-channel stem, three stacks of three cells with 2x2 max-pooling and channel
        doubling between stacks, global average pooling and a linear classifier.

        Parameters
        ----------
        arch : Any
            Any spelling `to_tuple` accepts.
        num_classes : int
            Output classes of the linear classifier.

        Returns
        -------
        torch.nn.Module
            The network, its weights drawn from torch's global RNG.

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid, or `num_classes` is not a positive integer.
        """
        from zcgp.spaces.nb101_torch import NB101Network

        rows, ops = pruned(to_tuple(arch))
        return NB101Network(np.array(rows), ops, num_classes=check_classes(num_classes))

    def to_string(self, arch: Any) -> str:
        """JSON text of the NAS-Bench-101 form (see the module-level `to_string`).

        Parameters
        ----------
        arch : Any
            Any spelling `to_tuple` accepts.

        Returns
        -------
        str
            '{"matrix":[[...]],"ops":[...]}'.

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid.
        """
        return to_string(arch)

    def param_count(self, arch: Any, num_classes: int = 10) -> int:
        """Exact number of parameters of `build(arch, num_classes)` (see `param_count`).

        Parameters
        ----------
        arch : Any
            Any spelling `to_tuple` accepts.
        num_classes : int
            Output classes of the linear classifier.

        Returns
        -------
        int
            The parameter count.

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid.
        """
        return param_count(arch, num_classes)


SPACE = NB101Space()
