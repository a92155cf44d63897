"""Find the student's package in a submission folder, whatever shape it came in.

Accepted: a ``<package>/`` folder or the module files on their own (``conv.py``...),
at the top or one folder down. The chosen files are copied (regular files only:
symlinks are never followed) into a fresh ``<package>/`` folder with an empty
``__init__.py``, so a broken ``__init__.py`` or one broken module costs only the
tests that need it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import stat
from pathlib import Path

from autograder.runtime.text import printable
from autograder.sandbox import messages

MAX_FILE_BYTES = 2 * 2**20
SKIPPED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"}


@dataclasses.dataclass
class Located:
    folder: Path | None  # where the module files were found
    found: dict[str, Path]  # module -> its file
    missing: dict[str, str]  # module -> message for the student
    notes: list[str]  # other things worth telling the student
    left_out: tuple[str, ...] = ()  # optional modules not submitted: no problem of the submission

    def problems(self) -> list[str]:
        """What is wrong with the submission: why modules are missing (only the first
        message when nothing was found: they are all the same), then the notes."""
        if self.folder is None:
            return list(self.missing.values())[:1] + self.notes
        return [why for m, why in self.missing.items() if m not in self.left_out] + self.notes

    def summary(self, package: str) -> str:
        if self.folder is None:
            return next(iter(self.missing.values()), messages.NO_FILES)
        return "; ".join(list(self.missing.values()) + self.notes)


def locate(submission: Path, package: str, modules: tuple[str, ...], optional: tuple[str, ...] = ()) -> Located:
    """Pick the folder of ``submission`` holding the most of ``modules``. A missing
    ``optional`` module is in ``missing`` (its tests say why) and, when it was simply
    not submitted, in ``left_out``, which :meth:`Located.problems` leaves out."""
    candidates = []
    for folder in _folders(submission):
        for where in (folder / package, folder):
            found = {m: where / f"{m}.py" for m in modules if _usable(where / f"{m}.py")}
            if found:
                depth = len(where.relative_to(submission).parts)
                candidates.append((len(found), -depth, where, found))
    if not candidates:
        seen = _listing(submission)
        wanted = ", ".join(f"{m}.py" for m in modules if m not in optional)
        message = messages.nothing_found(wanted, package, seen)
        notes = _near_misses(submission, modules)
        if any(name.endswith(".ipynb") for name in _names(submission)):
            notes.append(messages.notebooks_not_graded(package))
        zips = sorted(name for name in _names(submission) if name.lower().endswith(".zip"))
        if zips:  # make submit's submission.zip uploaded inside a folder, or as a file
            notes.append(messages.zip_not_unpacked(printable(zips[0])[:100], package))
        return Located(None, {}, {m: message for m in modules}, notes)
    _, _, folder, found = max(candidates, key=lambda c: (c[0], c[1], c[2].name == package))
    rel = printable(folder.relative_to(submission).as_posix())
    shown = "the top of your submission" if rel == "." else f"{rel}/"
    missing = {m: _why_missing(folder / f"{m}.py", shown, found, m in optional) for m in modules if m not in found}
    left_out = tuple(m for m in optional if m in missing and not os.path.lexists(folder / f"{m}.py"))
    return Located(folder, found, missing, _near_misses(folder, [m for m in modules if m not in found]), left_out)


def _why_missing(path: Path, shown: str, found: dict[str, Path], optional: bool = False) -> str:
    """Why a module file next to the others cannot be used, in words."""
    name = path.name
    if optional and not os.path.lexists(path):
        return messages.optional_not_submitted(name)
    if os.path.islink(path):
        return messages.symbolic_link(name)
    if _regular_file(path):
        return messages.file_too_large(name, MAX_FILE_BYTES // 2**20)
    return messages.file_missing(name, shown, [p.name for p in found.values()])


def copy_package(located: Located, package: str, destination: Path) -> Path:
    """Copy the located ``.py`` files into ``destination/<package>/``; return it."""
    target = destination / package
    target.mkdir(parents=True)
    if located.folder is not None:
        for entry in sorted(os.scandir(located.folder), key=lambda e: e.name):
            wanted = entry.name.endswith(".py") and entry.name != "__init__.py"
            small = wanted and entry.stat(follow_symlinks=False).st_size <= MAX_FILE_BYTES
            if small and _regular_file(Path(entry.path)):
                shutil.copyfile(entry.path, target / entry.name, follow_symlinks=False)
    (target / "__init__.py").write_text("")
    for path in [target, *target.iterdir()]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return target


def _folders(submission: Path) -> list[Path]:
    folders = [submission]
    try:
        for entry in sorted(os.scandir(submission), key=lambda e: e.name):
            if entry.is_dir(follow_symlinks=False) and entry.name not in SKIPPED_DIRS:
                folders.append(Path(entry.path))
    except OSError:
        pass
    return folders


def _usable(path: Path) -> bool:
    """A regular file (never a symbolic link) small enough to be graded."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= MAX_FILE_BYTES


def _names(folder: Path) -> list[str]:
    try:
        return [e.name for e in os.scandir(folder)]
    except OSError:
        return []


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _listing(submission: Path, limit: int = 15) -> str:
    names = []
    for dirpath, dirnames, filenames in os.walk(submission):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            names.append((Path(dirpath) / name).relative_to(submission).as_posix())
    shown = printable(", ".join(names[:limit]))
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _near_misses(folder: Path, modules) -> list[str]:
    """'found Conv.py: rename it to conv.py' for files that are almost right."""
    notes: list[str] = []
    try:
        names = [e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False)]
    except OSError:
        return notes
    for module in modules:
        for name in names:
            stem = re.sub(r"[\s_-]*(\(\d+\)|copy|\d+)$", "", name.rsplit(".", 1)[0], flags=re.I)
            if name != f"{module}.py" and stem.lower() == module.lower():
                notes.append(messages.near_miss(name, module))
    return notes
