"""The student's scratch folder (its HOME and TMPDIR) where no private view gives it
a tmpfs of its own: measured against its limit, and emptied."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MAX_ENTRIES = 20_000  # files and folders measured at the most


def over(folder: Path, limit_bytes: int, max_entries: int = MAX_ENTRIES) -> bool:
    """Whether the files under ``folder`` take more than ``limit_bytes`` of disk, or
    number more than ``max_entries`` (a folder of countless files is over any limit)."""
    used, budget = 0, max_entries
    stack = [str(folder)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            budget -= 1
            if budget < 0:
                return True
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            used += st.st_blocks * 512
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    return used > limit_bytes


def empty(folder: Path) -> None:
    """Remove everything under ``folder`` (symbolic links themselves, never their targets)."""
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
