"""Unpack an uploaded zip the way a careful server would: nothing outside the target
folder, no symlinks, no zip bombs, names that the filesystem can hold. Every entry
left out is reported, so the student learns why a file is missing."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

MAX_TOTAL_BYTES = 64 * 2**20
MAX_ENTRIES = 2000
CHUNK = 1 << 16


class UnpackError(ValueError):
    """The zip cannot be used at all (not a zip, or too large when unpacked)."""


def unpack(zip_path: Path, target: Path, *, max_bytes: int = MAX_TOTAL_BYTES, max_entries: int = MAX_ENTRIES) -> list[str]:
    """Extract ``zip_path`` into ``target``; return notes about skipped entries. The
    limits suit one student's upload; a whole class's export needs larger ones."""
    notes: list[str] = []
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as err:
        raise UnpackError(f"{zip_path.name} is not a readable zip file ({err})") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > max_entries:
            raise UnpackError(f"{zip_path.name} holds {len(entries)} entries; at most {max_entries} are accepted")
        total = 0
        for info in entries:
            name = info.filename
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
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, open(dest, "xb") as out:
                    while chunk := src.read(CHUNK):
                        total += len(chunk)  # count real bytes: headers can lie
                        if total > max_bytes:
                            raise UnpackError(
                                f"{zip_path.name} unpacks to more than {max_bytes // 2**20} MB; "
                                "upload only your source files"
                            )
                        out.write(chunk)
            except UnpackError:
                raise
            except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as err:
                notes.append(f"skipped {name!r}: {err}")
                if dest.exists() and dest.is_file():
                    dest.unlink()
    return notes


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
