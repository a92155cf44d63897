"""Public tests: max and average pooling on the lecture's 4x4 example, and gradient
checks of both backward passes on inputs and caches shipped with the tests."""

import numpy as np
import pytest

from autograder.runtime import casedata
from autograder.runtime.characterise import argument, shape
from autograder.runtime.testkit import Replay, check_array, describe


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
        lambda p: (argument(p, "stride") < argument(p, "pool_height") and _out(p, 2) > 1)
        or (argument(p, "stride") < argument(p, "pool_width") and _out(p, 3) > 1),
    "square windows|non-square windows": lambda p: argument(p, "pool_height") == argument(p, "pool_width"),
    "a one-position output (1x1)|an output of more than one position":
        lambda p: _out(p, 2) == 1 and _out(p, 3) == 1,
    "a square input|a non-square input": lambda p: shape(p, "x")[2] == shape(p, "x")[3],
    "a square output|a non-square output": lambda p: _out(p, 2) == _out(p, 3),
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


# Inputs, caches and the gradients each backward pass must return for them, computed
# from the course's solution when the release was built (backward_cases.json): the
# checks never run your forward passes, so a mistake there costs their tests only.
BACKWARD = casedata.load(__file__, "backward_cases.json")


def _cases(kind):
    cases = BACKWARD[kind]
    return pytest.mark.parametrize("case, x, pool_param, dout", [(c["case"], c["x"], c["pool_param"], c["dout"])
                                                                 for c in cases], ids=[c["case"] for c in cases])


def _gradcheck(student, tolerance, kind, case, x, pool_param, dout):
    """dx for a cache made by hand, ``(x, pool_param)``, against the true gradient
    (which central differences of the forward pass agree with)."""
    expected = next(c["dx"] for c in BACKWARD[kind] if c["case"] == case)
    replay = Replay(f"{kind}_pool_backward", (dout, (x, pool_param)))
    dx = getattr(student, f"{kind}_pool_backward")(dout, (x, pool_param))
    call = describe(f"{kind}_pool_backward", dout, (x, pool_param))
    check_array(dx, expected, what="dx", call=call, tolerance=tolerance, diagnose=replay)


@_cases("max")
def test_max_pool_backward_gradcheck(student, tolerances, case, x, pool_param, dout):
    # Distinct values far apart (no ties).
    _gradcheck(student, tolerances["numerical_gradient"], "max", case, x, pool_param, dout)


@_cases("avg")
def test_avg_pool_backward_gradcheck(student, tolerances, case, x, pool_param, dout):
    _gradcheck(student, tolerances["numerical_gradient"], "avg", case, x, pool_param, dout)
