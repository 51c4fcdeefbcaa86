import random

import numpy as np
import pytest
from deap import gp

from zcgp.errors import ZcgpError
from zcgp.gp.formula import formula_names, infix, parse_formula
from zcgp.gp.primitives import (
    canonical_key,
    code_terminals,
    evaluate_tree,
    make_constant,
    make_pset,
    parse_tree,
    run_code,
    to_code,
)

TERMS = ("flops", "params", "nwot", "synflow")


@pytest.fixture
def pset():
    # built per test (cheap): mutation testing ties make_pset's mutants to every test using it
    return make_pset(TERMS)


@pytest.fixture(scope="module")
def columns():
    rng = np.random.default_rng(1)
    return {t: rng.uniform(-2, 2, 50) for t in TERMS}


def _random_trees(pset, n, seed=0):
    state = random.getstate()
    random.seed(seed)
    try:
        return [gp.PrimitiveTree(gp.genHalfAndHalf(pset, 1, 6)) for _ in range(n)]
    finally:
        random.setstate(state)


def test_tree_string_round_trip_keeps_nodes_and_ephemerals(pset):
    for tree in _random_trees(pset, 300):
        back = parse_tree(str(tree), pset)
        assert str(back) == str(tree) and len(back) == len(tree)
        assert [type(a) for a in back] == [type(b) for b in tree]    # constants stay ephemerals


def test_canonical_key_sorts_commutative_arguments(pset):
    a = parse_formula("nwot + flops * 2", pset)
    b = parse_formula("2 * flops + nwot", pset)
    assert canonical_key(a) == canonical_key(b)
    assert canonical_key(parse_formula("nwot - flops", pset)) != canonical_key(parse_formula("flops - nwot", pset))
    assert canonical_key(parse_formula("max(nwot, flops)", pset)) == \
        canonical_key(parse_formula("max(flops, nwot)", pset))


def test_canonical_tree_has_identical_values(pset, columns):
    for tree in _random_trees(pset, 200, seed=3):
        canon = parse_tree(canonical_key(tree), pset)
        np.testing.assert_array_equal(evaluate_tree(tree, columns, 50), evaluate_tree(canon, columns, 50))


def test_formula_values_follow_protected_semantics(pset, columns):
    tree = parse_formula("nwot * log(synflow) / (flops - flops) + sqrt(params)**2 - abs(-flops)", pset)
    x = columns
    expected = x["nwot"] * np.log(np.abs(x["synflow"])) / 1.0 * 0 + 1.0 + np.abs(x["params"]) - np.abs(x["flops"])
    # division by exactly zero gives 1: nwot*log(synflow)/0 -> 1
    np.testing.assert_allclose(evaluate_tree(tree, columns, 50), expected, rtol=1e-12)
    assert code_terminals(to_code(tree)) == {"nwot", "synflow", "flops", "params"}


def test_infix_round_trip_is_exact(pset, columns):
    for tree in _random_trees(pset, 300, seed=5):
        text = infix(tree)
        back = parse_formula(text, pset)
        np.testing.assert_array_equal(evaluate_tree(back, columns, 50), evaluate_tree(tree, columns, 50),
                                      err_msg=f"{tree} -> {text}")


def test_prefix_strings_parse_as_formulas(pset, columns):
    for tree in _random_trees(pset, 100, seed=7):
        back = parse_formula(str(tree), pset)
        assert str(back) == str(tree)


def test_constant_formula_broadcasts(pset):
    out = evaluate_tree(parse_formula("2 * 3", pset), {}, 4)
    np.testing.assert_array_equal(out, [6.0] * 4)
    assert run_code((1.5,), {}) == 1.5


