"""The wire format (autograder/sandbox/protocol.py) against what a hostile student's
process can write on the reply pipe: round trips, truncated, oversized and forged
frames, deep nesting, blobs referenced many times, the decoding budgets, fuzzing; and
through a real Sandbox, that a hostile reply never shifts the replies after it."""

from __future__ import annotations

import io
import json
import math
import os
import struct
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder.sandbox import protocol, proxy, supervisor, transport
from autograder.sandbox.protocol import LimitExceeded, ProtocolError

ROOT = Path(__file__).resolve().parent.parent
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
QUICK = settings(FUZZ, max_examples=40)  # properties that a fixed test checks too, on one frame


# -- helpers ---------------------------------------------------------------------------

def frame(value, extra=None) -> bytes:
    blobs: list[bytes] = []
    header = {"kind": "result", "value": protocol.encode(value, blobs), **(extra or {})}
    out: list[bytes] = []
    protocol.write_frame(out.append, header, blobs)
    return b"".join(out)


def raw_frame(head: bytes | str, blobs=()) -> bytes:
    head = head.encode() if isinstance(head, str) else head
    return b"".join([struct.pack("<I", len(head)), head] + [struct.pack("<Q", len(b)) + b for b in blobs])


def npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


def reader(data: bytes):
    stream = io.BytesIO(data)

    def read_exact(n):
        got = stream.read(n)
        if len(got) < n:
            raise EOFError
        return got

    return read_exact


def no_handle(_):
    raise ProtocolError("bad handle")


def read_and_decode(data: bytes, max_blob_bytes=2**20, budget=None):
    header, blobs = protocol.read_frame(reader(data), max_blob_bytes, budget)
    return protocol.decode(header.get("value"), blobs, no_handle), blobs


def same(a, b) -> bool:
    """Exact equality: types, NaN and -0.0, array dtypes, shapes and bytes."""
    if type(b) is np.float64:  # a float subclass: encode sends it as a float
        b = float(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):  # a NaN crosses as "nan": its sign and payload are not kept
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and np.asarray(a).tobytes() == np.asarray(b).tobytes()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# -- round trips -------------------------------------------------------------------------

PLAIN = [
    None, True, False, 0, -7, 2**62, 2**63, -(2**100), 1.5, -0.0, math.nan, math.inf, -math.inf, "", "héllo \"[{\\",
    [], [1, [2, [3]]], (), (1, "a", None), {}, {"a": 1, "b": [2.5, {"c": ()}]},
    np.arange(12, dtype=np.int16).reshape(3, 4), np.zeros((0, 3)), np.array([np.nan, -0.0]), np.float32(2.5),
    np.int64(-3), np.bool_(True), np.array(7), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    np.float64(np.inf), np.float64(-np.inf), np.float64(np.nan),  # numpy 2 writes repr(np.float64(inf)) its own way
    [np.ones(3), (np.zeros(2), {"k": np.arange(2)})],
]


@pytest.mark.parametrize("value", PLAIN, ids=lambda v: type(v).__name__)
def test_every_plain_kind_round_trips(value):
    back, _ = read_and_decode(frame(value))
    assert same(back, value)


def test_the_deepest_value_encode_allows_round_trips():
    """The header depth limit leaves room for MAX_DEPTH levels of dicts (3 brackets each)."""
    value: object = np.arange(3)
    for _ in range(protocol.MAX_DEPTH):
        value = {"k": value}
    data = frame(value, {"mutated": [[[0, "k"], {"__tuple__": [[[[]]]]}]]})
    assert same(read_and_decode(data)[0], value)


def test_handles_cross_as_references():
    blobs: list[bytes] = []
    data = protocol.encode([protocol.Handle(4, "Cache")], blobs)
    assert protocol.decode(data, blobs, lambda h: ("handle", h)) == [("handle", 4)]


# -- truncated and oversized frames ------------------------------------------------------------

def test_every_truncation_is_end_of_file():
    data = frame([np.arange(5), "text", (1, 2)])
    for cut in range(len(data)):
        with pytest.raises(EOFError):
            protocol.read_frame(reader(data[:cut]), 2**20)


