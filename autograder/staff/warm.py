"""Warm graders for a batch (``make grade-all``): each worker thread keeps one
:mod:`autograder.grade.server` per built image, started once through the zip's
``run_autograder --serve`` (the same interpreter, flags and environment), which grades
each submission's tree in a fork of itself. A submission then costs no bash, no
interpreter start and none of the imports of pytest, numpy and the framework.

Everything else is :func:`autograder.staff.simulate.grade`'s: the tree, the grader's
code, its results.json and log, the time limit (the fork's whole process tree is
killed, as run_autograder's would be). ``make grade`` (one submission) and
``--cold`` batches run run_autograder itself, as Gradescope does.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import threading
import time
from pathlib import Path

from autograder.grade.server import LOG
from autograder.runtime.text import printable
from autograder.staff import simulate

START_SECONDS = 120.0  # the server's imports; far above what they take
REPLY_SECONDS = 30.0  # "started", and "done" once its child is killed


class WarmGraderError(RuntimeError):
    """The warm grader did not start or stopped answering (what it wrote is in the message)."""


class WarmGrader:
    """One :mod:`autograder.grade.server` process: grades one tree at a time."""

    def __init__(self, image: Path, venv: Path):
        self.child: int | None = None  # the fork grading now, for stop()
        self._buffer = b""
        self._said: str | None = None  # its stderr, once read
        self._proc = subprocess.Popen(
            ["bash", str(image / "run_autograder"), "--serve"], env=simulate.run_env(image, venv),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=image, start_new_session=True)
        try:
            ready = self._line(time.monotonic() + START_SECONDS)
        except WarmGraderError:
            ready = ""
        if ready != "ready":
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=REPLY_SECONDS)
            why = self._stderr()
            self.close()
            raise WarmGraderError(f"the warm grader did not start: {ready!r} {why}".strip())

    def run(self, root: Path, timeout: float) -> str:
        """Grade ``root``; its log. Raises :class:`simulate.GradingTimeout` after
        ``timeout`` seconds, once the grading's every process is killed."""
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(f"{root}\n".encode())
            self._proc.stdin.flush()
        except OSError as err:
            raise WarmGraderError(f"the warm grader is gone: {err} {self._stderr()}") from None
        started = self._line(time.monotonic() + REPLY_SECONDS)
        if not started.startswith("started "):
            raise WarmGraderError(f"the warm grader answered {started!r}")
        self.child = int(started.split()[1])
        try:
            done = self._line(time.monotonic() + timeout, timeout_is_error=False)
            if done is None:
                simulate.kill_tree(self.child)
                self._line(time.monotonic() + REPLY_SECONDS)  # its "done": the fork is reaped
                simulate.sweep_killed_runs()
                raise simulate.GradingTimeout(timeout, _read_log(root))
        finally:
            self.child = None
        return _read_log(root)

    def stop(self) -> None:
        """Kill the grading in progress, if any (a batch interrupted)."""
        child = self.child
        if child is not None:
            simulate.kill_tree(child)

    def close(self) -> None:
        """End the server (closing its stdin ends its loop; a kill if it does not)."""
        self.stop()
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            simulate.kill_tree(self._proc.pid)
            self._proc.wait()

    def _line(self, deadline: float, timeout_is_error: bool = True):
        """The server's next line on stdout, before ``deadline`` (None after it, unless
        ``timeout_is_error``)."""
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                if timeout_is_error:
                    raise WarmGraderError(f"the warm grader did not answer in time {self._stderr()}")
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise WarmGraderError(f"the warm grader ended {self._stderr()}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode(errors="replace")

    def _stderr(self) -> str:
        """What the server wrote to stderr (it writes there only when it cannot start),
        once it has ended; read once, kept for every message that quotes it."""
        stream = self._proc.stderr
        if self._said is None and stream is not None and not stream.closed and self._proc.poll() is not None:
            self._said = printable(stream.read(4000).decode(errors="replace")).strip()
        return self._said or ""


def _read_log(root: Path) -> str:
    try:
        return printable((root / LOG).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ""


_local = threading.local()  # this thread's graders: {(image, venv): WarmGrader}
_all: set[WarmGrader] = set()
_all_lock = threading.Lock()


def _through(image: Path, venv: Path, root: Path, timeout: float) -> str:
    graders = _local.__dict__.setdefault("graders", {})
    grader = graders.get((image, venv))
    with _all_lock:
        open_now = grader in _all  # not closed by close_all() since
    if not open_now:
        grader = graders[(image, venv)] = WarmGrader(image, venv)
        with _all_lock:
            _all.add(grader)
    try:
        return grader.run(root, timeout)
    except WarmGraderError:  # it is gone: the next submission starts another
        del graders[(image, venv)]
        with _all_lock:
            _all.discard(grader)
        grader.close()
        raise


def grade(autograder_zip: Path, submission: Path, results_path: Path, timeout: float = simulate.TIMEOUT_SECONDS,
          ) -> tuple[dict, str, list[str]]:
    """:func:`simulate.grade` through this thread's warm grader."""
    return simulate.grade(autograder_zip, submission, results_path, timeout=timeout, through=_through)


def stop_all() -> None:
    """Kill every grading in progress in a warm grader (a batch interrupted)."""
    with _all_lock:
        graders = list(_all)
    for grader in graders:
        grader.stop()


def close_all() -> None:
    """End every warm grader (a batch done); the next grading starts new ones."""
    with _all_lock:
        graders = list(_all)
        _all.clear()
    for grader in graders:
        grader.close()
