"""Public tests: output sizes, padding and receptive fields on the lecture's numbers."""

import pytest

from autograder.runtime.testkit import GradingFailure, Replay, check_raises, check_value, describe


@pytest.mark.parametrize(
    "n, f, stride, pad, size",
    [(7, 3, 1, 0, 5), (7, 3, 2, 0, 3), (7, 3, 1, 1, 7), (7, 3, 2, 1, 4), (7, 3, 3, 1, 3), (56, 1, 1, 0, 56)],
)
def test_conv_output_size_lecture(student, n, f, stride, pad, size):
    call = describe("conv_output_size", n, f, stride=stride, pad=pad)
    replay = Replay("conv_output_size", (n, f), {"stride": stride, "pad": pad})
    check_value(student.conv_output_size(n, f, stride=stride, pad=pad), size, what="the result", call=call,
                diagnose=replay)


def test_conv_output_size_rejects_stride_3(student):
    call = describe("conv_output_size", 7, 3, stride=3, pad=0)
    err = check_raises(student.conv_output_size, 7, 3, stride=3, pad=0, call=call,
                       diagnose=Replay("conv_output_size", (7, 3), {"stride": 3, "pad": 0}))
    if "2.33" not in str(err):
        raise GradingFailure(f"{call}: the ValueError should show the arithmetic (… = 2.33), got: {err}")


@pytest.mark.parametrize("n, f, stride, size", [(4, 2, 2, 2), (224, 2, 2, 112), (7, 3, 2, 3)])
def test_pool_output_size_lecture(student, n, f, stride, size):
    call, replay = describe("pool_output_size", n, f, stride), Replay("pool_output_size", (n, f, stride))
    check_value(student.pool_output_size(n, f, stride), size, what="the result", call=call, diagnose=replay)


SAME_AND_RECEPTIVE = [  # (function, args, the answer, or ValueError)
    ("same_padding", (1,), 0), ("same_padding", (3,), 1), ("same_padding", (5,), 2), ("same_padding", (7,), 3),
    ("same_padding", (4,), ValueError), ("receptive_field", (2, 3), 4),
]


@pytest.mark.parametrize("function, args, answer", SAME_AND_RECEPTIVE,
                         ids=[f"{f}{a}".replace(" ", "") for f, a, _ in SAME_AND_RECEPTIVE])
def test_same_padding_and_receptive_field(student, function, args, answer):
    call, replay = describe(function, *args), Replay(function, args)
    if answer is ValueError:
        check_raises(getattr(student, function), *args, call=call, diagnose=replay)
    else:
        what = "the padding" if function == "same_padding" else "the receptive field"
        check_value(getattr(student, function)(*args), answer, what=what, call=call, diagnose=replay)
