"""Inside fresh namespaces, build the student's private view of the system, then run
the student's process in it as an unprivileged, capability-less user.

Run by :mod:`autograder.sandbox.isolation` as
``unshare --mount --pid --net --ipc --uts --fork --kill-child [--user --map-root-user]
python -I -S launcher.py <plan.json> -- <command...>``, so this process is PID 1 of a
new PID namespace, with its own mount, network, IPC and host-name namespaces. It:

1. builds a new root on a small tmpfs: the plan's read-only bind mounts (system
   folders, the interpreter and its venv, the child's files, the submission copy), a
   size-limited tmpfs as the only writable folder, a minimal ``/dev``, a ``/proc`` of
   the new PID namespace; symbolic links such as ``/bin -> usr/bin`` are recreated;
2. ``pivot_root``\\s into it and detaches the old root, so nothing else of the host's
   file system exists in this namespace any more (not even for a process that later
   gains capabilities in a nested user namespace);
3. forks the command: it drops every capability (bounding set, ambient, inheritable),
   sets ``no_new_privs``, switches to the plan's uid/gid when given, applies the
   plan's resource limits, and execs the command with the environment it was given;
4. stays behind as init: reaps orphans and exits with the command's status (a signal
   ``N`` becomes exit code ``128 + N``) as soon as the command ends, which makes the
   kernel kill every process left in the namespace (background processes included).

Before forking it writes one line to file descriptor 2: ``ISOLATION-REPORT <json>``
with ``{"filesystem": bool, "proc": bool, "pivot_root": bool}``; a step that fails
makes it exit with code 111 (the caller then falls back), except ``/proc``, which is
optional. Standard library only: this file runs before any framework is importable.
"""

import contextlib
import ctypes
import json
import os
import platform
import resource
import signal
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 4, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PIVOT_ROOT = {"x86_64": 155, "amd64": 155, "aarch64": 41, "arm64": 41, "riscv64": 41, "loongarch64": 41,
              "i386": 217, "i686": 217, "s390x": 217, "ppc64le": 203, "ppc64": 203, "armv7l": 218}
FAILED = 111
DEVICES = ("null", "zero", "full", "random", "urandom")

libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    pass


def check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(errno)}")


def mount(source, target, fstype, flags, data=None):
    check(libc.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data)),
          f"mount {source or fstype} on {target}")


def _b(text):
    return None if text is None else os.fsencode(text)


def kept_flags(path):
    """The flags of the mount holding ``path`` that a remount must keep: inside a user
    namespace the kernel refuses to clear nosuid, nodev, noexec or atime flags that the
    original mount had."""
    st = os.statvfs(path).f_flag
    flags = 0
    for st_bit, ms_bit in ((2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC), (1024, MS_NOATIME),
                           (2048, MS_NODIRATIME), (4096, MS_RELATIME)):
        if st & st_bit:
            flags |= ms_bit
    return flags


def bind_readonly(source, target):
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | kept_flags(target))


