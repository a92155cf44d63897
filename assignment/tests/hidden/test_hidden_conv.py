"""Hidden graders: zero padding and the convolutional layer."""

import numpy as np
import pytest
from hidden_cases import CONV_FEATURES, case_id, conv_case, conv_cases, unique_ids

from autograder.runtime.seeds import entropy
from autograder.runtime.testkit import (
    GradingFailure,
    Replay,
    check_array,
    check_new_array,
    check_raises,
    check_unchanged,
    check_value,
    describe,
    numerical_gradient,
)

# Cases are parametrized by their arguments (so that the feedback can say what the
# failing cases have in common); the student's code only ever gets copies of them, and
# every expected value is computed before the student's call.
CONV_CASES = conv_cases(random=7)
CONV_IDS = unique_ids([case_id(("x", x), ("w", w), ("p", p)) for x, w, b, p in CONV_CASES])
CONV_ARGS = "x, w, b, conv_param"
# Small cases for central differences: the special shapes conv_case forces (1x1 filters,
# one channel, a batch of one, non-square, stride 3 with pad 2), drawn anew per grading,
# so that every grading covers each of them; then one more at random. (Its large-values
# case, seed 5, is left out: central differences lose their digits there.)
NUMERICAL_CASES = [conv_case(seed, small=True) for seed in (0, 1, 2, 3, 4)] + [conv_case(105, small=True)]
NUMERICAL_IDS = unique_ids([case_id(("x", x), ("w", w), ("p", p)) for x, w, b, p in NUMERICAL_CASES])


CASE_FEATURES = CONV_FEATURES  # what the feedback may name (see hidden_cases)


def _zero_pad_case(seed):
    """``(x, pad)``: a random NCHW shape (sides 1 to 4), pad 0 to 3; a non-square input
    among the first two, a square one in the third (drawn per grading)."""
    rng = np.random.default_rng(entropy(seed))
    shape = [int(v) for v in rng.integers(1, 5, size=4)]
    if seed < 2 and shape[2] == shape[3]:
        shape[3] = shape[2] % 4 + 1
    elif seed == 2:
        shape[3] = shape[2]
    return rng.normal(size=tuple(shape)), seed % 4


ZERO_PAD_CASES = [_zero_pad_case(seed) for seed in range(13)]  # pad 0 in 4 of them
ZERO_PAD_IDS = unique_ids([f"{case_id(('x', x))}-pad{pad}" for x, pad in ZERO_PAD_CASES])


@pytest.mark.parametrize("x, pad", ZERO_PAD_CASES, ids=ZERO_PAD_IDS)
def test_zero_pad_hidden(student, reference, tolerance, x, pad):
    call, replay = describe("zero_pad", x, pad), Replay("zero_pad", (x, pad))
    check_array(student.zero_pad(x, pad), reference.zero_pad(x, pad), what="the result", call=call, tolerance=tolerance,
                diagnose=replay)
    check_new_array(student, call=call, names=("x", "pad"))  # "A new array", even with nothing to pad


@pytest.mark.parametrize(CONV_ARGS, CONV_CASES, ids=CONV_IDS)
def test_conv_forward_random(student, reference, tolerance, x, w, b, conv_param):
    param = conv_param
    replay = Replay("conv_forward", (x, w, b, param), part=0)
    expected, _ = reference.conv_forward(x, w, b, param)
    out, _ = student.conv_forward(x, w, b, param)
    check_array(out, expected, what="out", call=describe("conv_forward", x, w, b, param), tolerance=tolerance,
                diagnose=replay)


