"""What a call's result shares with its arguments (``aliased_inputs``), on both paths: in
the grader's process (DirectStudent, a laptop) and across a real sandbox process. A
result that holds itself, or that no code can walk, is no argument returned."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import numpy as np
import pytest

from autograder.runtime.calls import DirectStudent, aliased_inputs
from autograder.runtime.testkit import GradingFailure, check_new_array
from tests.conftest import ROOT

STUDENT = '''
import numpy as np

def returns_x(x, pad):
    return x

def returns_view(x, pad):
    return x[:, 1:]

def returns_copy(x, pad):
    return x.copy()

def returns_itself(x, pad):
    cache = {"x": x}
    cache["me"] = cache
    return x * 2, cache

class Hostile(dict):
    def items(self):
        raise RuntimeError("no")

def returns_hostile(x, pad):
    return x * 2, Hostile(x=x)
'''
CALLS = ["returns_x", "returns_view", "returns_copy", "returns_itself"]
EXPECTED = {"returns_x": [[0, 0]], "returns_view": [[0, 0]], "returns_copy": [], "returns_itself": [[0, 0]]}


def test_in_the_graders_process():
    module = types.ModuleType("student")
    exec(STUDENT, module.__dict__)
    student = DirectStudent(module)
    seen = {}
    for name in [*CALLS, "returns_hostile"]:  # (the sandbox refuses to send that one back)
        getattr(student, name)(np.ones((2, 3)), 0)
        seen[name] = [list(p) for p in aliased_inputs(student)]
    assert seen == {**EXPECTED, "returns_hostile": []}
    student.returns_x(np.ones((2, 3)), 0)
    with pytest.raises(GradingFailure, match="returned x itself"):
        check_new_array(student, call="returns_x(x, 0)", names=("x", "pad"))
    student.returns_copy(np.ones((2, 3)), 0)
    check_new_array(student, call="returns_copy(x, 0)", names=("x", "pad"))


SCRIPT = '''
import json, shutil, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import numpy as np
from autograder.runtime.config import SandboxLimits
from autograder.sandbox.limits import Identity
from autograder.sandbox.proxy import Sandbox, SandboxSpec, StudentProxy
from autograder.runtime.calls import aliased_inputs

run = Path(tempfile.mkdtemp(prefix="aliasing-test-"))
package = run / "submission" / "probe"
package.mkdir(parents=True)
(package / "__init__.py").write_text("")
(package / "m.py").write_text(sys.argv[2])
names = json.loads(sys.argv[3])
spec = SandboxSpec(python=sys.executable, package="probe", package_parent=run / "submission",
                   exports={n: "m" for n in names}, run_dir=run, identity=Identity(), isolate=False,
                   limits=SandboxLimits(call_timeout_seconds=20, memory_mb=1024, max_file_mb=1))
sandbox = Sandbox(spec)
student = StudentProxy(sandbox)
out = {}
try:
    sandbox.start()
    for name in names:
        getattr(student, name)(np.ones((2, 3)), 0)
        out[name] = [list(p) for p in aliased_inputs(student)]
finally:
    sandbox.close()
    shutil.rmtree(run, ignore_errors=True)
print(json.dumps(out))
'''


def test_across_the_sandbox():
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), STUDENT, json.dumps(CALLS)],
                          capture_output=True, text=True, timeout=300, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == EXPECTED
