"""Simplified display form of formulas: exact sympy outputs, worked out by hand."""

import pytest
import sympy

from zcgp.gp import simplify as simplify_module
from zcgp.gp.formula import infix, parse_formula
from zcgp.gp.primitives import make_pset
from zcgp.gp.simplify import SIMPLIFY_MAX_NODES, simplify_tree, to_sympy

PSET = make_pset(("a", "b", "c"))


def tree(text):
    return parse_formula(text, PSET)


@pytest.mark.parametrize("text, real, nonnegative", [
    # only sympy.simplify gets these (the plain expression keeps the quotient / product)
    ("(square(a) - square(b)) / (a - b)", "a + b", "a + b"),                  # (a-b)(a+b)/(a-b)
    ("a * (b + c) - a * b", "a*c", "a*c"),
    ("(a + b) * (a - b) + square(b)", "a**2", "a**2"),
    ("((a + b) * (a + b) - square(a) - square(b)) / (a * b)", "2", "2"),       # 2ab / ab
    # protected operators read as their plain counterparts; |x| drops for nonnegative symbols
    ("log(a) + log(b)", "log(Abs(a)) + log(Abs(b))", "log(a) + log(b)"),
    ("sqrt(square(a)) - a", "-a + Abs(a)", "0"),
    ("neg(a) + abs(b)", "-a + Abs(b)", "-a + b"),
    ("sqrt(a)", "sqrt(Abs(a))", "sqrt(a)"),
    ("min(a, b) + max(a, b)", "Max(a, b) + Min(a, b)", "Max(a, b) + Min(a, b)"),
    ("tanh(a) * 1", "tanh(a)", "tanh(a)"),
    # constants become exact rationals
    ("a / 0.5 + 0.25", "2*a + 1/4", "2*a + 1/4"),
    ("a * b - b * a + c", "c", "c"),
    ("a * 0.7071067811865476", "176776695296637*a/250000000000000", "176776695296637*a/250000000000000"),
    # as many operations after simplify as before: the simplified form is kept
    ("1 / a + 1 / b", "(a + b)/(a*b)", "(a + b)/(a*b)"),
])
def test_simplified_forms_are_exact(text, real, nonnegative):
    assert simplify_tree(tree(text)) == real
    assert simplify_tree(tree(text), nonnegative=True) == nonnegative


def test_to_sympy_maps_every_primitive():
    a, b = sympy.Symbol("a", real=True), sympy.Symbol("b", real=True)
    expected = {
        "a + b": a + b, "a - b": a - b, "a * b": a * b, "a / b": a / b, "log(a)": sympy.log(sympy.Abs(a)),
        "sqrt(a)": sympy.sqrt(sympy.Abs(a)), "neg(a)": -a, "abs(a)": sympy.Abs(a), "square(a)": a ** 2,
        "min(a, b)": sympy.Min(a, b), "max(a, b)": sympy.Max(a, b), "tanh(a)": sympy.tanh(a),
        "a - 1.5": a - sympy.Rational(3, 2),
    }
    for text, expr in expected.items():
        assert to_sympy(tree(text)) == expr, text
    assert to_sympy(tree("a")).is_real and to_sympy(tree("a"), nonnegative=True).is_nonnegative


def test_large_trees_are_not_simplified_but_still_canonical():
    head = "(square(a) - square(b)) / (a - b)"
    small = tree(head + " + " + " + ".join(["c"] * 9) + " + neg(c)")
    large = tree(head + " + " + " + ".join(["c"] * 12))
    assert len(small) == SIMPLIFY_MAX_NODES < len(large)
    assert simplify_tree(small) == "a + b + 8*c"
    assert simplify_tree(large) == "12*c + (a**2 - b**2)/(a - b)"        # like terms merged only


def test_simplify_keeps_the_shorter_form(monkeypatch):
    expr = tree("a * b + c")
    longer = sympy.Symbol("a", real=True) * sympy.Symbol("b", real=True) + sympy.Symbol("c") + sympy.Symbol("d")
    monkeypatch.setattr(sympy, "simplify", lambda e: longer)
    assert simplify_tree(expr) == "a*b + c"


def test_failure_falls_back_to_infix(monkeypatch):
    expr = tree("a / (b - b) + log(c)")

    def boom(*args, **kwargs):
        raise ValueError("sympy failed")

    monkeypatch.setattr(simplify_module, "to_sympy", boom)
    assert simplify_tree(expr) == infix(expr) == "a / (b - b) + log(c)"
