"""TransNAS-Bench-101 micro (cell) and macro (skeleton) spaces (torch-free; `build` imports
torch lazily).

Micro: a 4-node cell, 6 edge ops (0 = none, 1 = skip_connect, 2 = nor_conv_1x1,
3 = nor_conv_3x3) in the order a=(0,1), b=(0,2), c=(1,2), d=(0,3), e=(1,3), f=(2,3), inside the
fixed skeleton `64-41414`. Spellings: the data files' tuple "(a, b, c, d, e, f)" and the
TransNAS-Bench-101 string `64-41414-a_bc_def`.
Macro: 4 to 6 residual layers of two basic blocks; layer code 1 = keep, 2 = double the
channels, 3 = halve the resolution, 4 = both; 1 to 4 layers halve the resolution and 1 to 3
double the channels. Spellings: the data files' tuple of codes padded with zeros to 6, and
the string `64-<codes>-basic`.
Networks: the TransNAS-Bench-101 encoder (stem of two stride-2 3x3 convs to 64 channels)
with the classification head of the task (global pooling + linear; class_scene 63
classes, class_object 100). Inputs are 3x256x256 images, as in the benchmark.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Any

import numpy as np

from zcgp.errors import UserInputError
from zcgp.spaces.base import SearchSpace, as_rng, check_classes, parse_int_tuple

__all__ = ["BASE_CHANNELS", "CONV1", "CONV3", "MACRO", "MACRO_CODES", "MACRO_DEPTHS", "MAX_DOUBLINGS",
           "MAX_DOWNSAMPLES", "MICRO", "MICRO_EDGES", "MICRO_OPS", "MICRO_SKELETON", "NONE", "RESOLUTION", "SKIP",
           "TASKS", "MacroSpace", "MicroSpace", "all_macro", "macro_mutate", "macro_string", "macro_tuple",
           "micro_key", "micro_string", "micro_tuple"]

BASE_CHANNELS = 64
MICRO_SKELETON = "41414"
RESOLUTION = 256
TASKS = {"class_scene": (63, RESOLUTION), "class_object": (100, RESOLUTION)}

MICRO_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
NONE, SKIP, CONV1, CONV3 = range(4)
MICRO_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))

MACRO_CODES = (1, 2, 3, 4)
MACRO_DEPTHS = (4, 5, 6)
MAX_DOWNSAMPLES, MAX_DOUBLINGS = 4, 3

_MICRO_RE = re.compile(r"^64-41414-(\d)_(\d\d)_(\d\d\d)$")
_MACRO_RE = re.compile(r"^64-(\d{1,9})-basic$")


# ----------------------------------------------------------------------------- micro

def micro_tuple(arch: Any) -> tuple[int, ...]:
    """The 6-int op tuple of a micro architecture (tuple, tuple string or TransNAS string).

    The tuple is the micro space's standard form: op codes of `MICRO_OPS` on the edges
    a..f of `MICRO_EDGES`.

    Parameters
    ----------
    arch : Any
        A sequence of 6 op codes in 0..3, its string "(a, b, c, d, e, f)", or the
        TransNAS-Bench-101 string '64-41414-a_bc_def'.

    Returns
    -------
    tuple of int
        The 6 op codes.

    Raises
    ------
    UserInputError
        When `arch` is malformed or holds a code outside 0..3.

    Examples
    --------
    >>> micro_tuple("64-41414-3_12_230")
    (3, 1, 2, 2, 3, 0)
    """
    if isinstance(arch, str):
        text = arch.strip()
        match = _MICRO_RE.match(text)
        if match:
            values = [int(ch) for ch in "".join(match.groups())]
        elif text[:1] in "([":
            values = parse_int_tuple(text, "TransNAS micro")
        else:
            raise UserInputError(f"malformed TransNAS micro architecture '{arch}': expected "
                                 "'64-41414-a_bc_def' or '(a, b, c, d, e, f)'")
    else:
        try:
            values = [int(v) for v in arch]
        except (TypeError, ValueError):
            raise UserInputError(f"malformed TransNAS micro architecture {arch!r}") from None
    if len(values) != len(MICRO_EDGES) or any(not 0 <= v < len(MICRO_OPS) for v in values):
        raise UserInputError(f"malformed TransNAS micro architecture {arch!r}: expected 6 op codes in 0..3 "
                             f"({', '.join(f'{i}={n}' for i, n in enumerate(MICRO_OPS))})")
    return tuple(values)


def micro_string(arch: Any) -> str:
    """The TransNAS-Bench-101 string '64-41414-a_bc_def' of a micro architecture.

    Parameters
    ----------
    arch : Any
        Any spelling `micro_tuple` accepts.

    Returns
    -------
    str
        The benchmark's name of the cell in the `64-41414` skeleton.

    Raises
    ------
    UserInputError
        When `arch` is malformed.

    Examples
    --------
    >>> micro_string((3, 1, 2, 2, 3, 0))
    '64-41414-3_12_230'
    """
    a, b, c, d, e, f = micro_tuple(arch)
    return f"64-{MICRO_SKELETON}-{a}_{b}{c}_{d}{e}{f}"


_KEY_OPS = {SKIP: "id", CONV1: "c1", CONV3: "c3"}


def micro_key(arch: Any) -> str:
    """The cell's output as a sorted sum of op terms: equal for cells that differ only by
    edges that carry zeros (`none`, or any op on an all-zero node).

    Parameters
    ----------
    arch : Any
        Any spelling `micro_tuple` accepts.

    Returns
    -------
    str
        The key, e.g. 'c3[x]'; '0' for a cell that outputs zero.

    Raises
    ------
    UserInputError
        When `arch` is malformed.

    Examples
    --------
    >>> micro_key((0, 0, 0, 3, 0, 0)) == micro_key((0, 3, 0, 3, 0, 0)) == 'c3[x]'
    True
    """
    ops = micro_tuple(arch)
    nodes: list[tuple[str, ...]] = [("x",)]
    for target in (1, 2, 3):
        terms = [f"{_KEY_OPS[ops[e]]}[{'+'.join(nodes[s])}]"
                 for e, (s, t) in enumerate(MICRO_EDGES) if t == target and ops[e] != NONE and nodes[s]]
        nodes.append(tuple(sorted(terms)))
    return "+".join(nodes[-1]) or "0"


# ----------------------------------------------------------------------------- macro

def _check_macro(codes: list[int], original: Any) -> tuple[int, ...]:
    if not MACRO_DEPTHS[0] <= len(codes) <= MACRO_DEPTHS[-1] or any(c not in MACRO_CODES for c in codes):
        raise UserInputError(f"malformed TransNAS macro architecture {original!r}: expected 4 to 6 layer "
                             "codes in 1..4 (then zeros up to 6)")
    down = sum(c > 2 for c in codes)
    double = sum(c % 2 == 0 for c in codes)
    if not 1 <= down <= MAX_DOWNSAMPLES or not 1 <= double <= MAX_DOUBLINGS:
        raise UserInputError(f"invalid TransNAS macro architecture {original!r}: needs 1..4 downsampling "
                             f"layers (3, 4) and 1..3 channel-doubling layers (2, 4); got {down} and {double}")
    return tuple(codes) + (0,) * (MACRO_DEPTHS[-1] - len(codes))


def macro_tuple(arch: Any) -> tuple[int, ...]:
    """The zero-padded 6-int code tuple of a macro architecture (tuple, string or `64-...-basic`).

    The padded tuple is the macro space's standard form.

    Parameters
    ----------
    arch : Any
        A sequence of 4 to 6 layer codes in 1..4 (zero-padded to 6 or not), its string, or
        the TransNAS-Bench-101 string '64-<codes>-basic'.

    Returns
    -------
    tuple of int
        The layer codes followed by zeros up to length 6.

    Raises
    ------
    UserInputError
        When `arch` is malformed, or does not halve the resolution in 1 to 4 layers and
        double the channels in 1 to 3 layers.

    Examples
    --------
    >>> macro_tuple("64-1234-basic")
    (1, 2, 3, 4, 0, 0)
    """
    if isinstance(arch, str):
        text = arch.strip()
        match = _MACRO_RE.match(text)
        if match:
            return _check_macro([int(ch) for ch in match.group(1)], arch)
        if text[:1] not in "([":
            raise UserInputError(f"malformed TransNAS macro architecture '{arch}': expected '64-<codes>-basic' "
                                 "or '(c1, c2, c3, c4, c5, c6)'")
        values = parse_int_tuple(text, "TransNAS macro")
    else:
        try:
            values = [int(v) for v in arch]
        except (TypeError, ValueError):
            raise UserInputError(f"malformed TransNAS macro architecture {arch!r}") from None
    codes = list(values)
    while codes and codes[-1] == 0:
        codes.pop()
    return _check_macro(codes, arch)


def macro_codes(arch: Any) -> tuple[int, ...]:
    """The layer codes of a macro architecture, without the zero padding.

    Parameters
    ----------
    arch : Any
        Any spelling `macro_tuple` accepts.

    Returns
    -------
    tuple of int
        4 to 6 codes in 1..4.

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.
    """
    return tuple(c for c in macro_tuple(arch) if c)


def macro_string(arch: Any) -> str:
    """The TransNAS-Bench-101 string '64-<codes>-basic' of a macro architecture.

    Parameters
    ----------
    arch : Any
        Any spelling `macro_tuple` accepts.

    Returns
    -------
    str
        The benchmark's name of the skeleton; also the macro space's key.

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.

    Examples
    --------
    >>> macro_string((1, 2, 3, 4, 0, 0))
    '64-1234-basic'
    """
    return f"64-{''.join(map(str, macro_codes(arch)))}-basic"


@lru_cache(maxsize=1)
def all_macro() -> tuple[tuple[int, ...], ...]:
    """Every valid macro architecture (3,256 of them).

    Returns
    -------
    tuple of tuple of int
        The zero-padded code tuples, by depth, then in lexicographic order of the codes.
    """
    found = []
    for depth in MACRO_DEPTHS:
        for codes in itertools.product(MACRO_CODES, repeat=depth):
            down, double = sum(c > 2 for c in codes), sum(c % 2 == 0 for c in codes)
            if 1 <= down <= MAX_DOWNSAMPLES and 1 <= double <= MAX_DOUBLINGS:
                found.append(codes + (0,) * (MACRO_DEPTHS[-1] - depth))
    return tuple(found)


def macro_mutate(arch: Any, rng: np.random.Generator | int | None = None) -> tuple[int, ...]:
    """Change one layer's code, insert a layer or remove one; the child is valid and different.

    Parameters
    ----------
    arch : Any
        The parent, any spelling `macro_tuple` accepts.
    rng : numpy.random.Generator, int or None
        Generator or seed (see `zcgp.spaces.base.as_rng`).

    Returns
    -------
    tuple of int
        The child's zero-padded code tuple.

    Raises
    ------
    UserInputError
        When `arch` is malformed or invalid.
    """
    rng = as_rng(rng)
    codes = list(macro_codes(arch))
    valid = set(all_macro())
    while True:
        child = list(codes)
        move = int(rng.integers(3))
        position = int(rng.integers(len(child) + (move == 1)))
        if move == 0:
            child[position] = int(rng.choice([c for c in MACRO_CODES if c != child[position]]))
        elif move == 1:
            child.insert(position, int(rng.choice(MACRO_CODES)))
        else:
            del child[position]
        padded = tuple(child) + (0,) * (MACRO_DEPTHS[-1] - len(child))
        if padded in valid and tuple(child) != tuple(codes):
            return padded


# ----------------------------------------------------------------------------- sizes

def _relu_conv_bn(c_in: int, c_out: int, k: int) -> int:
    return k * k * c_in * c_out + 2 * c_out


def _stem_params() -> int:
    half = BASE_CHANNELS // 2
    return 9 * 3 * half + 2 * half + _relu_conv_bn(half, BASE_CHANNELS, 3)


def _layers(codes) -> list[tuple[int, int, int]]:
    """(c_in, c_out, stride) of every block."""
    blocks, c = [], BASE_CHANNELS
    for code in codes:
        target = 2 * c if code % 2 == 0 else c
        stride = 2 if code > 2 else 1
        blocks += [(c, target, stride), (target, target, 1)]
        c = target
    return blocks


def _micro_cell_params(ops, c_in: int, c_out: int, stride: int) -> int:
    total = 0
    for op, (source, _) in zip(ops, MICRO_EDGES):
        ci, s = (c_in, stride) if source == 0 else (c_out, 1)
        if op == CONV3:
            total += _relu_conv_bn(ci, c_out, 3)
        elif op == CONV1:
            total += _relu_conv_bn(ci, c_out, 1)
        elif op == SKIP and (s != 1 or ci != c_out):
            total += ci * c_out + 2 * c_out                     # factorized reduce
    return total


def _basic_block_params(c_in: int, c_out: int, stride: int) -> int:
    total = _relu_conv_bn(c_in, c_out, 3) + _relu_conv_bn(c_out, c_out, 3)
    return total + (c_in * c_out + 2 * c_out if stride != 1 or c_in != c_out else 0)


def micro_param_count(arch: Any, num_classes: int) -> int:
    """Exact number of parameters of `MICRO.build(arch, num_classes)`.

    Parameters
    ----------
    arch : Any
        Any spelling `micro_tuple` accepts.
    num_classes : int
        Output classes of the linear classifier.

    Returns
    -------
    int
        The parameter count.

    Raises
    ------
    UserInputError
        When `arch` is malformed.
    """
    ops = micro_tuple(arch)
    blocks = _layers(int(c) for c in MICRO_SKELETON)
    return (_stem_params() + sum(_micro_cell_params(ops, *b) for b in blocks)
            + (blocks[-1][1] + 1) * num_classes)


def macro_param_count(arch: Any, num_classes: int) -> int:
    """Exact number of parameters of `MACRO.build(arch, num_classes)`.

    Parameters
    ----------
    arch : Any
        Any spelling `macro_tuple` accepts.
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
    blocks = _layers(macro_codes(arch))
    return _stem_params() + sum(_basic_block_params(*b) for b in blocks) + (blocks[-1][1] + 1) * num_classes


