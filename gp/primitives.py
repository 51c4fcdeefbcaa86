"""The DEAP primitive set over proxy terminals, and trees as strings, keys and flat code.

A tree is a `deap.gp.PrimitiveTree` over `make_pset(terminals)`. Three derived forms:
  * `str(tree)`: DEAP's prefix string, e.g. ``pdiv(nwot, add(flops, 0.5))``; parsed back
    node for node (constants included) by `parse_tree`.
  * `canonical_key(tree)`: the same with the arguments of commutative operators sorted,
    so ``add(a, b)`` and ``add(b, a)`` share one cache entry (their values are bitwise equal).
  * `to_code(tree)`: a flat tuple of operator names, terminal names and float constants,
    cheap to pickle to workers and interpreted by `run_code` with the numpy ops of `gp.ops`.
"""

from __future__ import annotations

import keyword
import random
import re

import numpy as np
from deap import gp

from zcgp.errors import ZcgpError
from zcgp.gp.ops import PRIMITIVES

__all__ = ["CONSTANTS", "canonical_key", "check_terminal_names", "code_terminals", "evaluate_tree", "make_constant",
           "make_pset", "parse_tree", "run_code", "to_code"]

CONSTANTS = (-1.0, -0.5, 0.5, 1.0, 2.0, 3.0)
EPHEMERAL = "const"
_FUNCS = {name: (fn, arity) for name, (fn, arity, _) in PRIMITIVES.items()}
_COMMUTATIVE = frozenset(name for name, (_, _, comm) in PRIMITIVES.items() if comm)
_TOKEN = re.compile(r"[\s(),]+")


def random_constant() -> float:
    """Ephemeral constant generator: a round value, so formulas stay readable."""
    return random.choice(CONSTANTS)


def check_terminal_names(terminals) -> None:
    """Check that proxy names can be the terminals of a formula.

    Parameters
    ----------
    terminals : sequence of str
        The proxy names.

    Raises
    ------
    ZcgpError
        When a name is not a Python identifier or is a keyword, equals a primitive's name or
        "const", or appears twice.
    """
    for name in terminals:
        if not (isinstance(name, str) and name.isidentifier()) or keyword.iskeyword(name):
            raise ZcgpError(f"proxy name '{name}' cannot be a formula terminal (not an identifier)")
        if name in _FUNCS or name == EPHEMERAL:
            raise ZcgpError(f"proxy name '{name}' clashes with a primitive of the same name")
    if len(set(terminals)) != len(terminals):
        raise ZcgpError(f"duplicate terminals in {', '.join(terminals)}")


def make_pset(terminals) -> gp.PrimitiveSetTyped:
    """Typed primitive set (all float) with one argument per proxy terminal.

    The primitives are those of `gp.ops.PRIMITIVES`, plus the ephemeral constant "const"
    (drawn from CONSTANTS). The terminals are kept as the attribute `zcgp_terminals`.

    Parameters
    ----------
    terminals : sequence of str
        The proxy names, in argument order.

    Returns
    -------
    deap.gp.PrimitiveSetTyped
        The primitive set.

    Raises
    ------
    ZcgpError
        When `terminals` is empty or a name is not allowed (`check_terminal_names`).

    Examples
    --------
    >>> make_pset(["nwot", "synflow"]).zcgp_terminals
    ('nwot', 'synflow')
    """
    terminals = tuple(terminals)
    if not terminals:
        raise ZcgpError("no proxy is available as a terminal")
    check_terminal_names(terminals)
    pset = gp.PrimitiveSetTyped("MAIN", [float] * len(terminals), float)
    for name, (fn, arity, _) in PRIMITIVES.items():
        pset.addPrimitive(fn, [float] * arity, float, name=name)
    pset.addEphemeralConstant(EPHEMERAL, random_constant, float)
    pset.renameArguments(**{f"ARG{i}": name for i, name in enumerate(terminals)})
    pset.zcgp_terminals = terminals
    return pset