def test_an_oversized_header_is_refused_before_it_is_read():
    asked = []

    def read_exact(n):
        asked.append(n)
        return struct.pack("<I", protocol.MAX_HEADER + 1) if n == 4 else b""

    with pytest.raises(ProtocolError, match="too large"):
        protocol.read_frame(read_exact, 2**20)
    assert asked == [4]


def test_oversized_blobs_are_refused_before_they_are_read():
    asked = []
    data = raw_frame('{"blobs": 2}') + struct.pack("<Q", 600) + b"x" * 600 + struct.pack("<Q", 2**63)
    read = reader(data)

    def read_exact(n):
        asked.append(n)
        return read(n)

    with pytest.raises(ProtocolError, match="more than"):
        protocol.read_frame(read_exact, 2**20)
    assert max(asked) == 600


# -- forged frames ---------------------------------------------------------------------------

FORGED = {
    "not JSON": raw_frame(b"\xff\xfe not json"),
    "header a list": raw_frame("[1, 2]"),
    "blobs not an int": raw_frame('{"blobs": "3"}'),
    "negative blob count": raw_frame('{"blobs": -1}'),
    "too many blobs": raw_frame('{"blobs": 10001}'),
    "unknown tag": raw_frame('{"value": {"__pickle__": "x"}, "blobs": 0}'),
    "three keys": raw_frame('{"value": {"__tuple__": [], "a": 1, "b": 2}, "blobs": 0}'),
    "blob index a string": raw_frame('{"value": {"__ndarray__": "0"}, "blobs": 0}'),
    "blob index out of range": raw_frame('{"value": {"__ndarray__": 1}, "blobs": 1}', [npy([1])]),
    "negative blob index": raw_frame('{"value": {"__ndarray__": -1}, "blobs": 1}', [npy([1])]),
    "blob not npy": raw_frame('{"value": {"__ndarray__": 0}, "blobs": 1}', [b"\x93NUMPY garbage"]),
    "npy of objects": raw_frame('{"value": {"__ndarray__": 0}, "blobs": 1}', [
        npy([1]).replace(b"'<i8'", b"'|O' ")]),
    "npy negative shape": raw_frame('{"value": {"__ndarray__": 0}, "blobs": 1}', [
        npy(np.zeros(4, np.uint8)).replace(b"(4,)", b"(-4,)")]),
    "npy huge shape": raw_frame('{"value": {"__ndarray__": 0}, "blobs": 1}', [
        npy(np.zeros(4, np.uint8)).replace(b"(4,)", b"(10**15,)".replace(b"10**15", b"9" * 15))]),
    "npy truncated data": raw_frame('{"value": {"__ndarray__": 0}, "blobs": 1}', [npy(np.arange(100))[:-8]]),
    "tuple not a list": raw_frame('{"value": {"__tuple__": 3}, "blobs": 0}'),
    "dict items wrong": raw_frame('{"value": {"__dict__": [[1, 2]]}, "blobs": 0}'),
    "dict item short": raw_frame('{"value": {"__dict__": [["a"]]}, "blobs": 0}'),
    "bad float tag": raw_frame('{"value": {"__float__": "1e9999x"}, "blobs": 0}'),
    "bigint not digits": raw_frame('{"value": {"__bigint__": "12x"}, "blobs": 0}'),
    "bigint too long": raw_frame('{"value": {"__bigint__": "%s"}, "blobs": 0}' % ("9" * 5000)),
    "value too deep": raw_frame(f'{{"value": {nested(protocol.MAX_DEPTH + 5)}, "blobs": 0}}'),
    "handle": raw_frame('{"value": {"__handle__": 1}, "blobs": 0}'),
}


@pytest.mark.parametrize("name", FORGED)
def test_forged_frames_raise_protocol_errors(name):
    with pytest.raises(ProtocolError):
        read_and_decode(FORGED[name])