# ----------------------------------------------------------------------------- spaces

class _TransNASSpace(SearchSpace):
    """What the micro and macro spaces share: the tasks and the network builder."""

    tasks = TASKS

    def build(self, arch: Any, num_classes: int = 63):
        """A freshly initialised TransNAS-Bench-101 network of `arch` for 256x256 inputs.

        Parameters
        ----------
        arch : Any
            An architecture in any spelling the space accepts.
        num_classes : int
            Output classes of the linear head (63 for class_scene, 100 for class_object).

        Returns
        -------
        torch.nn.Module
            The network, its weights drawn from torch's global RNG.

        Raises
        ------
        UserInputError
            When `arch` is malformed or `num_classes` is not a positive integer.
        """
        from zcgp.spaces.tnb101_torch import TransNASNetwork

        return TransNASNetwork(self._blocks(arch), check_classes(num_classes))

    def table_string(self, arch: Any) -> str:
        """The data files' key: the str of the standard tuple, e.g. '(3, 1, 2, 2, 3, 0)'.

        Parameters
        ----------
        arch : Any
            An architecture in any spelling the space accepts.

        Returns
        -------
        str
            The NAS-Bench-Suite-Zero ARCH string.

        Raises
        ------
        UserInputError
            When `arch` is malformed.
        """
        return str(self.normalize(arch))


