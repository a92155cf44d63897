"""What a sandbox user can leave behind on a machine without namespaces, and its
removal after every run: SysV shared memory, semaphores and message queues, and the
files it created in the world-writable folders (/tmp, /var/tmp, /dev/shm, /run/lock,
POSIX shared memory and semaphores included).

With an IPC and mount namespace these die with the run; without one (Gradescope's
container) they would outlive it and pile up over a batch. The seccomp filter already
refuses creating SysV objects and memfds; this is the sweep behind it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import stat

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


def remove_leftovers(uid: int, skip: tuple[str, ...] = ()) -> dict[str, int]:
    """Remove ``uid``'s SysV objects and files (see the module); return the counts
    removed, ``{"ipc": n, "files": n}``. Never raises."""
    from autograder.sandbox.rundir import base  # the run folders are the runs' own business

    skip = (*skip, str(base()))
    counts = {"ipc": 0, "files": 0}
    for kind, ident in sysv_objects(uid):
        with contextlib.suppress(OSError, AttributeError):
            counts["ipc"] += _remove_sysv(kind, ident)
    for path in owned_files(uid, skip=skip):
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
            counts["files"] += 1
        except OSError:
            pass
    return counts