def make_constant(pset, value: float):
    """An ephemeral-constant node holding `value` (so mutEphemeral can still change it).

    Parameters
    ----------
    pset : deap.gp.PrimitiveSetTyped
        A primitive set from `make_pset`.
    value : float
        The constant.

    Returns
    -------
    deap.gp.Terminal
        A node of the set's ephemeral class.
    """
    cls = pset.mapping[EPHEMERAL]
    node = object.__new__(cls)
    node.value = float(value)
    return node


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def parse_tree(text: str, pset, cls=gp.PrimitiveTree):
    """Inverse of `str(tree)` for trees over `pset` (no eval).

    Parameters
    ----------
    text : str
        A DEAP prefix string, e.g. ``pdiv(nwot, add(synflow, 0.5))``; numbers become
        ephemeral constants.
    pset : deap.gp.PrimitiveSetTyped
        The primitive set (`make_pset`).
    cls : type, default deap.gp.PrimitiveTree
        The tree class to build (e.g. the engine's Individual).

    Returns
    -------
    cls
        The tree, node for node as written.

    Raises
    ------
    ZcgpError
        When a symbol is unknown, a constant is not finite, or the expression is incomplete
        or has trailing tokens.

    Examples
    --------
    >>> pset = make_pset(["nwot", "synflow"])
    >>> str(parse_tree("pdiv(nwot, add(synflow, 0.5))", pset))
    'pdiv(nwot, add(synflow, 0.5))'
    """
    tokens = [t for t in _TOKEN.split(text) if t]
    nodes, needed = [], 1
    for token in tokens:
        if needed == 0:
            raise ZcgpError(f"malformed tree '{text}': trailing '{token}'")
        node = pset.mapping.get(token)
        if isinstance(node, gp.Primitive):
            needed += node.arity - 1
        elif isinstance(node, gp.Terminal):
            needed -= 1
        elif _is_number(token):
            if not np.isfinite(float(token)):
                raise ZcgpError(f"malformed tree '{text}': non-finite constant '{token}'")
            node = make_constant(pset, float(token))
            needed -= 1
        else:
            raise ZcgpError(f"malformed tree '{text}': unknown symbol '{token}'")
        nodes.append(node)
    if needed != 0 or not nodes:
        raise ZcgpError(f"malformed tree '{text}': incomplete expression")
    return cls(nodes)


def _node_token(node):
    if isinstance(node, gp.Primitive):
        return node.name
    if isinstance(node.value, str):      # an argument (proxy) terminal
        return node.value
    return float(node.value)


def to_code(tree) -> tuple:
    """Flat prefix code: operator names, terminal names (str) and constants (float).

    Parameters
    ----------
    tree : deap.gp.PrimitiveTree
        The tree.

    Returns
    -------
    tuple
        One token per node, in prefix order; `run_code` evaluates it.

    Examples
    --------
    >>> to_code(parse_tree("pdiv(nwot, add(synflow, 0.5))", make_pset(["nwot", "synflow"])))
    ('pdiv', 'nwot', 'add', 'synflow', 0.5)
    """
    return tuple(_node_token(node) for node in tree)


def code_terminals(code) -> frozenset:
    """The terminal names a flat code uses.

    Parameters
    ----------
    code : tuple
        Flat prefix code (`to_code`).

    Returns
    -------
    frozenset of str
        Its string tokens that are not primitive names.
    """
    return frozenset(t for t in code if isinstance(t, str) and t not in _FUNCS)


def canonical_key(tree) -> str:
    """Prefix string with commutative arguments sorted: the cache and archive key.

    Parameters
    ----------
    tree : deap.gp.PrimitiveTree
        The tree.

    Returns
    -------
    str
        A valid tree string (`parse_tree` reads it back); trees that differ only in the order
        of the arguments of add, mul, fmin or fmax share it.

    Examples
    --------
    >>> canonical_key(parse_tree("add(synflow, nwot)", make_pset(["nwot", "synflow"])))
    'add(nwot, synflow)'
    """
    stack: list[str] = []
    for node in reversed(tree):
        if isinstance(node, gp.Primitive):
            args = [stack.pop() for _ in range(node.arity)]
            if node.name in _COMMUTATIVE:
                args.sort()
            stack.append(f"{node.name}({', '.join(args)})")
        else:
            stack.append(node.format())
    return stack[0]


def run_code(code, columns: dict) -> np.ndarray | float:
    """Evaluate flat prefix code on a dict of terminal name -> column array.

    Parameters
    ----------
    code : tuple
        Flat prefix code (`to_code`).
    columns : dict of str to numpy.ndarray
        One array (or float) per terminal the code uses, all of one length.

    Returns
    -------
    numpy.ndarray or float
        The values; a float when the code uses no terminal.

    Raises
    ------
    KeyError
        When a terminal of the code is not in `columns`.

    Examples
    --------
    >>> run_code(("add", "nwot", 1.0), {"nwot": np.array([1.0, 2.0])})
    array([2., 3.])
    """
    stack = []
    for token in reversed(code):
        if type(token) is float:
            stack.append(token)
            continue
        entry = _FUNCS.get(token)
        if entry is None:
            stack.append(columns[token])
        elif entry[1] == 1:
            stack.append(entry[0](stack.pop()))
        else:
            a = stack.pop()
            stack.append(entry[0](a, stack.pop()))
    return stack[0]


def evaluate_tree(tree, columns: dict, n: int) -> np.ndarray:
    """Values of `tree` as a float array of length n (constants broadcast).

    Parameters
    ----------
    tree : deap.gp.PrimitiveTree
        The tree.
    columns : dict of str to numpy.ndarray
        One array of length `n` per terminal the tree uses.
    n : int
        The number of architectures.

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        A new array (writable).
    """
    return np.broadcast_to(np.asarray(run_code(to_code(tree), columns), dtype=float), (n,)).copy()
