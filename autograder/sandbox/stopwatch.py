"""The ``stopwatch`` of a sandboxed grading (see :mod:`autograder.runtime.stopwatch`): the
trusted side's calls are timed by this process's CPU time with every process of the
student's stopped, the student's calls by the CPU time of everything its code ran
during them. CPU against CPU: neither side's time depends on how busy the machine is,
nor on the framework's waits (passing arrays through pipes between two processes
costs context switches that the reference, timed here, never pays).

What "everything" is, by what the machine gives:

- **The sandbox's cgroup counts CPU** (v2's ``cpu.stat``, v1's ``cpuacct``): the
  group's CPU time over the call. Every thread and process that was ever in the group
  is in it, those that ended (a thread joined, a child the kernel reaped because
  SIGCHLD is ignored) included, and nothing of the student's can leave the group.
- **Otherwise** (Gradescope's container: its cgroup file system is read-only): the
  sum of the CPU clocks of the student's processes (``CLOCK_PROCESS_CPUTIME_ID`` of
  each, read from here: every thread of the process, those that ended included, to
  the nanosecond). What such a sum cannot see is a process that ends during the call
  (reaped by the kernel or by another of the student's processes), so during a timed
  call none may start (``RLIMIT_NPROC`` of every process of the student's is 0: new
  threads are refused too, which also keeps a thread from being made there) and none
  may end: a call where the set of processes changed raises
  :class:`~autograder.runtime.stopwatch.TimingRefused`. The limit cannot be raised
  again without a privilege Gradescope's container does not give, so the student's
  process is restarted before the next call that is not timed.

The student's processes are those of the sandbox user (real, effective or saved uid)
when there is one, else every descendant of this process (the grader is a
subreaper: orphans of the student's come back to it).
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from autograder.runtime import outcomes
from autograder.runtime.stopwatch import TimingRefused
from autograder.sandbox import protocol
from autograder.sandbox.limits import Identity, descendants, user_processes

if TYPE_CHECKING:
    from autograder.sandbox.supervisor import Sandbox

T = TypeVar("T")
TICKS = os.sysconf("SC_CLK_TCK")
FREEZE_ROUNDS = 5  # a forking process can make new children while we stop (or limit) the others
CPUCLOCK_SCHED = 2  # the kernel's per-process CPU clock: sum_exec_runtime of every thread, ended ones included

REFUSED = ("A process of your code started or ended during a timed call, so its work could not all be "
           "counted: the bonus times the work done in your own process (its threads included), and no process "
           "may start or end while a call is timed. This call earns no speed points.")


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds of process ``pid``, every thread of it, those that ended included
    (the process's CPU clock, to the nanosecond; the ticks of its stat where the clock
    cannot be read); 0 for a process that is gone."""
    try:
        return time.clock_gettime_ns((~pid << 3) | CPUCLOCK_SCHED) / 1e9
    except OSError:
        fields = _stat(pid)
        return (int(fields[11]) + int(fields[12])) / TICKS if len(fields) > 12 else 0.0


