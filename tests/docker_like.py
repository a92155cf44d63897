"""Run a command the way Gradescope's Docker container runs run_autograder.

    python tests/docker_like.py -- CMD ARGS...

Root, but:

- only Docker's default capabilities (bounding, permitted and effective sets; the
  inheritable and ambient sets cleared), through util-linux ``setpriv``;
- a seccomp filter like Docker's default profile for a container without
  CAP_SYS_ADMIN: ``unshare`` and ``setns`` fail with EPERM, ``clone`` with any
  CLONE_NEW* flag fails with EPERM, ``clone3`` with ENOSYS (so that libc falls back to
  ``clone``, whose flags the filter can see); the few other calls the profile refuses
  that need no capability (the keyring, userfaultfd, perf_event_open, io_uring) fail
  with EPERM too. Built with libseccomp through ctypes; no_new_privs is not set
  (Docker does not set it);
- a mount namespace of its own (the "container's"), set up before the filter, where
  the cgroup file systems (/sys/fs/cgroup and everything below it), /sys and the
  read-only paths of /proc are read-only, as in a Docker container.

Not reproduced: the container's own PID, network, UTS and IPC namespaces and root
file system (the command sees this machine's processes and files), AppArmor.

As a module: ``confined_command(argv)`` is the command line that runs ``argv`` so;
``available()`` says whether this machine can (root, setpriv, unshare, libseccomp).
The command runs with ``CONVNET_CONFINEMENT=docker-like`` in its environment.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import shutil
import subprocess
import sys

MODE_VARIABLE = "CONVNET_CONFINEMENT"
MODE = "docker-like"

# Docker's default capability set (moby oci/caps/defaults.go).
DOCKER_CAPS = ("chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid", "setuid", "setfcap",
               "setpcap", "net_bind_service", "sys_chroot", "kill", "audit_write")
CAP_NUMBERS = {"chown": 0, "dac_override": 1, "fowner": 3, "fsetid": 4, "kill": 5, "setgid": 6, "setuid": 7,
               "setpcap": 8, "net_bind_service": 10, "net_raw": 13, "sys_chroot": 18, "mknod": 27,
               "audit_write": 29, "setfcap": 31}
DOCKER_CAP_MASK = sum(1 << CAP_NUMBERS[name] for name in DOCKER_CAPS)  # 0x00000000a80425fb

CLONE_NEWTIME = 0x00000080  # in clone() this bit is part of CSIGNAL (no signal uses it)
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEW_ANY = (CLONE_NEWTIME | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                 | CLONE_NEWPID | CLONE_NEWNET)

# Refused by Docker's default profile without a capability being involved.
ALSO_REFUSED = ("keyctl", "add_key", "request_key", "userfaultfd", "perf_event_open", "io_uring_setup",
                "io_uring_enter", "io_uring_register")
# Docker's masked read-only paths of /proc (those that exist are remounted read-only).
PROC_READ_ONLY = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")

# libseccomp
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_MASKED_EQ = 7
SCMP_FLTATR_CTL_NNP = 3  # libseccomp sets no_new_privs unless told not to
SCMP_ARCH_X86 = 0x40000003
SCMP_ARCH_X32 = 0x4000003E


def SCMP_ACT_ERRNO(code: int) -> int:  # noqa: N802 (libseccomp's name)
    return 0x00050000 | (code & 0xFFFF)


class ScmpArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


HERE = os.path.abspath(__file__)
STAGE2 = "--inside-mount-namespace"


def _libseccomp():
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_arch_native.restype = ctypes.c_uint32
    lib.seccomp_arch_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(ScmpArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def available() -> tuple[bool, str]:
    """(True, "") when this machine can run a command so, else (False, why not)."""
    if sys.platform != "linux":
        return False, "Linux only"
    if os.geteuid() != 0:
        return False, "needs root (Docker's container runs the grader as root)"
    for tool in ("setpriv", "unshare"):
        if shutil.which(tool) is None:
            return False, f"util-linux {tool} is not installed"
    try:
        _libseccomp()
    except OSError as err:
        return False, f"libseccomp is not installed ({err})"
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True, text=True)
    if done.returncode != 0:
        return False, f"cannot create a mount namespace here: {done.stderr.strip()}"
    return True, ""


def confined_command(argv: list[str]) -> list[str]:
    """The command line that runs ``argv`` as in Docker's default container."""
    if not argv:
        raise ValueError("no command")
    return [shutil.which("unshare") or "unshare", "--mount", "--propagation", "private", "--",
            sys.executable, "-I", HERE, STAGE2, "--", *argv]


