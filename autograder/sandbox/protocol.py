"""The wire format between the trusted grader and the student's process.

A frame is a 4-byte length and a JSON header, then the arrays it refers to, each an
8-byte length and the bytes of ``np.save(allow_pickle=False)``. Values are plain data
only: None, bool, int, float (NaN and infinities included), str, lists, tuples,
dicts (any keys that are plain and hashable), sets, frozensets, bytes, complex
numbers, numpy arrays and scalars, and handles (opaque references to objects that
stay in the child). Nothing is ever unpickled.

What decoding a frame may cost is bounded before it is paid: the header's nesting is
checked before it is parsed (:func:`check_depth`), each array may be referred to once
per frame, and every array's bytes and every string count against a :class:`Budget`
(one per frame, inside one per run) before they are allocated.

This file is copied next to ``child.py`` for the sandbox, so it imports only the
standard library, and numpy only for an assignment whose code uses it (an array can
only be sent by a process that has numpy loaded already).
"""

import base64
import binascii
import io
import json
import math
import re
import struct
import sys

MAX_HEADER = 8 * 1024 * 1024
MAX_DEPTH = 32
# Brackets of a header, outside strings. A value level costs at most 3 of them (a dict
# is {"__dict__": [[key, value]]}), the frame around it a few more: a header deeper
# than this cannot come from encode(), and is refused before json.loads sees it.
MAX_HEADER_DEPTH = 3 * (MAX_DEPTH + 1) + 16
MAX_BYTES = 4 * 1024 * 1024  # one bytes value, decoded


class ProtocolError(Exception):
    """A frame that is malformed, too large, or holds something that is not plain data."""


class LimitExceeded(ProtocolError):
    """A frame over one of the limits on what decoding it may cost."""


class Budget:
    """Bytes that decoding may still produce (array data, text), with an optional
    ``parent`` charged too: a reply's budget inside the budget of the whole run."""

    def __init__(self, limit, message, parent=None):
        self.limit, self.used, self.message, self.parent = limit, 0, message, parent

    def check(self, nbytes):
        if self.used + nbytes > self.limit:
            raise LimitExceeded(self.message)
        if self.parent is not None:
            self.parent.check(nbytes)

    def charge(self, nbytes):
        if not isinstance(nbytes, int) or nbytes < 0:
            raise ProtocolError("negative or invalid size")
        self.check(nbytes)
        budget = self
        while budget is not None:
            budget.used += nbytes
            budget = budget.parent


def reply_budget(limit, parent=None):
    """The budget of one frame: ``limit`` bytes of decoded values."""
    return Budget(limit, f"the values sent back in one reply add up to more than {_mb(limit)} MB, the limit "
                         "for one call (return smaller arrays, and each array once)", parent)


def run_budget(limit):
    """The budget of a whole run, over all the frames decoded."""
    return Budget(limit, f"the values sent back by all calls together add up to more than {_mb(limit)} MB, "
                         "the limit for the whole run", None)


def _mb(nbytes):
    return f"{nbytes / 2**20:g}"


class Blobs(list):
    """The arrays of one frame, as read_frame returns them: they carry the frame's
    budget, and each may be decoded at most once (a reference repeated hundreds of
    times would otherwise decode the same bytes hundreds of times)."""

    def __init__(self, items=(), budget=None):
        super().__init__(items)
        self.budget = budget
        self.taken = set()


def charge(blobs, nbytes):
    """Count ``nbytes`` decoded from the frame of ``blobs`` against its budget (no-op
    for a plain list). Every kind of value that decode() builds from the frame's bytes
    calls this before allocating."""
    budget = getattr(blobs, "budget", None)
    if budget is not None:
        budget.charge(nbytes)


def _load_blob(blobs, index):
    """The array of blob ``index``, once per frame, its size charged before it exists."""
    taken = getattr(blobs, "taken", None)
    if taken is not None:
        if index in taken:
            raise LimitExceeded("the same array is referred to more than once in one reply")
        taken.add(index)
    blob = blobs[index]
    try:
        import numpy as np
    except ImportError:
        raise ProtocolError("an array was sent, but numpy is not installed here") from None
    try:
        fp = io.BytesIO(blob)
        version = np.lib.format.read_magic(fp)
        # The header alone (every .npy version), so that the size is charged before the
        # data is read; private, and missing from numpy's type stubs.
        shape, fortran, dtype = np.lib.format._read_array_header(fp, version)  # type: ignore[attr-defined]
    except Exception as err:  # a malformed .npy: never trust it
        raise ProtocolError(f"unreadable array: {err}") from None
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ProtocolError("unreadable array: negative or invalid size")
    if dtype.hasobject:  # what np.load(allow_pickle=False) refuses
        raise ProtocolError("unreadable array: an array of Python objects")
    count = math.prod(shape)
    charge(blobs, count * dtype.itemsize)
    try:
        # The data straight from the header's end (the header is not parsed twice, as
        # np.load would), copied: a writable array of its own, as np.load gives.
        flat = np.frombuffer(blob, dtype=dtype, count=count, offset=fp.tell())
        return flat.reshape(shape, order="F" if fortran else "C").copy(order="K")
    except Exception as err:  # a malformed .npy: never trust it
        raise ProtocolError(f"unreadable array: {err}") from None


