"""Human formulas <-> trees: parse ``nwot*log(synflow)`` (or a DEAP prefix string) safely.

Parsing uses Python's `ast` restricted to numbers, terminal names, + - * / (protected),
unary -, ``**2`` and the functions below; anything else is a one-line `ZcgpError`.
All functions have the engine's protected semantics: log(x) = log|x| (0 near 0),
sqrt(x) = sqrt|x|, x / y = 1 where |y| <= 1e-10.
"""

from __future__ import annotations

import ast
import math

from deap import gp

from zcgp.errors import ZcgpError
from zcgp.gp.primitives import make_constant

__all__ = ["FUNCTIONS", "formula_names", "infix", "parse_formula"]

# accepted function names -> primitive
FUNCTIONS = {
    "add": "add", "sub": "sub", "mul": "mul", "div": "pdiv", "pdiv": "pdiv",
    "log": "plog", "plog": "plog", "sqrt": "psqrt", "psqrt": "psqrt", "neg": "neg",
    "abs": "pabs", "pabs": "pabs", "square": "square", "min": "fmin", "fmin": "fmin",
    "max": "fmax", "fmax": "fmax", "tanh": "tanh",
}
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "pdiv"}
_MAX_LENGTH = 10_000


def formula_names(text: str) -> set[str]:
    """Terminal names used by a formula (syntax is checked).

    Parameters
    ----------
    text : str
        A human formula, e.g. ``nwot*log(synflow)``.

    Returns
    -------
    set of str
        The names that are not called as functions.

    Raises
    ------
    ZcgpError
        When the formula is empty, too long or not valid syntax.

    Examples
    --------
    >>> sorted(formula_names("nwot*log(synflow) + 2"))
    ['nwot', 'synflow']
    """
    tree = _parse_ast(text)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree)
            if isinstance(n, ast.Name) and n.id not in FUNCTIONS and id(n) not in called}