def _stat(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


class SandboxStopwatch:
    """Times calls while the student's code lives in other processes."""

    def __init__(self, identity: Identity, sandbox: Sandbox | None = None):
        self.identity = identity
        self.sandbox = sandbox
        counted = sandbox is not None and sandbox.cgroup is not None and sandbox.cgroup.cpu_seconds() is not None
        self.guarantees = {"frozen_student": True,
                           "student_cpu": "cgroup" if counted else "processes, none may start or end while timed"}

    def student_pids(self) -> list[int]:
        """The sandbox user's processes and every descendant of ours (the wrappers of
        a namespace among them, which reap the student's orphans)."""
        pids = set(descendants(os.getpid()))
        if self.identity.dedicated and self.identity.uid is not None:
            pids.update(user_processes(self.identity.uid))
        return sorted(pids)

    def cpu_seconds(self, pids: Iterable[int] | None = None) -> float:
        """CPU time used so far by the student's live processes (every thread, ended
        ones included), by the children they reaped, and by the ones we reaped."""
        total = 0.0
        for pid in self.student_pids() if pids is None else pids:
            fields = _stat(pid)
            if len(fields) > 14:
                total += (int(fields[13]) + int(fields[14])) / TICKS  # cutime, cstime: reaped children
                total += process_cpu_seconds(pid)
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
        """``(fn(), seconds)``: this process's CPU time over ``fn``, the student's
        processes stopped meanwhile."""
        with self.frozen():
            started = time.process_time()
            result = fn()
            return result, time.process_time() - started

    def student(self, fn: Callable[[], T]) -> tuple[T, float]:
        """``(fn(), seconds)``: the CPU time of everything the student's code ran
        meanwhile (see the module); raises TimingRefused when that cannot be counted."""
        sandbox = self.sandbox
        if sandbox is not None and sandbox.untimed_since_timing:
            sandbox.start_afresh()  # nothing an untimed call showed the code (hidden inputs) reaches its timing
        elif sandbox is not None:
            sandbox.ensure_started()  # a start is the framework's time, not the call's
        group = sandbox.cgroup if sandbox is not None else None
        if group is not None and group.cpu_seconds() is not None:
            return self._timed(fn, lambda: group.cpu_seconds() or 0.0)
        before = self._no_new_processes()
        result, seconds = self._timed(fn, lambda: self.cpu_seconds(before))
        if set(self.student_pids()) != before:
            raise TimingRefused(REFUSED, reason=outcomes.FAILED)
        return result, seconds

    def framework_seconds(self, args: object, result: object) -> float:
        """CPU seconds the student's process spends in the framework's code, not the
        student's, to take ``args`` in and give ``result`` back (decoding the one and
        encoding the other, as its process does for a call). A speed test charges the
        reference as much (:func:`autograder.runtime.stopwatch.measure_speedup`), so
        that moving arrays through the sandbox costs the student nothing."""
        blobs: list[bytes] = []
        sent = io.BytesIO()  # the grader's own part of a call (never the student's time)
        protocol.write_frame(sent.write, {"args": protocol.encode(args, blobs)}, blobs)
        started = time.process_time()
        incoming = io.BytesIO(sent.getvalue())
        header, received = protocol.read_frame(lambda n: _read_exact(incoming, n), 1 << 40)
        protocol.decode(header["args"], received, lambda handle: None)
        out: list[bytes] = []
        protocol.write_frame(io.BytesIO().write, {"value": protocol.encode(result, out)}, out)
        return time.process_time() - started

    def _timed(self, fn: Callable[[], T], cpu: Callable[[], float]) -> tuple[T, float]:
        if self.sandbox is not None:
            self.sandbox.timing = True
        try:
            spent = cpu()
            result = fn()
            return result, cpu() - spent
        finally:
            if self.sandbox is not None:
                self.sandbox.timing = False

    def _no_new_processes(self) -> set[int]:
        """Every process of the student's limited to no new process or thread
        (RLIMIT_NPROC 0, soft and hard); the set of them. The student's process is
        marked for a restart before its next call that is not timed."""
        if self.sandbox is not None:
            self.sandbox.restart_before_untimed_call()
        limited: set[int] = set()
        for _ in range(FREEZE_ROUNDS):
            fresh = [pid for pid in self.student_pids() if pid not in limited]
            if not fresh:
                break
            _limit_processes(fresh, self.identity)
            limited.update(fresh)
        return set(self.student_pids())


def _read_exact(stream: io.BytesIO, n: int) -> bytes:
    data = stream.read(n)
    if len(data) < n:
        raise EOFError
    return data


def _limit_processes(pids: list[int], identity: Identity) -> None:
    """RLIMIT_NPROC 0 for ``pids``: directly where we may (our own processes, or root
    with CAP_SYS_RESOURCE), else as the sandbox user (a process may lower the limits of
    its own user's processes), which is how it goes in Docker's default capabilities."""
    refused = []
    for pid in pids:
        try:
            resource.prlimit(pid, resource.RLIMIT_NPROC, (0, 0))
        except ProcessLookupError:
            pass
        except (PermissionError, OSError):
            refused.append(pid)
    if refused and identity.dedicated and identity.uid is not None:
        subprocess.run(["/bin/true"], user=identity.uid, group=identity.gid, extra_groups=[],
                       preexec_fn=lambda: _prlimit_all(refused), check=False)


def _prlimit_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            resource.prlimit(pid, resource.RLIMIT_NPROC, (0, 0))


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


__all__ = ["REFUSED", "SandboxStopwatch", "TimingRefused", "process_cpu_seconds"]
