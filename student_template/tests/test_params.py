"""Public tests: parameter counts from the lecture."""

import pytest

from autograder.runtime.testkit import Replay, check_value, describe

LECTURE_COUNTS = [
    # (function, args, kwargs, count): the lecture's examples
    ("fc_params", (200 * 200, 40_000), {"bias": False}, 1_600_000_000),
    ("locally_connected_params", (200, 200, 10, 1, 1), {"bias": False}, 4_000_000),
    ("conv_params", (10, 1, 1), {"bias": False}, 100),
    ("conv_params", (10, 1, 20), {"bias": False}, 2000),
    ("conv_params", (5, 3, 1), {"bias": True}, 76),
    ("conv_params", (1, 64, 32), {"bias": True}, 64 * 32 + 32),  # 32 1x1x64 filters
    ("conv_params", (3, 3, 64), {"bias": True}, 1792),  # VGG-16's first layer
    ("fc_params", (7 * 7 * 512, 4096), {"bias": True}, 102_760_448 + 4096),  # VGG-16's first fully connected layer
    ("pool_params", (), {}, 0),
]


# What the feedback may say the failing cases have in common (see
# autograder/runtime/characterise.py): nothing else of these cases is ever named.
CASE_FEATURES = {
    "function": lambda p: (p["kwargs"], p["name"])[1],  # a layer's count: only its cases have kwargs
    "bias=True|bias=False": lambda p: p["kwargs"].get("bias", True),
    # The layer's filters (conv, locally connected) or output units (fc): how many biases it has.
    "k": lambda p: p["args"][{"conv_params": 2, "locally_connected_params": 4, "fc_params": 1}[p["name"]]],
}


@pytest.mark.parametrize(
    "name, args, kwargs, count", LECTURE_COUNTS,
    ids=[f"{c[0]}-{c[3]}" + ("-no-bias" if c[2].get("bias") is False else "") for c in LECTURE_COUNTS]
)
def test_params_lecture(student, name, args, kwargs, count):
    call, replay = describe(name, *args, **kwargs), Replay(name, args, kwargs)
    check_value(getattr(student, name)(*args, **kwargs), count, what="the count", call=call, diagnose=replay)


def test_vgg16_first_fc(student):
    """VGG-16's first fully connected layer sees a 7x7x512 volume and has 4096 units."""
    call = describe("fc_params", 7 * 7 * 512, 4096, bias=False)
    replay = Replay("fc_params", (7 * 7 * 512, 4096), {"bias": False})
    check_value(student.fc_params(7 * 7 * 512, 4096, bias=False), 102_760_448, what="the count", call=call,
                diagnose=replay)
    layers = [{"type": "pool", "size": 2, "stride": 2}, {"type": "fc", "units": 4096}]
    call = describe("network_summary", layers, (14, 14, 512))
    shape = Replay("network_summary", (layers, (14, 14, 512)), part=(0, "output_shape"))
    params = Replay("network_summary", (layers, (14, 14, 512)), part=(1, "params"))
    rows = student.network_summary(layers, (14, 14, 512))
    check_value(len(rows), 2, what="the number of rows", call=call)
    check_value(tuple(rows[0]["output_shape"]), (7, 7, 512), what="the pool's output_shape", call=call, diagnose=shape)
    check_value(rows[1]["params"], 102_760_448 + 4096, what="the fc layer's params", call=call, diagnose=params)
