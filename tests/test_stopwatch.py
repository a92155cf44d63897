"""The bonus's clock (autograder/sandbox/stopwatch.py) on real processes: the CPU of
threads that ended is counted, no process may start or end while a call is timed, and
a cgroup's CPU time counts processes the kernel reaped. The whole gradings are the
hostile corpus's (tests/submissions/cases.yaml, the bonus-* cases)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from autograder.runtime.stopwatch import Stopwatch, TimingRefused, kept
from autograder.sandbox import cgroup
from autograder.sandbox.limits import Identity, descendants
from autograder.sandbox.stopwatch import SandboxStopwatch, process_cpu_seconds

BURN_THREADS = """
import sys, threading, time
def burn():
    end = time.thread_time() + 0.15
    while time.thread_time() < end:
        pass
threads = [threading.Thread(target=burn) for _ in range(2)]
[t.start() for t in threads]
[t.join() for t in threads]
print("done", flush=True)
time.sleep(60)
"""

FORK_ON_REQUEST = """
import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
print("ready", flush=True)
for line in sys.stdin:
    try:
        pid = os.fork()
    except OSError as err:
        print("refused", err.errno, flush=True)
        continue
    if pid == 0:
        os._exit(0)
    print("forked", flush=True)
"""


def _python(code: str) -> subprocess.Popen:
    """``code`` in a new interpreter, as an unprivileged user when we are root (no
    process limit holds for root), once it said its first line."""
    who = {"user": "nobody", "group": "nogroup" if _has_group("nogroup") else "nobody"} if os.geteuid() == 0 else {}
    python = "/usr/bin/python3" if who and os.path.exists("/usr/bin/python3") else sys.executable  # readable by all
    proc = subprocess.Popen([python, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, **who)
    assert proc.stdout is not None
    proc.stdout.readline()  # "done" / "ready"
    return proc


def _has_group(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


class _Watching(SandboxStopwatch):
    """The sandbox's stopwatch watching the given processes (and what they start)
    instead of a sandbox user's: the same counting and refusals, on processes of ours."""

    def __init__(self, procs: list[subprocess.Popen]):
        if os.geteuid() == 0:  # the processes are nobody's: limited as nobody where root may not (Docker)
            import pwd

            entry = pwd.getpwnam("nobody")
            super().__init__(Identity(entry.pw_uid, entry.pw_gid, "nobody"))
        else:
            super().__init__(Identity())
        self.procs = procs

    def student_pids(self) -> list[int]:
        pids = {p.pid for p in self.procs if p.poll() is None}
        for p in list(pids):
            pids.update(descendants(p))
        return sorted(pids)


def _stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        proc.kill()
        proc.wait()


def test_the_cpu_of_threads_that_ended_is_counted():
    proc = _python(BURN_THREADS)
    try:
        deadline = time.monotonic() + 5
        while len(os.listdir(f"/proc/{proc.pid}/task")) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # a joined thread's task may linger a moment
        assert len(os.listdir(f"/proc/{proc.pid}/task")) == 1  # both burners have ended
        assert process_cpu_seconds(proc.pid) >= 0.25
    finally:
        _stop(proc)


def test_no_process_starts_while_a_call_is_timed():
    proc = _python(FORK_ON_REQUEST)
    watch = _Watching([proc])
    assert proc.stdin is not None and proc.stdout is not None

    def ask():
        proc.stdin.write("fork\n")
        proc.stdin.flush()
        return proc.stdout.readline().split()

    try:
        assert ask() == ["forked"]  # untimed: allowed
        answer, _ = watch.student(ask)
        assert answer[0] == "refused", answer  # RLIMIT_NPROC 0 while timed (EAGAIN)
    finally:
        _stop(proc)


def test_a_process_that_ends_during_a_timed_call_is_refused():
    worker, other = _python(FORK_ON_REQUEST), _python(FORK_ON_REQUEST)
    watch = _Watching([worker, other])
    try:
        with pytest.raises(TimingRefused, match="started or ended during a timed call"):
            watch.student(lambda: _stop(other))
        result, seconds = watch.student(lambda: 42)  # the same processes throughout: timed
        assert result == 42 and seconds >= 0
    finally:
        _stop(worker)


def test_the_laptops_stopwatch_counts_its_threads():
    import threading

    def burn():
        end = time.thread_time() + 0.1
        while time.thread_time() < end:
            pass

    def split():
        threads = [threading.Thread(target=burn) for _ in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]

    _, seconds = Stopwatch().student(split)
    assert seconds >= 0.18


def test_kept_leaves_a_local_function_alone():
    def f(x):
        return x, [x]

    assert kept(f, 1) is f


@pytest.mark.skipif(os.geteuid() != 0, reason="a cgroup of our own needs root")
def test_a_cgroups_cpu_counts_children_the_kernel_reaped():
    group, why = cgroup.create(256, 16)
    if group is None or group.cpu_seconds() is None:
        pytest.skip(f"no cgroup with CPU accounting here: {why or 'no cpuacct hierarchy'}")
    code = ("import os, signal, time\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)\n"
            "for _ in range(2):\n    if os.fork() == 0:\n        end = time.process_time() + 0.15\n"
            "        while time.process_time() < end:\n            pass\n        os._exit(0)\ntime.sleep(0.6)\n")
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read(1); " + code.replace("\n", "\n")],
                            stdin=subprocess.PIPE)
    try:
        group.add(proc.pid)
        before = group.cpu_seconds() or 0.0
        assert proc.stdin is not None
        proc.stdin.write(b"x")
        proc.stdin.close()
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while group.pids() and time.monotonic() < deadline:  # the children may outlive their parent
            time.sleep(0.05)
        assert (group.cpu_seconds() or 0.0) - before >= 0.25
    finally:
        group.remove()


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_measure_speedup_pays_for_right_answers_only():
    from autograder.runtime.stopwatch import coarse, measure_speedup
    from autograder.runtime.testkit import GradingFailure

    drawn, trusted_calls = [], []

    def fresh():
        drawn.append(len(drawn))
        return drawn[-1]

    def check(inputs, result):
        if result != inputs * 2:
            raise GradingFailure(f"wrong on input {inputs}")

    speed = measure_speedup(Stopwatch(), fresh_inputs=fresh, student=lambda i: i * 2, check=check,
                            trusted=lambda i: (trusted_calls.append(i), _burn(0.01)), student_calls=3)
    assert drawn == [0, 1, 2, 3] and trusted_calls == [3] and speed > 0  # every call on inputs of its own
    with pytest.raises(GradingFailure, match="wrong on input 5"):
        measure_speedup(Stopwatch(), fresh_inputs=fresh, student=lambda i: i * 2 if i != 5 else 0, check=check,
                        trusted=lambda i: trusted_calls.append(i))
    assert trusted_calls == [3]  # nothing timed for a wrong answer
    assert [coarse(v) for v in (12.37, 7.68, 153.2, 0.0, float("nan"))] == [12, 7.6, 150, 0, 0]
