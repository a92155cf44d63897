"""Richer plain data crosses the sandbox boundary as tagged JSON (never pickles), the
same value coming out as went in; malformed tags are refused with ProtocolError."""

import json

import pytest

from autograder.sandbox import protocol

VALUES = [{1, 2}, frozenset({"a", (1, 2)}), {(1, 2): "x", 3: [4], None: 1.5}, b"\x00\xffab", bytearray(b"z"),
          3 + 4j, complex(float("inf"), -0.5), (1, [2, {"k": {3}}]), {"s": frozenset()}, set()]


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_values_round_trip_as_json(value):
    blobs = []
    wire = json.loads(json.dumps(protocol.encode(value, blobs), allow_nan=False))
    back = protocol.decode(wire, blobs, lambda h: None)
    assert back == value and type(back) is (bytes if isinstance(value, bytearray) else type(value))


@pytest.mark.parametrize("frame", [
    {"__set__": [[1]]}, {"__frozenset__": [{"__dict__": []}]}, {"__map__": [[[1], 2]]}, {"__map__": [[1]]},
    {"__bytes__": "not base64!"}, {"__bytes__": 12}, {"__bytes__": "A" * (protocol.MAX_BYTES * 2)},
    {"__complex__": [1]}, {"__complex__": [True, 1]}, {"__complex__": ["1", 2]}, {"__set__": 5},
])
def test_malformed_values_are_refused(frame):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(frame, [], lambda h: None)


def test_nesting_stays_bounded():
    frame = 0
    for _ in range(protocol.MAX_DEPTH + 5):
        frame = {"__set__": [{"__tuple__": [frame]}]}
    with pytest.raises(protocol.ProtocolError, match="nested too deeply"):
        protocol.decode(frame, [], lambda h: None)
