"""Data files of the public tests, computed from the reference when a release is built.

An assignment may name, under ``public_data:`` in assignment.yaml, a package (a folder
with ``__init__.py``, relative to assignment.yaml) whose ``make(reference)`` returns
``{file name: value}``: the values the public tests need and only the reference can
compute (the gradients a backward pass must return on given inputs). Each is written
with :func:`autograder.runtime.casedata.dumps` beside the public tests, in the student
release and in the autograder zip alike; the tests read it with
:func:`autograder.runtime.casedata.load`. The maker and the reference never ship to
students; their values do, and a public test then gives the same verdict everywhere.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from autograder.runtime import casedata, config
from autograder.runtime.packages import load_package

FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.json")


def files(assignment: config.Assignment) -> dict[str, str]:
    """``{file name: text}`` of the assignment's public data (none without ``public_data:``);
    :class:`~autograder.runtime.config.ConfigError` naming the problem when the maker
    fails or returns something that cannot be written."""
    if assignment.public_data is None:
        return {}
    if assignment.reference is None:
        raise config.ConfigError(assignment.path, "public_data", "needs the reference solutions")
    alias = f"_public_data_reference_{assignment.package}"
    try:
        reference = load_package(assignment.reference, alias)
        maker_alias = f"_public_data_{assignment.package}_{abs(hash(str(assignment.public_data)))}"
        maker = load_package(assignment.public_data, maker_alias)
        made: Any = maker.make(reference)
    except Exception as err:
        raise config.ConfigError(assignment.path, "public_data",
                                 f"{assignment.public_data}: make(reference) failed: {type(err).__name__}: {err}"
                                 ) from err
    if not isinstance(made, dict):
        raise config.ConfigError(assignment.path, "public_data", "make(reference) must return {file name: value}")
    out = {}
    for name, value in sorted(made.items()):
        if not isinstance(name, str) or not FILE_NAME.fullmatch(name):
            raise config.ConfigError(assignment.path, "public_data",
                                     f"{name!r} is not a plain file name ending in .json")
        try:
            out[name] = casedata.dumps(value)
        except TypeError as err:
            raise config.ConfigError(assignment.path, "public_data", f"{name}: {err}") from err
    return out


def write(assignment: config.Assignment, tests: Path) -> None:
    """Write the public data into ``tests`` (the folder of the public tests)."""
    for name, text in files(assignment).items():
        (tests / name).write_text(text, encoding="utf-8")
