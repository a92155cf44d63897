"""Fuzzing the wire format's decoder (autograder/sandbox/protocol.py) with what a
hostile student's process could write on the reply pipe: random bytes and mutated
frames only ever raise the protocol's own errors, and decoding one never takes more
memory than the reply's limit allows.

The memory is measured with tracemalloc, which counts the allocations of every thread
of this process: so this module runs alone (``GRADES_ALONE``), once the session's
background gradings (tests/conftest.py), whose threads allocate too, are done."""

from __future__ import annotations

import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder.sandbox import protocol
from autograder.sandbox.protocol import ProtocolError
from tests.conftest import quiet
from tests.test_protocol import FUZZ, VALUES, frame, no_handle, reader

GRADES_ALONE = 4  # after every other module: nothing else allocates meanwhile


@pytest.fixture(scope="module", autouse=True)
def _alone():
    quiet()


TOKENS = [b"[", b"]", b"{", b"}", b'"', b"\\", b"-1", b"0", b"99999999999999999999", b"1e400", b"NaN", b"null",
          b'{"__ndarray__": 0}', b'{"__tuple__": ', b'{"__dict__": ', b'{"__bigint__": "', b'"blobs": 9',
          b"\x00", b"\xff", b"\x93NUMPY", b"(-1,)", b"(99999999999,)", b"'|O'", b"<f8", b"[" * 5000]


@st.composite
def mutated_frames(draw):
    data = bytearray(frame(draw(VALUES)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "token", "cut", "repeat"]))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(max_size=8))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif kind == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif kind == "cut":
            del data[at:]
        elif kind == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 64))] * draw(st.integers(2, 50))
    return bytes(data)


def decode_hostile(data: bytes, limit: int) -> None:
    """read_frame + decode of everything a reply holds: only ProtocolError or EOFError
    may come out, and no more than ``limit`` bytes of values are produced."""
    budget = protocol.reply_budget(limit)
    tracemalloc.start()
    try:
        header, blobs = protocol.read_frame(reader(data), limit, budget)
        values = [protocol.decode(header.get("value"), blobs, no_handle)]
        for item in header.get("mutated") or []:
            values.append(protocol.decode(item[1] if isinstance(item, list) and len(item) == 2 else item, blobs,
                                          no_handle))
    except (ProtocolError, EOFError):
        return
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak <= limit + 64 * len(data) + 2**20, (peak, len(data))
    assert budget.used <= limit
    assert sum(a.nbytes for a in _arrays(values)) <= limit


def _arrays(value):
    if isinstance(value, (np.ndarray, np.generic)):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arrays(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)


@FUZZ
@given(st.binary(max_size=64), st.binary(max_size=512))
def test_random_bytes_only_raise_protocol_errors(prefix, body):
    decode_hostile(prefix + body, 2**16)
    decode_hostile(struct.pack("<I", len(body)) + body, 2**16)  # a plausible length, then noise


@FUZZ
@given(mutated_frames())
def test_mutated_frames_only_raise_protocol_errors(data):
    decode_hostile(data, 2**16)