class MicroSpace(_TransNASSpace):
    """TransNAS-Bench-101 micro (4,096 cells in the `64-41414` skeleton).

    Standard form: the 6-int op tuple of `micro_tuple`; `key` is `micro_key`, `to_string`
    the benchmark string '64-41414-a_bc_def'. Tasks: class_scene and class_object. The
    constructor takes no parameters; use the shared instance `MICRO`.

    Examples
    --------
    >>> MICRO.normalize("64-41414-3_12_230")
    (3, 1, 2, 2, 3, 0)
    >>> MICRO.to_string((3, 1, 2, 2, 3, 0))
    '64-41414-3_12_230'
    """

    name = "tnb101_micro"

    def normalize(self, arch: Any) -> tuple[int, ...]:
        """The 6-int op tuple of `arch` (see `micro_tuple`).

        Parameters
        ----------
        arch : Any
            Any spelling `micro_tuple` accepts.

        Returns
        -------
        tuple of int
            The standard form.

        Raises
        ------
        UserInputError
            When `arch` is malformed.
        """
        return micro_tuple(arch)

    def sample(self, rng=None) -> tuple[int, ...]:
        """A cell with 6 ops drawn independently and uniformly (each of the 4,096 equally likely).

        Parameters
        ----------
        rng : numpy.random.Generator, int or None
            Generator or seed (see `zcgp.spaces.base.as_rng`).

        Returns
        -------
        tuple of int
            The cell in standard form.
        """
        return tuple(int(v) for v in as_rng(rng).integers(0, len(MICRO_OPS), len(MICRO_EDGES)))

    def mutate(self, arch: Any, rng=None) -> tuple[int, ...]:
        """Change one uniformly chosen edge to one of the other three ops.

        Parameters
        ----------
        arch : Any
            The parent, any spelling `micro_tuple` accepts.
        rng : numpy.random.Generator, int or None
            Generator or seed (see `zcgp.spaces.base.as_rng`).

        Returns
        -------
        tuple of int
            The child, different from the parent on exactly one edge.

        Raises
        ------
        UserInputError
            When `arch` is malformed.
        """
        rng = as_rng(rng)
        ops = list(micro_tuple(arch))
        edge = int(rng.integers(len(ops)))
        ops[edge] = (ops[edge] + 1 + int(rng.integers(len(MICRO_OPS) - 1))) % len(MICRO_OPS)
        return tuple(ops)

    def key(self, arch: Any) -> str:
        """The canonical key of `arch` (see `micro_key`).

        Parameters
        ----------
        arch : Any
            Any spelling `micro_tuple` accepts.

        Returns
        -------
        str
            Equal for cells that differ only by edges carrying zeros.

        Raises
        ------
        UserInputError
            When `arch` is malformed.
        """
        return micro_key(arch)

    def to_string(self, arch: Any) -> str:
        """The benchmark string of `arch` (see `micro_string`).

        Parameters
        ----------
        arch : Any
            Any spelling `micro_tuple` accepts.

        Returns
        -------
        str
            '64-41414-a_bc_def'.

        Raises
        ------
        UserInputError
            When `arch` is malformed.
        """
        return micro_string(arch)

    def param_count(self, arch: Any, num_classes: int) -> int:
        """Exact number of parameters of `build(arch, num_classes)` (see `micro_param_count`).

        Parameters
        ----------
        arch : Any
            Any spelling `micro_tuple` accepts.
        num_classes : int
            Output classes of the linear head.

        Returns
        -------
        int
            The parameter count.

        Raises
        ------
        UserInputError
            When `arch` is malformed.
        """
        return micro_param_count(arch, num_classes)

    def _blocks(self, arch):
        ops = micro_tuple(arch)
        return [("micro", ops, *b) for b in _layers(int(c) for c in MICRO_SKELETON)]


