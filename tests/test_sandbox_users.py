"""The sandbox users' slots (autograder/sandbox/limits.py): one per grading process at
once, so that killing "every process of the sandbox user" never reaches another run.
Each check runs in processes of its own: the test session itself holds no slot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox users exist for root's gradings only")

# Holds its slot until told to exit (a line on stdin); prints the users it was given.
HOLDER = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
from autograder.sandbox.limits import sandbox_identity
first, again = sandbox_identity(), sandbox_identity()
read, write = os.pipe()
child = os.fork()
if child == 0:
    os.close(read)
    os.write(write, sandbox_identity().name.encode())
    os._exit(0)
os.close(write)
os.waitpid(child, 0)
forked = os.read(read, 100).decode()
print(json.dumps({"first": first.name, "again": again.name, "forked": forked}), flush=True)
sys.stdin.readline()
"""


def _holder() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", HOLDER, str(ROOT)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def _users(proc: subprocess.Popen) -> dict:
    line = proc.stdout.readline() if proc.stdout else ""
    assert line, "the holder printed nothing"
    return json.loads(line)


def _release(proc: subprocess.Popen) -> None:
    proc.communicate("\n", timeout=30)


def test_a_process_holds_one_slot_and_a_parallel_one_another():
    one = _holder()
    try:
        mine = _users(one)
        # A second call (a test starting several sandboxes in turn) takes no second slot.
        assert mine["again"] == mine["first"]
        # A forked child grades on its own (a warm grader's fork): its own user.
        assert mine["forked"] not in ("", mine["first"])
        two = _holder()
        try:
            theirs = _users(two)
            assert theirs["first"] != mine["first"], "two live gradings were given the same sandbox user"
        finally:
            _release(two)
    finally:
        _release(one)

