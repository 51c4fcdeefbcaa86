import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests.conftest import examples
from zcgp.fitness import transforms
from zcgp.fitness.rank import average_ranks as fitness_average_ranks
from zcgp.fitness.transforms import TRANSFORMS
from zcgp.gp import ops


def test_protected_values():
    assert ops.pdiv(1.0, 0.0) == 1.0
    assert ops.pdiv(3.0, 1e-12) == 1.0
    assert ops.pdiv(3.0, -2.0) == -1.5
    assert ops.plog(0.0) == 0.0
    assert ops.plog(-np.e) == pytest.approx(1.0)
    assert ops.psqrt(-4.0) == 2.0
    assert ops.square(-3.0) == 9.0
    assert ops.fmin(2.0, -1.0) == -1.0 and ops.fmax(2.0, -1.0) == 2.0
    assert ops.neg(2.0) == -2.0 and ops.pabs(-2.0) == 2.0 and ops.tanh(0.0) == 0.0
    np.testing.assert_array_equal(ops.pdiv(np.array([1.0, 2.0, 3.0]), np.array([0.0, 4.0, -1e-11])),
                                  [1.0, 0.5, 1.0])
    np.testing.assert_array_equal(ops.plog(np.array([0.0, 1.0, -1.0, 1e-300])), [0.0, 0.0, 0.0, 0.0])


def test_ops_broadcast_scalar_and_vector():
    v = np.array([0.0, 1.0, 4.0])
    np.testing.assert_array_equal(ops.pdiv(1.0, v), [1.0, 1.0, 0.25])
    np.testing.assert_array_equal(ops.pdiv(v, 2.0), [0.0, 0.5, 2.0])
    assert ops.pdiv(v, 0.0).shape == (3,)


finite = st.floats(min_value=-1e100, max_value=1e100, allow_nan=False)
vec = arrays(np.float64, st.integers(1, 30), elements=finite)


@settings(max_examples=examples(200), deadline=None)
@given(vec, vec)
def test_ops_are_finite_and_silent_on_finite_input(a, b):
    n = min(a.size, b.size)
    a, b = a[:n], b[:n]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, (fn, arity, _) in ops.PRIMITIVES.items():
            out = fn(a) if arity == 1 else fn(a, b)
            if name not in ("mul", "square"):       # overflow of a product is the only way out
                assert np.isfinite(out).all(), name


@settings(max_examples=examples(60), deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 4)),
              elements=st.one_of(st.sampled_from([0.0, 1.0, -2.0, np.nan, np.inf]), finite)))
def test_transform_is_finite_and_never_warns(table):
    for name in TRANSFORMS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = transforms.apply_transform(table, name)
        assert got.shape == table.shape and np.isfinite(got).all()


def test_export_embeds_the_fitness_transform_source():
    from zcgp.gp.export import ops_source
    source = ops_source()
    assert "def transform(table, name):" in source and "def pdiv(a, b):" in source
    namespace = {"np": np, "warnings": warnings}             # the imports proxy.py provides
    exec(compile(source, "embedded", "exec"), namespace)  # noqa: S102 - our own embedded source
    table = np.array([[3.0, np.nan], [1.0, 2.0], [2.0, 2.0]])
    for name in TRANSFORMS:
        np.testing.assert_array_equal(namespace["transform"](table, name), transforms.apply_transform(table, name))


def test_vector_ranks_copy_matches_fitness():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 5, size=rng.integers(1, 30)).astype(float)
        np.testing.assert_array_equal(transforms.vector_ranks(x), fitness_average_ranks(x[None, :])[0])
