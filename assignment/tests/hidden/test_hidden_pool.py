"""Hidden graders: max and average pooling, forward and backward."""

import numpy as np
import pytest
from hidden_cases import POOL_FEATURES, case_id, pool_case, pool_cases, unique_ids

from autograder.runtime.seeds import entropy
from autograder.runtime.testkit import (
    GradingFailure,
    Replay,
    check_array,
    check_raises,
    check_unchanged,
    check_value,
    describe,
    numerical_gradient,
)

# Cases parametrized by their arguments, expected values before the student's call
# (see test_hidden_conv).
POOL_CASES = pool_cases(random=4)
POOL_IDS = unique_ids([case_id(("x", x), ("p", p)) for x, p in POOL_CASES])
POOL_ARGS = "x, pool_param"


def _forward(student, reference, tolerance, kind, x, param):
    replay = Replay(f"{kind}_pool_forward", (x, param), part=0)
    expected, _ = getattr(reference, f"{kind}_pool_forward")(x, param)
    out, _ = getattr(student, f"{kind}_pool_forward")(x, param)
    check_array(out, expected, what="out", call=describe(f"{kind}_pool_forward", x, param), tolerance=tolerance,
                diagnose=replay)


def _backward(student, reference, tolerance, gradient, kind, x, param):
    """dx against the reference's within ``tolerance``, then (small inputs) against
    central differences within ``gradient``."""
    forward = getattr(reference, f"{kind}_pool_forward")
    out, cache = forward(x, param)
    dout = np.random.default_rng(entropy(x.size)).normal(size=out.shape)
    expected = getattr(reference, f"{kind}_pool_backward")(dout, cache)
    numerical = (numerical_gradient(lambda v: forward(v, param)[0], x, dout, step=gradient.step)
                 if x.size <= 150 else None)
    call = describe(f"{kind}_pool_backward", dout, (x, param))
    replay = Replay(f"{kind}_pool_backward", (dout, (x, param)))
    dx = getattr(student, f"{kind}_pool_backward")(dout, (x, param))
    check_array(dx, expected, what="dx", call=call, tolerance=tolerance, diagnose=replay)
    if numerical is not None:
        check_array(dx, numerical, what="dx (against numerical gradients)", call=call,
                    tolerance=gradient, diagnose=replay)


CASE_FEATURES = POOL_FEATURES  # what the feedback may name (see hidden_cases)


@pytest.mark.parametrize(POOL_ARGS, POOL_CASES, ids=POOL_IDS)
def test_max_pool_forward_random(student, reference, tolerance, x, pool_param):
    _forward(student, reference, tolerance, "max", x, pool_param)


@pytest.mark.parametrize(POOL_ARGS, POOL_CASES, ids=POOL_IDS)
def test_avg_pool_forward_random(student, reference, tolerance, x, pool_param):
    _forward(student, reference, tolerance, "avg", x, pool_param)


@pytest.mark.parametrize(POOL_ARGS, POOL_CASES, ids=POOL_IDS)
def test_max_pool_backward_random(student, reference, tolerance, tolerances, x, pool_param):
    _backward(student, reference, tolerance, tolerances["numerical_gradient"], "max", x, pool_param)


@pytest.mark.parametrize(POOL_ARGS, POOL_CASES, ids=POOL_IDS)
def test_avg_pool_backward_random(student, reference, tolerance, tolerances, x, pool_param):
    _backward(student, reference, tolerance, tolerances["numerical_gradient"], "avg", x, pool_param)


@pytest.mark.parametrize(
    "kind, shape, param",
    [
        ("max", (1, 1, 5, 5), {"pool_height": 2, "pool_width": 2, "stride": 2}),
        ("avg", (1, 2, 6, 7), {"pool_height": 2, "pool_width": 2, "stride": 2}),
        ("max", (2, 1, 3, 3), {"pool_height": 4, "pool_width": 2, "stride": 1}),
        ("avg", (1, 1, 4, 4), {"pool_height": 3, "pool_width": 3, "stride": 2}),
    ],
    ids=["max-5x5-2x2-s2", "avg-6x7-2x2-s2", "max-window-too-tall", "avg-4x4-3x3-s2"],
)
def test_pool_errors(student, kind, shape, param):
    x = np.ones(shape)
    fn = getattr(student, f"{kind}_pool_forward")
    check_raises(fn, x, param, call=describe(f"{kind}_pool_forward", x, param),
                 diagnose=Replay(f"{kind}_pool_forward", (x, param)))


POOL_CONTRACT = [(kind, *pool_case(seed)) for kind in ("max", "avg") for seed in (0, 1)] + [
    (kind, *pool_cases(random=0)[-1]) for kind in ("max", "avg")]  # an integer input: out is float64 all the same


@pytest.mark.parametrize("kind, x, pool_param", POOL_CONTRACT,
                         ids=[f"{k}-{case_id(('x', x), ('p', p))}" for k, x, p in POOL_CONTRACT])
def test_pool_forward_contract(student, reference, kind, x, pool_param):
    """float64 out of shape (N, C, H', W'), the input left as it was, and the cache
    exactly (x, pool_param) (the module's docstring)."""
    name = f"{kind}_pool_forward"
    call = describe(name, x, pool_param)
    want, _ = getattr(reference, name)(x, pool_param)
    result = getattr(student, name)(x, pool_param)
    if not isinstance(result, tuple) or len(result) != 2:
        raise GradingFailure(f"{call} must return a tuple (out, cache), got {type(result).__name__}")
    out, cache = result
    check_unchanged(student, call=call, names=("x", "pool_param"))
    if not isinstance(out, np.ndarray):
        raise GradingFailure(f"{call}: out is a {type(out).__name__}, expected a numpy array")
    check_value(str(out.dtype), "float64", what="out's dtype", call=call)
    check_value(out.shape, want.shape, what="out's shape", call=call)
    check_value(len(cache) if isinstance(cache, tuple) else -1, 2, what="the length of the cache tuple", call=call)
    got = cache[0]
    if not (isinstance(got, np.ndarray) and got.shape == x.shape and np.array_equal(got, x)):
        raise GradingFailure(f"{call}: cache[0] must be the input x itself")
    check_value(cache[1], pool_param, what="cache[1] (pool_param)", call=call)
