"""The student's private view of the system (autograder/sandbox/isolation.py), seen
from inside: as root with the sandbox user, and as an ordinary user (a TA's laptop)
with bubblewrap or unprivileged user namespaces, wherever this machine has them. Each
mechanism runs a real Sandbox whose "student" reports what it can see and do."""

from __future__ import annotations

import dataclasses
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.build.autograder_zip import grader_requirements
from autograder.runtime import outcomes
from autograder.runtime.config import SandboxLimits
from autograder.sandbox import isolation
from autograder.sandbox.limits import sandbox_identity
from autograder.sandbox.proxy import Sandbox, SandboxError, SandboxSpec
from autograder.staff import simulate
from tests.conftest import ASSIGNMENT, quiet, slack

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e  # the real setup.sh's venv, the sandbox user, namespaces
# Run after the other modules, with nothing grading in the background (conftest): its
# sandbox processes have no grader above them, which the hostile corpus's checks would
# count as left behind.
GRADES_ALONE = 2  # after test_hostile (whose leftover checks would count its scratch folders)


@pytest.fixture(scope="module", autouse=True)
def _alone():
    quiet()

LOOK = '''
import os, socket

def look(secret_dirs):
    seen = {}
    seen["uid"] = os.getuid()
    try:
        seen["top"] = sorted(os.listdir("/"))
    except OSError:  # Landlock: "/" itself may not be listed
        seen["top"] = []
    seen["secret_dirs_visible"] = [d for d in secret_dirs if os.path.exists(d)]
    seen["secret_dirs_listable"] = []
    for d in secret_dirs:
        try:
            os.listdir(d)
            seen["secret_dirs_listable"].append(d)
        except OSError:
            pass
    try:
        open("/usr/planted", "w").close()
        seen["wrote_usr"] = True
    except OSError:
        seen["wrote_usr"] = False
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1).close()
        seen["network"] = "connected"
    except OSError as err:
        seen["network"] = err.strerror or str(err)
    seen["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit()) if os.path.isdir("/proc") else []
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    seen["caps"] = status["CapEff"].strip()
    seen["no_new_privs"], seen["seccomp"] = status["NoNewPrivs"].strip(), status["Seccomp"].strip()
    try:
        with open("/proc/1/cmdline", "rb") as f:
            seen["pid1"] = f.read().replace(b"\\0", b" ").decode(errors="replace")
    except OSError as err:
        seen["pid1"] = ""
    with open(os.path.join(os.environ["HOME"], "scratch.txt"), "w") as f:
        f.write("the scratch folder is writable")
    return seen
'''

SCRIPT = """
import json, shutil, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from autograder.sandbox.limits import sandbox_identity
from autograder.sandbox.proxy import Sandbox, SandboxSpec
python, mechanisms, look, secret = sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
run = Path(tempfile.mkdtemp(prefix="isolation-test-"))
package = run / "submission" / "probe"
package.mkdir(parents=True)
(package / "__init__.py").write_text("")
(package / "m.py").write_text(look)
spec = SandboxSpec(python=python, package="probe", package_parent=run / "submission", exports={"look": "m"},
                   run_dir=run, identity=sandbox_identity(),
                   mechanisms=None if mechanisms is None else tuple(mechanisms))
sandbox = Sandbox(spec)
try:
    sandbox.start()
    seen = sandbox.call("look", (secret,), {})
finally:
    sandbox.close()
    shutil.rmtree(run, ignore_errors=True)
print(json.dumps({"protections": sandbox.protections(), "seen": seen}))
"""


@pytest.fixture(scope="module")
def grading_python(tmp_path_factory):
    """The grading venv's interpreter (numpy inside, readable by every user), made by
    the real setup.sh as make grade makes it."""
    root = tmp_path_factory.mktemp("setup")
    (root / "source").mkdir()
    shutil.copy(ROOT / "autograder" / "grade" / "gradescope" / "setup.sh", root / "source" / "setup.sh")
    (root / "source" / "requirements.txt").write_text(grader_requirements(ASSIGNMENT))
    home = simulate.grader_home()
    home.mkdir(parents=True, exist_ok=True)
    venv = simulate.setup(root, home, simulate.grading_python())
    return str(venv / "bin" / "python")


def secret_dirs() -> list[str]:
    dirs = [
        str(ROOT),
        str(ROOT / "solutions"),
        "/root",
        "/home",
        str(simulate.grader_home() / "runs"),
        tempfile.gettempdir(),
    ]
    return [d for d in dirs if os.path.exists(d)]


