"""The NAS-Bench-201 cell space (torch-free; `build_network` imports torch lazily).

Three spellings of one architecture, all accepted wherever an `arch` is taken:
- the 6-int tuple of the NAS-Bench-Suite-Zero files, op indices over the edges
  (1,2), (1,3), (1,4), (2,3), (2,4), (3,4) (node 1 = cell input, node 4 = output), also as
  the files' key string "(0, 2, 3, 2, 3, 1)";
- the benchmark string `|a~0|+|b~0|c~1|+|d~0|e~1|f~2|` with a=(1,2), b=(1,3), c=(2,3),
  d=(1,4), e=(2,4), f=(3,4);
- the benchmark index (row of the NB201 accuracy table): `to_index` / `from_index`.

Also: the accuracy table (`load_table`, lazily read; $ZCGP_NB201_TABLE overrides the shipped
copy), uniform `sample`, one-edge `mutate`, the isomorphism-aware `canonical_key`, exact
`param_count` / `flop_count` (as in the NAS-Bench-Suite-Zero files) and `build_network`.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from zcgp.errors import UserInputError
from zcgp.spaces.base import FunctionSpace, as_rng

__all__ = ["CELLS_PER_STAGE", "CONV1", "CONV3", "EDGES", "ENV_TABLE", "NONE", "NUM_EDGES", "NUM_OPS", "OPS",
           "PACKAGED_TABLE", "POOL", "SKIP", "SPACE", "STAGE_CHANNELS", "STEM_CHANNELS", "TASKS", "NB201Space",
           "NB201Table", "build_network", "canonical_key", "flop_count", "from_index", "load_table", "mutate",
           "param_count", "sample", "table_path", "to_index", "to_string", "to_tuple"]

OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
SKIP, NONE, CONV3, CONV1, POOL = range(5)
EDGES = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))
NUM_EDGES, NUM_OPS = len(EDGES), len(OPS)
# benchmark-string position (a..f) -> tuple position
STRING_ORDER = (0, 1, 3, 2, 4, 5)

# macro skeleton
STEM_CHANNELS = 16
STAGE_CHANNELS = (16, 32, 64)
CELLS_PER_STAGE = 5

# task -> (number of classes, input resolution)
TASKS = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}

ENV_TABLE = "ZCGP_NB201_TABLE"
PACKAGED_TABLE = Path(__file__).resolve().parent / "data" / "nas-bench-201" / "nb201_test_accuracy.csv"
TABLE_COLUMNS = {
    "cifar10": "CIFAR10TestAccuracy200Epochs",
    "cifar100": "CIFAR100TestAccuracy200Epochs",
    "ImageNet16-120": "ImageNetTestAccuracy200Epochs",
}

Arch = tuple[int, int, int, int, int, int]


# ----------------------------------------------------------------------------- spellings

def to_tuple(arch: Any) -> Arch:
    """The 6-int tuple of `arch` (tuple/list/array of ints, tuple string or benchmark string).

    The tuple is the space's standard form: op indices into `OPS` over `EDGES` in order.

    Parameters
    ----------
    arch : Any
        A sequence or array of 6 integer op indices, its string "(i, i, i, i, i, i)" (or with
        brackets), or the benchmark string '|a~0|+|b~0|c~1|+|d~0|e~1|f~2|'.

    Returns
    -------
    tuple of int
        The 6 op indices, each in 0..4.

    Raises
    ------
    UserInputError
        When `arch` has not 6 entries, holds a non-integer or an unknown op, or is a
        malformed string.

    Examples
    --------
    >>> to_tuple("|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|")
    (0, 2, 3, 2, 3, 1)
    >>> to_tuple("(0, 2, 3, 2, 3, 1)") == to_tuple([0, 2, 3, 2, 3, 1])
    True
    """
    if isinstance(arch, str):
        text = arch.strip()
        if text.startswith("|"):
            return _parse_benchmark_string(text)
        if text[:1] in "([":
            return _check_ops(_parse_int_list(text), arch)
        raise UserInputError(f"malformed NB201 architecture '{arch}': expected "
                             "'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' or '(i, i, i, i, i, i)'")
    if isinstance(arch, (tuple, list, np.ndarray)):
        try:
            values = [int(v) for v in arch if int(v) == v]
        except (TypeError, ValueError):
            raise UserInputError(f"malformed NB201 architecture {arch!r}: op indices must be integers") from None
        if len(values) != len(arch):
            raise UserInputError(f"malformed NB201 architecture {arch!r}: op indices must be integers")
        return _check_ops(values, arch)
    raise UserInputError(f"malformed NB201 architecture {arch!r}: expected a tuple of 6 op indices "
                         "or an architecture string")


def _parse_int_list(text: str) -> list[int]:
    inner = text.strip()
    if inner[-1:] not in ")]":
        raise UserInputError(f"malformed NB201 architecture '{text}'")
    parts = [p.strip() for p in inner[1:-1].split(",") if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise UserInputError(f"malformed NB201 architecture '{text}': op indices must be integers") from None


def _check_ops(values: list[int], original: Any) -> Arch:
    if len(values) != NUM_EDGES:
        raise UserInputError(f"malformed NB201 architecture {original!r}: expected {NUM_EDGES} op indices, "
                             f"got {len(values)}")
    bad = [v for v in values if not 0 <= v < NUM_OPS]
    if bad:
        raise UserInputError(f"unknown NB201 op index {bad[0]} in {original!r}; valid: 0..{NUM_OPS - 1} "
                             f"({', '.join(f'{i}={op}' for i, op in enumerate(OPS))})")
    return tuple(values)  # type: ignore[return-value]


_NODE_RE = re.compile(r"^\|(.*)\|$")


def _parse_benchmark_string(text: str) -> Arch:
    groups = text.split("+")
    if len(groups) != 3:
        raise UserInputError(f"malformed NB201 architecture string '{text}': expected 3 nodes joined by '+'")
    ops_in_string = []
    for node, group in enumerate(groups, start=1):
        match = _NODE_RE.match(group)
        entries = match.group(1).split("|") if match else []
        if len(entries) != node:
            raise UserInputError(f"malformed NB201 architecture string '{text}': node {node} "
                                 f"needs {node} inputs")
        for source, entry in enumerate(entries):
            op, _, index = entry.partition("~")
            if index != str(source):
                raise UserInputError(f"malformed NB201 architecture string '{text}': "
                                     f"entry '{entry}' should read '<op>~{source}'")
            if op not in OPS:
                raise UserInputError(f"unknown NB201 op '{op}' in '{text}'; valid: {', '.join(OPS)}")
            ops_in_string.append(OPS.index(op))
    arch = [0] * NUM_EDGES
    for position, op in zip(STRING_ORDER, ops_in_string):
        arch[position] = op
    return tuple(arch)  # type: ignore[return-value]


def to_string(arch: Any) -> str:
    """The benchmark string `|a~0|+|b~0|c~1|+|d~0|e~1|f~2|` of `arch`.

    Parameters
    ----------
    arch : Any
        Any spelling `to_tuple` accepts.

    Returns
    -------
    str
        The NAS-Bench-201 string; a, b, c, d, e, f are the ops of the edges (1,2), (1,3),
        (2,3), (1,4), (2,4), (3,4).

    Raises
    ------
    UserInputError
        When `arch` is malformed (see `to_tuple`).

    Examples
    --------
    >>> to_string((0, 2, 3, 2, 3, 1))
    '|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|'
    """
    ops = to_tuple(arch)
    a, b, c, d, e, f = (OPS[ops[i]] for i in STRING_ORDER)
    return f"|{a}~0|+|{b}~0|{c}~1|+|{d}~0|{e}~1|{f}~2|"


# ----------------------------------------------------------------------------- benchmark table

@dataclass(frozen=True, eq=False)
class NB201Table:
    """The NB201 accuracy table: row i is benchmark index i.

    Made by `load_table`; a user rarely builds one directly.

    Parameters
    ----------
    path : str
        The CSV file the table was read from.
    strings : tuple of str
        Benchmark strings in index order.
    unique : tuple of str
        The benchmark's isomorphism-canonical string (UniqueString column) of every row.
    accuracy : dict of str to numpy.ndarray
        Task -> test accuracy after 200 epochs, one entry per index.
    index : dict of str to int
        Benchmark string -> index.
    """

    path: str
    strings: tuple[str, ...]              # benchmark strings in index order
    unique: tuple[str, ...]               # the benchmark's isomorphism-canonical strings
    accuracy: dict[str, np.ndarray]       # task -> test accuracy (200 epochs), by index
    index: dict[str, int]                 # benchmark string -> index

    def __len__(self) -> int:
        return len(self.strings)

    def lookup(self, arch: Any, task: str = "cifar10") -> float:
        """Test accuracy of `arch` on `task` (cifar10, cifar100 or ImageNet16-120).

        Parameters
        ----------
        arch : Any
            Any spelling `to_tuple` accepts.
        task : str
            cifar10, cifar100 or ImageNet16-120.

        Returns
        -------
        float
            The benchmark's test accuracy after 200 epochs, in percent.

        Raises
        ------
        UserInputError
            When `task` is unknown or `arch` is malformed or not in the table.
        """
        if task not in self.accuracy:
            raise UserInputError(f"unknown NB201 task '{task}'; valid: {', '.join(self.accuracy)}")
        return float(self.accuracy[task][self.index_of(arch)])

    def index_of(self, arch: Any) -> int:
        """Benchmark index of `arch` in this table.

        Parameters
        ----------
        arch : Any
            Any spelling `to_tuple` accepts.

        Returns
        -------
        int
            The row of `arch` (see `to_index`).

        Raises
        ------
        UserInputError
            When `arch` is malformed or not in the table.
        """
        return to_index(arch, self)


def table_path(override: str | os.PathLike | None = None) -> Path:
    """Argument, else $ZCGP_NB201_TABLE, else the copy shipped with zcgp.

    Parameters
    ----------
    override : str, os.PathLike or None
        A table file to use instead of the environment variable and the shipped copy.

    Returns
    -------
    pathlib.Path
        The table's path (``~`` expanded).

    Raises
    ------
    UserInputError
        When the chosen file does not exist.
    """
    path = Path(override or os.environ.get(ENV_TABLE) or PACKAGED_TABLE).expanduser()
    if not path.is_file():
        raise UserInputError(f"NB201 table not found: {path}")
    return path


def load_table(path: str | os.PathLike | None = None) -> NB201Table:
    """Read (once per file version) the NB201 table; see `table_path` for the location.

    Parameters
    ----------
    path : str, os.PathLike or None
        The CSV file; None: $ZCGP_NB201_TABLE, else the shipped copy.

    Returns
    -------
    NB201Table
        The table; a file read before and not modified since (same mtime) is not read again.

    Raises
    ------
    UserInputError
        When the file is missing, unreadable, lacks a needed column (ArchitectureString,
        UniqueString, the three accuracy columns) or holds a non-numeric accuracy.
    """
    resolved = table_path(path)
    return _read_table(str(resolved), resolved.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _read_table(path: str, mtime_ns: int) -> NB201Table:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserInputError(f"cannot read NB201 table {path}: {exc}") from None
    needed = ["ArchitectureString", "UniqueString", *TABLE_COLUMNS.values()]
    if not rows or any(c not in rows[0] for c in needed):
        raise UserInputError(f"NB201 table {path} lacks columns: expected {', '.join(needed)}")
    try:
        accuracy = {task: np.array([float(r[col]) for r in rows]) for task, col in TABLE_COLUMNS.items()}
    except ValueError as exc:
        raise UserInputError(f"NB201 table {path}: non-numeric accuracy ({exc})") from None
    strings = tuple(r["ArchitectureString"] for r in rows)
    return NB201Table(path=path, strings=strings, unique=tuple(r["UniqueString"] for r in rows),
                      accuracy=accuracy, index={s: i for i, s in enumerate(strings)})


def to_index(arch: Any, table: NB201Table | None = None) -> int:
    """Benchmark index (row of the NB201 table) of `arch`.

    Parameters
    ----------
    arch : Any
        Any spelling `to_tuple` accepts.
    table : NB201Table or None
        The table; None: `load_table()`.

    Returns
    -------
    int
        The row whose benchmark string is that of `arch`.

    Raises
    ------
    UserInputError
        When `arch` is malformed or its string is not in the table.
    """
    table = table or load_table()
    key = to_string(arch)
    if key not in table.index:
        raise UserInputError(f"architecture {key} is not in the NB201 table {table.path}")
    return table.index[key]


def from_index(index: int, table: NB201Table | None = None) -> Arch:
    """The 6-int tuple of benchmark index `index`.

    Parameters
    ----------
    index : int
        A row of the table, 0..len(table) - 1.
    table : NB201Table or None
        The table; None: `load_table()`.

    Returns
    -------
    tuple of int
        The architecture of that row in standard form.

    Raises
    ------
    UserInputError
        When `index` is out of range.
    """
    table = table or load_table()
    if not 0 <= int(index) < len(table):
        raise UserInputError(f"NB201 index {index} out of range 0..{len(table) - 1}")
    return to_tuple(table.strings[int(index)])


# ----------------------------------------------------------------------------- sampling, mutation, key

def sample(rng: np.random.Generator | int | None = None) -> Arch:
    """Uniform over all 5^6 cells.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        Generator or seed (see `zcgp.spaces.base.as_rng`).

    Returns
    -------
    tuple of int
        6 op indices drawn independently and uniformly from 0..4.
    """
    return tuple(int(v) for v in as_rng(rng).integers(0, NUM_OPS, NUM_EDGES))  # type: ignore[return-value]


def mutate(arch: Any, rng: np.random.Generator | int | None = None) -> Arch:
    """Change one uniformly chosen edge to one of the other four ops.

    Parameters
    ----------
    arch : Any
        The parent, any spelling `to_tuple` accepts.
    rng : numpy.random.Generator, int or None
        Generator or seed (see `zcgp.spaces.base.as_rng`).

    Returns
    -------
    tuple of int
        The child: differs from the parent on exactly one edge (its canonical key may still
        be the same, e.g. when the edge is dead).

    Raises
    ------
    UserInputError
        When `arch` is malformed.
    """
    rng = as_rng(rng)
    ops = list(to_tuple(arch))
    edge = int(rng.integers(NUM_EDGES))
    ops[edge] = (ops[edge] + 1 + int(rng.integers(NUM_OPS - 1))) % NUM_OPS
    return tuple(ops)  # type: ignore[return-value]


_KEY_OPS = {CONV3: "c3", CONV1: "c1", POOL: "ap"}


def canonical_key(arch: Any) -> str:
    """Isomorphism-aware canonical form: cells with equal keys compute the same function.

    Each node is a multiset of terms: `skip` passes its source's terms on, `none` and any op
    applied to an all-zero node contribute nothing (the benchmark's convention: ops are zero
    on zero input at initialisation), other ops add one term `op[source]`. The key is the
    sorted sum at the output node, e.g. 'c1[x]+c3[ap[x]+x]'; '0' for a cell that outputs zero.
    It is never finer than the benchmark's UniqueString. Counting proxies (params, flops,
    l2_norm, nwot, swap, meco) can still differ between equal keys when a cell has dead edges.

    Parameters
    ----------
    arch : Any
        Any spelling `to_tuple` accepts.

    Returns
    -------
    str
        The key.

    Raises
    ------
    UserInputError
        When `arch` is malformed.

    Examples
    --------
    >>> canonical_key((0, 2, 3, 2, 3, 1))
    'c1[x]+c1[x]'

    Edge (2,3) feeds node 3, whose only way out is a `none` edge, so changing it keeps the key:

    >>> canonical_key((0, 2, 3, 4, 3, 1))
    'c1[x]+c1[x]'
    >>> canonical_key((1, 1, 1, 1, 1, 1))
    '0'
    """
    ops = to_tuple(arch)
    nodes: list[tuple[str, ...]] = [("x",)]
    for target in (2, 3, 4):
        terms: list[str] = []
        for edge, (source, end) in enumerate(EDGES):
            if end != target:
                continue
            op, value = ops[edge], nodes[source - 1]
            if op == NONE or not value:
                continue
            if op == SKIP:
                terms.extend(value)
            else:
                terms.append(f"{_KEY_OPS[op]}[{'+'.join(value)}]")
        nodes.append(tuple(sorted(terms)))
    return "+".join(nodes[-1]) or "0"


# ----------------------------------------------------------------------------- exact size counts

def _check_resolution(resolution: int) -> None:
    if resolution < 4 or resolution % 4:
        raise UserInputError(f"NB201 input resolution must be a positive multiple of 4, got {resolution}")


def _op_params(op: int, c: int) -> int:
    return {CONV3: 9 * c * c + 2 * c, CONV1: c * c + 2 * c}.get(op, 0)


def _reduction_params(c_in: int, c_out: int) -> int:
    return (9 * c_in * c_out + 2 * c_out) + (9 * c_out * c_out + 2 * c_out) + c_in * c_out


def param_count(arch: Any, num_classes: int = 10) -> int:
    """Exact number of parameters of `build_network(arch, num_classes)` (BN affine included).

    Parameters
    ----------
    arch : Any
        Any spelling `to_tuple` accepts.
    num_classes : int
        Output classes of the linear classifier.

    Returns
    -------
    int
        Parameters of every module, on live and dead edges alike (`none`, `skip` and pooling
        edges have none).

    Raises
    ------
    UserInputError
        When `arch` is malformed.

    Examples
    --------
    >>> param_count((0, 2, 3, 2, 3, 1))
    615386
    """
    ops = to_tuple(arch)
    total = 9 * 3 * STEM_CHANNELS + 2 * STEM_CHANNELS
    for stage, c in enumerate(STAGE_CHANNELS):
        if stage:
            total += _reduction_params(STAGE_CHANNELS[stage - 1], c)
        total += CELLS_PER_STAGE * sum(_op_params(op, c) for op in ops)
    last = STAGE_CHANNELS[-1]
    return total + 2 * last + (last + 1) * num_classes


def _op_flops(op: int, c: int, hw: int) -> int:
    # tensorwatch/torchstat conventions: ReLU = numel, conv = k*k*Cin*Cout*H*W,
    # affine BN = 2*numel, pooling = numel_out * k*k
    if op == CONV3:
        return c * hw + 9 * c * c * hw + 2 * c * hw
    if op == CONV1:
        return c * hw + c * c * hw + 2 * c * hw
    if op == POOL:
        return 9 * c * hw
    return 0


def _reduction_flops(c_in: int, c_out: int, hw_in: int) -> int:
    hw = hw_in // 4
    conv_a = c_in * hw_in + 9 * c_in * c_out * hw + 2 * c_out * hw
    conv_b = c_out * hw + 9 * c_out * c_out * hw + 2 * c_out * hw
    shortcut = 4 * c_in * hw + c_in * c_out * hw
    return conv_a + conv_b + shortcut


def flop_count(arch: Any, num_classes: int = 10, resolution: int = 32) -> int:
    """FLOPs of one image through `build_network(arch, num_classes)`, counted like the
    NAS-Bench-Suite-Zero files (tensorwatch model stats: multiply-accumulates as one FLOP).

    Parameters
    ----------
    arch : Any
        Any spelling `to_tuple` accepts.
    num_classes : int
        Output classes of the linear classifier.
    resolution : int
        Input side in pixels: 32 for CIFAR, 16 for ImageNet16-120.

    Returns
    -------
    int
        FLOPs of one forward of a (1, 3, resolution, resolution) input.

    Raises
    ------
    UserInputError
        When `arch` is malformed or `resolution` is not a positive multiple of 4.
    """
    ops = to_tuple(arch)
    _check_resolution(resolution)
    side = resolution
    total = 9 * 3 * STEM_CHANNELS * side * side + 2 * STEM_CHANNELS * side * side
    for stage, c in enumerate(STAGE_CHANNELS):
        if stage:
            total += _reduction_flops(STAGE_CHANNELS[stage - 1], c, side * side)
            side //= 2
        total += CELLS_PER_STAGE * sum(_op_flops(op, c, side * side) for op in ops)
    last = STAGE_CHANNELS[-1]
    head = 2 * last * side * side + last * side * side + last * (side + 1) ** 2 + last * num_classes
    return total + head


# ----------------------------------------------------------------------------- torch network

def build_network(arch: Any, num_classes: int = 10, device=None):
    """A freshly initialised NB201 network (torch.nn.Module): C=16, 5 cells per stage,
    residual reduction blocks, BN+ReLU, global average pooling and a linear classifier.
    `device="meta"` builds it without allocating memory (for counting).

    Parameters
    ----------
    arch : Any
        Any spelling `to_tuple` accepts.
    num_classes : int
        Output classes of the linear classifier.
    device : torch.device, str or None
        Where the weights are allocated (None: torch's default device).

    Returns
    -------
    torch.nn.Module
        The network, its weights drawn from torch's global RNG.

    Raises
    ------
    UserInputError
        When `arch` is malformed or `num_classes` is not a positive integer.
    """
    from zcgp.spaces.nb201_torch import NB201Network

    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise UserInputError(f"number of classes must be a positive integer, got {num_classes!r}")
    return NB201Network(to_tuple(arch), num_classes=int(num_classes), device=device)


class NB201Space(FunctionSpace):
    """NAS-Bench-201 behind the generic `SearchSpace` interface.

    Standard form: the 6-int op tuple of `to_tuple`; `key` is `canonical_key`, `sample` is
    uniform over the 15,625 cells, `mutate` changes one edge. Tasks: cifar10, cifar100 and
    ImageNet16-120. The constructor takes no parameters; use the shared instance `SPACE`.

    Examples
    --------
    >>> SPACE.normalize([0, 2, 3, 2, 3, 1])
    (0, 2, 3, 2, 3, 1)
    >>> SPACE.to_string("(0, 2, 3, 2, 3, 1)")
    '|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|'
    >>> SPACE.key((0, 2, 3, 2, 3, 1)) == SPACE.key((0, 2, 3, 4, 3, 1))
    True
    """

    name = "nb201"
    tasks = TASKS
    standard, sampler = staticmethod(to_tuple), staticmethod(sample)
    mutator, keyer = staticmethod(mutate), staticmethod(canonical_key)

    def build(self, arch: Any, num_classes: int = 10):
        """A freshly initialised NB201 network of `arch` (see `build_network`).

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
            When `arch` is malformed or `num_classes` is not a positive integer.
        """
        return build_network(arch, num_classes)

    def to_string(self, arch: Any) -> str:
        """The benchmark string of `arch` (see the module-level `to_string`).

        Parameters
        ----------
        arch : Any
            Any spelling `to_tuple` accepts.

        Returns
        -------
        str
            '|a~0|+|b~0|c~1|+|d~0|e~1|f~2|'.

        Raises
        ------
        UserInputError
            When `arch` is malformed.
        """
        return to_string(arch)

    def describe(self, arch: Any) -> dict[str, Any]:
        """Benchmark string, 6-int tuple, benchmark index and canonical key.

        Parameters
        ----------
        arch : Any
            Any spelling `to_tuple` accepts.

        Returns
        -------
        dict
            {"arch": benchmark string, "ops": str of the tuple, "index": `to_index` (reads the
            table), "key": `canonical_key`}.

        Raises
        ------
        UserInputError
            When `arch` is malformed, or the table is missing or lacks `arch`.
        """
        ops = to_tuple(arch)
        return {"arch": to_string(ops), "ops": str(ops), "index": to_index(ops), "key": canonical_key(ops)}


SPACE = NB201Space()
