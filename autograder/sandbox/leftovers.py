"""What a sandbox user can leave behind on a machine without namespaces, and its
removal after every run: SysV shared memory, semaphores and message queues, and the
files it created in the world-writable folders (/tmp, /var/tmp, /dev/shm, /run/lock,
POSIX shared memory and semaphores included).

With an IPC and mount namespace these die with the run; without one (Gradescope's
container) they would outlive it and pile up over a batch. The seccomp filter already
refuses creating SysV objects and memfds; this is the sweep behind it.

Walking those folders is a grading's most expensive cleanup when they are large (a
shared machine's /tmp), so it is done only where it can find something: before a run,
unless the last run of the same sandbox user ended with its own sweep done (a marker
in the root-only lock folder, written after that sweep and removed by the next run
that takes the user: a run that is killed leaves none); after a run, unless the
student's processes had a private file system, in which these folders did not exist
for them. SysV objects are looked for every time (one read of /proc each).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import stat

from autograder.sandbox.limits import LOCK_DIR

WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")
MAX_ENTRIES = 100_000  # entries looked at per folder: a sweep must end
IPC_RMID = 0
SYSV = {"shm": "shmid", "sem": "semid", "msg": "msqid"}


def sysv_objects(uid: int) -> list[tuple[str, int]]:
    """``(kind, id)`` of the SysV IPC objects that ``uid`` owns or created."""
    found = []
    for kind, id_column in SYSV.items():
        try:
            with open(f"/proc/sysvipc/{kind}", encoding="ascii") as f:
                header, *rows = f.read().splitlines()
        except OSError:
            continue
        columns = header.split()
        for row in rows:
            try:
                values = dict(zip(columns, row.split(), strict=True))  # a row unlike its header: skipped
                if uid in (int(values["uid"]), int(values["cuid"])):
                    found.append((kind, int(values[id_column])))
            except (KeyError, ValueError):
                continue
    return found


def _remove_sysv(kind: str, ident: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    if kind == "shm":
        return libc.shmctl(ident, IPC_RMID, None) == 0
    if kind == "sem":
        return libc.semctl(ident, 0, IPC_RMID) == 0
    return libc.msgctl(ident, IPC_RMID, None) == 0


def owned_files(uid: int, folders=WORLD_WRITABLE, skip: tuple[str, ...] = ()) -> list[str]:
    """Top-most paths under ``folders`` owned by ``uid`` (a folder of the user's is
    listed once, not its contents); symbolic links are not followed."""
    found: list[str] = []
    for top in folders:
        budget = [MAX_ENTRIES]
        _walk(top, uid, found, skip, budget)
    return found


def _walk(folder: str, uid: int, found: list[str], skip: tuple[str, ...], budget: list[int]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        budget[0] -= 1
        if budget[0] < 0:
            return
        if entry.path in skip:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if st.st_uid == uid:
            found.append(entry.path)
        elif stat.S_ISDIR(st.st_mode):
            _walk(entry.path, uid, found, skip, budget)  # someone else's folder may hold the user's files


def remove_leftovers(uid: int, skip: tuple[str, ...] = (), files: bool = True) -> dict[str, int]:
    """Remove ``uid``'s SysV objects and (with ``files``) its files (see the module);
    return the counts removed, ``{"ipc": n, "files": n}``. Never raises."""
    return sweep(uid, skip, files)[0]


def sweep(uid: int, skip: tuple[str, ...] = (), files: bool = True) -> tuple[dict[str, int], bool]:
    """:func:`remove_leftovers`, and whether everything found was removed (as far as
    the walk reaches: ``MAX_ENTRIES`` per folder, as for every sweep)."""
    from autograder.sandbox.rundir import base  # the run folders are the runs' own business

    skip = (*skip, str(base()))
    counts = {"ipc": 0, "files": 0}
    clean = True
    for kind, ident in sysv_objects(uid):
        try:
            removed = _remove_sysv(kind, ident)
        except (OSError, AttributeError):
            removed = False
        counts["ipc"] += removed
        clean = clean and removed
    for path in owned_files(uid, skip=skip) if files else ():
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
            counts["files"] += 1
        except OSError:
            pass
        clean = clean and not os.path.lexists(path)  # rmtree ignores what it cannot remove
    return counts, clean


def _marker(uid: int) -> str:
    return os.path.join(LOCK_DIR, f"clean-{uid}")


def claim_clean(uid: int) -> bool:
    """True when the last run of ``uid`` ended with nothing of the user's left in the
    shared folders (:func:`mark_clean`); the marker is removed either way, so that this
    run, if it is killed, leaves the user to be swept by the next one."""
    try:
        os.unlink(_marker(uid))
        return True
    except OSError:
        return False


def mark_clean(uid: int) -> None:
    """Record that ``uid`` has no process, file or SysV object left (call it only then,
    as root, while holding the user's slot)."""
    try:
        os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
        with open(_marker(uid), "w"):
            pass
    except OSError:
        pass  # the next run sweeps: slower, never less clean