def sandbox_report(python: str, mechanisms: list[str] | None, as_user: str | None = None) -> dict:
    argv = [python, "-c", SCRIPT, str(ROOT), python, json.dumps(mechanisms), LOOK, json.dumps(secret_dirs())]
    if as_user is not None:
        argv = ["setpriv", f"--reuid={as_user}", f"--regid={pwd.getpwnam(as_user).pw_gid}", "--clear-groups", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_isolated(report: dict) -> None:
    seen = report["seen"]
    assert seen["secret_dirs_visible"] == [], seen
    assert (
        set(seen["top"])
        <= {
            "bin",
            "sbin",
            "lib",
            "lib32",
            "lib64",
            "libx32",
            "usr",
            "etc",
            "opt",
            "dev",
            "proc",
            "sandbox",
            "root",
            "home",
        }
        - {"root", "home"}
        | _interpreter_tops()
    ), seen["top"]
    assert seen["wrote_usr"] is False
    assert seen["network"] in ("Network is unreachable", "Connection refused", "Operation not permitted")
    assert len(seen["pids"]) <= 3, seen["pids"]  # init, the student's process, maybe one helper
    assert int(seen["caps"], 16) == 0, "no capabilities inside"
    assert (seen["no_new_privs"], seen["seccomp"]) == ("1", "2"), seen
    assert str(ROOT) not in seen["pid1"] and "/tmp/" not in seen["pid1"] and "plan.json" not in seen["pid1"], seen
    protections = report["protections"]
    assert protections["no_new_privs"] and protections["seccomp_filter"], protections
    assert protections["private_filesystem"] and protections["network_namespace"] and protections["pid_namespace"]


def _interpreter_tops() -> set[str]:
    """Top-level folders the grading interpreter lives under (e.g. opt for /opt/...)."""
    return {Path(p).parts[1] for p in (str(simulate.grader_home()), sys.base_prefix) if len(Path(p).parts) > 1}


def _unshare_works(user: bool) -> bool:
    if shutil.which("unshare") is None:
        return False
    extra = ["--user", "--map-root-user"] if user else []
    argv = ["unshare", *extra, "--mount", "--pid", "--net", "--fork", "true"]
    if user and os.geteuid() == 0:
        argv = ["setpriv", "--reuid=nobody", f"--regid={pwd.getpwnam('nobody').pw_gid}", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True).returncode == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox user exists only when grading as root")
def test_as_root_the_sandbox_user_gets_a_private_view(grading_python):
    if not _unshare_works(user=False):
        pytest.skip("namespaces are refused on this machine")
    report = sandbox_report(grading_python, None)
    assert report["protections"]["isolation"] == "unshare"
    sandbox_uids = {p.pw_uid for p in pwd.getpwall() if p.pw_name.startswith("grader-sandbox")}
    assert report["seen"]["uid"] in sandbox_uids  # one user per concurrent run
    assert_isolated(report)


def _small_package(python: str, source: str) -> tuple[Path, SandboxSpec]:
    run = Path(tempfile.mkdtemp(prefix="isolation-test-"))  # where the runner puts it: reachable by the user
    package = run / "submission" / "probe"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "m.py").write_text(source)
    for path in (run, run / "submission", package):
        os.chmod(path, 0o755)
    return run, SandboxSpec(python=python, package="probe", package_parent=run / "submission",
                            exports={"add": "m"}, run_dir=run, identity=sandbox_identity())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
@pytest.mark.parametrize("mechanism", ["unshare --user", "bubblewrap"])
def test_as_an_ordinary_user(grading_python, mechanism):
    """A TA grading on a laptop: no sandbox user, but the same private view."""
    if os.stat(ROOT).st_mode & 0o005 != 0o005 or any(os.stat(p).st_mode & 0o001 == 0 for p in ROOT.parents):
        pytest.skip("the checkout is not readable by other users")
    if mechanism == "bubblewrap" and shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    if not _unshare_works(user=True):
        pytest.skip("unprivileged user namespaces are refused on this machine")
    report = sandbox_report(grading_python, [mechanism], as_user="nobody")
    assert report["protections"]["isolation"] == mechanism, report["protections"]
    assert report["protections"]["unprivileged_user"] is False
    assert_isolated(report)


def _adds_up(python: str, extra: str = "") -> dict:
    """A sandbox's protections, once its student's ``add(2, 3)`` has answered 5
    (``extra``: more of the student's module, run at its import)."""
    run, spec = _small_package(python, "def add(a, b):\n    return a + b\n" + extra)
    sandbox = Sandbox(spec)
    try:
        sandbox.start()
        assert sandbox.call("add", (2, 3), {}) == 5
    finally:
        sandbox.close()
        shutil.rmtree(run, ignore_errors=True)
    assert all(not d.exists() for d in sandbox_group_dirs(sandbox))
    return sandbox.protections()


