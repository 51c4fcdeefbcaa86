"""The DARTS / NAS-Bench-301 cell space (torch-free; `build` imports torch lazily).

An architecture is a normal and a reduction cell; each has 4 intermediate nodes, node i
(0-based) sums two ops applied to two different earlier states (0 = the cell before the
previous one, 1 = the previous cell, 2 + j = intermediate node j), and the cell outputs
the concatenation of its 4 nodes. Spellings accepted everywhere:
- the NAS-Bench-Suite-Zero form: [[(input, op) x 8], [(input, op) x 8]] with op codes
  0 = max_pool_3x3, 1 = avg_pool_3x3, 2 = skip_connect, 3 = sep_conv_3x3, 4 = sep_conv_5x5,
  5 = dil_conv_3x3, 6 = dil_conv_5x5 (as a nested sequence or its string);
- a DARTS genotype: "Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5],
  reduce=[...], reduce_concat=[2, 3, 4, 5])", or a dict {"normal": [...], "reduce": [...]}
  of (op name, input) pairs.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import numpy as np

from zcgp.errors import UserInputError
from zcgp.spaces.base import FunctionSpace, as_rng, check_classes

__all__ = ["AVGPOOL", "CHANNELS", "DIL3", "DIL5", "LAYERS", "MAXPOOL", "NODES", "OP_NAMES", "PAIRS", "SEP3", "SEP5",
           "SKIP", "SPACE", "STEM_MULTIPLIER", "TASKS", "NB301Space", "canonical_key", "cell_plan", "mutate",
           "param_count", "sample", "table_string", "to_cells", "to_genotype"]

OP_NAMES = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
            "dil_conv_3x3", "dil_conv_5x5")
MAXPOOL, AVGPOOL, SKIP, SEP3, SEP5, DIL3, DIL5 = range(7)
NODES = 4
PAIRS = 2 * NODES

# macro skeleton of the NAS-Bench-Suite-Zero networks: C=32, 8 cells, reductions at 2 and 5
CHANNELS = 32
LAYERS = 8
STEM_MULTIPLIER = 3
TASKS = {"cifar10": (10, 32)}

Cell = tuple[tuple[int, int], ...]
Arch = tuple[Cell, Cell]


# ----------------------------------------------------------------------------- spellings

def _check(cells: Any, original: Any) -> Arch:
    try:
        out = tuple(tuple((int(i), int(o)) for i, o in cell) for cell in cells)
    except (TypeError, ValueError):
        raise UserInputError(f"malformed NB301 architecture {original!r}: expected two cells of "
                             "(input, op) pairs") from None
    if len(out) != 2 or any(len(cell) != PAIRS for cell in out):
        raise UserInputError(f"malformed NB301 architecture {original!r}: expected two cells of "
                             f"{PAIRS} (input, op) pairs")
    for cell in out:
        for p, (source, op) in enumerate(cell):
            if not 0 <= op < len(OP_NAMES):
                raise UserInputError(f"unknown NB301 op code {op} in {original!r}; valid: 0..6 "
                                     f"({', '.join(f'{i}={n}' for i, n in enumerate(OP_NAMES))})")
            if not 0 <= source < p // 2 + 2:
                raise UserInputError(f"invalid NB301 architecture {original!r}: node {p // 2} cannot take "
                                     f"input {source} (valid: 0..{p // 2 + 1})")
        for node in range(NODES):
            if cell[2 * node][0] == cell[2 * node + 1][0]:
                raise UserInputError(f"invalid NB301 architecture {original!r}: node {node} takes input "
                                     f"{cell[2 * node][0]} twice")
    return out  # type: ignore[return-value]


def _named_pairs(pairs: Any, original: Any) -> list[tuple[int, int]]:
    out = []
    for entry in pairs:
        try:
            name, source = entry
        except (TypeError, ValueError):
            raise UserInputError(f"malformed DARTS genotype {original!r}: expected (op name, input) pairs") from None
        if name not in OP_NAMES:
            raise UserInputError(f"unknown DARTS op '{name}'; valid: {', '.join(OP_NAMES)}")
        out.append((source, OP_NAMES.index(name)))
    return out


_GENOTYPE_FIELD = re.compile(r"(normal|reduce)\s*=\s*(\[[^\]]*\])")


def to_cells(arch: Any) -> Arch:
    """The standard form ((normal pairs), (reduction pairs)) of any spelling.

    Each cell is a tuple of 8 (input, op code) pairs, two per intermediate node in node
    order; input 0 and 1 are the two previous cells, 2 + j intermediate node j.

    Parameters
    ----------
    arch : Any
        A nested sequence [[(input, op) x 8], [(input, op) x 8]] or its string, a DARTS
        genotype (a `Genotype` namedtuple or its text), or a dict {"normal": [...],
        "reduce": [...]} of (op name, input) pairs.

    Returns
    -------
    tuple
        (normal cell, reduction cell), each a tuple of 8 (input, op) int pairs.

    Raises
    ------
    UserInputError
        When `arch` is malformed (not two cells of 8 pairs, unknown op, unreadable text) or
        invalid (a node takes an input that does not precede it, or the same input twice).

    Examples
    --------
    >>> cell = [(0, 3), (1, 3), (0, 2), (1, 3), (2, 3), (0, 2), (2, 4), (3, 0)]
    >>> to_cells(str([cell, cell]))[0][:2]
    ((0, 3), (1, 3))
    """
    if isinstance(arch, dict):
        if "normal" not in arch or "reduce" not in arch:
            raise UserInputError(f"malformed DARTS genotype {arch!r}: needs 'normal' and 'reduce'")
        return _check([_named_pairs(arch["normal"], arch), _named_pairs(arch["reduce"], arch)], arch)
    if isinstance(arch, str):
        text = arch.strip()
        if text.startswith("Genotype"):
            fields = dict(_GENOTYPE_FIELD.findall(text))
            if set(fields) != {"normal", "reduce"}:
                raise UserInputError(f"malformed DARTS genotype '{arch}': needs normal=[...] and reduce=[...]")
            return to_cells({k: _literal(v, arch) for k, v in fields.items()})
        return _check(_literal(text, arch), arch)
    if hasattr(arch, "normal") and hasattr(arch, "reduce"):        # a Genotype namedtuple
        return to_cells({"normal": arch.normal, "reduce": arch.reduce})
    return _check(arch, arch)


def _literal(text: str, original: Any):
    try:
        return ast.literal_eval(text)          # literals only: never executes code
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise UserInputError(f"malformed NB301 architecture '{original}'") from None


def table_string(arch: Any) -> str:
    """The data files' key: '[[(0, 0), (1, 5), ...], [...]]'.

    Parameters
    ----------
    arch : Any
        Any spelling `to_cells` accepts.

    Returns
    -------
    str
        The NAS-Bench-Suite-Zero ARCH string of `arch`.

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.
    """
    return str([list(cell) for cell in to_cells(arch)])


def to_genotype(arch: Any) -> str:
    """The DARTS genotype text.

    Parameters
    ----------
    arch : Any
        Any spelling `to_cells` accepts.

    Returns
    -------
    str
        "Genotype(normal=[(op name, input), ...], normal_concat=[2, 3, 4, 5], reduce=[...],
        reduce_concat=[2, 3, 4, 5])"; `to_cells` reads it back.

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.
    """
    normal, reduce = ([(OP_NAMES[o], s) for s, o in cell] for cell in to_cells(arch))
    return f"Genotype(normal={normal}, normal_concat=[2, 3, 4, 5], reduce={reduce}, reduce_concat=[2, 3, 4, 5])"


# ----------------------------------------------------------------------------- key, sampling, mutation

_KEY_OPS = ("mp", "ap", "id", "s3", "s5", "d3", "d5")


def _cell_key(cell: Cell) -> str:
    states = ["p0", "p1"]
    for node in range(NODES):
        terms = sorted(f"{_KEY_OPS[o]}({states[s]})" for s, o in cell[2 * node:2 * node + 2])
        states.append("[" + "+".join(terms) + "]")
    return "|".join(sorted(states[2:]))


def canonical_key(arch: Any) -> str:
    """Equal for cells that differ only by the order of a node's two inputs or of the nodes.

    Parameters
    ----------
    arch : Any
        Any spelling `to_cells` accepts.

    Returns
    -------
    str
        'N:<normal cell>/R:<reduction cell>', each cell the sorted terms of its nodes.

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.

    Examples
    --------
    >>> normal, reduce = sample(0)
    >>> swapped = ((normal[1], normal[0]) + normal[2:], reduce)
    >>> canonical_key(swapped) == canonical_key((normal, reduce))
    True
    """
    normal, reduce = to_cells(arch)
    return f"N:{_cell_key(normal)}/R:{_cell_key(reduce)}"


def _sample_cell(rng: np.random.Generator) -> Cell:
    pairs = []
    for node in range(NODES):
        sources = rng.choice(node + 2, 2, replace=False)
        ops = rng.integers(0, len(OP_NAMES), 2)
        pairs += [(int(sources[0]), int(ops[0])), (int(sources[1]), int(ops[1]))]
    return tuple(pairs)


def sample(rng: np.random.Generator | int | None = None) -> Arch:
    """Uniform: per node two different inputs and two ops, independently for both cells.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        Generator or seed (see `zcgp.spaces.base.as_rng`).

    Returns
    -------
    tuple
        (normal cell, reduction cell) in standard form (see `to_cells`).
    """
    rng = as_rng(rng)
    return _sample_cell(rng), _sample_cell(rng)


def mutate(arch: Any, rng: np.random.Generator | int | None = None) -> Arch:
    """Change one op, or one input (kept different from the node's other input); the child
    has a different canonical key.

    Parameters
    ----------
    arch : Any
        The parent, any spelling `to_cells` accepts.
    rng : numpy.random.Generator, int or None
        Generator or seed (see `zcgp.spaces.base.as_rng`).

    Returns
    -------
    tuple
        The child in standard form.

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.
    """
    rng = as_rng(rng)
    parent = to_cells(arch)
    key = canonical_key(parent)
    while True:
        cells = [list(cell) for cell in parent]
        c, p = int(rng.integers(2)), int(rng.integers(PAIRS))
        source, op = cells[c][p]
        if rng.random() < 0.5:
            op = int(rng.choice([o for o in range(len(OP_NAMES)) if o != op]))
        else:
            other = cells[c][p ^ 1][0]
            choices = [s for s in range(p // 2 + 2) if s not in (source, other)]
            if not choices:
                continue
            source = int(rng.choice(choices))
        cells[c][p] = (source, op)
        child = (tuple(cells[0]), tuple(cells[1]))
        if canonical_key(child) != key:
            return child


# ----------------------------------------------------------------------------- sizes

def _op_params(op: int, c: int, stride: int) -> int:
    if op == SKIP:
        return c * c if stride == 2 else 0                 # factorized reduce, BN without affine
    k = {SEP3: 3, SEP5: 5, DIL3: 3, DIL5: 5}.get(op)
    if k is None:
        return 0                                           # pooling (+ BN without affine)
    single = k * k * c + c * c
    return 2 * single if op in (SEP3, SEP5) else single


def cell_plan(layers: int = LAYERS, channels: int = CHANNELS):
    """Per cell: (C_prev_prev, C_prev, C, reduction, reduction_prev).

    Parameters
    ----------
    layers : int
        Cells in the network; reductions at layers // 3 and 2 * layers // 3.
    channels : int
        Channels C of the first cells (doubled at each reduction).

    Returns
    -------
    list of tuple
        One (C_prev_prev, C_prev, C, reduction, reduction_prev) per cell, in order, as in
        the DARTS network.

    Examples
    --------
    >>> cell_plan()[2]
    (128, 128, 64, True, False)
    """
    c_pp = c_p = STEM_MULTIPLIER * channels
    c, prev_red, plan = channels, False, []
    for i in range(layers):
        red = i in (layers // 3, 2 * layers // 3)
        if red:
            c *= 2
        plan.append((c_pp, c_p, c, red, prev_red))
        prev_red = red
        c_pp, c_p = c_p, NODES * c
    return plan


def param_count(arch: Any, num_classes: int = 10) -> int:
    """Exact number of parameters of `NB301Space.build(arch, num_classes)`.

    Parameters
    ----------
    arch : Any
        Any spelling `to_cells` accepts.
    num_classes : int
        Output classes of the linear classifier.

    Returns
    -------
    int
        The parameter count (BN layers of the ops without affine parameters, as in DARTS).

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.
    """
    cells = to_cells(arch)
    total = 9 * 3 * STEM_MULTIPLIER * CHANNELS + 2 * STEM_MULTIPLIER * CHANNELS
    for c_pp, c_p, c, red, _ in cell_plan():
        total += (c_pp * c + 2 * c) + (c_p * c + 2 * c)       # preprocess0 (1x1 or factorized), preprocess1
        total += sum(_op_params(o, c, 2 if red and s < 2 else 1) for s, o in cells[int(red)])
    return total + (NODES * c + 1) * num_classes


class NB301Space(FunctionSpace):
    """DARTS / NAS-Bench-301 behind the generic `SearchSpace` interface.

    Standard form: the two cells of `to_cells`; `key` is `canonical_key`, `sample` is
    uniform per node, `mutate` returns a child with another key, `to_string` is the DARTS
    genotype and `table_string` the data files' key. Task: cifar10. The constructor takes no
    parameters; use the shared instance `SPACE`.
    """

    name = "nb301"
    tasks = TASKS
    standard, sampler = staticmethod(to_cells), staticmethod(sample)
    mutator, keyer = staticmethod(mutate), staticmethod(canonical_key)

    def build(self, arch: Any, num_classes: int = 10):
        """A freshly initialised DARTS network of `arch` (C=32, 8 cells, reductions at 2 and 5).

        Parameters
        ----------
        arch : Any
            Any spelling `to_cells` accepts.
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
        from zcgp.spaces.nb301_torch import NB301Network

        return NB301Network(to_cells(arch), check_classes(num_classes))

    def to_string(self, arch: Any) -> str:
        """The DARTS genotype text of `arch` (see `to_genotype`).

        Parameters
        ----------
        arch : Any
            Any spelling `to_cells` accepts.

        Returns
        -------
        str
            "Genotype(normal=[...], normal_concat=[2, 3, 4, 5], reduce=[...], ...)".

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid.
        """
        return to_genotype(arch)

    def param_count(self, arch: Any, num_classes: int = 10) -> int:
        """Exact number of parameters of `build(arch, num_classes)` (see `param_count`).

        Parameters
        ----------
        arch : Any
            Any spelling `to_cells` accepts.
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

    def table_string(self, arch: Any) -> str:
        """The data files' key of `arch` (see the module-level `table_string`).

        Parameters
        ----------
        arch : Any
            Any spelling `to_cells` accepts.

        Returns
        -------
        str
            '[[(input, op), ...], [...]]'.

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid.
        """
        return table_string(arch)


SPACE = NB301Space()
