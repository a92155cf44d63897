"""Hidden graders: output sizes, padding, receptive fields."""

import numpy as np
import pytest

from autograder.runtime.seeds import entropy
from autograder.runtime.testkit import Replay, check_raises, check_value, describe


def _geometry(p):
    """A case's (n, f, stride, pad) for an output-size function (pooling: pad 0)."""
    if "n" in p:
        return p["n"], p["f"], p["stride"], p.get("pad", 0)
    if p["function"] not in ("conv_output_size", "pool_output_size"):
        raise KeyError("not an output size")
    n, f, stride, pad = (tuple(p["args"]) + (0,))[:4]
    return n, f, stride, pad


def _output(p):
    """The case's output size, where the geometry fits."""
    n, f, stride, pad = _geometry(p)
    q, r = divmod(n - f + 2 * pad, stride)
    if r or q < 0 or min(n, f, stride) < 1 or pad < 0:
        raise ValueError("does not fit")
    return q + 1


def _same_padding_f(p):
    """same_padding's f, for a filter size (>= 1) only: f 0 is even but no filter."""
    if p["function"] != "same_padding" or p["args"][0] < 1:
        raise KeyError("not a filter size of same_padding")
    return p["args"][0]


# What the feedback may say the failing cases have in common (see
# autograder/runtime/characterise.py): the arguments, and the boundaries a check of
# the geometry can get wrong by one (a filter larger than the unpadded input, an output
# of one position, an even filter).
CASE_FEATURES = {
    "n": lambda p: _geometry(p)[0],
    "f": lambda p: _geometry(p)[1],
    "stride": lambda p: _geometry(p)[2],
    "pad": lambda p: _geometry(p)[3],
    "a filter larger than the unpadded input (f > n)|a filter no larger than the input (f <= n)":
        lambda p: _geometry(p)[1] > _geometry(p)[0],
    "a one-position output (size 1)|an output of more than one position": lambda p: _output(p) == 1,
    "same_padding's f": _same_padding_f,
    "an even filter size f >= 2|an odd filter size f": lambda p: _same_padding_f(p) % 2 == 0,
    "function": lambda p: p["function"],
}


def _fitting(seed):
    rng = np.random.default_rng(entropy(3000 + seed))
    f, stride, pad, out = (int(v) for v in (rng.integers(1, 12), rng.integers(1, 5), rng.integers(0, 4),
                                            rng.integers(1, 60)))
    n = (out - 1) * stride + f - 2 * pad
    return (n, f, stride, pad) if n >= 1 else (n + 2 * pad, f, stride, 0)


@pytest.mark.parametrize("n, f, stride, pad", [_fitting(s) for s in range(20)] + [(224, 3, 1, 1), (227, 11, 4, 0)]
                         + [(9, 3, 1, 0), (12, 5, 1, 0), (8, 2, 2, 0), (6, 3, 1, 1)]
                         # at the boundaries: filters that fit only once padded, outputs of one position
                         + [(1, 3, 1, 1), (2, 3, 1, 1), (3, 5, 1, 2), (4, 6, 2, 2), (6, 9, 1, 2), (10, 14, 2, 3),
                            (5, 5, 1, 0), (7, 7, 2, 0), (3, 3, 1, 0), (1, 1, 1, 0), (2, 1, 1, 0), (4, 2, 2, 0)])
def test_conv_output_size_random(student, reference, n, f, stride, pad):
    # stride and pad at their documented defaults (1 and 0) are left out of the call
    given = {k: v for k, v, default in (("stride", stride, 1), ("pad", pad, 0)) if v != default}
    call = describe("conv_output_size", n, f, **given)
    replay = Replay("conv_output_size", (n, f), given)
    check_value(student.conv_output_size(n, f, **given), reference.conv_output_size(n, f, stride, pad),
                what="the result", call=call, diagnose=replay)


def _pool_fitting(seed):
    n, f, stride, pad = _fitting(100 + seed)
    return n + 2 * pad, f, stride  # pooling never pads: the padded size fits


@pytest.mark.parametrize("n, f, stride", [_pool_fitting(s) for s in range(15)]
                         + [(5, 5, 1), (4, 4, 2), (3, 3, 3), (2, 2, 1), (6, 6, 2), (4, 2, 2)])
def test_pool_output_size_random(student, reference, n, f, stride):
    call, replay = describe("pool_output_size", n, f, stride), Replay("pool_output_size", (n, f, stride))
    check_value(student.pool_output_size(n, f, stride), reference.pool_output_size(n, f, stride), what="the result",
                call=call, diagnose=replay)


@pytest.mark.parametrize(
    "function, args",
    [
        ("conv_output_size", (8, 3, 2, 0)),  # 3.5
        ("conv_output_size", (10, 4, 3, 1)),  # 3.67
        ("conv_output_size", (5, 9, 1, 1)),  # filter larger than the padded input
        ("conv_output_size", (7, 0, 1, 0)),  # f < 1
        ("conv_output_size", (7, 3, 0, 0)),  # stride < 1
        ("conv_output_size", (7, 3, 1, -1)),  # pad < 0
        ("conv_output_size", (0, 1, 1, 1)),  # n < 1 (a padded filter would still fit)
        ("pool_output_size", (7, 2, 2)),  # 3.5
        ("pool_output_size", (3, 4, 1)),  # window larger than the input
        ("pool_output_size", (6, 2, 0)),  # stride < 1
        ("pool_output_size", (5, 0, 1)),  # f < 1
    ],
    ids=["conv-3.5", "conv-3.67", "conv-filter-too-big", "conv-f0", "conv-stride0", "conv-pad-negative",
         "conv-n0", "pool-3.5", "pool-window-too-big", "pool-stride0", "pool-f0"],
)
def test_output_size_errors(student, function, args):
    check_raises(getattr(student, function), *args, call=describe(function, *args), diagnose=Replay(function, args))


SAME_AND_RECEPTIVE = ([("same_padding", (f,)) for f in (1, 5, 9, 11, 3, 7, 2, 6, 4, 8, 0, -3)]
                      + [("receptive_field", args)
                         for args in ((3, 3), (2, 5), (1, 7), (4, 1), (5, 3), (2, 2), (6, 4))])


@pytest.mark.parametrize("function, args", SAME_AND_RECEPTIVE,
                         ids=[f"{f}{a}".replace(" ", "") for f, a in SAME_AND_RECEPTIVE])
def test_same_padding_receptive_field_hidden(student, reference, function, args):
    call, replay = describe(function, *args), Replay(function, args)
    try:
        expected = getattr(reference, function)(*args)
    except ValueError:
        check_raises(getattr(student, function), *args, call=call, diagnose=replay)
        return
    what = "the padding" if function == "same_padding" else "the receptive field"
    check_value(getattr(student, function)(*args), expected, what=what, call=call, diagnose=replay)
