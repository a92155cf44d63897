"""Start a new assignment: a folder that ``make release ASSIGNMENT=<dir>/assignment.yaml``
builds and checks straight away (the reference scores full marks, the stubs zero).

    python -m autograder.staff.scaffold --name wordplay [--dir assignments/wordplay]

writes::

    <dir>/assignment.yaml                  what is graded, for how many points
    <dir>/reference/<name>/__init__.py     the reference package: what students import
    <dir>/reference/<name>/basics.py       one graded function, its body between markers
    <dir>/tests/public/test_basics.py      a public test (shipped to students)
    <dir>/tests/hidden/test_basics_hidden.py   a hidden test (Gradescope only)
    <dir>/student/README.md, Makefile      copied into the student release
    <dir>/mutants-equivalent.yaml          reviewed equivalent mutants (make mutants), none yet

Then replace the example function and tests with your own; the release check says what
is missing, naming the file and the key or line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FILES = {
    "assignment.yaml": '''\
# {name}: what is graded, for how many points, and how (every key: docs/ta-reference.md
# of the framework). Each parts[].tests entry is one pytest function, by name,
# in tests/public/ (public: true, shipped to students) or tests/hidden/ (Gradescope only).

name: {title}
slug: {name}
version: "0.1.0"               # bump it for every release students or Gradescope get
package: {name}                # the package students complete
modules: [basics]              # its modules, one file each (reference/{name}/basics.py)
reference: reference/{name}
total_points: 10

packages:                      # exact pins that install with pip on Python 3.10 to 3.13
  code: {{}}                     # the student's code may import these, e.g. {{numpy: "2.2.6"}}
  graders: {{}}                  # only the hidden graders use these (Gradescope only)
  student: {{}}                  # only the student's laptop needs these (Jupyter...)

sandbox:
  call_timeout_seconds: 5
  total_budget_seconds: 420    # Gradescope stops everything at its own timeout (10 min by default)

# data:                        # files the student's code opens (tests: the data_file fixture)
#   - {{path: data/sample.csv, ship: both}}       # students and the autograder
#   - {{path: data/hidden, ship: autograder}}     # hidden data: the autograder only

parts:
  - number: 1
    name: Basics
    tests:
      - {{id: test_double_small, name: "double: small numbers", points: 4, public: true}}
      - {{id: test_double_hidden, name: "double: numbers you have not seen", points: 6}}
''',
    "reference/{name}/__init__.py": '''\
"""{title}: the package students complete (this is the reference solution)."""

from .basics import double

__all__ = ["double"]
''',
    "reference/{name}/basics.py": '''\
"""The first part of the assignment."""


def double(x):
    """Return twice ``x``.

    The lines between the two markers are the solution: the student release has
    ``raise NotImplementedError`` in their place.
    """
    # BEGIN SOLUTION
    return 2 * x
    # END SOLUTION
''',
    "tests/public/test_basics.py": '''\
"""Public tests: shipped to students, and graded on Gradescope too."""

import pytest

from autograder.runtime.testkit import check_value, describe


@pytest.mark.parametrize("x, expected", [(1, 2), (0, 0), (-3, -6), (2, 4)])
def test_double_small(student, x, expected):
    check_value(student.double(x), expected, what="the result", call=describe("double", x))
''',
    "tests/hidden/test_basics_hidden.py": '''\
"""Hidden tests: Gradescope only; the expected values come from the reference."""

import pytest

from autograder.runtime.testkit import check_value, describe


@pytest.mark.parametrize("x", [7, 1000, -12345])
def test_double_hidden(student, reference, x):
    check_value(student.double(x), reference.double(x), what="the result", call=describe("double", x))
''',
    "mutants-equivalent.yaml": '''\
# Mutants of the reference that no allowed input tells apart from it (make mutants
# ASSIGNMENT=...; see the framework's docs/mutants.md): each entry is left out of the
# mutation score. One per mutant, its id and mutated line as the report shows them:
#
# - id: basics.double.NumberReplacer.0
#   after: "return 3 * x"
#   reason: why no input the docstring allows tells it apart
''',
    "student/README.md": '''\
# Assignment: {title}

## Setup

    python3 -m venv .venv && . .venv/bin/activate
    pip install -r requirements.txt

## What to do

Fill in the functions in `{name}/`: each raises `NotImplementedError` until you replace
that line with your code. Do not change their names or signatures: the graders call them.

## Testing

    make test        # or just: pytest

## What is graded

{{{{points_table}}}}

## Submitting

    make submit

writes `submission.zip`; upload it to Gradescope.
''',
    "student/Makefile": '''\
# `make test` runs the public tests and prints your points; `make submit` checks your
# package and writes submission.zip for Gradescope.
PYTHON ?= python3

.PHONY: test submit
test:
\t$(PYTHON) -m pytest

submit:
\t$(PYTHON) -m autograder.runtime.submit --assignment tests/grading.yaml --out submission.zip
''',
}


class ScaffoldError(ValueError):
    pass


def scaffold(name: str, folder: Path) -> list[Path]:
    """Write a new assignment named ``name`` (its package, slug and folder name) into
    ``folder``, which must not exist yet; return the files written."""
    if not name.isidentifier() or name.startswith("_") or name != name.lower():
        raise ScaffoldError(f"NAME={name!r}: use a lower-case Python identifier (it is the package students import)")
    if folder.exists():
        raise ScaffoldError(f"{folder} exists already: give another NAME or DIR")
    title = name.replace("_", " ").capitalize()
    written = []
    for rel, text in FILES.items():
        path = folder / rel.format(name=name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(name=name, title=title), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--dir", type=Path, help="where (default: assignments/<name>)")
    args = parser.parse_args(argv)
    folder = args.dir or Path("assignments") / args.name
    try:
        written = scaffold(args.name, folder)
    except ScaffoldError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"  {path}")
    print(f"\nNext: make release ASSIGNMENT={folder / 'assignment.yaml'}")
    print(f"How strong your tests are: make mutants ASSIGNMENT={folder / 'assignment.yaml'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
