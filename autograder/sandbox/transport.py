"""The pipes between the trusted side and the student's process, framed by
:mod:`autograder.sandbox.protocol`.

A :class:`Channel` sends one request and receives one reply, each before a deadline,
and says what went wrong as one of four exceptions (:class:`Timeout`, :class:`Closed`,
:class:`Interrupted`, :class:`Unreadable`); what that means for the student is the
supervisor's business. Nothing here knows about processes or limits.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable
from typing import Any

from autograder.sandbox import protocol

PIPE_BYTES = 2**20  # the pipes' buffer size asked for (see widen_pipe)
POLL_SECONDS = 0.1  # while waiting for a reply: how often ``poll`` is asked whether to give up


class TransportError(Exception):
    """The exchange failed; the channel must not be used again (a later reply could be
    read out of step)."""


class Timeout(TransportError):
    """The deadline passed before the whole frame crossed."""


class Closed(TransportError):
    """The other end closed its pipe (the process died)."""


class Interrupted(TransportError):
    """``poll`` asked to stop waiting; ``why`` is what it returned."""

    def __init__(self, why: Any):
        super().__init__(str(why))
        self.why = why


class Unreadable(TransportError):
    """The bytes received are not a valid frame; ``cause`` is what the decoder raised
    (a :class:`protocol.ProtocolError`, or anything else: RecursionError, MemoryError...)."""

    def __init__(self, cause: BaseException):
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause


def open_pipes() -> tuple[int, int, Channel]:
    """``(child_reads, child_writes, channel)``: the two ends to pass to the child (the
    caller closes them once it started) and our channel over the other two."""
    down_r, down_w = os.pipe()
    up_r, up_w = os.pipe()
    for fd in (down_w, up_w):
        widen_pipe(fd)
    os.set_blocking(down_w, False)
    os.set_blocking(up_r, False)
    return down_r, up_w, Channel(down_w, up_r)


class Channel:
    """Our ends of the two pipes: ``to_child`` (requests) and ``from_child`` (replies)."""

    def __init__(self, to_child: int, from_child: int):
        self.to_child, self.from_child = to_child, from_child

    def send(self, header: dict, blobs: list[bytes], deadline: float) -> None:
        """Write one frame before ``deadline`` (``time.monotonic()``)."""
        protocol.write_frame(lambda data: self._send_all(data, deadline), header, blobs)

    def _send_all(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self.to_child], [], left)[1]:
                raise Timeout()
            try:
                view = view[os.write(self.to_child, view):]
            except OSError:  # BrokenPipeError included
                raise Closed() from None

    def receive(self, deadline: float, budget: protocol.Budget, poll: Callable[[], Any] = lambda: None,
                max_blob_bytes: int = 0) -> tuple[dict, list[bytes]]:
        """Read one frame before ``deadline``; its values are charged to ``budget`` when
        decoded. ``poll()`` is called whenever nothing arrived for :data:`POLL_SECONDS`:
        a truthy answer stops the wait (:class:`Interrupted`)."""

        def read_exact(n: int) -> bytes:
            chunks, got = [], 0
            while got < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout()
                if not select.select([self.from_child], [], [], min(left, POLL_SECONDS))[0]:
                    why = poll()
                    if why:
                        raise Interrupted(why)
                    continue
                chunk = os.read(self.from_child, min(n - got, 1 << 20))
                if not chunk:
                    raise Closed()
                chunks.append(chunk)
                got += len(chunk)
            return b"".join(chunks)

        try:
            return protocol.read_frame(read_exact, max_blob_bytes, budget)
        except TransportError:
            raise
        except Exception as err:  # anything the other side's bytes make the decoder raise
            raise Unreadable(err) from None

    def close(self) -> None:
        for fd in (self.to_child, self.from_child):
            if fd >= 0:
                os.close(fd)
        self.to_child = self.from_child = -1


def widen_pipe(fd: int) -> None:
    """Ask for 1 MB pipe buffers (Linux; 64 KB by default): arrays cross in fewer
    context switches. Where the system refuses, the default buffer works too."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (OSError, ImportError):
        pass