def check_depth(raw, limit=MAX_HEADER_DEPTH):
    """Refuse JSON text ``raw`` (bytes) whose brackets, outside strings, nest deeper
    than ``limit``: json.loads recurses once per level. Linear, and at once for a
    header with few brackets. Exact up to the first place where ``raw`` stops being
    JSON (after it, json.loads stops too: counting more there only refuses more)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"")  # escaped backslashes, then escaped quotes
    text = _STRING.sub(b"", text)  # no escapes left: a string ends at the next quote
    brackets = text.translate(_TO_PARENS, _NOT_BRACKET)
    # Each pass removes the innermost level of every balanced group (C speed, no numpy):
    # a header needing more passes than the limit is nested deeper than it.
    passes = 0
    while b"()" in brackets:
        if passes >= limit:
            raise LimitExceeded(f"the reply is nested more than {limit} levels deep")
        brackets = brackets.replace(b"()", b"")
        passes += 1
    if passes + brackets.count(b"(") > limit:
        raise LimitExceeded(f"the reply is nested more than {limit} levels deep")


_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_TO_PARENS = bytes.maketrans(b"[{]}", b"(())")


class NotPlain(Exception):
    """A value that cannot cross as plain data (it stays in the child behind a handle)."""


class Handle:
    """An object the child keeps; the trusted side only passes it back."""

    __slots__ = ("id", "type_name")

    def __init__(self, id, type_name=""):
        self.id, self.type_name = id, type_name

    def __repr__(self):
        return f"<{self.type_name or 'object'} kept in the student's process>"


def encode(value, blobs, depth=0):
    """Plain-data JSON for ``value``; arrays are appended to ``blobs``."""
    if depth > MAX_DEPTH:
        raise NotPlain("nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else {"__bigint__": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(float(value))}
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        if isinstance(value, np.ndarray) and value.dtype.hasobject:
            raise NotPlain("array of Python objects")
        buf = io.BytesIO()
        np.save(buf, np.asarray(value), allow_pickle=False)
        blobs.append(buf.getvalue())
        return {"__ndarray__": len(blobs) - 1, "scalar": not isinstance(value, np.ndarray)}
    if isinstance(value, Handle):
        return {"__handle__": value.id, "type": value.type_name} if value.type_name else {"__handle__": value.id}
    if isinstance(value, list):
        return [encode(v, blobs, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, blobs, depth + 1) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__dict__": [[k, encode(v, blobs, depth + 1)] for k, v in value.items()]}
        return {"__map__": [[encode(k, blobs, depth + 1), encode(v, blobs, depth + 1)] for k, v in value.items()]}
    if isinstance(value, (set, frozenset)):
        tag = "__frozenset__" if isinstance(value, frozenset) else "__set__"
        return {tag: [encode(v, blobs, depth + 1) for v in value]}
    if isinstance(value, (bytes, bytearray)):
        if len(value) > MAX_BYTES:
            raise NotPlain(f"bytes longer than {MAX_BYTES}")
        return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, complex):
        return {"__complex__": [encode(value.real, blobs, depth + 1), encode(value.imag, blobs, depth + 1)]}
    raise NotPlain(type(value).__name__)


def decode(data, blobs, resolve_handle, depth=0):
    """Inverse of :func:`encode`; ``resolve_handle(id)`` maps handle ids to objects."""
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        if isinstance(data, str):
            charge(blobs, len(data))
        return data
    if isinstance(data, list):
        return [decode(v, blobs, resolve_handle, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise ProtocolError("unexpected value in frame")
    if "__ndarray__" in data:
        index = data["__ndarray__"]
        if not isinstance(index, int) or not 0 <= index < len(blobs):
            raise ProtocolError("bad array reference")
        array = _load_blob(blobs, index)
        return array[()] if data.get("scalar") else array
    if "__tuple__" in data:
        return tuple(decode(v, blobs, resolve_handle, depth + 1) for v in _list(data["__tuple__"]))
    if "__dict__" in data:
        items = _list(data["__dict__"])
        if not all(isinstance(kv, list) and len(kv) == 2 and isinstance(kv[0], str) for kv in items):
            raise ProtocolError("bad dict in frame")
        return {k: decode(v, blobs, resolve_handle, depth + 1) for k, v in items}
    if "__map__" in data or "__set__" in data or "__frozenset__" in data:
        return _decode_hashed(data, blobs, resolve_handle, depth)
    if "__bytes__" in data:
        text = data["__bytes__"]
        if not isinstance(text, str) or len(text) > (MAX_BYTES // 3 + 1) * 4:
            raise ProtocolError("bad bytes in frame")
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError("bad bytes in frame") from None
    if "__complex__" in data:
        parts = [decode(v, blobs, resolve_handle, depth + 1) for v in _list(data["__complex__"])]
        if len(parts) != 2 or not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in parts):
            raise ProtocolError("bad complex number in frame")
        return complex(parts[0], parts[1])
    if "__handle__" in data:
        found = resolve_handle(data["__handle__"])
        kind = data.get("type")  # the kept object's class, for what a student reads ("Layer.forward raised")
        if isinstance(found, Handle) and not found.type_name and isinstance(kind, str) and kind.isidentifier():
            found.type_name = kind[:100]
        return found
    if "__float__" in data and data["__float__"] in ("nan", "inf", "-inf"):
        return float(data["__float__"])
    if "__bigint__" in data and isinstance(data["__bigint__"], str) and len(data["__bigint__"]) < 4000:
        try:
            return int(data["__bigint__"])
        except ValueError:
            raise ProtocolError("bad integer in frame") from None
    raise ProtocolError("unexpected value in frame")


def _decode_hashed(data, blobs, resolve_handle, depth):
    """A set, a frozenset or a dict with keys that are not all strings: every key
    must decode to something hashable."""
    try:
        if "__map__" in data:
            items = _list(data["__map__"])
            if not all(isinstance(kv, list) and len(kv) == 2 for kv in items):
                raise ProtocolError("bad dict in frame")
            return {decode(k, blobs, resolve_handle, depth + 1): decode(v, blobs, resolve_handle, depth + 1)
                    for k, v in items}
        kind = frozenset if "__frozenset__" in data else set
        elements = _list(data.get("__set__", data.get("__frozenset__")))
        return kind(decode(v, blobs, resolve_handle, depth + 1) for v in elements)
    except TypeError:  # an unhashable key or element (a list, say)
        raise ProtocolError("unhashable key or set element in frame") from None


def _list(value):
    if not isinstance(value, list):
        raise ProtocolError("bad list in frame")
    return value


def write_frame(fd_write, header, blobs=()):
    """Send one frame (``fd_write(bytes)`` writes everything or raises)."""
    head = json.dumps({**header, "blobs": len(blobs)}, allow_nan=False).encode()
    parts = [struct.pack("<I", len(head)), head]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    fd_write(b"".join(parts))


def read_frame(read_exact, max_blob_bytes, budget=None):
    """Receive one frame: ``(header, blobs)``. ``read_exact(n)`` returns n bytes or
    raises EOFError. Sizes and nesting are checked before anything is allocated or
    parsed. ``blobs`` carries ``budget`` (by default ``max_blob_bytes`` of decoded
    values) for decode()."""
    (size,) = struct.unpack("<I", read_exact(4))
    if size > MAX_HEADER:
        raise LimitExceeded(f"header of {size} bytes is too large")
    raw = read_exact(size)
    check_depth(raw)
    try:
        header = json.loads(raw)
    except Exception:  # ValueError, but also MemoryError, RecursionError...: never trust it
        raise ProtocolError("header is not JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("blobs"), int) or not 0 <= header["blobs"] <= 10_000:
        raise ProtocolError("bad header")
    blobs, total = Blobs(budget=budget if budget is not None else reply_budget(max_blob_bytes)), 0
    for _ in range(header["blobs"]):
        (n,) = struct.unpack("<Q", read_exact(8))
        total += n
        if total > max_blob_bytes:
            raise LimitExceeded(f"the arrays returned add up to more than {max_blob_bytes // 2**20} MB")
        blobs.append(read_exact(n))
    return header, blobs