class MacroSpace(_TransNASSpace):
    """TransNAS-Bench-101 macro (3,256 skeletons of basic residual blocks).

    Standard form: the zero-padded 6-int code tuple of `macro_tuple`; `key` and `to_string`
    are the benchmark string '64-<codes>-basic' (every skeleton is its own class). Tasks:
    class_scene and class_object. The constructor takes no parameters; use the shared
    instance `MACRO`.

    Examples
    --------
    >>> MACRO.normalize("64-1234-basic")
    (1, 2, 3, 4, 0, 0)
    >>> MACRO.key([1, 2, 3, 4])
    '64-1234-basic'
    """

    name = "tnb101_macro"

    def normalize(self, arch: Any) -> tuple[int, ...]:
        """The zero-padded code tuple of `arch` (see `macro_tuple`).

        Parameters
        ----------
        arch : Any
            Any spelling `macro_tuple` accepts.

        Returns
        -------
        tuple of int
            The standard form.

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid.
        """
        return macro_tuple(arch)

    def sample(self, rng=None) -> tuple[int, ...]:
        """One of the 3,256 skeletons of `all_macro`, uniformly.

        Parameters
        ----------
        rng : numpy.random.Generator, int or None
            Generator or seed (see `zcgp.spaces.base.as_rng`).

        Returns
        -------
        tuple of int
            The skeleton in standard form.
        """
        choices = all_macro()
        return choices[int(as_rng(rng).integers(len(choices)))]

    def mutate(self, arch: Any, rng=None) -> tuple[int, ...]:
        """A valid, different neighbour of `arch` (see `macro_mutate`).

        Parameters
        ----------
        arch : Any
            The parent, any spelling `macro_tuple` accepts.
        rng : numpy.random.Generator, int or None
            Generator or seed (see `zcgp.spaces.base.as_rng`).

        Returns
        -------
        tuple of int
            The child in standard form.

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid.
        """
        return macro_mutate(arch, rng)

    def key(self, arch: Any) -> str:
        """The benchmark string of `arch`, which identifies the skeleton (see `macro_string`).

        Parameters
        ----------
        arch : Any
            Any spelling `macro_tuple` accepts.

        Returns
        -------
        str
            '64-<codes>-basic'.

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid.
        """
        return macro_string(arch)

    def to_string(self, arch: Any) -> str:
        """The benchmark string of `arch` (see `macro_string`).

        Parameters
        ----------
        arch : Any
            Any spelling `macro_tuple` accepts.

        Returns
        -------
        str
            '64-<codes>-basic'.

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid.
        """
        return macro_string(arch)

    def param_count(self, arch: Any, num_classes: int) -> int:
        """Exact number of parameters of `build(arch, num_classes)` (see `macro_param_count`).

        Parameters
        ----------
        arch : Any
            Any spelling `macro_tuple` accepts.
        num_classes : int
            Output classes of the linear head.

        Returns
        -------
        int
            The parameter count.

        Raises
        ------
        UserInputError
            When `arch` is malformed or invalid.
        """
        return macro_param_count(arch, num_classes)

    def _blocks(self, arch):
        return [("basic", None, *b) for b in _layers(macro_codes(arch))]


MICRO = MicroSpace()
MACRO = MacroSpace()