@pytest.mark.parametrize("seed", [1, 3, 4])
def test_conv_forward_contract(student, reference, seed):
    """float64 out of the right shape, inputs untouched, cache exactly (x, w, b, conv_param)."""
    x, w, b, param = conv_case(seed)
    call = describe("conv_forward", x, w, b, param)
    result = student.conv_forward(x, w, b, param)
    if not isinstance(result, tuple) or len(result) != 2:
        raise GradingFailure(f"{call} must return a tuple (out, cache), got {type(result).__name__}")
    out, cache = result
    check_unchanged(student, call=call, names=("x", "w", "b", "conv_param"))
    if not isinstance(out, np.ndarray):
        raise GradingFailure(f"{call}: out is a {type(out).__name__}, expected a numpy array")
    check_value(str(out.dtype), "float64", what="out's dtype", call=call)
    check_value(out.shape, reference.conv_forward(x, w, b, param)[0].shape, what="out's shape", call=call)
    check_value(len(cache) if isinstance(cache, tuple) else -1, 4, what="the length of the cache tuple", call=call)
    for name, got, want in zip(("x", "w", "b"), cache[:3], (x, w, b), strict=False):
        if not (isinstance(got, np.ndarray) and got.shape == want.shape and np.array_equal(got, want)):
            seen = (type(got).__name__ if not isinstance(got, np.ndarray) else "other values"
                    if got.shape == want.shape else f"an array of shape {got.shape}")
            raise GradingFailure(f"{call}: cache[{'xwb'.index(name)}] must be the input {name} itself "
                                 f"(shape {want.shape}), got {seen}")
    check_value(cache[3], param, what="cache[3] (conv_param)", call=call)


@pytest.mark.parametrize(
    "x_shape, w_shape, b_shape, param",
    [
        ((2, 3, 5, 5), (4, 2, 3, 3), (4,), {"stride": 1, "pad": 0}),  # channels differ
        ((2, 3, 5, 5), (4, 3, 3, 3), (3,), {"stride": 1, "pad": 0}),  # one bias per filter
        ((1, 1, 6, 6), (1, 1, 3, 3), (1,), {"stride": 2, "pad": 0}),  # stride does not fit
        ((1, 2, 4, 4), (1, 2, 7, 7), (1,), {"stride": 1, "pad": 1}),  # filter larger than input
    ],
    ids=["channels", "bias", "stride", "filter-too-big"],
)
def test_conv_forward_errors(student, x_shape, w_shape, b_shape, param):
    x, w, b = np.ones(x_shape), np.ones(w_shape), np.ones(b_shape)
    check_raises(student.conv_forward, x, w, b, param, call=describe("conv_forward", x, w, b, param),
                 diagnose=Replay("conv_forward", (x, w, b, param)))


@pytest.mark.parametrize(CONV_ARGS, CONV_CASES[:20], ids=CONV_IDS[:20])
def test_conv_backward_random(student, reference, tolerance, x, w, b, conv_param):
    param = conv_param
    out, cache = reference.conv_forward(x, w, b, param)
    dout = np.random.default_rng(entropy(len(CONV_IDS))).normal(size=out.shape)
    expected = reference.conv_backward(dout, cache)
    call = describe("conv_backward", dout, (x, w, b, param))
    replays = [Replay("conv_backward", (dout, (x, w, b, param)), part=i) for i in range(3)]
    result = student.conv_backward(dout, (x, w, b, param))
    if not isinstance(result, tuple) or len(result) != 3:
        raise GradingFailure(f"{call} must return a tuple (dx, dw, db), got {type(result).__name__}")
    for name, got, want, replay in zip(("dx", "dw", "db"), result, expected, replays, strict=False):
        check_array(got, want, what=name, call=call, tolerance=tolerance, diagnose=replay)


@pytest.mark.parametrize(CONV_ARGS, NUMERICAL_CASES, ids=NUMERICAL_IDS)
def test_conv_backward_numerical(student, reference, tolerances, x, w, b, conv_param):
    """Against central differences of the reference forward pass."""
    param = conv_param
    gradient = tolerances["numerical_gradient"]
    out, _ = reference.conv_forward(x, w, b, param)
    dout = np.random.default_rng(entropy(x.size)).normal(size=out.shape)
    call = describe("conv_backward", dout, (x, w, b, param))
    replays = [Replay("conv_backward", (dout, (x, w, b, param)), part=i) for i in range(3)]
    fwd = lambda **k: reference.conv_forward(k.get("x", x), k.get("w", w), k.get("b", b), param)[0]  # noqa: E731
    expected = [numerical_gradient(lambda v, name=name: fwd(**{name: v}), value, dout, step=gradient.step)
                for name, value in (("x", x), ("w", w), ("b", b))]
    result = student.conv_backward(dout, (x, w, b, param))
    if not isinstance(result, tuple) or len(result) != 3:
        raise GradingFailure(f"{call} must return a tuple (dx, dw, db), got {type(result).__name__}")
    for name, got, want, replay in zip(("dx", "dw", "db"), result, expected, replays, strict=False):
        check_array(got, want, what=name, call=call, tolerance=gradient, diagnose=replay)