@pytest.mark.parametrize("text, message", [
    ("nwot*", "malformed formula"),
    ("", "empty formula"),
    ("nwot + foo", "unknown terminal 'foo'"),
    ("exp(nwot)", "unknown function 'exp'"),
    ("log(nwot, flops)", "takes 1 argument"),
    ("nwot ** 3", "only '**2'"),
    ("nwot if flops else params", "unsupported syntax"),
    ("__import__('os').system('true')", "unknown function"),
    ("nwot.real", "unsupported syntax"),
    ("'a' + nwot", "unsupported constant"),
    ("log", "without arguments"),
    ("max(nwot, flops, params)", "takes 2 argument"),
])
def test_bad_formulas_give_one_line_errors(pset, text, message):
    with pytest.raises(ZcgpError, match=message.replace("*", r"\*").replace("(", r"\(")) as info:
        parse_formula(text, pset)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["add(nwot)", "add(nwot, flops) flops", "nope(nwot)", "const", "add("])
def test_bad_tree_strings(pset, text):
    with pytest.raises(ZcgpError, match="malformed tree"):
        parse_tree(text, pset)


def test_formula_names_ignores_functions():
    assert formula_names("log(nwot) + max(flops, exp)") == {"nwot", "flops", "exp"}


def test_terminal_names_are_checked():
    with pytest.raises(ZcgpError, match="clashes"):
        make_pset(("add", "nwot"))
    with pytest.raises(ZcgpError, match="not an identifier"):
        make_pset(("l2-norm",))
    with pytest.raises(ZcgpError, match="no proxy"):
        make_pset(())


def test_make_constant_is_mutable_ephemeral(pset):
    node = make_constant(pset, 0.25)
    assert node.format() == "0.25" and isinstance(node, gp.Terminal)
    random.seed(0)
    (mutated,) = gp.mutEphemeral(gp.PrimitiveTree([node]), mode="one")
    assert mutated[0].value in (-1.0, -0.5, 0.5, 1.0, 2.0, 3.0)


def abc():
    return make_pset(("a", "b", "c"))


@pytest.mark.parametrize("prefix, text", [
    ("neg(a)", "-a"),
    ("neg(add(a, b))", "-(a + b)"),
    ("neg(plog(a))", "-log(a)"),
    ("neg(neg(a))", "-(-a)"),
    ("square(a)", "a**2"),
    ("square(add(a, b))", "(a + b)**2"),
    ("square(psqrt(a))", "sqrt(a)**2"),
    ("add(add(a, b), c)", "a + b + c"),
    ("add(a, add(b, c))", "a + (b + c)"),          # float addition order kept
    ("sub(sub(a, b), c)", "a - b - c"),
    ("sub(a, sub(b, c))", "a - (b - c)"),
    ("mul(add(a, b), c)", "(a + b) * c"),
    ("add(a, mul(b, c))", "a + b * c"),
    ("pdiv(mul(a, b), c)", "a * b / c"),
    ("mul(neg(a), b)", "-a * b"),
    ("add(-1.5, a)", "(-1.5) + a"),
    ("mul(a, -1.5)", "a * (-1.5)"),
    ("square(-1.5)", "(-1.5)**2"),
    ("neg(-1.5)", "-(-1.5)"),
    ("fmin(plog(a), fmax(psqrt(b), pabs(c)))", "min(log(a), max(sqrt(b), abs(c)))"),
    ("tanh(pdiv(a, b))", "tanh(a / b)"),
])
def test_infix_exact_text(prefix, text):
    tree = parse_tree(prefix, abc())
    assert infix(tree) == text
    assert str(parse_formula(text, abc())) == str(tree)          # and it parses back to the same tree


