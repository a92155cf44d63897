"""Resource limits for the student's process, and the sandbox user that runs it."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import pwd
import resource
import shutil
import signal
import subprocess
import threading
from typing import TYPE_CHECKING

from autograder.sandbox.seccomp import set_no_new_privs

if TYPE_CHECKING:
    from autograder.runtime.config import SandboxLimits

SANDBOX_USER = "grader-sandbox"


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who the student's process runs as. ``uid is None``: as ourselves (not root)."""

    uid: int | None = None
    gid: int | None = None
    name: str = ""

    @property
    def dedicated(self) -> bool:
        return self.uid is not None


MAX_SLOTS = 16  # concurrent grading runs on one machine (batch regrades)
LOCK_DIR = "/run/convnet-grader" if os.path.isdir("/run") else "/var/lock/convnet-grader"


def sandbox_identity(create: bool = True) -> Identity:
    """A dedicated unprivileged user for this grading run when we are root, else our
    own identity.

    Killing "every process of the sandbox user" must not hit another run grading in
    parallel, so each concurrent run holds its own user: slot 0 is ``grader-sandbox``
    (the one setup.sh creates; Gradescope grades one submission per container), slot
    i is ``grader-sandbox<i>``. A slot is held by an exclusive lock on a root-only
    file for as long as this process lives, and is freed when it exits.

    A process holds one slot at most: it grades one submission at a time, so a second
    call (a test that starts several sandboxes in turn) gets the same user instead of
    holding another slot until it exits. A forked child (a warm grader's fork) takes
    its own; the parent's stays locked, through the descriptor the child inherited,
    until both have exited.
    """
    global _held
    if os.geteuid() != 0:
        return Identity()
    with _HELD_LOCK:
        if _held is not None:
            return _held
        os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
        for slot in range(MAX_SLOTS):
            fd = _lock_slot(slot, create=True)
            if fd is None:
                continue
            try:
                _held = _user(_slot_user(slot), create)
            except BaseException:
                os.close(fd)
                raise
            return _held  # its lock (fd) is held until the process exits
    raise RuntimeError(f"more than {MAX_SLOTS} grading runs at once on this machine: "
                       f"each holds a lock in {LOCK_DIR}; run fewer at once")


_held: Identity | None = None  # the sandbox user this process holds
_HELD_LOCK = threading.Lock()


def _forget_held() -> None:
    global _held
    _held = None


os.register_at_fork(after_in_child=_forget_held)


