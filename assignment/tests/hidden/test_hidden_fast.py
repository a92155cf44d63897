"""Hidden graders: the bonus (extra credit), fast convolution in convnet/fast.py.

Correctness first: every function of fast.py against its loop version (the
reference's) on random cases (the grading's seed: see autograder.runtime.seeds). Then speed, on inputs
of one shape where the loop version is slow (many output positions) and where wrong
axes, a missing transpose or a dropped stride show (N, C, F > 1, a non-square input
and filter, stride 2): the loop version runs here, in the grader's process, with the
student's processes stopped, and the student's fast functions in the sandbox, each call
on fresh random inputs, timed from this side (never by the student's process) by the
``stopwatch`` fixture, which counts every thread and process the student's code runs;
the cache conv_forward_fast returns stays in the student's process (``kept``), so
whatever it holds costs no copying. The speedup is the best loop time over the best
fast time, CPU time both (the loop version charged what the framework does in the
student's process for a call), so the machine's speed and load cancel out. Points for 10x and for 25x, only when
every timed output is right, checked against the reference on the timed inputs
themselves; the speedup, rounded, goes on the leaderboard.
"""

import importlib

import numpy as np
import pytest
from hidden_cases import FAST_FEATURES, case_id, conv_case, pool_case

from autograder.runtime.characterise import argument
from autograder.runtime.seeds import entropy
from autograder.runtime.stopwatch import coarse, forget, kept, measure_speedup
from autograder.runtime.testkit import GradingFailure, Replay, check_array, describe

# Every function of fast.py against its loop version: the convolution on 12 cases, each
# pooling on 6 (parametrized by their arguments: the feedback may name what the failing
# cases have in common, in the words of FAST_FEATURES).
CONV = "conv_forward_fast/conv_backward_fast"
FAST_CASES = ([(CONV, x, w, b, p) for x, w, b, p in (conv_case(seed) for seed in range(12))]
              + [(f"{kind}_pool_forward_fast/{kind}_pool_backward_fast", x, None, None, p)
                 for kind in ("max", "avg") for x, p in (pool_case(seed) for seed in range(6))])
FAST_IDS = [case_id(("x", x), ("w", w), ("p", p)) if w is not None
            else f"{f.split('_')[0]}-{case_id(('x', x), ('p', p))}" for f, x, w, b, p in FAST_CASES]
CASE_FEATURES = {**{k: v for k, v in FAST_FEATURES.items() if k not in ("function", "pooling")},
                 "function": lambda p: argument(p, "functions")}

# Many output positions (loops over pixels hurt), and every axis told apart: two
# images, channels and filters, a non-square input and filter, stride 2 (a fast
# version wrong on any of them is wrong on the timed inputs).
BENCH_X, BENCH_W, BENCH_PARAM = (2, 2, 201, 160), (2, 2, 3, 2), {"stride": 2, "pad": 1}
LOOP_ROUNDS, FAST_CALLS = 1, 6  # the best of the student's calls; the loop version, long and steady, once
THRESHOLDS = (10, 25)  # the reference's kernels: about 35x here, the loop version's CPU over theirs
LEADERBOARD = "Fast convolution: speedup over the loop version (x)"
_MEASURED = pytest.StashKey[dict]()


def _check_grads(result, expected, call, tolerance, replay=lambda i: None):
    if not isinstance(result, tuple) or len(result) != 3:
        raise GradingFailure(f"{call} must return a tuple (dx, dw, db), got {type(result).__name__}")
    for i, (name, got, want) in enumerate(zip(("dx", "dw", "db"), result, expected, strict=True)):
        check_array(got, want, what=name, call=call, tolerance=tolerance, diagnose=replay(i))


def _forward(forward, *args, call):
    result = forward(*args)
    if not isinstance(result, tuple) or len(result) != 2:
        raise GradingFailure(f"{call} must return a tuple (out, cache), got {type(result).__name__}")
    return result


