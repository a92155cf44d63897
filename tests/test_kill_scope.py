"""Kills and sweeps reach only their own grading's processes (issue 24): real processes
of one uid in three places, a grading process (a helper acting as the grader) that kills
and sweeps, and what survives.

- A: the grading's own student process (its descendant), uid U: killed.
- C: a process of uid U in the same PID namespace that the grading did not start (what a
  killed grading of the same sandbox user left): survives the grading's kill; killed by
  the sweep of strays, which only the holder of U's slot runs.
- B: a process of uid U in another PID namespace (a container's student, or another
  grading's sandbox): survives both.

Before, every kill was ``kill(-1)`` sent as U: all three died. Root only (setuid, unshare).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, slack

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="needs root and unshare: processes of another uid and PID namespace")

GRADER = """
import json, os, subprocess, sys, time
sys.path.insert(0, {root!r})
from autograder.sandbox.limits import Identity, kill_stray_processes, kill_user_processes
uid = {uid}
a = subprocess.Popen(["sleep", "300"], user=uid, group=uid, extra_groups=[], start_new_session=True)
time.sleep(0.3)
print(json.dumps({{"a": a.pid}}), flush=True)
sys.stdin.readline()
left = kill_user_processes(Identity(uid, uid, "test"))
a.wait(timeout=10)
print(json.dumps({{"killed_own": left}}), flush=True)
sys.stdin.readline()
print(json.dumps({{"killed_strays": kill_stray_processes(Identity(uid, uid, "test"))}}), flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _pids_of(uid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    if any(line.startswith("Uid:") and int(line.split()[1]) == uid for line in f):
                        found.add(int(entry))
            except OSError:
                pass
    return found


def test_kills_and_sweeps_stay_in_their_grading():
    uid = random.randrange(3_000_000, 3_900_000)  # a uid nobody on the machine has
    assert not _pids_of(uid)
    # B: another PID namespace (as a container's student); C: ours, not the grading's.
    other_ns = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", "setpriv", f"--reuid={uid}",
                                 f"--regid={uid}", "--clear-groups", "sleep", "300"], start_new_session=True)
    stray = subprocess.Popen(["sleep", "300"], user=uid, group=uid, extra_groups=[], start_new_session=True)
    grader = subprocess.Popen([sys.executable, "-c", GRADER.format(root=str(ROOT), uid=uid)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        own = json.loads(grader.stdout.readline())["a"]
        deadline = time.monotonic() + 10 * slack()
        while len(_pids_of(uid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        everyone = _pids_of(uid)
        in_other_ns = everyone - {own, stray.pid}
        assert own in everyone and stray.pid in everyone and len(in_other_ns) == 1, everyone

        grader.stdin.write("kill\n")
        grader.stdin.flush()
        assert json.loads(grader.stdout.readline()) == {"killed_own": 0}
        assert not _alive(own), "the grading's own process survived its kill"
        assert _alive(stray.pid), "the grading's kill reached a process it did not start"
        assert all(map(_alive, in_other_ns)), "the grading's kill reached another PID namespace"

        grader.stdin.write("sweep\n")
        grader.stdin.flush()
        assert json.loads(grader.stdout.readline()) == {"killed_strays": 0}
        stray.wait(timeout=10 * slack())
        assert all(map(_alive, in_other_ns)), "the sweep of strays reached another PID namespace"
    finally:
        grader.kill()
        for proc in (stray, other_ns):
            proc.kill()
            proc.wait()
        for pid in _pids_of(uid):
            os.kill(pid, signal.SIGKILL)
