"""Take one submission out of an export that nobody vouches for.

An export is a folder (or a zip) that a TA downloaded, unpacked, maybe edited, maybe
received from someone else: its ``submission_metadata.yml`` names folders, and those
names, like everything under them, are data, never instructions. Everything here holds
for any export:

- a submission is a name of one path component directly in the export's folder
  (:func:`locate`): no ``..``, no separator, no absolute path, no ``/`` or ``/dev``;
- it is a real folder or a regular ``.zip`` file, never a symbolic link, a FIFO, a
  device or a socket, and a folder holds only regular files and folders, all the way
  down (:func:`survey`, which looks at each entry's own metadata and opens nothing);
- its size and number of entries are bounded before a byte is copied;
- copying (:func:`copy_folder`) opens each file without following links and without
  blocking, checks again that what it opened is a regular file, counts the bytes it
  really reads, and stops at a deadline (the submission's grading time limit).

A submission that breaks a rule raises :class:`Refused` with a reason code (one of
:data:`CODES`) and a sentence naming the entry; the batch reports it and grades the
rest of the class.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from autograder.runtime.text import printable

# Reason codes of a refused submission (scores.csv's reasons, report.md).
OUTSIDE_EXPORT = "outside_export"  # its name leaves the export's folder
NOT_A_SUBMISSION = "not_a_submission"  # neither a real folder nor a regular .zip file
SPECIAL_FILE = "special_file"  # holds a symbolic link, FIFO, device or socket
TOO_LARGE = "too_large"  # more bytes than a submission may hold
TOO_MANY_FILES = "too_many_files"  # more files and folders than a submission may hold
CODES = (OUTSIDE_EXPORT, NOT_A_SUBMISSION, SPECIAL_FILE, TOO_LARGE, TOO_MANY_FILES)

# One student's submission: the bounds of an uploaded zip (unpack.py), a little wider.
MAX_BYTES = 64 * 2**20
MAX_ENTRIES = 2000
CHUNK = 1 << 16


class Refused(Exception):
    """A submission that is not graded: ``code`` (one of :data:`CODES`) and a sentence
    for the TA (the entry's name made printable)."""

    def __init__(self, code: str, sentence: str):
        assert code in CODES, code
        super().__init__(printable(sentence))
        self.code = code


class CopyTimeout(Exception):
    """Copying did not end before the deadline (what was copied is left to the caller)."""


def locate(root: Path, name: str) -> Path:
    """The path of the submission ``name`` (a key of the metadata) in the export folder
    ``root``: one plain path component, naming a real folder or a regular ``.zip``
    there (also tried as ``<name>.zip``). Raises :class:`Refused` otherwise, and
    FileNotFoundError when nothing of that name is there."""
    shown = repr(name)[:200]
    if (not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name
            or os.path.isabs(name) or len(name.encode("utf-8", "surrogateescape")) > 255):
        raise Refused(OUTSIDE_EXPORT, f"the metadata names {shown}, which is not a folder of the export "
                                      "(a submission is one folder directly inside it)")
    for candidate in (root / name, root / f"{name}.zip"):
        try:
            info = os.lstat(candidate)
        except FileNotFoundError:
            continue
        check_top(candidate, info)
        return candidate
    raise FileNotFoundError(name)


def check_top(path: Path, info: os.stat_result | None = None) -> str:
    """``"folder"`` or ``"zip"`` for the submission at ``path`` (not followed if a
    link); :class:`Refused` for anything else."""
    info = info or os.lstat(path)
    if stat.S_ISDIR(info.st_mode):
        return "folder"
    if stat.S_ISREG(info.st_mode) and path.suffix.lower() == ".zip":
        return "zip"
    raise Refused(NOT_A_SUBMISSION, f"{path.name!r} is {_kind(info.st_mode)}, not a submission folder or zip")


def survey(folder: Path, max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES, *,
           links: bool = False) -> tuple[int, int]:
    """``(entries, bytes)`` of ``folder``: every entry below it by its own metadata
    (nothing is opened or followed). Raises :class:`Refused` at the first entry that is
    not a regular file or folder (a symbolic link passes when ``links``), or once the
    bounds are passed (the walk stops there)."""
    entries = total = 0
    for rel, info, _ in _walk(folder):
        entries += 1
        if entries > max_entries:
            raise Refused(TOO_MANY_FILES, f"the submission holds more than {max_entries} files and folders")
        if stat.S_ISREG(info.st_mode):
            total += info.st_size
            if total > max_bytes:
                raise Refused(TOO_LARGE, f"the submission holds more than {max_bytes // 2**20} MB")
        elif not (stat.S_ISDIR(info.st_mode) or (links and stat.S_ISLNK(info.st_mode))):
            raise Refused(SPECIAL_FILE, f"the submission holds {_kind(info.st_mode)}, {rel!r}: only regular files "
                                        "and folders are graded")
    return entries, total


def check_submission(path: Path) -> None:
    """What a batch checks of an export's entry before grading it: a real folder
    holding only regular files and folders within the bounds, or a regular zip
    (:class:`Refused` otherwise). Metadata only: nothing is opened, nothing blocks."""
    if check_top(path) == "folder":
        survey(path)


def copy_folder(src: Path, dest: Path, deadline: float | None = None,
                max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES, *, links: bool = False) -> None:
    """Copy the submission folder ``src`` into the folder ``dest`` (which exists):
    :func:`survey` first, then each file opened with ``O_NOFOLLOW | O_NONBLOCK`` (a FIFO
    swapped in meanwhile neither blocks nor passes: what was opened must be a regular
    file), real bytes counted. Modes (``0o777`` bits) and modification times are kept.
    ``links``: a symbolic link is copied as the same link, never followed (a student's
    upload may hold one: the grader refuses to follow it and tells the student why, as
    on Gradescope); else it refuses the submission.
    Raises :class:`Refused`, or :class:`CopyTimeout` once ``time.monotonic()`` passes
    ``deadline``."""
    survey(src, max_bytes, max_entries, links=links)
    total = 0
    for rel, info, parent_fd in _walk(src):
        check_deadline(deadline)
        target = dest / rel
        name = os.path.basename(rel)
        if stat.S_ISDIR(info.st_mode):
            target.mkdir(exist_ok=True)
            os.chmod(target, (info.st_mode & 0o777) | 0o700)
            continue
        if links and stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(name, dir_fd=parent_fd), target)
            continue
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=parent_fd)
        except OSError as err:  # a symlink or FIFO swapped in (ELOOP, ENXIO), or gone
            raise Refused(SPECIAL_FILE, f"the submission's {rel!r} changed while it was copied ({err.strerror})") \
                from None
        with contextlib.closing(_Fd(fd)):
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                raise Refused(SPECIAL_FILE, f"the submission holds {_kind(opened.st_mode)}, {rel!r}: only regular "
                                            "files and folders are graded")
            with open(target, "xb") as out:
                while chunk := os.read(fd, CHUNK):
                    total += len(chunk)  # a file may grow after the survey: count what is read
                    if total > max_bytes:
                        raise Refused(TOO_LARGE, f"the submission holds more than {max_bytes // 2**20} MB")
                    out.write(chunk)
                    check_deadline(deadline)
            os.chmod(target, opened.st_mode & 0o777)
            os.utime(target, ns=(opened.st_atime_ns, opened.st_mtime_ns))


