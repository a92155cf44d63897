"""Public tests: output sizes, padding and receptive fields on the lecture's numbers."""

import pytest

from autograder.testkit import GradingFailure, Replay, check_raises, check_value, describe


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


def test_same_padding_and_receptive_field(student):
    for f, pad in [(1, 0), (3, 1), (5, 2), (7, 3)]:
        replay = Replay("same_padding", (f,))
        check_value(student.same_padding(f), pad, what="the padding", call=describe("same_padding", f), diagnose=replay)
    check_raises(student.same_padding, 4, call=describe("same_padding", 4), diagnose=Replay("same_padding", (4,)))
    replay = Replay("receptive_field", (2, 3))
    check_value(student.receptive_field(2, 3), 4, what="the receptive field", call=describe("receptive_field", 2, 3),
                diagnose=replay)
