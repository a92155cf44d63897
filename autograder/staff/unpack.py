"""Unpack an uploaded zip the way a careful server would: nothing outside the target
folder, no symlinks, no zip bombs, names that the filesystem can hold. Every entry
left out is reported, so the student learns why a file is missing. A zip refused as a
whole (unreadable, too large) leaves the target folder as it was: half a submission
would be graded as if it were all of it. The zip itself must be a regular file (a
FIFO or a link in its place is refused without blocking: :func:`intake.open_regular`),
no larger than what it may unpack to (with room for headers), and unpacking stops at a
deadline when given one."""

from __future__ import annotations

import io
import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from autograder.runtime.text import printable
from autograder.staff import intake

MAX_TOTAL_BYTES = 64 * 2**20
MAX_ENTRIES = 2000
CHUNK = 1 << 16


class UnpackError(ValueError):
    """The zip cannot be used at all (not a zip, or too large when unpacked)."""

    def __init__(self, message: str):
        super().__init__(printable(message))  # it names the zip, which the student named


def unpack(
    zip_path: Path, target: Path, *, max_bytes: int = MAX_TOTAL_BYTES, max_entries: int = MAX_ENTRIES,
    deadline: float | None = None,
) -> list[str]:
    """Extract ``zip_path`` into ``target``; return notes about skipped entries. The
    limits suit one student's upload; a whole class's export needs larger ones.
    Raises :class:`UnpackError` for a zip refused whole, :class:`intake.Refused` when
    ``zip_path`` is not a regular file, :class:`intake.CopyTimeout` past ``deadline``
    (``time.monotonic()``)."""
    notes: list[str] = []
    try:
        file = intake.open_regular(zip_path)
    except OSError as err:
        raise UnpackError(f"{zip_path.name} is not a readable zip file ({err.strerror})") from None
    try:
        archive, bad_names = _open_zip(file, zip_path.name, max_bytes)
    except UnpackError:
        file.close()
        raise
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        file.close()
        raise UnpackError(f"{zip_path.name} is not a readable zip file ({err})") from None
    with file, archive:
        entries = archive.infolist()
        if len(entries) > max_entries:
            raise UnpackError(f"{zip_path.name} holds {len(entries)} entries; at most {max_entries} are accepted")
        total = 0
        existing = set(os.listdir(target)) if target.is_dir() else set()
        for info in entries:
            name = info.filename
            if name in bad_names:
                notes.append(f"skipped {name!r}: its name is not valid UTF-8 (rename it with plain letters)")
                continue
            rel = _safe_relative(name)
            if rel is None:
                notes.append(f"skipped {name!r}: the path leaves the submission folder")
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                notes.append(f"skipped {name!r}: symbolic links are not accepted")
                continue
            dest = target.joinpath(*rel.parts)
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            if dest.exists() or dest.is_symlink():
                notes.append(f"skipped {name!r}: the zip holds that file twice; the first copy is kept")
                continue
            created = False
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, open(dest, "xb") as out:
                    created = True
                    while chunk := src.read(CHUNK):
                        total += len(chunk)  # count real bytes: headers can lie
                        if total > max_bytes:
                            raise UnpackError(
                                f"{zip_path.name} unpacks to more than {max_bytes // 2**20} MB; "
                                "upload only your source files"
                            )
                        out.write(chunk)
                        intake.check_deadline(deadline)
            except (UnpackError, intake.CopyTimeout):
                _remove_new(target, existing)
                raise
            except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as err:
                # An OSError's own words, without the path it names (this machine's, not the upload's).
                why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
                notes.append(f"skipped {name!r}: {why}")
                if created:  # only what this entry wrote: never an earlier entry's file
                    dest.unlink(missing_ok=True)
    return [printable(note) for note in notes]


def _remove_new(target: Path, existing: set[str]) -> None:
    for name in set(os.listdir(target)) - existing:
        path = target / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _open_zip(file: BinaryIO, name: str, max_bytes: int) -> tuple[zipfile.ZipFile, set[str]]:
    """Open the zip in ``file`` (no larger than ``max_bytes`` and room for its
    headers). Entries flagged as having UTF-8 names whose names are not UTF-8
    make ``zipfile`` refuse the whole file; those are read as cp437 instead (what the
    flag's absence means) and returned, to be skipped and reported."""
    size = os.fstat(file.fileno()).st_size
    if size > 2 * max_bytes + 2**20:  # stored entries and their headers: never twice the data
        raise UnpackError(f"{name} is {size // 2**20} MB; at most {max_bytes // 2**20} MB of files are accepted")
    try:
        return zipfile.ZipFile(file), set()
    except UnicodeDecodeError:
        file.seek(0)
        data = bytearray(file.read())  # only for such zips, bounded above
    end = data.rfind(b"PK\x05\x06")
    if end < 0 or len(data) < end + 22:
        raise zipfile.BadZipFile("no end of central directory")
    count = int.from_bytes(data[end + 10:end + 12], "little")
    at = int.from_bytes(data[end + 16:end + 20], "little")
    bad = set()
    for _ in range(count):
        if data[at:at + 4] != b"PK\x01\x02":
            raise zipfile.BadZipFile("bad central directory")
        flags = int.from_bytes(data[at + 8:at + 10], "little")
        sizes = [int.from_bytes(data[at + i:at + i + 2], "little") for i in (28, 30, 32)]
        raw = bytes(data[at + 46:at + 46 + sizes[0]])
        if flags & 0x800:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                data[at + 8:at + 10] = (flags & ~0x800).to_bytes(2, "little")
                bad.add(raw.decode("cp437"))
        at += 46 + sum(sizes)
    return zipfile.ZipFile(io.BytesIO(bytes(data))), bad


def _safe_relative(name: str) -> PurePosixPath | None:
    """The entry's path if it stays inside the target, else None."""
    if "\x00" in name:
        return None
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or any(part in ("..", "") for part in path.parts) or not path.parts:
        return None
    try:
        os.fsencode(name)
    except UnicodeEncodeError:
        return None
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in path.parts):
        return None
    return path