def open_regular(path: Path):
    """``path`` opened for reading as a binary file object, only if it is a regular
    file (not followed if a link; a FIFO is opened without blocking, then refused)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(NOT_A_SUBMISSION, f"{path.name!r} is {_kind(info.st_mode)}, not a regular file")
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _walk(top: Path) -> Iterator[tuple[str, os.stat_result, int]]:
    """``(relative path, lstat, parent folder's fd)`` of every entry below ``top``,
    folders before what they hold; each folder opened from ``top`` one component at a
    time with ``O_NOFOLLOW`` (a folder swapped for a link is refused, not followed),
    one folder open at a time. The fd is valid until the walk leaves that folder."""
    try:
        root_fd = os.open(top, _FOLDER)
    except OSError as err:
        raise Refused(NOT_A_SUBMISSION, f"{top.name!r} cannot be opened as a folder ({err.strerror})") from None
    try:
        stack = [""]
        while stack:
            prefix = stack.pop()
            fd = _open_below(root_fd, prefix)
            try:
                for name in sorted(os.listdir(fd)):
                    rel = f"{prefix}{name}"
                    info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    yield rel, info, fd
                    if stat.S_ISDIR(info.st_mode):
                        stack.append(rel + "/")
            finally:
                os.close(fd)
    finally:
        os.close(root_fd)


_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_below(root_fd: int, prefix: str) -> int:
    fd = os.dup(root_fd)
    for part in prefix.split("/"):
        if not part:
            continue
        try:
            child = os.open(part, _FOLDER, dir_fd=fd)
        except OSError as err:
            raise Refused(SPECIAL_FILE, f"the submission's folder {prefix.rstrip('/')!r} cannot be opened "
                                        f"({err.strerror})") from None
        finally:
            os.close(fd)
        fd = child
    return fd


class _Fd:
    def __init__(self, fd: int):
        self.fd = fd

    def close(self) -> None:
        os.close(self.fd)


def check_deadline(deadline: float | None) -> None:
    """Raise :class:`CopyTimeout` once ``time.monotonic()`` is past ``deadline``."""
    if deadline is not None and time.monotonic() > deadline:
        raise CopyTimeout("copying the submission took longer than its time limit")


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file that is not a zip"
    return "something that is not a file"