def test_deep_nesting_is_refused_before_parsing(monkeypatch):
    def no_parse(*args, **kwargs):
        raise AssertionError("json.loads was called")

    # protocol's json only: the session's gradings parse their results.json meanwhile (conftest)
    monkeypatch.setattr(protocol, "json", types.SimpleNamespace(**{**vars(json), "loads": no_parse}))
    for head in (f'{{"value": {nested(100_000)}, "blobs": 0}}', "{" * 100_000, '{"a":' * 100_000):
        with pytest.raises(LimitExceeded, match="nested"):
            protocol.read_frame(reader(raw_frame(head)), 2**20)


def test_the_depth_scan_ignores_brackets_in_strings_and_sees_through_escapes():
    deep = nested(protocol.MAX_HEADER_DEPTH + 1)
    protocol.check_depth(json.dumps(["[" * 100_000, "\\\"[{" * 1000, deep]).encode())
    for prefix in ('["\\\\", ', '["\\"", ', '["\\\\\\"]", '):  # strings ending in \\ and holding \"
        with pytest.raises(LimitExceeded):
            protocol.check_depth(f"{prefix}{deep}]".encode())


def test_the_depth_scan_of_8_mb_headers():
    """Wide but shallow passes, deep is refused; linear (numpy over 1 MB chunks)."""
    size = protocol.MAX_HEADER // 2
    protocol.check_depth(b"[" + b"[]," * (size // 3) + b"[]]")
    with pytest.raises(LimitExceeded):
        protocol.check_depth(b"[" * size + b"]" * size)
    with pytest.raises(LimitExceeded):
        protocol.check_depth(b'"' * size + b"[" * 200)  # many empty strings, then depth


@st.composite
def json_with_brackets(draw):
    text = st.text(alphabet='[]{}"\\ a\n', max_size=8)
    value = draw(st.recursive(text, lambda kids: st.lists(kids, max_size=3)
                              | st.dictionaries(text, kids, max_size=3), max_leaves=20))

    def depth(v):
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        return 0

    return json.dumps(value, ensure_ascii=draw(st.booleans())).encode(), depth(value)


@FUZZ
@given(json_with_brackets())
def test_the_depth_scan_is_exact_on_json(case):
    raw, depth = case
    protocol.check_depth(raw, limit=depth)
    if depth:
        with pytest.raises(LimitExceeded):
            protocol.check_depth(raw, limit=depth - 1)


# -- budgets ------------------------------------------------------------------------------------

def test_one_blob_referenced_many_times_is_refused():
    blob = npy(np.ones(2**17))  # 1 MB
    head = json.dumps({"value": [{"__ndarray__": 0}] * 1000, "blobs": 1})
    with pytest.raises(LimitExceeded, match="more than once"):
        read_and_decode(raw_frame(head, [blob]), max_blob_bytes=2**21)


def test_each_blob_decodes_once_per_frame_even_across_fields():
    header, blobs = protocol.read_frame(reader(raw_frame('{"blobs": 1}', [npy([1, 2])])), 2**20)
    protocol.decode({"__ndarray__": 0}, blobs, no_handle)
    with pytest.raises(LimitExceeded):
        protocol.decode({"__ndarray__": 0}, blobs, no_handle)


def test_a_reply_budget_counts_arrays_before_they_are_allocated():
    data = frame([np.zeros(1000), np.zeros(1000)])  # 8000 bytes each
    read_and_decode(data, budget=protocol.reply_budget(16_000))
    with pytest.raises(LimitExceeded, match="one reply add up to more than"):
        read_and_decode(data, budget=protocol.reply_budget(15_999))
    with pytest.raises(LimitExceeded):
        read_and_decode(frame("x" * 5000), budget=protocol.reply_budget(4999))  # text counts too


def test_the_run_budget_spans_replies():
    run = protocol.run_budget(50_000)
    data = frame(np.zeros(1000))  # 8000 bytes
    for _ in range(6):
        read_and_decode(data, budget=protocol.reply_budget(10_000, parent=run))
    assert run.used == 48_000
    with pytest.raises(LimitExceeded, match="all calls together add up to more than"):
        read_and_decode(data, budget=protocol.reply_budget(10_000, parent=run))
    assert run.used == 48_000  # a refused charge is not counted


def test_the_sandbox_defaults():
    assert supervisor.MAX_REPLY_DECODED == supervisor.MAX_REPLY_BYTES == 256 * 2**20
    assert supervisor.MAX_RUN_DECODED == 2 * 2**30


# -- every failure of reading or decoding is the student's -----------------------------------

FAILURES = [ProtocolError("bad header"), ValueError("x"), TypeError("x"), RecursionError("x"), MemoryError(),
            OverflowError("x"), KeyError("x"), ZeroDivisionError("x")]


def bare_sandbox(monkeypatch):
    sandbox = object.__new__(proxy.Sandbox)
    sandbox.spec, sandbox.generation, sandbox.stopped = types.SimpleNamespace(), 1, 0
    sandbox.decoded = protocol.run_budget(supervisor.MAX_RUN_DECODED)
    sandbox._channel = transport.Channel(-1, -1)
    monkeypatch.setattr(proxy.Sandbox, "stop", lambda self: setattr(self, "stopped", self.stopped + 1))
    return sandbox


@pytest.mark.parametrize("error", FAILURES, ids=lambda e: type(e).__name__)
def test_any_failure_reading_a_reply_stops_the_child(monkeypatch, error):
    sandbox = bare_sandbox(monkeypatch)

    def read_frame(*args):
        raise error

    monkeypatch.setattr(protocol, "read_frame", read_frame)
    with pytest.raises(proxy.SandboxError, match="your code's process sent something unreadable"):
        sandbox._receive(1.0, "running f")
    assert sandbox.stopped == 1


@pytest.mark.parametrize("error", FAILURES, ids=lambda e: type(e).__name__)
def test_any_failure_decoding_a_reply_stops_the_child(monkeypatch, error):
    sandbox = bare_sandbox(monkeypatch)

    def decode(*args):
        raise error

    monkeypatch.setattr(protocol, "decode", decode)
    with pytest.raises(proxy.SandboxError, match="while running f, your code's process sent something unreadable"):
        sandbox._interpret("f", {"kind": "result", "value": 1}, [])
    assert sandbox.stopped == 1


# -- fuzzing --------------------------------------------------------------------------------------

DTYPES = st.sampled_from([np.bool_, np.int8, np.uint16, np.int32, np.int64, np.float16, np.float32, np.float64,
                          np.complex128])
ARRAYS = DTYPES.flatmap(lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
SCALARS = DTYPES.flatmap(lambda d: hnp.from_dtype(np.dtype(d)).map(lambda x: np.dtype(d).type(x)))
LEAVES = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text()
          | ARRAYS | SCALARS)
VALUES = st.recursive(LEAVES, lambda kids: st.lists(kids, max_size=4) | st.lists(kids, max_size=4).map(tuple)
                      | st.dictionaries(st.text(max_size=5), kids, max_size=4), max_leaves=25)


@FUZZ
@given(VALUES)
def test_random_plain_values_round_trip_exactly(value):
    back, _ = read_and_decode(frame(value))
    assert same(back, value)


@QUICK
@given(VALUES, st.data())
def test_every_truncation_of_a_random_frame_is_end_of_file(value, data):
    """Cut anywhere (in the length, the header, a blob's size or its bytes): the reader
    asks for bytes that never come, and nothing half-read is returned."""
    whole = frame(value)
    cut = data.draw(st.integers(0, len(whole) - 1))
    with pytest.raises(EOFError):
        protocol.read_frame(reader(whole[:cut]), 2**24)


@QUICK
@given(VALUES, st.integers(1, 2**20))
def test_a_frame_larger_than_the_reply_limit_is_refused_whatever_it_holds(value, limit):
    whole = frame(value)
    header, blobs = protocol.read_frame(reader(whole), 2**24)
    if sum(map(len, blobs)) <= limit:
        protocol.read_frame(reader(whole), limit)
    else:
        with pytest.raises(ProtocolError, match="more than"):
            protocol.read_frame(reader(whole), limit)


# -- through a real Sandbox -------------------------------------------------------------------------

HOSTILE = '''
import io, json, os, struct, sys
import numpy as np

def _send(head, blobs=()):
    data = b"".join([struct.pack("<I", len(head)), head] + [struct.pack("<Q", len(b)) + b for b in blobs])
    view = memoryview(data)
    while view:
        view = view[os.write(int(sys.argv[2]), view):]

def deep():
    depth = 100_000
    _send(('{"kind": "result", "value": ' + "[" * depth + "]" * depth + ', "blobs": 1}').encode())
    return 0

def many(refs, mb):
    buf = io.BytesIO()
    np.save(buf, np.ones(mb * 2**17))
    _send(json.dumps({"kind": "result", "value": [{"__ndarray__": 0}] * refs, "blobs": 1}).encode(), [buf.getvalue()])
    return 0

def add(a, b):
    return a + b

def ones(n):
    return np.ones(n)
'''

SCRIPT = '''
import json, shutil, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from autograder.runtime.config import SandboxLimits
from autograder.sandbox.limits import Identity
from autograder.sandbox.proxy import Sandbox, SandboxError, SandboxSpec

def hwm():
    with open("/proc/self/status") as f:
        return [int(line.split()[1]) // 1024 for line in f if line.startswith("VmHWM")][0]

run = Path(tempfile.mkdtemp(prefix="protocol-test-"))
package = run / "submission" / "probe"
package.mkdir(parents=True)
(package / "__init__.py").write_text("")
(package / "m.py").write_text(sys.argv[2])
refs, mb = int(sys.argv[3]), int(sys.argv[4])
spec = SandboxSpec(python=sys.executable, package="probe", package_parent=run / "submission",
                   exports={f: "m" for f in ("deep", "many", "add", "ones")}, run_dir=run, identity=Identity(),
                   isolate=False, limits=SandboxLimits(memory_mb=2048))
sandbox = Sandbox(spec)
out = {}
try:
    sandbox.start()
    out["add"] = sandbox.call("add", (2, 3), {})
    out["hwm_before"] = hwm()
    for name, args in (("deep", ()), ("many", (refs, mb))):
        try:
            sandbox.call(name, args, {})
            out[name] = "returned"
        except SandboxError as err:
            out[name] = err.grading_message
        except BaseException as err:
            out[name] = "grader crash: " + type(err).__name__
        for then, args in (("add", (20, 22)), ("ones", (3,))):
            try:
                value = sandbox.call(then, args, {})
                out[f"{name}_then_{then}"] = value.tolist() if hasattr(value, "tolist") else value
            except BaseException as err:
                out[f"{name}_then_{then}"] = type(err).__name__
    out["hwm_after"] = hwm()
finally:
    sandbox.stop()
    shutil.rmtree(run, ignore_errors=True)
print(json.dumps(out, default=lambda o: f"<{type(o).__name__}>"))
'''


def hostile_run(root: Path = ROOT, refs: int = 1000, mb: int = 1) -> dict:
    """Run the hostile replies through a real Sandbox (the grader in a fresh process,
    so that its peak RSS is its own)."""
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(root), HOSTILE, str(refs), str(mb)],
                          capture_output=True, text=True, timeout=300, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.e2e
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_a_hostile_reply_never_shifts_the_next_ones():
    out = hostile_run()
    print(f"\ngrader peak RSS: {out['hwm_before']} MB before the hostile replies, {out['hwm_after']} MB after "
          "(100,000-deep header; one 1 MB array referenced 1000 times)")
    assert out["add"] == 5
    assert "your code's process sent something unreadable" in out["deep"] and "nested" in out["deep"]
    assert "your code's process sent something unreadable" in out["many"] and "more than once" in out["many"]
    for name in ("deep", "many"):
        assert out[f"{name}_then_add"] == 42  # the child was restarted: no stale frame read
        assert out[f"{name}_then_ones"] == [1.0, 1.0, 1.0]
