"""Public tests: max and average pooling on the lecture's 4x4 example, and gradient
checks of both backward passes."""

import numpy as np
import pytest

from autograder.runtime.characterise import argument, shape
from autograder.runtime.testkit import Replay, check_array, describe, numerical_gradient


def _out(p, axis):
    """The output's size along spatial ``axis`` (2: rows, 3: columns)."""
    size = argument(p, "pool_height" if axis == 2 else "pool_width")
    return (shape(p, "x")[axis] - size) // argument(p, "stride") + 1


# What the feedback may say the failing cases have in common, in the lecture's words
# (see autograder/runtime/characterise.py): nothing else of these cases is ever named.
CASE_FEATURES = {
    "batch size N": lambda p: shape(p, "x")[0],
    "channels C": lambda p: shape(p, "x")[1],
    "pool_height": lambda p: argument(p, "pool_height"),
    "pool_width": lambda p: argument(p, "pool_width"),
    "stride": lambda p: argument(p, "stride"),
    "overlapping windows (stride < window)|windows that do not overlap":
        lambda p: argument(p, "stride") < max(argument(p, "pool_height"), argument(p, "pool_width")),
    "square windows|non-square windows": lambda p: argument(p, "pool_height") == argument(p, "pool_width"),
    "an output one pixel high or wide|an output more than one pixel high and wide":
        lambda p: _out(p, 2) == 1 or _out(p, 3) == 1,
    "pooling": lambda p: argument(p, "kind"),
}

LECTURE_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64)[None, None]
POOL_2X2 = {"pool_height": 2, "pool_width": 2, "stride": 2}
# The lecture's 2x2 windows with stride 2, then other windows over the same map, worked
# out by hand: (pool_height, pool_width, stride) -> (max pool, average pool).
LECTURE_POOLS = {
    (2, 2, 2): ([[6, 8], [3, 4]], [[3.25, 5.25], [2, 2]]),
    (4, 4, 1): ([[8]], [[3.125]]),
    (2, 4, 2): ([[8], [4]], [[4.25], [2]]),
    (3, 2, 1): ([[6, 7, 8], [6, 7, 8]], [[18 / 6, 19 / 6, 22 / 6], [19 / 6, 21 / 6, 23 / 6]]),
    (1, 1, 1): (LECTURE_X[0, 0], LECTURE_X[0, 0]),
}
POOL_PARAMS = [{"pool_height": h, "pool_width": w, "stride": s} for h, w, s in LECTURE_POOLS]
POOL_IDS = [f"{h}x{w}-stride{s}" for h, w, s in LECTURE_POOLS]


def _lecture(student, tolerance, kind, pool_param):
    key = (pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"])
    expected = np.array(LECTURE_POOLS[key][0 if kind == "max" else 1], dtype=np.float64)[None, None]
    replay = Replay(f"{kind}_pool_forward", (LECTURE_X, pool_param), part=0)
    out, _ = getattr(student, f"{kind}_pool_forward")(LECTURE_X, pool_param)
    check_array(out, expected, what="out", call=describe(f"{kind}_pool_forward", LECTURE_X, pool_param),
                tolerance=tolerance, diagnose=replay)


@pytest.mark.parametrize("pool_param", POOL_PARAMS, ids=POOL_IDS)
def test_max_pool_lecture(student, tolerance, pool_param):
    _lecture(student, tolerance, "max", pool_param)


@pytest.mark.parametrize("pool_param", POOL_PARAMS, ids=POOL_IDS)
def test_avg_pool_lecture(student, tolerance, pool_param):
    _lecture(student, tolerance, "avg", pool_param)


def _gradcheck(student, oracle, gradient, kind, x, pool_param, checks):
    """dx against central differences of a trusted forward pass (see test_conv.py),
    within the tolerance ``gradient`` (with its step)."""
    forward = oracle(student, f"{kind}_pool_forward", *checks)
    backward = getattr(student, f"{kind}_pool_backward")
    out, _ = forward(x, pool_param)
    dout = np.random.default_rng(2).normal(size=np.shape(out))
    replay = Replay(f"{kind}_pool_backward", (dout, (x, pool_param)))
    dx = backward(dout, (x, pool_param))
    expected = numerical_gradient(lambda v: forward(v, pool_param)[0], x, dout, step=gradient.step)
    call = describe(f"{kind}_pool_backward", dout, (x, pool_param))
    check_array(dx, expected, what="dx", call=call, tolerance=gradient, diagnose=replay)


# (x shape, pool_height, pool_width, stride): overlapping 3x3 windows with stride 2,
# then one change at a time (the classic 2x2/2, a non-square window, a batch of one).
GRADCHECK_CASES = [((2, 2, 5, 7), 3, 3, 2), ((2, 2, 4, 4), 2, 2, 2), ((2, 2, 4, 6), 2, 3, 1), ((1, 2, 6, 6), 3, 3, 3),
                   ((2, 1, 4, 5), 3, 2, 1)]
GRADCHECK_IDS = [f"x{'x'.join(map(str, x))}-{h}x{w}-stride{s}" for x, h, w, s in GRADCHECK_CASES]


@pytest.mark.parametrize("x_shape, pool_height, pool_width, stride", GRADCHECK_CASES, ids=GRADCHECK_IDS)
def test_max_pool_backward_gradcheck(student, oracle, tolerance, tolerances, x_shape, pool_height, pool_width, stride):
    # Distinct values far apart (no ties).
    x = np.random.default_rng(3).permutation(int(np.prod(x_shape))).reshape(x_shape) * 0.1
    pool_param = {"pool_height": pool_height, "pool_width": pool_width, "stride": stride}
    _gradcheck(student, oracle, tolerances["numerical_gradient"], "max", x, pool_param,
               [lambda s, p=p: test_max_pool_lecture(s, tolerance, p) for p in POOL_PARAMS])


@pytest.mark.parametrize("x_shape, pool_height, pool_width, stride", GRADCHECK_CASES, ids=GRADCHECK_IDS)
def test_avg_pool_backward_gradcheck(student, oracle, tolerance, tolerances, x_shape, pool_height, pool_width, stride):
    x = np.random.default_rng(4).normal(size=x_shape)
    pool_param = {"pool_height": pool_height, "pool_width": pool_width, "stride": stride}
    _gradcheck(student, oracle, tolerances["numerical_gradient"], "avg", x, pool_param,
               [lambda s, p=p: test_avg_pool_lecture(s, tolerance, p) for p in POOL_PARAMS])
