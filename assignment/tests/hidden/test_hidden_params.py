"""Hidden graders: parameter counts of layers and whole networks."""

import pytest
from networks import BROKEN, UNSEEN, VGG16

from autograder.runtime.testkit import Evidence, GradingFailure, Replay, check_raises, check_value, describe

LAYERS = [
    ("fc_params", (3072, 10), {}),
    ("fc_params", (784, 300), {"bias": False}),
    ("locally_connected_params", (28, 28, 5, 3, 2), {}),
    ("locally_connected_params", (10, 12, 3, 8, 4), {"bias": False}),
    ("conv_params", (3, 64, 128), {}),
    ("conv_params", (1, 256, 64), {"bias": False}),
    ("conv_params", (7, 3, 96), {}),
    ("conv_params", (5, 16, 10), {}),  # k as fc_params(3072, 10)'s: a k that repeats is a feature, not an id
    ("pool_params", (), {}),
]


# What the feedback may say the failing cases have in common (see
# autograder/runtime/characterise.py): nothing else of these cases is ever named.
CASE_FEATURES = {
    "function": lambda p: (p["kwargs"], p["name"])[1],  # a layer's count: only its cases have kwargs
    "bias=True|bias=False": lambda p: p["kwargs"].get("bias", True),
    # The layer's filters (conv, locally connected) or output units (fc): how many biases it has.
    "k": lambda p: p["args"][{"conv_params": 2, "locally_connected_params": 4, "fc_params": 1}[p["name"]]],
}


@pytest.mark.parametrize("name, args, kwargs", LAYERS, ids=[f"{n}{a}".replace(" ", "") for n, a, _ in LAYERS])
def test_layer_params_hidden(student, reference, name, args, kwargs):
    call, replay = describe(name, *args, **kwargs), Replay(name, args, kwargs)
    check_value(getattr(student, name)(*args, **kwargs), getattr(reference, name)(*args, **kwargs),
                what="the count", call=call, diagnose=replay)


@pytest.mark.parametrize("index", range(len(VGG16)))
def test_network_summary_vgg16(student, reference, index):
    call = describe("network_summary", "VGG16 layers", (224, 224, 3))
    replays = {key: Replay("network_summary", (VGG16, (224, 224, 3)), part=(index, key))
               for key in ("type", "output_shape", "params")}
    rows = student.network_summary(VGG16, (224, 224, 3))
    if not isinstance(rows, list) or len(rows) != len(VGG16):
        raise GradingFailure(f"{call} must return a list with one dict per layer ({len(VGG16)})")
    row, want = rows[index], reference.network_summary(VGG16, (224, 224, 3))[index]
    if not isinstance(row, dict):
        raise GradingFailure(f"{call}: row {index} is a {type(row).__name__}, expected a dict")
    for key, replay in replays.items():
        got = row.get(key)
        check_value(tuple(got or ()) if key == "output_shape" else got, want[key], what=f"row {index}'s {key}",
                    call=call, diagnose=replay)


@pytest.mark.parametrize("name", sorted(UNSEEN) + ["vgg16"])
def test_count_params_unseen(student, reference, name):
    layers, shape = UNSEEN.get(name, (VGG16, (224, 224, 3)))
    call, replay = describe("count_params", f"{name} layers", shape), Replay("count_params", (layers, shape))
    check_value(student.count_params(layers, shape), reference.count_params(layers, shape), what="the count", call=call,
                diagnose=replay)


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_network_summary_unseen(student, reference, name):
    """Every row of networks students have not seen, conv layers without stride or pad included."""
    layers, shape = UNSEEN[name]
    call = describe("network_summary", f"{name} layers", shape)
    want = reference.network_summary(layers, shape)
    rows = student.network_summary(layers, shape)
    if not isinstance(rows, list) or len(rows) != len(want):
        raise GradingFailure(f"{call} must return a list with one dict per layer ({len(want)})")
    for index, (row, expected) in enumerate(zip(rows, want, strict=True)):
        if not isinstance(row, dict):
            raise GradingFailure(f"{call}: row {index} is a {type(row).__name__}, expected a dict")
        for key in ("type", "output_shape", "params"):
            got = row.get(key)
            check_value(tuple(got or ()) if key == "output_shape" else got, expected[key],
                        what=f"row {index}'s {key}", call=call,
                        diagnose=Replay("network_summary", (layers, shape), part=(index, key)))


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_network_summary_errors(student, name):
    layers, shape, index, kind = BROKEN[name]
    call = describe("network_summary", f"{name} layers", shape)
    err = check_raises(student.network_summary, layers, shape, call=call,
                       diagnose=Replay("network_summary", (layers, shape)))
    start = f"layer {index} ({kind}): "
    if not str(err).startswith(start):
        # the message is the value this check looks at: its evidence, for the hints
        message = Evidence(Replay("network_summary", (layers, shape), part="message"), str(err), expected=start)
        raise GradingFailure(f"{call}: the ValueError's message should start with {start!r} (the layer at fault "
                             f"and its type), got: {err}", message)
