"""The ``stopwatch`` of a sandboxed grading (see :mod:`autograder.runtime.stopwatch`): the
trusted side's calls are timed with every process of the student's stopped, the
student's calls by the CPU time of its whole process tree as well as wall time.

The student's processes are those of the sandbox user (real, effective or saved uid)
when there is one, else every descendant of this process (the grader is a
subreaper: orphans of the student's come back to it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from autograder.sandbox.limits import Identity, descendants, user_processes

T = TypeVar("T")
TICKS = os.sysconf("SC_CLK_TCK")
FREEZE_ROUNDS = 5  # a forking process can make new children while we stop the others


def _stat(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _runtime_ns(pid: int) -> int:
    """Nanoseconds on a CPU of every thread of ``pid`` (ticks of its stat where the
    kernel keeps no schedstat)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            fields = _stat(pid)
            return int((int(fields[11]) + int(fields[12])) / TICKS * 1e9) if len(fields) > 12 else 0
    return total


class SandboxStopwatch:
    """Times calls while the student's code lives in other processes."""

    guarantees = {"frozen_student": True, "student_cpu": "process tree"}

    def __init__(self, identity: Identity):
        self.identity = identity

    def student_pids(self) -> list[int]:
        """The sandbox user's processes and every descendant of ours (the wrappers of
        a namespace among them, which reap the student's orphans)."""
        pids = set(descendants(os.getpid()))
        if self.identity.dedicated and self.identity.uid is not None:
            pids.update(user_processes(self.identity.uid))
        return sorted(pids)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the student's live processes (every thread, to the
        nanosecond: ``schedstat``) and by the ones they (or we) reaped (clock ticks)."""
        total = 0.0
        for pid in self.student_pids():
            fields = _stat(pid)
            if len(fields) > 14:
                total += (int(fields[13]) + int(fields[14])) / TICKS  # cutime, cstime: reaped children
                total += _runtime_ns(pid) / 1e9
        own = os.times()
        return total + own.children_user + own.children_system

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """Every process of the student's stopped for the duration of the block."""
        stopped: list[int] = []
        try:
            for _ in range(FREEZE_ROUNDS):
                fresh = [pid for pid in self.student_pids() if pid not in stopped]
                if not fresh:
                    break
                for pid in fresh:
                    _signal(pid, signal.SIGSTOP)
                stopped += fresh
            yield
        finally:
            for pid in set(stopped) | set(self.student_pids()):
                _signal(pid, signal.SIGCONT)

    def trusted(self, fn: Callable[[], T]) -> tuple[T, float]:
        with self.frozen():
            started = time.perf_counter()
            result = fn()
            return result, time.perf_counter() - started

    def student(self, fn: Callable[[], T]) -> tuple[T, float]:
        cpu, started = self.cpu_seconds(), time.perf_counter()
        result = fn()
        wall = time.perf_counter() - started
        return result, max(wall, self.cpu_seconds() - cpu)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)