@pytest.mark.parametrize("text, message", [
    ("", "empty formula"),
    ("   ", "empty formula"),
    ("a" + " " * 10_000, "formula too long (10001 characters)"),
    ("a *", "malformed formula 'a *': invalid syntax"),
    ("a b", "malformed formula 'a b': invalid syntax at column 3"),
    ("a + foo", "unknown terminal 'foo' in formula 'a + foo'; known: a, b, c"),
    ("  exp(a) ", "unknown function 'exp' in formula 'exp(a)'; known: abs, add, div, fmax, fmin, log, max, min, "
                  "mul, neg, pabs, pdiv, plog, psqrt, sqrt, square, sub, tanh"),
    ("np.exp(a)", "unknown function 'np.exp' in formula 'np.exp(a)'; known: abs, add, div, fmax, fmin, log, max, "
                  "min, mul, neg, pabs, pdiv, plog, psqrt, sqrt, square, sub, tanh"),
    ("a ** 3", "malformed formula 'a ** 3': only '**2' is supported as a power; use sqrt(...) or square(...)"),
    ("min(a=1, b=2)", "malformed formula 'min(a=1, b=2)': keyword arguments are not supported in min(...)"),
    ("log(a, b)", "malformed formula 'log(a, b)': log() takes 1 argument(s), got 2"),
    ("True * a", "malformed formula 'True * a': unsupported constant True"),
    ("log + a", "malformed formula 'log + a': function 'log' used without arguments"),
    ("a if b else c", "malformed formula 'a if b else c': unsupported syntax 'a if b else c'"),
    # a long formula is shown by its first 120 characters
    ("-" * 3000 + "a", "malformed formula '" + "-" * 120 + "...': maximum recursion depth exceeded during ast "
                       "construction"),
    ("a+" * 1200 + "a", "formula '" + "a+" * 60 + "...' is nested too deeply"),
    # control characters are shown escaped; exactly 120 characters are shown whole
    ("a\x01+ b", "malformed formula 'a\\x01+ b': invalid non-printable character U+0001 at column 2"),
    ("a +" + " b" * 57 + "  +", "malformed formula 'a +" + " b" * 57 + "  +': invalid syntax at column 7"),
    ("1e309 * a", "malformed formula '1e309 * a': non-finite constant inf (a number beyond 1.8e308 overflows); "
                  "use a finite number"),
])
def test_formula_errors_are_exact(text, message):
    with pytest.raises(ZcgpError) as exc:
        parse_formula(text, abc())
    assert str(exc.value) == message


def test_formula_length_limit_is_inclusive():
    assert str(parse_formula("a" + " " * 9_999, abc())) == "a"           # exactly 10,000 characters


@pytest.mark.parametrize("text, tree", [
    ("+2 * a", "mul(2.0, a)"), ("-2 * a", "mul(-2.0, a)"), ("+a", "a"), ("-a", "neg(a)"), ("-(a)", "neg(a)"),
    ("a ** 2", "square(a)"), ("div(a, b)", "pdiv(a, b)"), ("a / b", "pdiv(a, b)"),
])
def test_unary_signs_and_aliases(text, tree):
    assert str(parse_formula(text, abc())) == tree


def test_formula_names_skip_unknown_function_names():
    assert formula_names("exp(a) + b * foo(c)") == {"a", "b", "c"}
    assert formula_names("max(a, exp)") == {"a", "exp"}


@pytest.mark.parametrize("names, message", [
    (("class",), "proxy name 'class' cannot be a formula terminal (not an identifier)"),
    (("l2-norm",), "proxy name 'l2-norm' cannot be a formula terminal (not an identifier)"),
    (("a", "add"), "proxy name 'add' clashes with a primitive of the same name"),
    (("const",), "proxy name 'const' clashes with a primitive of the same name"),
    (("a", "b", "a"), "duplicate terminals in a, b, a"),
    ((), "no proxy is available as a terminal"),
])
def test_terminal_name_errors_are_exact(names, message):
    with pytest.raises(ZcgpError) as exc:
        make_pset(names)
    assert str(exc.value) == message


def test_deap_compile_agrees_with_run_code(pset, columns):
    """The primitive set's functions (used by gp.compile) equal the flat-code interpreter."""
    assert pset.zcgp_terminals == TERMS
    for tree in _random_trees(pset, 100, seed=11):
        compiled = gp.compile(tree, pset)
        expected = evaluate_tree(tree, columns, 50)
        got = np.broadcast_to(np.asarray(compiled(*(columns[t] for t in TERMS)), dtype=float), (50,))
        np.testing.assert_array_equal(got, expected)
