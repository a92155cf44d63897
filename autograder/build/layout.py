"""Where an assignment's outputs go, so that two assignments never overwrite each other.

    python -m autograder.build.layout [--default assignment/assignment.yaml] ASSIGNMENT_YAML

prints three paths on one line: the student release's folder, the folder of the zips
and the folder of everything else built (the Makefile reads them); with
``--code-pins``, the pins of the packages the student's code may use. The default
assignment keeps the historical places (``student_template/``, committed; ``dist/``;
``build/``); any other writes under ``build/<slug>/`` and ``dist/<slug>/``.
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
            print(outputs(assignment, args.default))
    except config.ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
