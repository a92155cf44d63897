"""Where an assignment's outputs go, so that two assignments never overwrite each other.

    python -m autograder.build.layout [--default assignment/assignment.yaml] ASSIGNMENT_YAML

prints three paths on one line: the student release's folder, the folder of the zips
and the folder of everything else built (the Makefile reads them); with
``--code-pins``, the pins of the packages the student's code may use. The default
assignment keeps the historical places (``student_template/``, committed; ``dist/``;
``build/``); any other writes under ``build/<slug>/`` and ``dist/<slug>/``, and two
assignment.yaml files with the same slug are an error naming both (:func:`claim`).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from autograder.runtime import config

DEFAULT_ASSIGNMENT = Path("assignment") / "assignment.yaml"


@dataclasses.dataclass(frozen=True)
class Outputs:
    student: Path  # the student release (a folder; student.zip is built from it)
    dist: Path  # the zips to upload and MANIFEST.json
    build: Path  # grading results, benchmarks, scratch

    def __str__(self) -> str:
        return f"{self.student} {self.dist} {self.build}"


def outputs(assignment: config.Assignment, default: Path = DEFAULT_ASSIGNMENT, *, base: Path = Path(".")) -> Outputs:
    """The output folders of ``assignment`` (relative to ``base``, the project root)."""
    if _same_file(assignment.path, base / default):
        return Outputs(base / "student_template", base / "dist", base / "build")
    slug = assignment.slug
    return Outputs(base / "build" / slug / "student", base / "dist" / slug, base / "build" / slug)


CLAIM = ".assignment"  # in an assignment's build folder: the assignment.yaml that owns its outputs


def claim(assignment: config.Assignment, found: Outputs) -> None:
    """Record that ``assignment`` owns ``found`` (a file in its build folder), unless
    another assignment.yaml that still exists, with the same slug, owns them: then a
    :class:`config.ConfigError` naming both files (two assignments with one slug would
    overwrite each other's zips). Before anything is built; for assignments other than
    the default (whose outputs are its own)."""
    record = found.build / CLAIM
    mine = Path(assignment.path).resolve()
    try:
        owner = Path(record.read_text(encoding="utf-8").strip())
    except OSError:
        owner = mine
    if owner != mine and owner.is_file():
        try:
            same = config.load(owner).slug == assignment.slug
        except config.ConfigError:
            same = False
        if same:
            raise config.ConfigError(mine, "slug", f"{assignment.slug!r} is also the slug of {owner}: both would "
                                     f"write {found.dist}/ and {found.build}/; give one of them another slug "
                                     f"(if {owner} is an old copy, delete it or {record})")
    found.build.mkdir(parents=True, exist_ok=True)
    record.write_text(f"{mine}\n", encoding="utf-8")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", type=Path)
    parser.add_argument("--default", type=Path, default=DEFAULT_ASSIGNMENT)
    parser.add_argument("--code-pins", action="store_true", help="print the pins of packages.code instead")
    args = parser.parse_args(argv)
    try:
        assignment = config.load(args.assignment)
        if args.code_pins:
            print(" ".join(f"{n}=={v}" for n, v in assignment.packages.code.items()))
        else:
            found = outputs(assignment, args.default)
            if not _same_file(assignment.path, args.default):
                claim(assignment, found)
            print(found)
    except config.ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
