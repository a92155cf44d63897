"""Files a test gives the student's code to open by path: the assignment's data files
(``data:`` in assignment.yaml) and folders a test writes into at run time.

A test asks for a path with the ``data_file`` fixture (``data_file("data/stops.csv")``)
or writes into the ``shared_folder`` fixture (``shared_folder.write_text("trips.csv",
text)``); both return a path string that the student's code can open wherever it runs:

- on a laptop (:class:`LocalFiles`), the data file where the release has it, and a
  temporary folder of pytest's;
- on Gradescope (``autograder.grade.runner``'s files), a copy in the folder the
  sandbox shares read-only with the student's process, as that process sees it (another
  path inside a private file system): the graders' own folders stay out of its reach.

A provider is any object with ``data_file(path) -> str`` and ``shared_folder() ->
SharedFolder``; the plugin takes one (``files=``).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from autograder.runtime import config


class DataFileError(LookupError):
    """A test asked for a data file the assignment does not ship where the test runs."""


class SharedFolder:
    """A folder a test writes into and the student's code reads (it cannot write it).

    ``path`` is the folder on the grader's side (write there with ``open``, ``shutil``,
    numpy...); :meth:`student_path` gives the path the student's code opens, and makes
    what the test wrote readable for it. :meth:`write_text` and :meth:`write_bytes` do
    both at once."""

    def __init__(self, path: Path, to_student: Callable[[Path], str]):
        self.path = path
        self._to_student = to_student

    def __truediv__(self, name: str) -> Path:
        return self.path / _relative(name)

    def student_path(self, name: str = "") -> str:
        """The path of ``name`` (in this folder; the folder itself by default) as the
        student's code opens it."""
        return self._to_student(self.path / _relative(name) if name else self.path)

    def write_text(self, name: str, text: str, encoding: str = "utf-8") -> str:
        """Write ``text`` to ``name`` (folders created); return its student path."""
        target = self / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding=encoding)
        return self.student_path(name)

    def write_bytes(self, name: str, data: bytes) -> str:
        """Write ``data`` to ``name`` (folders created); return its student path."""
        target = self / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return self.student_path(name)

    def __repr__(self) -> str:
        return f"SharedFolder({str(self.path)!r})"


def _relative(name: str) -> PurePosixPath:
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"{name!r}: give a path relative to the shared folder, without '..'")
    return rel


def entry_of(assignment: config.Assignment, path: str) -> config.DataEntry:
    """The ``data:`` entry holding ``path``; a clear error when there is none."""
    entry = assignment.data_entry(str(PurePosixPath(path)))
    if entry is None:
        listed = ", ".join(e.path for e in assignment.data) or "none"
        raise DataFileError(f"{path!r} is not a data file of the assignment: list it under data: in "
                            f"{assignment.path.name} (listed: {listed})")
    return entry


class LocalFiles:
    """Where the student's code runs in this process (a laptop): data files where they
    are, shared folders in a temporary folder removed at the end of the session."""

    def __init__(self, assignment: config.Assignment):
        self.assignment = assignment
        self._tmp: Path | None = None
        self._count = itertools.count(1)

    def data_file(self, path: str) -> str:
        entry_of(self.assignment, path)
        found = self.assignment.data_folder / path
        if not found.exists():
            raise DataFileError(f"{path!r} is not in {self.assignment.data_folder}: it ships to the autograder only "
                                "(data: in assignment.yaml), or it was moved")
        return str(found)

    def shared_folder(self) -> SharedFolder:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="shared-"))
        folder = self._tmp / f"test{next(self._count)}"
        folder.mkdir()
        return SharedFolder(folder, str)

    def close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
