"""Every condition the sandbox recognises reaches the grader as a reason code on the
exception, set where it is detected: a real student's process (same user, no
namespaces, so it runs anywhere) doing each thing once, the grader in a fresh process
(as in test_protocol), and the sentences' module mapping each condition to its code."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from autograder.runtime import outcomes
from autograder.runtime.config import SandboxLimits
from autograder.sandbox import messages, protocol, supervisor, transport
from tests.conftest import ROOT

STUDENT = '''
import os, signal, sys, time

def fine(x):
    return x + 1

def sleeps():
    time.sleep(100)

def segfaults():
    os.kill(os.getpid(), signal.SIGSEGV)

def exits():
    os._exit(0)

def exits_with(code):
    os._exit(code)

def calls_sys_exit():
    sys.exit(2)

def raises():
    raise ValueError("bad value")

def stub():
    raise NotImplementedError("stub is not implemented yet: write your code here")

def hogs_memory():
    return bytearray(4 * 2**30)

def writes_big_file():
    with open(os.path.join(os.environ["HOME"], "big"), "wb") as f:
        f.write(b"x" * 2 * 2**20)

def fills_folder():
    for i in range(6):
        with open(os.path.join(os.environ["HOME"], f"part{i}"), "wb") as f:
            f.write(os.urandom(2**20 - 4096))
    time.sleep(100)

def burns_cpu():
    os.kill(os.getpid(), signal.SIGXCPU)  # what the kernel sends past RLIMIT_CPU, without the wait

class Box:
    def get(self):
        return 1

    def fails(self):
        raise ValueError("no")

def box():
    return Box()
'''

BROKEN = "raise RuntimeError('broken at import')\n"

SCRIPT = '''
import json, shutil, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from autograder.runtime.config import SandboxLimits
from autograder.sandbox.limits import Identity
from autograder.sandbox.proxy import Sandbox, SandboxError, SandboxSpec, StudentError, StudentProxy

run = Path(tempfile.mkdtemp(prefix="outcomes-test-"))
package = run / "submission" / "probe"
package.mkdir(parents=True)
(package / "__init__.py").write_text("")
(package / "m.py").write_text(sys.argv[2])
(package / "broken.py").write_text(sys.argv[3])
(package / "lacking.py").write_text("x = 1\\n")
names = ["fine", "sleeps", "segfaults", "exits", "exits_with", "calls_sys_exit", "raises", "stub", "hogs_memory",
         "writes_big_file", "fills_folder", "burns_cpu", "box"]
exports = {**{n: "m" for n in names}, "in_broken": "broken", "in_lacking": "lacking", "in_missing": "gone"}
limits = SandboxLimits(call_timeout_seconds=3, memory_mb=1024, max_file_mb=1)
spec = SandboxSpec(python=sys.executable, package="probe", package_parent=run / "submission", exports=exports,
                   run_dir=run, identity=Identity(), isolate=False, limits=limits)
sandbox = Sandbox(spec, unavailable={"gone": "gone.py is missing"})
student = StudentProxy(sandbox)
out = {}

def attempt(label, function, *args):
    try:
        return function(*args)
    except (SandboxError, StudentError) as err:
        out[label] = [err.reason, err.grading_message.splitlines()[0]]

try:
    sandbox.start()
    out["fine"] = [student.fine(1)]
    for label, name, args in [
        ("exits", "exits", ()), ("exits_with", "exits_with", (3,)), ("calls_sys_exit", "calls_sys_exit", ()),
        ("raises", "raises", ()), ("stub", "stub", ()), ("hogs_memory", "hogs_memory", ()),
        ("writes_big_file", "writes_big_file", ()), ("fills_folder", "fills_folder", ()),
        ("burns_cpu", "burns_cpu", ()), ("in_broken", "in_broken", ()), ("in_lacking", "in_lacking", ()),
        ("in_missing", "in_missing", ()),
    ]:
        attempt(label, getattr(student, name), *args)
    for i in range(4):
        attempt(f"sleeps{i}", student.sleeps)
    for i in range(4):
        attempt(f"segfaults{i}", student.segfaults)
    kept = student.box()
    attempt("box_raises", kept.fails)
    attempt("exits_again", student.exits)  # the process dies: the object with it
    attempt("box_after_restart", kept.get)
    sandbox.deadline = time.monotonic() - 1
    attempt("after_budget", student.fine, 1)
finally:
    sandbox.close()
    shutil.rmtree(run, ignore_errors=True)
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def seen() -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), STUDENT, BROKEN], capture_output=True, text=True,
                          timeout=300, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("label, reason", [
    ("exits", outcomes.EXITED),
    ("exits_with", outcomes.EXITED),
    ("calls_sys_exit", outcomes.EXITED),
    ("raises", outcomes.ERROR),
    ("stub", outcomes.NOT_IMPLEMENTED),
    ("hogs_memory", outcomes.MEMORY),
    ("writes_big_file", outcomes.FILE_TOO_LARGE),
    ("fills_folder", outcomes.DISK_FULL),
    ("burns_cpu", outcomes.CPU_TIME),
    ("in_broken", outcomes.UNAVAILABLE),
    ("in_lacking", outcomes.UNAVAILABLE),
    ("in_missing", outcomes.UNAVAILABLE),
    ("sleeps0", outcomes.TIMEOUT),
    ("sleeps2", outcomes.TIMEOUT),
    ("sleeps3", outcomes.SKIPPED_AFTER_TIMEOUTS),
    ("segfaults0", outcomes.CRASHED),
    ("segfaults2", outcomes.CRASHED),
    ("segfaults3", outcomes.SKIPPED_AFTER_CRASHES),
    ("box_after_restart", outcomes.HANDLE_LOST),
    ("after_budget", outcomes.BUDGET),
])
def test_each_condition_carries_its_code(seen, label, reason):
    assert seen["fine"] == [2]
    assert seen[label][0] == reason, seen[label]


def test_the_words_still_say_it(seen):
    """The sentences are unchanged by the codes beside them."""
    assert seen["sleeps0"][1].startswith("Timed out after 3 s while running sleeps")
    assert seen["stub"][1] == "stub is not implemented yet"
    assert seen["in_missing"][1] == "gone.py is missing"
    assert seen["box_raises"][1].startswith("Box.fails raised ValueError"), seen["box_raises"]  # the class named
    assert seen["segfaults0"][1] == "Your code's process crashed (segmentation fault; often running out of the " \
                                    "1024 MB of memory) while running segfaults."


# -- the sentences' module, condition by condition (no process) ---------------------------

LIMITS = SandboxLimits()


@pytest.mark.parametrize("message, reason", [
    (messages.killed(signal.SIGXCPU, "x", LIMITS), outcomes.CPU_TIME),
    (messages.killed(signal.SIGXFSZ, "x", LIMITS), outcomes.FILE_TOO_LARGE),
    (messages.killed(signal.SIGKILL, "x", LIMITS), outcomes.CRASHED),
    (messages.killed(signal.SIGABRT, "x", LIMITS), outcomes.CRASHED),
    (messages.killed(200, "x", LIMITS), outcomes.CRASHED),
    (messages.exited(0, "x"), outcomes.EXITED),
    (messages.timed_out(5, "x"), outcomes.TIMEOUT),
    (messages.stopped_answering("x"), outcomes.CRASHED),
    (messages.over_memory(512, "x"), outcomes.MEMORY),
    (messages.over_disk(64, "x"), outcomes.DISK_FULL),
    (messages.unreadable("x", "d", too_large=True), outcomes.OUTPUT_TOO_LARGE),
    (messages.unreadable("x", "d", too_large=False), outcomes.UNREADABLE),
    (messages.unexpected_reply("x"), outcomes.UNREADABLE),
    (messages.raised("f", {"type": "OSError", "message": "[Errno 28] No space left"}, LIMITS), outcomes.DISK_FULL),
    (messages.raised("f", {"type": "StudentThing", "bases": ["NotImplementedError"]}, LIMITS),
     outcomes.NOT_IMPLEMENTED),
    (messages.raised("f", {"type": "MemoryError"}, LIMITS), outcomes.MEMORY),
    (messages.import_failed("m", {"type": "SyntaxError"}), outcomes.UNAVAILABLE),
    (messages.not_found("f", "m"), outcomes.UNAVAILABLE),
    (messages.broken_at_start(messages.timed_out(10, "importing your code")), outcomes.TIMEOUT),
    (messages.too_many_restarts(100), outcomes.CRASHED),
])
def test_each_sentence_comes_with_its_code(message, reason):
    assert message.reason == reason and message.reason in outcomes.ALL and message.text


def test_a_reply_over_the_limits_is_output_too_large_and_a_malformed_one_unreadable(monkeypatch):
    sandbox = object.__new__(supervisor.Sandbox)
    sandbox.spec, sandbox.generation, sandbox.stopped = None, 1, 0
    sandbox.decoded = protocol.run_budget(supervisor.MAX_RUN_DECODED)
    sandbox._channel = transport.Channel(-1, -1)
    monkeypatch.setattr(supervisor.Sandbox, "stop", lambda self: None)
    for raised, reason in ((protocol.LimitExceeded("too big"), outcomes.OUTPUT_TOO_LARGE),
                           (protocol.ProtocolError("bad header"), outcomes.UNREADABLE),
                           (RecursionError(), outcomes.UNREADABLE)):
        def read_frame(*args, raised=raised):
            raise raised

        monkeypatch.setattr(protocol, "read_frame", read_frame)
        with pytest.raises(supervisor.SandboxError) as caught:
            sandbox._receive(1.0, "running f")
        assert caught.value.reason == reason