def _lock_slot(slot: int, create: bool) -> int | None:
    """The slot's lock file, open and locked (without waiting); None when a live run
    holds it, or (``create`` false) when no run ever took it."""
    try:
        fd = os.open(os.path.join(LOCK_DIR, f"slot-{slot}.lock"), os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    except OSError:
        if create:
            raise
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _slot_user(slot: int) -> str:
    return SANDBOX_USER if slot == 0 else f"{SANDBOX_USER}{slot}"


def sweep_free_slots() -> int:
    """Kill what the sandbox users of the slots no live run holds (their run was
    killed) left running; return how many users had processes. Cheap: the files and
    IPC objects such a user left are removed by the next run that takes its slot
    (:mod:`.leftovers`). As root only; a no-op otherwise."""
    swept = 0
    if os.geteuid() != 0 or not os.path.isdir(LOCK_DIR):
        return swept
    for slot in range(MAX_SLOTS):
        fd = _lock_slot(slot, create=False)
        if fd is None:
            continue
        try:
            identity = _user(_slot_user(slot), create=False)
            if identity.uid is not None and stray_processes(identity.uid):
                kill_stray_processes(identity)
                swept += 1
        except KeyError:
            pass
        finally:
            os.close(fd)
    return swept


def _user(name: str, create: bool) -> Identity:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        if not create:
            raise
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run(
            [useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
             "--user-group", name],
            capture_output=True,
        )  # a parallel run may have created it first: look it up either way
        entry = pwd.getpwnam(name)
    if entry.pw_uid == 0:
        raise RuntimeError(f"the sandbox user {name} must not be root")
    return Identity(entry.pw_uid, entry.pw_gid, name)


def rlimits(limits: SandboxLimits) -> list[tuple[str, int, int]]:
    """``(RLIMIT_NAME, soft, hard)`` for the student's process, from the assignment's limits."""
    memory, file_size = limits.memory_mb * 2**20, limits.max_file_mb * 2**20
    return [
        ("RLIMIT_AS", memory, memory),
        ("RLIMIT_CPU", limits.cpu_seconds, limits.cpu_seconds + 2),
        ("RLIMIT_FSIZE", file_size, file_size),
        ("RLIMIT_CORE", 0, 0),
        ("RLIMIT_NOFILE", 256, 256),
        ("RLIMIT_NPROC", limits.max_processes, limits.max_processes),
    ]


def make_preexec_from(limits: list[tuple[str, int, int]], count_own_processes: bool = False):
    """A ``preexec_fn`` that applies ``limits`` in the child, after fork, before exec.
    ``count_own_processes``: raise RLIMIT_NPROC by the processes our user already has."""

    def apply() -> None:
        for name, soft, hard in limits:
            if name == "RLIMIT_NPROC" and count_own_processes:
                already = _count_own_processes()
                soft, hard = soft + already, hard + already
            resource.setrlimit(getattr(resource, name), (soft, hard))
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        # A setuid program (su, passwd, newgrp) started by the student stays the sandbox user.
        set_no_new_privs()

    return apply


def make_preexec(limits: SandboxLimits, *, dedicated: bool):
    """A ``preexec_fn`` that applies ``limits`` in the child, after fork, before exec."""
    # NPROC counts every process of the real user: exact for the dedicated user;
    # for ourselves (a TA's laptop) it has to leave room for what already runs.
    return make_preexec_from(rlimits(limits), count_own_processes=not dedicated)


def _count_own_processes() -> int:
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def _uids(pid: str) -> tuple[int, ...]:
    """Real, effective, saved and file-system uid of a process (``()`` when gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return tuple(int(v) for v in line.split()[1:5])
    except (OSError, ValueError):
        pass
    return ()


def _processes(uid: int, pids) -> list[int]:
    """Those of ``pids`` that ``uid`` is any of the uids of (real, effective, saved): a
    setuid-root program the user started is still the user's (its /proc entry belongs
    to root); zombies left out."""
    return [pid for pid in pids if uid in _uids(str(pid)) and not _is_zombie(pid)]


def user_processes(uid: int) -> list[int]:
    """This grading's live processes of ``uid``: the descendants of this process. The
    supervisor is a child subreaper (supervisor._become_subreaper), so whatever the
    student's process starts stays below it when its parent dies; a process of the same
    uid elsewhere on the kernel (another grading, another container, another checkout)
    is never counted, stopped or killed."""
    return _processes(uid, descendants(os.getpid()))


def stray_processes(uid: int) -> list[int]:
    """The live processes of ``uid`` in this PID namespace that no grading of ours
    started: what a killed grading of the same sandbox user left running (call it only
    while holding that user's slot). A process in another PID namespace (a container's,
    or a sandbox's own namespace, which dies with its first process) is never one."""
    ours = _pid_namespace("self")
    own = set(descendants(os.getpid()))
    return [pid for pid in _processes(uid, (int(e) for e in os.listdir("/proc") if e.isdigit()))
            if pid not in own and _pid_namespace(str(pid)) == ours]


def _pid_namespace(pid: str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def descendants(root: int) -> list[int]:
    """Every live descendant of process ``root`` (by parent pid, through /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_user_processes(identity: Identity, rounds: int = 20) -> int:
    """Kill this grading's processes of the dedicated sandbox user (a no-op for
    ourselves: no dedicated user, the process group and the cgroup are the scope);
    return how many were still alive after the last round (0 when all are gone).

    Only this grading's: the descendants of this process (:func:`user_processes`),
    never a signal to the whole uid (``kill(-1)`` as that user would reach every
    process of the same uid on the kernel: another grading's, or a container's whose
    sandbox user has the same uid). A forking process cannot outrun it: every process
    found is stopped (SIGSTOP) until a scan finds no new one, then all are killed;
    RLIMIT_NPROC bounds how many there can be.
    """
    uid = identity.uid
    if uid is None:
        return 0
    return _freeze_and_kill(lambda: user_processes(uid), rounds)


def kill_stray_processes(identity: Identity, rounds: int = 20) -> int:
    """Kill what a killed grading of this sandbox user left running
    (:func:`stray_processes`); as :func:`kill_user_processes` otherwise."""
    uid = identity.uid
    if uid is None:
        return 0
    return _freeze_and_kill(lambda: stray_processes(uid), rounds)


def _freeze_and_kill(find, rounds: int) -> int:
    left: list[int] = []
    for _ in range(rounds):
        frozen: set[int] = set()
        for _ in range(64):  # stop what is found until a scan finds nothing new
            fresh = [pid for pid in find() if pid not in frozen]
            if not fresh:
                break
            for pid in fresh:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGSTOP)
            frozen.update(fresh)
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        left = find()
        if not left:
            return 0
    return len(left)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