def test_missing_tools_fall_back_without_failing(grading_python, tmp_path, monkeypatch):
    """No unshare, no bubblewrap (or namespaces refused): the child still runs, under
    the user and the limits, and the record says why there is no private view."""
    monkeypatch.setattr(isolation.shutil, "which", lambda name: None)
    protections = _adds_up(grading_python)
    assert protections["isolation"] == "none" and not protections["private_filesystem"]
    assert protections["no_new_privs"] and protections["seccomp_filter"], protections
    if _landlock_abi() > 0:  # then the file system is confined without any namespace
        assert protections["landlock"] and protections["filesystem_confined"], protections
    assert "not installed" in protections["isolation_note"]


def _landlock_abi() -> int:
    from autograder.sandbox import landlock

    return landlock.abi()


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox user exists only when grading as root")
def test_without_namespaces_landlock_keeps_the_file_system_out_of_reach(grading_python, monkeypatch):
    """The fallback (no unshare, no bubblewrap: Gradescope's container): the student's
    process still sees none of the secret folders, cannot write outside its scratch
    folder, and has no network."""
    if _landlock_abi() <= 0:
        pytest.skip("this kernel has no Landlock")
    report = sandbox_report(grading_python, [])  # no mechanism: the user, the limits, seccomp, Landlock
    seen, protections = report["seen"], report["protections"]
    assert protections["isolation"] == "none" and protections["landlock"], protections
    assert seen["secret_dirs_listable"] == [], seen  # (they exist: stat is not confined, opening is)
    assert seen["wrote_usr"] is False
    assert seen["network"] == "Operation not permitted", seen
    assert (seen["no_new_privs"], seen["seccomp"]) == ("1", "2"), seen


HOG = """
import os, time

def hog(children, mb):
    pids = []
    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            block = bytearray(mb * 2**20)  # touched: resident, each under the per-process limit
            time.sleep(30)
            os._exit(0)
        pids.append(pid)
    time.sleep(30)
    return len(pids)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="only root creates a cgroup for the sandbox user")
def test_memory_is_limited_for_all_the_students_processes_together(grading_python):
    """Each process stays under its rlimit, together they pass the sandbox's memory:
    where a cgroup can be made, the kernel stops them and the student is told why."""
    from autograder.sandbox import cgroup

    group, note = cgroup.create(64, 8)
    if group is None:
        pytest.skip(f"no cgroup can be created here: {note}")
    group.remove()
    run, spec = _small_package(grading_python, HOG)
    spec = dataclasses.replace(spec, exports={"hog": "m"}, limits=SandboxLimits(memory_mb=256, call_timeout_seconds=20),
                               mechanisms=())
    sandbox = Sandbox(spec)
    try:
        assert sandbox.protections()["whole_sandbox_limits"] is True
        sandbox.start()
        with pytest.raises(SandboxError) as raised:
            sandbox.call("hog", (4, 100), {})
        assert "256 MB of memory in all" in raised.value.grading_message
    finally:
        sandbox.close()
        shutil.rmtree(run, ignore_errors=True)
    assert all(not d.exists() for d in sandbox_group_dirs(sandbox))


def sandbox_group_dirs(sandbox) -> tuple:
    return () if sandbox.cgroup is None else sandbox.cgroup.dirs


def test_an_isolation_that_fails_to_start_is_left_for_the_next(grading_python, monkeypatch):
    """The first start is the check: a wrapper that exits before the child's hello (as
    unshare does where the kernel refuses namespaces) is left out, the record names it
    and what it wrote to stderr, and the child runs under the user and the limits."""
    refused = isolation.Isolation(
        "unshare", ("/bin/sh", "-c", "echo 'unshare: unshare failed: Operation not permitted' >&2; exit 1", "sh"),
        drops_privileges=True)
    monkeypatch.setattr(isolation, "_candidates", lambda *a, **k: ([refused], []))
    protections = _adds_up(grading_python)
    assert protections["isolation"] == "none" and protections["private_filesystem"] is False
    assert protections["isolation_note"] == "unshare: exit code 1: unshare: unshare failed: Operation not permitted"


@pytest.mark.skipif(os.geteuid() != 0 or not _unshare_works(user=False), reason="needs namespaces as root")
def test_a_submission_that_dies_at_import_keeps_the_isolation(grading_python):
    """The hello comes before anything of the student's is loaded: code that kills its
    process at import is a broken import, never a reason to start it with less."""
    run, spec = _small_package(grading_python, "import os\nos._exit(3)\n")
    sandbox = Sandbox(spec)
    try:
        with pytest.raises(SandboxError):
            sandbox.start()
    finally:
        sandbox.close()
        shutil.rmtree(run, ignore_errors=True)
    assert sandbox.protections()["isolation"] == "unshare", sandbox.protections()


FORGE = """
import sys
sys.modules["__main__"].CONFINEMENT.update({"seccomp": False, "landlock": False, "no_new_privs": False,
                                            "note": "FORGED", "landlock_note": "FORGED"})