def _short(text: str, limit: int = 120) -> str:
    """The formula as shown in an error: one line (control characters escaped), at most `limit`."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text.strip())
    return text if len(text) <= limit else text[:limit] + "..."


def _parse_ast(text: str) -> ast.AST:
    if not isinstance(text, str) or not text.strip():
        raise ZcgpError("empty formula")
    if len(text) > _MAX_LENGTH:
        raise ZcgpError(f"formula too long ({len(text)} characters)")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ZcgpError(f"malformed formula '{_short(text)}': {exc.msg}{where}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ZcgpError(f"malformed formula '{_short(text)}': {reason}") from None


def parse_formula(text: str, pset, cls=gp.PrimitiveTree):
    """A tree over `pset` computing a human formula (or a DEAP prefix string).

    Accepted: numbers, the terminals of `pset`, + - * / (protected division), unary -,
    ``**2`` and the function names of FUNCTIONS (add, sub, mul, div, log, sqrt, abs, min,
    max, tanh, square, neg, and the primitive names such as pdiv or plog).

    Parameters
    ----------
    text : str
        The formula, e.g. ``nwot * log(synflow) / 2``.
    pset : deap.gp.PrimitiveSetTyped
        A primitive set from `gp.primitives.make_pset`.
    cls : type, default deap.gp.PrimitiveTree
        The tree class to build.

    Returns
    -------
    cls
        The tree; numbers become ephemeral constants.

    Raises
    ------
    ZcgpError
        One line for an unknown terminal or function, bad syntax, a wrong number of
        arguments, a power other than 2, a non-finite constant or too deep a nesting.

    Examples
    --------
    >>> from zcgp.gp.primitives import make_pset
    >>> pset = make_pset(["nwot", "synflow"])
    >>> str(parse_formula("nwot * log(synflow) / 2", pset))
    'pdiv(mul(nwot, plog(synflow)), 2.0)'
    >>> parse_formula("nwot * zen", pset)
    Traceback (most recent call last):
    ...
    zcgp.errors.ZcgpError: unknown terminal 'zen' in formula 'nwot * zen'; known: nwot, synflow
    """
    body = _parse_ast(text)
    terminals = pset.zcgp_terminals
    nodes: list = []
    shown = _short(text)

    def bad(message: str):
        raise ZcgpError(f"malformed formula '{shown}': {message}")

    def constant(value: float):
        if not math.isfinite(value):
            bad(f"non-finite constant {value} (a number beyond 1.8e308 overflows); use a finite number")
        return make_constant(pset, value)

    def emit(node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                bad(f"unsupported constant {node.value!r}")
            nodes.append(constant(float(node.value)))
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                bad(f"function '{node.id}' used without arguments")
            if node.id not in terminals:
                raise ZcgpError(f"unknown terminal '{node.id}' in formula '{shown}'; "
                                f"known: {', '.join(terminals)}")
            nodes.append(pset.mapping[node.id])
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = node.operand
            if isinstance(operand, ast.Constant) and isinstance(operand.value, (int, float)) \
                    and not isinstance(operand.value, bool):
                sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
                nodes.append(constant(sign * float(operand.value)))
            elif isinstance(node.op, ast.USub):
                nodes.append(pset.mapping["neg"])
                emit(operand)
            else:
                emit(operand)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            nodes.append(pset.mapping[_BINOPS[type(node.op)]])
            emit(node.left)
            emit(node.right)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            if not (isinstance(node.right, ast.Constant) and node.right.value == 2):
                bad("only '**2' is supported as a power; use sqrt(...) or square(...)")
            nodes.append(pset.mapping["square"])
            emit(node.left)
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in FUNCTIONS:
                shown_name = name or ast.unparse(node.func)
                raise ZcgpError(f"unknown function '{shown_name}' in formula '{shown}'; "
                                f"known: {', '.join(sorted(FUNCTIONS))}")
            if node.keywords:
                bad(f"keyword arguments are not supported in {name}(...)")
            primitive = pset.mapping[FUNCTIONS[name]]
            if len(node.args) != primitive.arity:
                bad(f"{name}() takes {primitive.arity} argument(s), got {len(node.args)}")
            nodes.append(primitive)
            for arg in node.args:
                emit(arg)
        else:
            bad(f"unsupported syntax '{ast.unparse(node)}'")

    try:
        emit(body)
    except RecursionError:
        raise ZcgpError(f"formula '{shown}' is nested too deeply") from None
    return cls(nodes)


_INFIX = {"add": "+", "sub": "-", "mul": "*", "pdiv": "/"}
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "pdiv": 2}
_DISPLAY = {"plog": "log", "psqrt": "sqrt", "pabs": "abs", "fmin": "min", "fmax": "max"}


def infix(tree) -> str:
    """Readable infix form (protected semantics implied), parseable by `parse_formula`.

    Parameters
    ----------
    tree : deap.gp.PrimitiveTree
        The tree.

    Returns
    -------
    str
        The formula with the display names of FUNCTIONS (log for plog, ...) and only the
        parentheses that keep the tree's evaluation order.

    Examples
    --------
    >>> from zcgp.gp.primitives import make_pset, parse_tree
    >>> infix(parse_tree("pdiv(mul(nwot, plog(synflow)), 2.0)", make_pset(["nwot", "synflow"])))
    'nwot * log(synflow) / 2.0'
    """
    stack: list[tuple[str, int]] = []     # (text, precedence; 9 = atom, 8 = power)
    for node in reversed(tree):
        if not isinstance(node, gp.Primitive):
            text = node.format()
            stack.append((text, 0 if text.startswith("-") else 9))
            continue
        args = [stack.pop() for _ in range(node.arity)]
        name = node.name
        if name in _INFIX:
            prec = _PRECEDENCE[name]
            (left, lp), (right, rp) = args
            left = left if lp >= prec else f"({left})"
            right = right if rp > prec else f"({right})"      # keeps float evaluation order
            stack.append((f"{left} {_INFIX[name]} {right}", prec))
        elif name == "neg":
            text, p = args[0]
            stack.append((f"-{text}" if p == 9 else f"-({text})", 3))
        elif name == "square":
            text, p = args[0]
            stack.append((f"{text}**2" if p == 9 else f"({text})**2", 8))
        else:
            stack.append((f"{_DISPLAY.get(name, name)}({', '.join(a for a, _ in args)})", 9))
    return stack[0][0]
