"""The private working folder of one grading run, and the sweep of the folders that
killed runs left behind.

Every run folder lives under one base folder (root's, mode 0711: nobody else can list
it) and is held, for as long as its run lives, by an exclusive ``flock`` on the folder
itself. A run killed at its timeout (or by Ctrl-C in a batch) cannot remove its own
folder, but it cannot hold the lock either: :func:`sweep`, run before every grading
and by whoever killed a run, removes every folder that no live run holds, so no
submission outlives its run into the next one that gets the same sandbox user.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
from pathlib import Path

PREFIX = "run-"


def base() -> Path:
    """The folder holding every run folder of this user on this machine."""
    root = Path("/var/tmp") if os.geteuid() == 0 and os.path.isdir("/var/tmp") else Path(tempfile.gettempdir())
    return root / f"convnet-grader-runs-{os.geteuid()}"


def _ensure_base(folder: Path) -> Path:
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o711)
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise RuntimeError(f"{folder} is not a folder of ours: remove it")
    os.chmod(folder, 0o711)
    return folder


class RunDir:
    """A fresh, empty run folder (mode 0700) in ``folder`` (default: :func:`base`),
    locked until :meth:`remove`."""

    def __init__(self, folder: Path | None = None) -> None:
        folder = _ensure_base(folder or base())
        for _ in range(10):
            path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=folder))
            # Until it is locked the folder is unheld: the sweep of a grading starting
            # now may take it, before it is opened or before it is locked. Another one then.
            try:
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
            except FileNotFoundError:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                ours = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                ours = False
            if ours:
                self.path, self._fd = path, fd
                return
            os.close(fd)
        raise RuntimeError(f"could not create a run folder in {folder}")

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _unheld(folder: Path, remove: bool) -> list[str]:
    found: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        if not entry.name.startswith(PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # a live run's
            continue
        try:
            if remove:
                shutil.rmtree(entry.path, ignore_errors=True)
            found.append(entry.name)
        finally:
            os.close(fd)
    return found


def stale(folder: Path | None = None) -> list[str]:
    """Names of the run folders in ``folder`` (default: :func:`base`) that no live run
    holds (left by killed runs)."""
    return _unheld(folder or base(), remove=False)


def sweep(folder: Path | None = None) -> list[str]:
    """Remove every run folder in ``folder`` (default: :func:`base`) that no live run
    holds; return their names."""
    return _unheld(folder or base(), remove=True)
