"""tests/docker_like.py reproduces Gradescope's container (Docker's default
capabilities and seccomp profile, read-only cgroups), checked from inside."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid

import pytest

from tests import docker_like

OK, WHY = docker_like.available()
pytestmark = pytest.mark.skipif(not OK, reason=f"cannot reproduce Docker's confinement here: {WHY}")


def inside(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(docker_like.confined_command(list(argv)), capture_output=True, text=True, timeout=timeout,
                          cwd="/")


def python_inside(code: str) -> subprocess.CompletedProcess:
    return inside(sys.executable, "-I", "-c", textwrap.dedent(code))


@pytest.mark.parametrize("namespace", ["--user", "--mount", "--net", "--pid", "--ipc", "--uts", "--cgroup"])
def test_new_namespaces_are_refused(namespace):
    done = inside("unshare", namespace, "true")
    assert done.returncode != 0
    assert "Operation not permitted" in done.stderr, done.stderr


def test_clone_setns_and_clone3_fail_as_in_docker():
    done = python_inside("""
        import ctypes, errno, os, platform
        libc = ctypes.CDLL(None, use_errno=True)
        numbers = {"x86_64": (56, 308, 435), "aarch64": (220, 268, 435)}[platform.machine()]
        clone, setns, clone3 = numbers
        def errno_of(*args):
            rc = libc.syscall(*args)
            if rc == 0:
                os._exit(0)  # a child: leave at once
            return ctypes.get_errno() if rc < 0 else 0
        for flag in (0x80, 0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000):
            assert errno_of(clone, ctypes.c_ulong(flag | 17), 0, 0, 0, 0) == errno.EPERM, hex(flag)
        fd = os.open("/proc/self/ns/net", os.O_RDONLY)
        assert errno_of(setns, fd, 0) == errno.EPERM
        assert errno_of(clone3, 0, 0) == errno.ENOSYS
        pid = os.fork()  # a plain clone still works
        if pid == 0:
            os._exit(7)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7
        print("ok")
    """)
    assert done.stdout.strip() == "ok", done.stderr


def test_only_dockers_capabilities():
    done = inside("grep", "^Cap", "/proc/self/status")
    assert done.returncode == 0, done.stderr
    caps = dict(line.split(":\t") for line in done.stdout.splitlines())
    docker = f"{docker_like.DOCKER_CAP_MASK:016x}"
    assert docker == "00000000a80425fb"
    assert (caps["CapBnd"], caps["CapPrm"], caps["CapEff"]) == (docker, docker, docker), caps
    assert caps["CapInh"] == caps["CapAmb"] == "0" * 16, caps
    assert inside("id", "-u").stdout.strip() == "0"


def test_no_new_privs_is_not_set_and_seccomp_is_on():
    done = inside("grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/self/status")
    fields = dict(line.split(":\t") for line in done.stdout.splitlines())
    assert fields == {"NoNewPrivs": "0", "Seccomp": "2"}, done.stdout


def test_fork_and_subprocess_work():
    done = python_inside("""
        import os, subprocess, sys
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        out = subprocess.run([sys.executable, "-c", "print('child')"], capture_output=True, text=True, check=True)
        import concurrent.futures, multiprocessing
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
            assert list(pool.map(abs, [-1, -2])) == [1, 2]
        print(out.stdout.strip())
    """)
    assert done.stdout.strip() == "child", done.stderr


def test_useradd_works_as_in_setup_sh():
    name = f"dl-{uuid.uuid4().hex[:8]}"
    try:
        done = inside("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                      "/usr/sbin/nologin", "--user-group", name)
        assert done.returncode == 0, done.stderr
        done = inside("setpriv", f"--reuid={name}", f"--regid={name}", "--clear-groups", "id", "-un")
        assert done.stdout.strip() == name, done.stderr
    finally:
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["groupdel", name], capture_output=True)


def test_cgroups_are_read_only_inside_only():
    if not os.path.isdir("/sys/fs/cgroup"):
        pytest.skip("no /sys/fs/cgroup here")
    done = python_inside("""
        import errno, os
        points = [line.split()[4] for line in open("/proc/self/mountinfo")]
        cgroups = [p for p in points if p == "/sys/fs/cgroup" or p.startswith("/sys/fs/cgroup/")]
        assert cgroups
        for point in cgroups:
            assert os.statvfs(point).f_flag & os.ST_RDONLY, point
            try:
                os.mkdir(os.path.join(point, "docker-like-probe"))
            except OSError as err:
                assert err.errno in (errno.EROFS, errno.EACCES, errno.EPERM), (point, err)
            else:
                raise AssertionError(f"created a folder in {point}")
        assert os.statvfs("/sys").f_flag & os.ST_RDONLY
        print("ok", len(cgroups))
    """)
    assert done.stdout.startswith("ok"), done.stderr
    assert not os.statvfs("/sys/fs/cgroup").f_flag & os.ST_RDONLY or _read_only_outside_already()


def _read_only_outside_already() -> bool:
    """True when this machine itself is already such a container."""
    return os.environ.get(docker_like.MODE_VARIABLE) == docker_like.MODE or not os.access("/sys/fs/cgroup", os.W_OK)


def test_the_mode_is_announced_and_the_command_runs_as_given():
    done = inside("sh", "-c", f'echo "${docker_like.MODE_VARIABLE}"; exit 3')
    assert done.stdout.strip() == docker_like.MODE
    assert done.returncode == 3


def test_as_a_script():
    done = subprocess.run([sys.executable, docker_like.HERE, "--", "sh", "-c", "unshare --user true"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Operation not permitted" in done.stderr, done.stderr
