"""The files a grader gives the student's process on Gradescope's path: copies of the
assignment's data files and folders a test writes, in the folder the sandbox shares
read-only with the student's process (:meth:`autograder.sandbox.supervisor.Sandbox.student_path`).
The provider the ``data_file`` and ``shared_folder`` fixtures use
(see :mod:`autograder.runtime.datafiles`)."""

from __future__ import annotations

import itertools
import shutil

from autograder.runtime import config
from autograder.runtime.datafiles import DataFileError, SharedFolder, entry_of
from autograder.sandbox.supervisor import Sandbox


class SandboxFiles:
    def __init__(self, assignment: config.Assignment, sandbox: Sandbox):
        self.assignment = assignment
        self.sandbox = sandbox
        self._count = itertools.count(1)

    def data_file(self, path: str) -> str:
        entry = entry_of(self.assignment, path)
        source = self.assignment.data_folder / path
        if not entry.to_autograder or not source.exists():
            raise DataFileError(f"{path!r} is not in the autograder: ship it there (data: in "
                                f"{self.assignment.path.name}, ship: both or autograder)")
        copy = self.sandbox.shared / "data" / path
        if not copy.exists():
            copy.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, copy, symlinks=False)
            else:
                shutil.copyfile(source, copy)
        return self.sandbox.student_path(copy)

    def shared_folder(self) -> SharedFolder:
        folder = self.sandbox.shared / "tests" / f"test{next(self._count)}"
        folder.mkdir(parents=True)
        return SharedFolder(folder, self.sandbox.student_path)
