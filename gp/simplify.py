"""Sympy form of a tree, for display only (exports evaluate the raw tree).

Protected operators become their plain counterparts (pdiv -> /, plog -> log|x|,
psqrt -> sqrt|x|), so the simplified formula reads naturally but may differ from the
protected semantics at the guarded points. `sympy.simplify` can take very long on large
expressions: it only runs below `SIMPLIFY_MAX_NODES` nodes, else the expression is just
built (sympy's automatic canonicalisation still merges like terms).
"""

from __future__ import annotations

from deap import gp

from zcgp.gp.formula import infix

__all__ = ["SIMPLIFY_MAX_NODES", "simplify_tree", "to_sympy"]

SIMPLIFY_MAX_NODES = 30


def to_sympy(tree, nonnegative: bool = False):
    """The tree as a sympy expression, protected operators as their plain counterparts.

    Parameters
    ----------
    tree : deap.gp.PrimitiveTree
        The tree.
    nonnegative : bool, default False
        Declare every terminal nonnegative (true of rank-transformed inputs), else real.

    Returns
    -------
    sympy.Expr
        The expression; constants become exact rationals.

    Raises
    ------
    ImportError
        When sympy is not installed.
    """
    import sympy

    def symbol(name):
        return sympy.Symbol(name, nonnegative=True) if nonnegative else sympy.Symbol(name, real=True)

    ops = {
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "pdiv": lambda a, b: a / b, "plog": lambda a: sympy.log(sympy.Abs(a)),
        "psqrt": lambda a: sympy.sqrt(sympy.Abs(a)), "neg": lambda a: -a,
        "pabs": sympy.Abs, "square": lambda a: a ** 2, "fmin": sympy.Min, "fmax": sympy.Max,
        "tanh": sympy.tanh,
    }
    stack = []
    for node in reversed(tree):
        if isinstance(node, gp.Primitive):
            args = [stack.pop() for _ in range(node.arity)]
            stack.append(ops[node.name](*args))
        elif isinstance(node.value, str):
            stack.append(symbol(node.value))
        else:
            stack.append(sympy.nsimplify(float(node.value), rational=True))
    return stack[0]


def simplify_tree(tree, nonnegative: bool = False) -> str:
    """A short readable string of the tree; never raises (falls back to the infix form).

    Parameters
    ----------
    tree : deap.gp.PrimitiveTree
        The tree.
    nonnegative : bool, default False
        Declare every terminal nonnegative (e.g. under the rank transform), which lets
        ``sqrt|x**2|`` become ``x``.

    Returns
    -------
    str
        The sympy form, simplified when the tree has at most SIMPLIFY_MAX_NODES nodes.

    Examples
    --------
    >>> from zcgp.gp.formula import parse_formula
    >>> from zcgp.gp.primitives import make_pset
    >>> simplify_tree(parse_formula("nwot + nwot", make_pset(["nwot"])))
    '2*nwot'
    """
    try:
        import sympy
        expr = to_sympy(tree, nonnegative)
        if len(tree) <= SIMPLIFY_MAX_NODES:
            simpler = sympy.simplify(expr)
            if sympy.count_ops(simpler) <= sympy.count_ops(expr):
                expr = simpler
        return str(expr)
    except Exception:  # noqa: BLE001 -- sympy can fail on odd inputs (e.g. zoo); display only
        return infix(tree)
