"""Public tests: zero padding and the convolutional layer on small, visible cases."""

import numpy as np
import pytest

from autograder.runtime import casedata
from autograder.runtime.characterise import argument, shape
from autograder.runtime.testkit import (
    Replay,
    check_array,
    check_contract,
    check_new_array,
    check_unchanged,
    check_value,
    describe,
)


def _out(p, axis):
    """The output's size along spatial ``axis`` (2: rows, 3: columns)."""
    x, w = shape(p, "x"), shape(p, "w")
    return (x[axis] - w[axis] + 2 * argument(p, "pad")) // argument(p, "stride") + 1


# What the feedback may say the failing cases have in common, in the lecture's words
# (see autograder/runtime/characterise.py): nothing else of these cases is ever named.
CASE_FEATURES = {
    "batch size N": lambda p: shape(p, "x")[0],
    "channels C": lambda p: shape(p, "x")[1],
    "filters F": lambda p: shape(p, "w")[0],
    "filter height HH": lambda p: shape(p, "w")[2],
    "filter width WW": lambda p: shape(p, "w")[3],
    "stride": lambda p: argument(p, "stride"),
    "pad": lambda p: argument(p, "pad"),
    "overlapping windows (stride < filter)|windows that do not overlap":
        lambda p: (argument(p, "stride") < shape(p, "w")[2] and _out(p, 2) > 1)
        or (argument(p, "stride") < shape(p, "w")[3] and _out(p, 3) > 1),
    "a square input|a non-square input": lambda p: shape(p, "x")[2] == shape(p, "x")[3],
    "a square filter|a non-square filter": lambda p: shape(p, "w")[2] == shape(p, "w")[3],
    "a one-position output (1x1)|an output of more than one position":
        lambda p: _out(p, 2) == 1 and _out(p, 3) == 1,
    "a square output|a non-square output": lambda p: _out(p, 2) == _out(p, 3),
    "a 1x1 filter|a filter larger than 1x1": lambda p: shape(p, "w")[2] == shape(p, "w")[3] == 1,
    "function": lambda p: argument(p, "function"),
}

# A 5x5 image, dark on the left and bright on the right: a vertical edge.
EDGE_IMAGE = np.array([[0, 0, 0, 9, 9]] * 5, dtype=np.float64)[None, None]
# The lecture's vertical-edge filter, and what it gives with bias 0.5, stride 1, pad 1
# (worked out by hand: interior rows see three rows of the edge, border rows two).
EDGE_FILTER = np.array([[-1, 0, 1]] * 3, dtype=np.float64)[None, None]
EDGE_RESPONSE = np.array(
    [[0.5, 0.5, 18.5, 18.5, -17.5]] + [[0.5, 0.5, 27.5, 27.5, -26.5]] * 3 + [[0.5, 0.5, 18.5, 18.5, -17.5]]
)[None, None]


ZERO_PAD_CASES = [((2, 3, 2, 3), 2), ((2, 3, 2, 3), 0), ((1, 1, 3, 3), 1), ((1, 2, 4, 2), 1), ((3, 1, 2, 2), 3)]


@pytest.mark.parametrize("shape, pad", ZERO_PAD_CASES,
                         ids=[f"{'x'.join(map(str, s))}-pad{p}" for s, p in ZERO_PAD_CASES])
def test_zero_pad_small(student, tolerance, shape, pad):
    """x in the middle of a border of pad zeros on both spatial axes."""
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) + 1
    n, c, h, w = shape
    expected = np.zeros((n, c, h + 2 * pad, w + 2 * pad))
    expected[:, :, pad:pad + h, pad:pad + w] = x
    call, replay = describe("zero_pad", x, pad), Replay("zero_pad", (x, pad))
    check_array(student.zero_pad(x, pad), expected, what="the result", call=call, tolerance=tolerance, diagnose=replay)
    check_unchanged(student, call=call, names=("x", "pad"))
    check_new_array(student, call=call, names=("x", "pad"))  # "A new array", even with nothing to pad


@pytest.mark.parametrize("stride", [1, 2])
def test_conv_forward_edge_filter(student, tolerance, stride):
    b = np.array([0.5])
    expected = EDGE_RESPONSE[:, :, ::stride, ::stride]
    param = {"stride": stride, "pad": 1}
    call = describe("conv_forward", EDGE_IMAGE, EDGE_FILTER, b, param)
    replay = Replay("conv_forward", (EDGE_IMAGE, EDGE_FILTER, b, param), part=0)
    out, _ = student.conv_forward(EDGE_IMAGE, EDGE_FILTER, b, param)
    check_array(out, expected, what="out", call=call, tolerance=tolerance, diagnose=replay)