@pytest.mark.parametrize("functions, x, w, b, param", FAST_CASES, ids=FAST_IDS)
def test_fast_correct(student, reference, tolerance, functions, x, w, b, param):
    """The forward pass, then the backward pass on the student's own cache, against
    the loop versions' values (the reference's)."""
    forward_name, backward_name = functions.split("/")
    loop = forward_name.removesuffix("_fast")
    args = (x, param) if w is None else (x, w, b, param)
    expected, cache = getattr(reference, loop)(*args)
    dout = np.random.default_rng(entropy(len(FAST_IDS))).normal(size=expected.shape)
    expected_grads = getattr(reference, backward_name.removesuffix("_fast"))(dout, cache)
    call = describe(forward_name, *args)
    out, fast_cache = _forward(getattr(student, forward_name), *args, call=call)
    check_array(out, expected, what="out", call=call, tolerance=tolerance,
                diagnose=Replay(forward_name, args, part=0))
    call = describe(backward_name, dout, args)
    grads = getattr(student, backward_name)(dout, fast_cache)
    if w is None:  # pooling: dx alone
        check_array(grads, expected_grads, what="dx", call=call, tolerance=tolerance,
                    diagnose=Replay(backward_name, (dout, args)))
    else:
        _check_grads(grads, expected_grads, call, tolerance,
                     replay=lambda i: Replay(backward_name, (dout, args), part=i))


def _bench_out_shape():
    stride, pad = BENCH_PARAM["stride"], BENCH_PARAM["pad"]
    return (BENCH_X[0], BENCH_W[0], (BENCH_X[2] + 2 * pad - BENCH_W[2]) // stride + 1,
            (BENCH_X[3] + 2 * pad - BENCH_W[3]) // stride + 1)


def _bench_inputs(rng):
    """Fresh values of the bench's shapes: every timed call gets its own."""
    x, w = rng.normal(size=BENCH_X), rng.normal(size=BENCH_W)
    dout = rng.normal(size=_bench_out_shape())
    return (x, w, rng.normal(size=BENCH_W[0]), dict(BENCH_PARAM)), dout


def _measure(student, reference, tolerance, stopwatch) -> float:
    """The speedup, after checking every timed output; raises GradingFailure when an
    output is wrong (then nothing is earned).

    Fair by construction: every call (the loop version's and the student's) gets
    inputs of its own, drawn afresh, so remembering earlier answers gains nothing;
    the loop version runs with every process of the student's stopped; the student's
    time is the CPU time of everything its code ran (every thread and process); the
    forward pass's cache stays in the student's process. The
    student's calls come first: the loop version, the longest part of the bonus, is
    timed only for a submission whose timed outputs are all right."""
    rng = np.random.default_rng()  # fresh entropy: nothing to precompute
    fast = importlib.import_module(f"{reference.__name__}.fast")  # the expected values, quickly
    forward = kept(student.conv_forward_fast, 1)  # (out, cache): the cache stays where it was made

    def timed(inputs):
        args, dout = inputs
        out, fast_cache = _forward(forward, *args, call=describe("conv_forward_fast", *args))
        grads = student.conv_backward_fast(dout, fast_cache)
        forget(fast_cache)  # dropped at the next call, as a student's own code would drop it
        return out, grads

    def check(inputs, result):
        (args, dout), (out, grads) = inputs, result
        expected_out, expected_cache = fast.conv_forward_fast(*args)
        check_array(out, expected_out, what="out", call=describe("conv_forward_fast", *args), tolerance=tolerance)
        _check_grads(grads, fast.conv_backward_fast(dout, expected_cache),
                     describe("conv_backward_fast", dout, args), tolerance)

    def loop(inputs):
        args, dout = inputs
        return reference.conv_backward(dout, reference.conv_forward(*args)[1])

    return measure_speedup(stopwatch, fresh_inputs=lambda: _bench_inputs(rng), student=timed, check=check,
                           trusted=loop, student_calls=FAST_CALLS, trusted_calls=LOOP_ROUNDS)


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
    leaderboard(LEADERBOARD, coarse(speedup))
    if speedup < threshold:
        raise GradingFailure(
            f"conv_forward_fast + conv_backward_fast on x{BENCH_X}, w{BENCH_W}, stride {BENCH_PARAM['stride']}, "
            f"pad {BENCH_PARAM['pad']}: correct, but "
            f"less than {threshold}x faster than the loop version (your speedup is on the leaderboard)."
        )