def build_root(plan):
    new_root = plan["root"]
    mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755")

    def inside(path):
        return os.path.join(new_root, path.lstrip("/"))

    for item in plan["mounts"]:
        kind, target = item["kind"], inside(item["target"])
        if kind == "ro":
            bind_readonly(item["source"], target)
        elif kind == "symlink":
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.symlink(item["link"], target)
        elif kind == "tmpfs":
            os.makedirs(target, exist_ok=True)
            options = f"size={int(item['size_mb'])}m,mode={item.get('mode', '0700')}"
            if plan.get("uid") is not None:
                options += f",uid={plan['uid']},gid={plan['gid']}"
            mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)
        elif kind == "dir":
            os.makedirs(target, exist_ok=True)
        else:
            raise SetupError(f"unknown mount kind {kind!r}")
    dev = inside("/dev")
    os.makedirs(dev, exist_ok=True)
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        open(os.path.join(dev, name), "a").close()
        mount(f"/dev/{name}", os.path.join(dev, name), None, MS_BIND)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                       ("stderr", "/proc/self/fd/2")):
        os.symlink(link, os.path.join(dev, name))
    mount(None, dev, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC)
    os.makedirs(inside("/proc"), exist_ok=True)
    try:
        mount("proc", inside("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        proc = True
    except SetupError:
        proc = False  # refused in some containers; the student then has no /proc
    return proc


def enter_root(new_root):
    """pivot_root into ``new_root`` and detach the old root; chroot where the syscall
    number of this architecture is unknown."""
    os.chdir(new_root)
    number = PIVOT_ROOT.get(platform.machine())
    if number is not None:
        check(libc.syscall(number, b".", b"."), "pivot_root")
        check(libc.umount2(b".", MNT_DETACH), "detach the old root")
        os.chdir("/")
        return True
    os.chroot(".")
    os.chdir("/")
    return False


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_bounding_set():
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails harmlessly for caps the kernel lacks
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)


def clear_capabilities():
    header = CapHeader(0x20080522, 0)
    data = (CapData * 2)()
    check(libc.capset(ctypes.byref(header), data), "drop capabilities")


def run_command(plan, command):
    """In the forked child: lose every privilege, then exec the command."""
    drop_bounding_set()
    if plan.get("uid") is not None:
        os.setgroups([])
        os.setgid(plan["gid"])
        os.setuid(plan["uid"])
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    clear_capabilities()
    for name, soft, hard in plan.get("limits", []):
        resource.setrlimit(getattr(resource, name), (soft, hard))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # Python ignored it; exec would keep that
    os.chdir(plan.get("cwd", "/"))
    os.execve(command[0], command, dict(os.environ))


def init(child):
    """PID 1: reap everything; leave (taking the namespace down) when ``child`` ends."""
    drop_bounding_set()
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(FAILED)
        except InterruptedError:
            continue
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            os._exit(128 - code if code < 0 else code)


def main():
    if sys.argv[1] == "--init":  # the second stage, inside the view (see start_command)
        _, _, inner_json, separator, *command = sys.argv
        start_command(json.loads(inner_json), command)
    plan_path, separator, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    if separator != "--" or not command:
        sys.exit("usage: launcher.py PLAN.json -- COMMAND...")
    with open(plan_path, encoding="utf-8") as f:
        plan = json.load(f)
    report = {"filesystem": False, "proc": False, "pivot_root": False}
    try:
        libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # SIGKILL when unshare goes: the whole namespace goes
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        report["proc"] = build_root(plan)
        report["pivot_root"] = enter_root(plan["root"])
        mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        report["filesystem"] = True
        libc.sethostname(b"sandbox", 7)
    except (SetupError, OSError) as err:
        os.write(2, f"ISOLATION-FAILED {err}\n".encode(errors="replace"))
        os._exit(FAILED)
    os.write(2, f"ISOLATION-REPORT {json.dumps(report)}\n".encode())
    inner = {key: plan[key] for key in ("uid", "gid", "limits", "cwd") if key in plan}
    if plan.get("reexec"):
        # This process is PID 1, whose command line every process in the namespace
        # can read: become the copy of this file inside the view, run by the student's
        # interpreter, so that it names no path of the grader's.
        # If the exec fails, stay as we are: the view is built, only the command line shows more.
        with contextlib.suppress(OSError):
            os.execv(command[0], [command[0], "-I", "-S", plan["reexec"], "--init", json.dumps(inner), "--",
                                  *command])
    start_command(inner, command)


def start_command(plan, command):
    """Fork the command (as the plan's user, without privileges), then be its init."""
    child = os.fork()
    if child == 0:
        try:
            run_command(plan, command)
        except BaseException as err:  # never fall through into init's code
            os.write(2, f"ISOLATION-FAILED {err}\n".encode(errors="replace"))
        os._exit(FAILED)
    # The student's pipes among them: their end must close when the student's process dies.
    os.closerange(3, 1 << 16)
    init(child)


if __name__ == "__main__":
    main()
