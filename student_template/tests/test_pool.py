"""Public tests: max and average pooling on the lecture's 4x4 example, and gradient
checks of both backward passes."""

import numpy as np

from autograder.testkit import Replay, check_array, describe, numerical_gradient

LECTURE_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64)[None, None]
POOL_2X2 = {"pool_height": 2, "pool_width": 2, "stride": 2}


def test_max_pool_lecture(student, tolerance):
    replay = Replay("max_pool_forward", (LECTURE_X, POOL_2X2), part=0)
    out, _ = student.max_pool_forward(LECTURE_X, POOL_2X2)
    expected = np.array([[6.0, 8.0], [3.0, 4.0]])[None, None]
    check_array(out, expected, what="out", call=describe("max_pool_forward", LECTURE_X, POOL_2X2), tolerance=tolerance,
                diagnose=replay)


def test_avg_pool_lecture(student, tolerance):
    replay = Replay("avg_pool_forward", (LECTURE_X, POOL_2X2), part=0)
    out, _ = student.avg_pool_forward(LECTURE_X, POOL_2X2)
    expected = np.array([[3.25, 5.25], [2.0, 2.0]])[None, None]
    check_array(out, expected, what="out", call=describe("avg_pool_forward", LECTURE_X, POOL_2X2), tolerance=tolerance,
                diagnose=replay)


def _gradcheck(student, oracle, kind, x, pool_param, checks):
    """dx against central differences of a trusted forward pass (see test_conv.py)."""
    forward = oracle(student, f"{kind}_pool_forward", *checks)
    backward = getattr(student, f"{kind}_pool_backward")
    out, _ = forward(x, pool_param)
    dout = np.random.default_rng(2).normal(size=np.shape(out))
    replay = Replay(f"{kind}_pool_backward", (dout, (x, pool_param)))
    dx = backward(dout, (x, pool_param))
    expected = numerical_gradient(lambda v: forward(v, pool_param)[0], x, dout)
    call = describe(f"{kind}_pool_backward", dout, (x, pool_param))
    check_array(dx, expected, what="dx", call=call, tolerance={"rtol": 1e-5, "atol": 1e-7}, diagnose=replay)


def test_max_pool_backward_gradcheck(student, oracle, tolerance):
    # Distinct values far apart (no ties), overlapping 3x3 windows with stride 2.
    x = np.random.default_rng(3).permutation(2 * 2 * 5 * 7).reshape(2, 2, 5, 7) * 0.1
    _gradcheck(student, oracle, "max", x, {"pool_height": 3, "pool_width": 3, "stride": 2},
               (lambda s: test_max_pool_lecture(s, tolerance),))


def test_avg_pool_backward_gradcheck(student, oracle, tolerance):
    x = np.random.default_rng(4).normal(size=(2, 2, 4, 6))
    _gradcheck(student, oracle, "avg", x, {"pool_height": 2, "pool_width": 3, "stride": 1},
               (lambda s: test_avg_pool_lecture(s, tolerance),))
