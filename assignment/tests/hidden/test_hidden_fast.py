"""Hidden graders: the bonus (extra credit), fast convolution in convnet/fast.py.

Correctness first: conv_forward_fast and conv_backward_fast against the loop versions
on seeded random cases. Then speed, on one input where the loop version is slow (many
output positions): the loop version runs here, in the grader's process, and the
student's fast functions in the sandbox, alternately, timed from this side (never by
the student's process); the speedup is the best loop time over the best fast time, so
the machine's speed cancels out. Points for 10x and for 50x, only when the outputs on
that input are right; the speedup goes on the leaderboard.
"""

import time

import numpy as np
import pytest
from hidden_cases import case_id, conv_case

from autograder.testkit import GradingFailure, check_array, describe

FAST_CASES = [conv_case(seed) for seed in range(12)]
FAST_IDS = [case_id(("x", x), ("w", w), ("p", p)) for x, w, b, p in FAST_CASES]

# Many output positions, few images, channels and filters: where loops over pixels hurt.
BENCH_X, BENCH_W, BENCH_PARAM = (1, 1, 192, 192), (1, 1, 3, 3), {"stride": 1, "pad": 1}
ROUNDS = 3  # alternating rounds: the loop version once, then the student's twice
THRESHOLDS = (10, 50)
LEADERBOARD = "Fast convolution: speedup over the loop version (x)"
_MEASURED = pytest.StashKey[dict]()


def _check_grads(result, expected, call, tolerance):
    if not isinstance(result, tuple) or len(result) != 3:
        raise GradingFailure(f"{call} must return a tuple (dx, dw, db), got {type(result).__name__}")
    for name, got, want in zip(("dx", "dw", "db"), result, expected):
        check_array(got, want, what=name, call=call, tolerance=tolerance)


def _forward(student, x, w, b, param, call):
    result = student.conv_forward_fast(x, w, b, param)
    if not isinstance(result, tuple) or len(result) != 2:
        raise GradingFailure(f"{call} must return a tuple (out, cache), got {type(result).__name__}")
    return result


@pytest.mark.parametrize("x, w, b, param", FAST_CASES, ids=FAST_IDS)
def test_fast_correct(student, reference, tolerance, x, w, b, param):
    expected, cache = reference.conv_forward(x, w, b, param)
    dout = np.random.default_rng(len(FAST_IDS)).normal(size=expected.shape)
    expected_grads = reference.conv_backward(dout, cache)
    call = describe("conv_forward_fast", x, w, b, param)
    out, fast_cache = _forward(student, x, w, b, param, call)
    check_array(out, expected, what="out", call=call, tolerance=tolerance)
    _check_grads(student.conv_backward_fast(dout, fast_cache), expected_grads,
                 describe("conv_backward_fast", dout, (x, w, b, param)), tolerance)


def _bench_inputs():
    rng = np.random.default_rng(4242)
    x, w = rng.normal(size=BENCH_X), rng.normal(size=BENCH_W)
    return x, w, rng.normal(size=BENCH_W[0]), dict(BENCH_PARAM)


def _measure(student, reference, tolerance) -> float:
    """The speedup, after checking every timed output; raises GradingFailure when an
    output is wrong (then nothing is earned). The loop version runs first in every
    round, on inputs the student's code never sees (it gets copies)."""
    x, w, b, param = _bench_inputs()
    dout = np.random.default_rng(7).normal(size=(BENCH_X[0], BENCH_W[0], BENCH_X[2], BENCH_X[3]))
    call = describe("conv_forward_fast", x, w, b, param)
    back_call = describe("conv_backward_fast", dout, (x, w, b, param))
    loop_times, fast_times, outputs, expected = [], [], [], None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        loop_out, loop_cache = reference.conv_forward(x, w, b, param)
        loop_grads = reference.conv_backward(dout, loop_cache)
        loop_times.append(time.perf_counter() - started)
        expected = expected or (loop_out, loop_grads)
        for _ in range(2):
            args = (x.copy(), w.copy(), b.copy(), dict(param))
            grad = dout.copy()
            started = time.perf_counter()
            out, fast_cache = _forward(student, *args, call)
            grads = student.conv_backward_fast(grad, fast_cache)
            fast_times.append(time.perf_counter() - started)
            outputs.append((out, grads))
    for out, grads in outputs:  # every timed call must be right, not only the first
        check_array(out, expected[0], what="out", call=call, tolerance=tolerance)
        _check_grads(grads, expected[1], back_call, tolerance)
    return min(loop_times) / max(min(fast_times), 1e-9)


@pytest.mark.parametrize("threshold", THRESHOLDS, ids=[f"{t}x" for t in THRESHOLDS])
def test_fast_speedup(student, reference, tolerance, leaderboard, request, threshold):
    measured = request.config.stash.setdefault(_MEASURED, {})
    if "speedup" not in measured and "error" not in measured:
        try:
            measured["speedup"] = _measure(student, reference, tolerance)
        except Exception as err:  # the same failure for every threshold, measured once
            measured["error"] = err
    if "error" in measured:
        raise measured["error"]
    speedup = measured["speedup"]
    leaderboard(LEADERBOARD, round(speedup, 1))
    if speedup < threshold:
        raise GradingFailure(
            f"conv_forward_fast + conv_backward_fast on x{BENCH_X}, w{BENCH_W}, stride 1, pad 1: correct, but "
            f"less than {threshold}x faster than the loop version (your speedup is on the leaderboard)."
        )