# -- inside the container's mount namespace (still every capability) -----------------------

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_RELATIME = 32, 1024, 2048, 4096, 16384, 1 << 21
ST_TO_MS = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC, os.ST_NOATIME: MS_NOATIME,
            os.ST_NODIRATIME: MS_NODIRATIME, os.ST_RELATIME: MS_RELATIME}


def _mount(libc, source, target: str, flags: int) -> None:
    if libc.mount(source, target.encode(), None, ctypes.c_ulong(flags), None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _remount_read_only(libc, target: str) -> None:
    """``mount -o remount,bind,ro`` keeping the mount's other flags."""
    kept = os.statvfs(target).f_flag
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | sum(ms for st, ms in ST_TO_MS.items() if kept & st)
    _mount(libc, None, target, flags)


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            point = line.split()[4]
            points.append(point.encode("latin-1", "ignore").decode("unicode_escape", "ignore"))
    return points


def _read_only_mounts() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    for path in PROC_READ_ONLY:  # as Docker: a bind of the path onto itself, read-only
        if os.path.exists(path):
            _mount(libc, path.encode(), path, MS_BIND | MS_REC)
            _remount_read_only(libc, path)
    # /sys, /sys/fs/cgroup and every mount below them (all of cgroup v1's hierarchies)
    for point in sorted({p for p in _mount_points() if p == "/sys" or p.startswith("/sys/")}, key=len):
        _remount_read_only(libc, point)


def _seccomp_filter() -> None:
    lib = _libseccomp()
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError("seccomp_init failed")
    try:
        rc = lib.seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)  # Docker does not set no_new_privs
        if rc != 0:
            raise OSError(-rc, f"seccomp_attr_set: {os.strerror(-rc)}")
        if platform.machine() == "x86_64":  # as Docker: the 32-bit ABIs too
            for arch in (SCMP_ARCH_X86, SCMP_ARCH_X32):
                rc = lib.seccomp_arch_add(ctx, arch)
                if rc not in (0, -errno.EEXIST):
                    raise OSError(-rc, f"seccomp_arch_add: {os.strerror(-rc)}")

        def rule(action: int, name: str, *cmps: ScmpArgCmp) -> None:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:  # not a system call on this architecture
                return
            array = (ScmpArgCmp * len(cmps))(*cmps) if cmps else None
            rc = lib.seccomp_rule_add_array(ctx, action, number, len(cmps), array)
            if rc != 0:
                raise OSError(-rc, f"seccomp rule for {name}: {os.strerror(-rc)}")

        eperm = SCMP_ACT_ERRNO(errno.EPERM)
        rule(eperm, "unshare")
        rule(eperm, "setns")
        # one rule per flag: libseccomp ANDs the comparisons of one rule
        for flag in (CLONE_NEWTIME, CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                     CLONE_NEWPID, CLONE_NEWNET):
            rule(eperm, "clone", ScmpArgCmp(0, SCMP_CMP_MASKED_EQ, flag, flag))
        rule(SCMP_ACT_ERRNO(errno.ENOSYS), "clone3")
        for name in ALSO_REFUSED:
            rule(eperm, name)
        rc = lib.seccomp_load(ctx)
        if rc != 0:
            raise OSError(-rc, f"seccomp_load: {os.strerror(-rc)}")
    finally:
        lib.seccomp_release(ctx)


def _stage2(argv: list[str]) -> None:
    _read_only_mounts()
    _seccomp_filter()  # while we still have CAP_SYS_ADMIN: no need for no_new_privs
    caps = ",".join("+" + name for name in DOCKER_CAPS)
    setpriv = shutil.which("setpriv") or "setpriv"
    os.environ[MODE_VARIABLE] = MODE
    os.execvp(setpriv, [setpriv, f"--bounding-set=-all,{caps}", "--inh-caps=-all", "--ambient-caps=-all",
                        "--", *argv])


def main(args: list[str]) -> int:
    if args[:2] == [STAGE2, "--"]:
        _stage2(args[2:])
        return 127  # not reached
    if args[:1] == ["--"]:
        args = args[1:]
    if not args or args[0].startswith("-"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        print("usage: python tests/docker_like.py -- CMD ARGS...", file=sys.stderr)
        return 2
    ok, why = available()
    if not ok:
        print(f"docker_like: {why}", file=sys.stderr)
        return 2
    argv = confined_command(args)
    os.execvp(argv[0], argv)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