"""


def test_what_the_students_code_says_of_its_confinement_is_not_believed(grading_python, monkeypatch):
    """The child reports its seccomp filter and Landlock rules in its hello, before it
    loads the student's modules, which could otherwise rewrite the report (both ways:
    hide a protection, or claim one that failed)."""
    monkeypatch.setattr(isolation.shutil, "which", lambda name: None)  # as in Gradescope's container
    protections = _adds_up(grading_python, FORGE)
    assert protections["seccomp_filter"] and protections["no_new_privs"], protections
    assert "FORGED" not in json.dumps(protections)
    if _landlock_abi() > 0:
        assert protections["landlock"], protections


SOCKETS = """
import socket


def families():
    tried = {}
    for name in ("AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET", "AF_VSOCK"):
        family = getattr(socket, name, None)
        if family is None:
            continue
        try:
            socket.socket(family, socket.SOCK_DGRAM if name == "AF_NETLINK" else socket.SOCK_STREAM).close()
            tried[name] = "created"
        except OSError as err:
            tried[name] = err.strerror or str(err)
    a, b = socket.socketpair()  # two ends of its own: multiprocessing's pipes need it
    a.sendall(b"x")
    tried["socketpair"] = b.recv(1).decode()
    return tried
"""


def test_no_socket_of_any_family_even_without_namespaces(grading_python, monkeypatch):
    """Without a network namespace (Gradescope's container) the filter alone keeps the
    student's code off the network and off the machine's local daemons: no socket of
    any family (a UNIX socket reaches daemons Landlock does not guard); socketpair works."""
    monkeypatch.setattr(isolation.shutil, "which", lambda name: None)
    run, spec = _small_package(grading_python, SOCKETS)
    spec = dataclasses.replace(spec, exports={"families": "m"})
    sandbox = Sandbox(spec)
    try:
        sandbox.start()
        tried = sandbox.call("families", (), {})
    finally:
        sandbox.close()
        shutil.rmtree(run, ignore_errors=True)
    assert tried.pop("socketpair") == "x"
    assert tried and all(v == "Operation not permitted" for v in tried.values()), tried


POKE = """
import errno, os


def poke(pid):
    try:
        os.kill(pid, 0)
        return "reached"
    except OSError as err:
        return errno.errorcode[err.errno]
"""


def test_without_namespaces_the_student_cannot_signal_a_process_outside_its_own(grading_python, monkeypatch):
    """Gradescope's container has no PID namespace: every process of the sandbox user
    is a kill() away, the grader's own helpers that run as that user included. Landlock's
    signal scope (ABI 6) keeps the student's signals to its own processes."""
    if _landlock_abi() < 6:
        pytest.skip("this kernel has no Landlock scopes (ABI 6, Linux 6.12)")
    monkeypatch.setattr(isolation.shutil, "which", lambda name: None)  # as in Gradescope's container
    run, spec = _small_package(grading_python, POKE)
    spec = dataclasses.replace(spec, exports={"poke": "m"})
    ident = spec.identity
    sandbox = Sandbox(spec)
    outside = None
    try:
        sandbox.start()
        # the same user as the student's process (or ourselves, not root), outside its sandbox
        outside = subprocess.Popen(["sleep", "60"], user=ident.uid, group=ident.gid,
                                   extra_groups=[] if ident.dedicated else None)
        assert sandbox.call("poke", (outside.pid,), {}) == "EPERM"
        assert sandbox.call("poke", (os.getpid(),), {}) in ("EPERM", "ESRCH")
    finally:
        if outside is not None:
            outside.kill()
            outside.wait()
        sandbox.close()
        shutil.rmtree(run, ignore_errors=True)
    protections = sandbox.protections()
    assert protections["isolation"] == "none" and protections["signals_confined"], protections


FILLER = """
import os, time


def start_filling():
    if os.fork() == 0:  # in the background, while the calls come back at once
        os.setsid()
        for i in range(40):
            with open(os.path.join(os.environ["HOME"], f"f{i}"), "wb") as f:
                f.write(b"x" * (8 * 2**20))
        time.sleep(60)
        os._exit(0)
    return True


def quick():
    return 1
"""


def test_a_background_writer_is_stopped_at_the_scratch_limit(grading_python, monkeypatch):
    """Without a private tmpfs the scratch folder is on the machine's disk, and its
    size is measured by the grader: between calls too, so that a process writing in
    the background while every call returns at once is stopped all the same."""
    monkeypatch.setattr(isolation.shutil, "which", lambda name: None)
    run, spec = _small_package(grading_python, FILLER)
    spec = dataclasses.replace(spec, exports={"start_filling": "m", "quick": "m"},
                               limits=SandboxLimits(max_file_mb=16))  # a scratch folder of 64 MB
    sandbox = Sandbox(spec)
    stopped = None
    try:
        sandbox.start()
        assert sandbox.call("start_filling", (), {}) is True
        deadline = time.monotonic() + 60 * slack()
        while stopped is None and time.monotonic() < deadline:
            try:
                sandbox.call("quick", (), {})
            except SandboxError as err:
                stopped = err
    finally:
        sandbox.close()
        shutil.rmtree(run, ignore_errors=True)
    assert stopped is not None and stopped.reason == outcomes.DISK_FULL, stopped


KEEP = """
import weakref

import numpy as np

_ALIVE = []  # weak references to every cache's columns


def make(n):
    columns = np.ones(n)
    _ALIVE.append(weakref.ref(columns))
    return columns[:3].copy(), {"columns": columns}


def alive():
    return sum(ref() is not None for ref in _ALIVE)


def use(cache):
    return float(cache["columns"].sum())
"""


def test_kept_results_stay_in_the_students_process(grading_python):
    """A speed test's cache (autograder.runtime.stopwatch.kept): the items asked for stay
    in the student's process, a handle comes back and the next call gets the object
    itself; nothing of it is copied (its 32 MB would be, twice, as plain data)."""
    from autograder.runtime.stopwatch import forget, kept
    from autograder.sandbox.proxy import RemoteHandle, StudentProxy

    run, spec = _small_package(grading_python, KEEP)
    sandbox = Sandbox(dataclasses.replace(spec, exports={"make": "m", "use": "m", "alive": "m"}))
    try:
        sandbox.start()
        student = StudentProxy(sandbox)
        out, cache = kept(student.make, 1)(4 * 2**20)
        assert isinstance(cache, RemoteHandle) and list(out) == [1.0, 1.0, 1.0]
        assert student.use(cache) == 4 * 2**20
        forget(cache)
        out, cache = student.make(10)  # not kept: plain data, as before
        assert isinstance(cache, dict) and cache["columns"].shape == (10,)
        # forget() lets the student's process drop a kept cache at its next call: every
        # timed call's cache piled up there before (a cache-keeping fast.py then measured
        # 10x against 40x for the same work), the handle in a tuple having no way back.
        for _ in range(3):
            _, cache = kept(student.make, 1)(4 * 2**20)
            forget(cache)
        assert student.alive() <= 1  # the last call's result is still referenced, at most
    finally:
        sandbox.close()
        shutil.rmtree(run, ignore_errors=True)


def test_every_process_of_the_students_is_in_its_group(grading_python):
    """The sandbox's cgroup holds the student's process itself, not only the wrapper
    that started it (unshare --fork may fork it before the wrapper is moved): its memory
    limit and the bonus's CPU time count what the student's code runs."""
    from autograder.sandbox.limits import descendants

    run, spec = _small_package(grading_python, "def add(a, b):\n    return a + b\n")
    sandbox = Sandbox(spec)
    try:
        sandbox.start()
        if sandbox.cgroup is None:
            pytest.skip(f"no cgroup here: {sandbox.cgroup_note}")
        assert sandbox.call("add", (2, 3), {}) == 5
        assert sandbox._proc is not None
        tree = {sandbox._proc.pid, *descendants(sandbox._proc.pid)}
        assert tree <= set(sandbox.cgroup.pids()), (tree, sandbox.cgroup.pids(), sandbox.isolation.mechanism)
        if sandbox.cgroup.cpu_seconds() is not None:
            assert sandbox.cgroup.cpu_seconds() > 0
    finally:
        sandbox.close()
        shutil.rmtree(run, ignore_errors=True)