ONE_BY_ONE = [((2, 2, 3, 4), 1, 0), ((2, 2, 3, 5), 2, 0), ((2, 2, 3, 4), 1, 1), ((1, 2, 5, 3), 2, 0)]


@pytest.mark.parametrize("shape, stride, pad", ONE_BY_ONE,
                         ids=[f"{'x'.join(map(str, s))}-stride{st}-pad{p}" for s, st, p in ONE_BY_ONE])
def test_conv_forward_1x1(student, tolerance, shape, stride, pad):
    """A 1x1 filter mixes channels at each pixel: here channel 0 minus channel 1 (and
    0 over the padding), at every stride-th pixel, plus the bias."""
    x = np.random.default_rng(0).normal(size=shape)
    w = np.array([1.0, -1.0]).reshape(1, 2, 1, 1)
    b = np.array([0.25])
    param = {"stride": stride, "pad": pad}
    difference = np.pad(x[:, :1] - x[:, 1:], ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    replay = Replay("conv_forward", (x, w, b, param), part=0)
    out, _ = student.conv_forward(x, w, b, param)
    call = describe("conv_forward", x, w, b, param)
    check_array(out, difference[:, :, ::stride, ::stride] + 0.25, what="out", call=call, tolerance=tolerance,
                diagnose=replay)


# Inputs, caches and the gradients conv_backward must return for them, computed from
# the course's solution when the release was built (backward_cases.json): the check
# never runs your conv_forward, so a mistake there costs conv_forward's tests only.
BACKWARD = casedata.load(__file__, "backward_cases.json")["conv"]
GRADIENTS = {c["case"]: (c["dx"], c["dw"], c["db"]) for c in BACKWARD}


@pytest.mark.parametrize("case, x, w, b, conv_param, dout",
                         [(c["case"], c["x"], c["w"], c["b"], c["conv_param"], c["dout"]) for c in BACKWARD],
                         ids=[c["case"] for c in BACKWARD])
def test_conv_backward_gradcheck(student, tolerances, case, x, w, b, conv_param, dout):
    """dx, dw and db for a cache made by hand, ``(x, w, b, conv_param)``, against the
    true gradients, within a gradient check's tolerance (the notebook's central
    differences use its step)."""
    tolerance = tolerances["numerical_gradient"]
    call = describe("conv_backward", dout, (x, w, b, conv_param))
    replays = [Replay("conv_backward", (dout, (x, w, b, conv_param)), part=i) for i in range(3)]
    result = student.conv_backward(dout, (x, w, b, conv_param))
    check_value(isinstance(result, tuple) and len(result) == 3, True, what="a tuple (dx, dw, db)", call=call)
    for name, got, want, replay in zip(("dx", "dw", "db"), result, GRADIENTS[case], replays, strict=True):
        check_array(got, want, what=name, call=call, tolerance=tolerance, diagnose=replay)


# The backward passes' contract, on small non-square cases: dout and the cache are
# left as they were, and each gradient is a float64 array shaped like its input.
_RNG = np.random.default_rng(7)
_X, _W, _B = _RNG.normal(size=(2, 3, 5, 4)), _RNG.normal(size=(2, 3, 3, 2)), _RNG.normal(size=2)
_POOL_X = _RNG.normal(size=(2, 2, 4, 6))
_POOL = {"pool_height": 2, "pool_width": 3, "stride": 1}
BACKWARD_CASES = {
    "conv_backward": (_RNG.normal(size=(2, 2, 5, 5)), (_X, _W, _B, {"stride": 1, "pad": 1}), ("dx", "dw", "db")),
    "max_pool_backward": (_RNG.normal(size=(2, 2, 3, 4)), (_POOL_X, _POOL), ("dx",)),
    "avg_pool_backward": (_RNG.normal(size=(2, 2, 3, 4)), (_POOL_X, _POOL), ("dx",)),
}


@pytest.mark.parametrize("function", list(BACKWARD_CASES))
def test_backward_contract(student, tolerance, function):
    """``function(dout, cache)`` changes neither, and returns one gradient per name,
    shaped like the matching input of the cache and of its dtype."""
    dout, cache, names = BACKWARD_CASES[function]
    check_contract(student, function, (dout, cache), params=("dout", "cache"),
                   returns=dict(zip(names, cache, strict=False)), tolerance=tolerance)
