"""Byte-identical zips: the same tree always gives the same bytes.

Entries are sorted, timestamps fixed, permissions normalised to 0644 (0755 for
executables), and build debris (``__pycache__``, ``.pyc``) left out.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
IGNORED = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store", ".venv"}


def tree_files(root: Path) -> list[Path]:
    """Files under ``root``, relative, sorted, without build debris."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED)
        for name in sorted(filenames):
            if name not in IGNORED and not name.endswith(".pyc"):
                found.append((Path(dirpath) / name).relative_to(root))
    return sorted(found, key=lambda p: p.as_posix())


def copy_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` with its permission bits, creating folders on the way."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    shutil.copymode(src, dst)


def write_zip(root: Path, zip_path: Path, prefix: str = "") -> Path:
    """Zip the files under ``root`` into ``zip_path`` (entries start with ``prefix``)."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_suffix(zip_path.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for rel in tree_files(root):
            src = root / rel
            info = zipfile.ZipInfo(prefix + rel.as_posix(), date_time=FIXED_TIME)
            info.external_attr = (0o100755 if os.access(src, os.X_OK) else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, src.read_bytes(), compresslevel=9)
    tmp.replace(zip_path)
    return zip_path
