"""Hidden graders: the bonus (extra credit), fast convolution in convnet/fast.py.

Correctness first: conv_forward_fast and conv_backward_fast against the reference on
seeded random cases. Then speed, on inputs of one shape where the loop version is slow
(many output positions): the loop version runs here, in the grader's process, with the
student's processes stopped, and the student's fast functions in the sandbox, each call
on fresh random inputs, timed from this side (never by the student's process) by the
``stopwatch`` fixture; the speedup is the best loop time over the best fast time, so the
machine's speed cancels out. Points for 10x and for 50x, only when every timed output
is right; the speedup goes on the leaderboard.
"""

import importlib

import numpy as np
import pytest
from hidden_cases import case_id, conv_case

from autograder.runtime.testkit import GradingFailure, check_array, describe

FAST_CASES = [conv_case(seed) for seed in range(12)]
FAST_IDS = [case_id(("x", x), ("w", w), ("p", p)) for x, w, b, p in FAST_CASES]

# Many output positions, few images, channels and filters: where loops over pixels hurt.
BENCH_X, BENCH_W, BENCH_PARAM = (1, 1, 160, 160), (1, 1, 3, 3), {"stride": 1, "pad": 1}
LOOP_ROUNDS, FAST_CALLS = 1, 6  # the best of the student's calls; the loop version, long and steady, once
THRESHOLDS = (10, 50)
LEADERBOARD = "Fast convolution: speedup over the loop version (x)"
_MEASURED = pytest.StashKey[dict]()


def _check_grads(result, expected, call, tolerance):
    if not isinstance(result, tuple) or len(result) != 3:
        raise GradingFailure(f"{call} must return a tuple (dx, dw, db), got {type(result).__name__}")
    for name, got, want in zip(("dx", "dw", "db"), result, expected, strict=True):
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


def _bench_inputs(rng):
    """Fresh values of the bench's shapes: every timed call gets its own."""
    x, w = rng.normal(size=BENCH_X), rng.normal(size=BENCH_W)
    dout = rng.normal(size=(BENCH_X[0], BENCH_W[0], BENCH_X[2], BENCH_X[3]))
    return (x, w, rng.normal(size=BENCH_W[0]), dict(BENCH_PARAM)), dout


def _measure(student, reference, tolerance, stopwatch) -> float:
    """The speedup, after checking every timed output; raises GradingFailure when an
    output is wrong (then nothing is earned).

    Fair by construction: every call (the loop version's and the student's) gets
    inputs of its own, drawn afresh, so remembering earlier answers gains nothing;
    the loop version runs with every process of the student's stopped; the student's
    time is the worse of wall time and the CPU time of its whole process tree. The
    student's calls come first: the loop version, the longest part of the bonus, is
    timed only for a submission whose timed outputs are all right."""
    rng = np.random.default_rng()  # fresh entropy: nothing to precompute
    loop_times, fast_times = [], []
    fast = importlib.import_module(f"{reference.__name__}.fast")  # the expected values, quickly
    for _ in range(FAST_CALLS):
        args, dout = _bench_inputs(rng)
        call = describe("conv_forward_fast", *args)
        back_call = describe("conv_backward_fast", dout, args)

        def timed(args=args, dout=dout, call=call):
            out, fast_cache = _forward(student, *args, call)
            return out, student.conv_backward_fast(dout, fast_cache)

        (out, grads), seconds = stopwatch.student(timed)
        fast_times.append(seconds)
        expected_out, expected_cache = fast.conv_forward_fast(*args)
        check_array(out, expected_out, what="out", call=call, tolerance=tolerance)
        _check_grads(grads, fast.conv_backward_fast(dout, expected_cache), back_call, tolerance)
    for _ in range(LOOP_ROUNDS):
        args, dout = _bench_inputs(rng)

        def loop(args=args, dout=dout):
            return reference.conv_backward(dout, reference.conv_forward(*args)[1])

        loop_times.append(stopwatch.trusted(loop)[1])
    return min(loop_times) / max(min(fast_times), 1e-9)


@pytest.mark.parametrize("threshold", THRESHOLDS, ids=[f"{t}x" for t in THRESHOLDS])
def test_fast_speedup(student, reference, tolerance, leaderboard, stopwatch, request, threshold):
    measured = request.config.stash.setdefault(_MEASURED, {})
    if "speedup" not in measured and "error" not in measured:
        try:
            measured["speedup"] = _measure(student, reference, tolerance, stopwatch)
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
