"""Hypothesis fuzzing of the formula parsers, the table loader, result and checkpoint readers:
any input gives a result or a one-line ZcgpError, never another exception."""

import json
import random

import numpy as np
import pytest
from deap import gp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zcgp.errors import ZcgpError
from zcgp.fitness.table import read_table
from zcgp.gp.checkpoint import MAGIC, load_checkpoint
from zcgp.gp.formula import FUNCTIONS, infix, parse_formula
from zcgp.gp.primitives import make_pset, parse_tree, run_code, to_code
from zcgp.gp.results import load_result, result_member

TERMINALS = ("nwot", "synflow", "flops")
PSET = make_pset(TERMINALS)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])

TOKENS = st.sampled_from([*TERMINALS, *FUNCTIONS, "magic", "(", ")", ",", "+", "-", "*", "/", "**", "2",
                          "0.5", "1e400", "-1", "nan", "inf", " ", "'x'", "[", "]", ".", "lambda", ":", "=",
                          "__import__", "os", "\x00"])


def _one_line(exc: Exception) -> None:
    assert str(exc) and "\n" not in str(exc)


@FAST
@given(st.text(max_size=200))
def test_parse_formula_arbitrary_text(text):
    try:
        parse_formula(text, PSET)
    except ZcgpError as exc:
        _one_line(exc)


@FAST
@given(st.lists(TOKENS, max_size=40))
def test_parse_formula_token_soup_round_trips(tokens):
    text = " ".join(tokens)
    try:
        tree = parse_formula(text, PSET)
    except ZcgpError as exc:
        _one_line(exc)
        return
    again = parse_formula(infix(tree), PSET)               # the infix form parses back
    assert str(again) == str(tree)


@FAST
@given(st.lists(st.sampled_from([*PSET.mapping, *TERMINALS, "1.5", "-2", "inf", "x", "(", ")", ","]),
                max_size=30))
def test_parse_tree_token_soup(tokens):
    try:
        tree = parse_tree(" ".join(tokens), PSET)
    except ZcgpError as exc:
        _one_line(exc)
        return
    assert str(parse_tree(str(tree), PSET)) == str(tree)


@FAST
@given(st.integers(0, 2 ** 32 - 1))
def test_random_trees_round_trip_with_equal_values(seed):
    rng = random.Random(seed)
    state = random.getstate()
    random.seed(rng.random())
    try:
        tree = gp.PrimitiveTree(gp.genHalfAndHalf(PSET, min_=1, max_=4))
    finally:
        random.setstate(state)
    columns = {t: np.random.default_rng(seed).uniform(0, 1, 16) for t in TERMINALS}
    with np.errstate(all="ignore"):
        expected = np.broadcast_to(run_code(to_code(tree), columns), (16,))
        for text in (str(tree), infix(tree)):
            back = parse_tree(text, PSET) if text == str(tree) else parse_formula(text, PSET)
            got = np.broadcast_to(run_code(to_code(back), columns), (16,))
            np.testing.assert_array_equal(got, expected)


CELL = st.one_of(st.sampled_from(["", "nan", "1", "-2.5", "1e400", "x", "t", "a", " ", '"', "0x1"]),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=5))


@FAST
@given(st.lists(st.lists(CELL, min_size=1, max_size=6), max_size=30),
       st.sampled_from(["task,arch,accuracy,nwot", "task,arch,accuracy", "a,b", "task,arch,accuracy,nwot,nwot", ""]))
def test_read_table_arbitrary_csv(tmp_path_factory, rows, header):
    path = tmp_path_factory.mktemp("fuzz") / "t.csv"
    path.write_text("\n".join([header, *(",".join(r) for r in rows)]))
    try:
        tasks = read_table(path)
    except ZcgpError as exc:
        _one_line(exc)
        return
    for task in tasks:
        assert task.n >= 10 and np.isfinite(task.target).all()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                 max_size=4), max_leaves=12)


@FAST
@given(st.one_of(JSON, st.fixed_dictionaries({"config": st.fixed_dictionaries(
    {"terminals": st.lists(st.sampled_from([*TERMINALS, "1x", "add", ""]), max_size=3),
     "transform": st.sampled_from(["rank", "zzz"])}),
    "hall_of_fame": st.lists(st.fixed_dictionaries({"formula": st.text(max_size=30)}), max_size=2)})),
    st.integers(-1, 2))
def test_result_reader_arbitrary_json(tmp_path_factory, payload, index):
    folder = tmp_path_factory.mktemp("fuzz_result")
    (folder / "result.json").write_text(json.dumps(payload))
    try:
        result = load_result(folder)
        result_member(result, index)
    except ZcgpError as exc:
        _one_line(exc)


@FAST
@given(st.binary(max_size=300))
def test_checkpoint_reader_arbitrary_bytes(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz_ckpt")
    (folder / "checkpoint.pkl").write_bytes(MAGIC + data)
    with pytest.raises(ZcgpError) as caught:
        load_checkpoint(folder)
    _one_line(caught.value)
