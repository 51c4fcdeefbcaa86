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
    """The 6-int op tuple of a micro architecture (tuple, tuple string or TransNAS string)."""
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
    a, b, c, d, e, f = micro_tuple(arch)
    return f"64-{MICRO_SKELETON}-{a}_{b}{c}_{d}{e}{f}"


_KEY_OPS = {SKIP: "id", CONV1: "c1", CONV3: "c3"}


def micro_key(arch: Any) -> str:
    """The cell's output as a sorted sum of op terms: equal for cells that differ only by
    edges that carry zeros (`none`, or any op on an all-zero node)."""
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
    """The zero-padded 6-int code tuple of a macro architecture (tuple, string or `64-...-basic`)."""
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
    return tuple(c for c in macro_tuple(arch) if c)


def macro_string(arch: Any) -> str:
    return f"64-{''.join(map(str, macro_codes(arch)))}-basic"


@lru_cache(maxsize=1)
def all_macro() -> tuple[tuple[int, ...], ...]:
    """Every valid macro architecture (3,256 of them)."""
    found = []
    for depth in MACRO_DEPTHS:
        for codes in itertools.product(MACRO_CODES, repeat=depth):
            down, double = sum(c > 2 for c in codes), sum(c % 2 == 0 for c in codes)
            if 1 <= down <= MAX_DOWNSAMPLES and 1 <= double <= MAX_DOUBLINGS:
                found.append(codes + (0,) * (MACRO_DEPTHS[-1] - depth))
    return tuple(found)


def macro_mutate(arch: Any, rng: np.random.Generator | int | None = None) -> tuple[int, ...]:
    """Change one layer's code, insert a layer or remove one; the child is valid and different."""
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
    ops = micro_tuple(arch)
    blocks = _layers(int(c) for c in MICRO_SKELETON)
    return (_stem_params() + sum(_micro_cell_params(ops, *b) for b in blocks)
            + (blocks[-1][1] + 1) * num_classes)


def macro_param_count(arch: Any, num_classes: int) -> int:
    blocks = _layers(macro_codes(arch))
    return _stem_params() + sum(_basic_block_params(*b) for b in blocks) + (blocks[-1][1] + 1) * num_classes


# ----------------------------------------------------------------------------- spaces

class _TransNASSpace(SearchSpace):
    tasks = TASKS

    def build(self, arch: Any, num_classes: int = 63):
        from zcgp.spaces.tnb101_torch import TransNASNetwork

        return TransNASNetwork(self._blocks(arch), check_classes(num_classes))

    def table_string(self, arch: Any) -> str:
        return str(self.normalize(arch))


class MicroSpace(_TransNASSpace):
    """TransNAS-Bench-101 micro (4,096 cells in the `64-41414` skeleton)."""

    name = "tnb101_micro"

    def normalize(self, arch: Any) -> tuple[int, ...]:
        return micro_tuple(arch)

    def sample(self, rng=None) -> tuple[int, ...]:
        return tuple(int(v) for v in as_rng(rng).integers(0, len(MICRO_OPS), len(MICRO_EDGES)))

    def mutate(self, arch: Any, rng=None) -> tuple[int, ...]:
        rng = as_rng(rng)
        ops = list(micro_tuple(arch))
        edge = int(rng.integers(len(ops)))
        ops[edge] = (ops[edge] + 1 + int(rng.integers(len(MICRO_OPS) - 1))) % len(MICRO_OPS)
        return tuple(ops)

    def key(self, arch: Any) -> str:
        return micro_key(arch)

    def to_string(self, arch: Any) -> str:
        return micro_string(arch)

    def param_count(self, arch: Any, num_classes: int) -> int:
        return micro_param_count(arch, num_classes)

    def _blocks(self, arch):
        ops = micro_tuple(arch)
        return [("micro", ops, *b) for b in _layers(int(c) for c in MICRO_SKELETON)]


class MacroSpace(_TransNASSpace):
    """TransNAS-Bench-101 macro (3,256 skeletons of basic residual blocks)."""

    name = "tnb101_macro"

    def normalize(self, arch: Any) -> tuple[int, ...]:
        return macro_tuple(arch)

    def sample(self, rng=None) -> tuple[int, ...]:
        choices = all_macro()
        return choices[int(as_rng(rng).integers(len(choices)))]

    def mutate(self, arch: Any, rng=None) -> tuple[int, ...]:
        return macro_mutate(arch, rng)

    def key(self, arch: Any) -> str:
        return macro_string(arch)

    def to_string(self, arch: Any) -> str:
        return macro_string(arch)

    def param_count(self, arch: Any, num_classes: int) -> int:
        return macro_param_count(arch, num_classes)

    def _blocks(self, arch):
        return [("basic", None, *b) for b in _layers(macro_codes(arch))]


MICRO = MicroSpace()
MACRO = MacroSpace()
