"""Build the student release: stubs, public tests, the public-test runtime, the
student notebook (when the assignment has a master notebook, see
:mod:`autograder.notebook`), the files of ``<assignment>/student/`` (README,
requirements, Makefile), and ``VERSION`` (assignment.yaml's version).

    python -m autograder.build_student --assignment assignment/assignment.yaml \
        --out student_template --zip dist/student.zip

The release never contains a solution region, a hidden test or a hidden test's name.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import yaml

from . import archive, config, notebook, validate
from .stubs import stub_file

FRAMEWORK = Path(__file__).resolve().parent
# The part of the framework that public tests need on a student's laptop.
RUNTIME_MODULES = (
    "__init__.py",
    "archive.py",  # for submit
    "calls.py",  # the student's code always gets copies of its arguments
    "characterise.py",  # which features of the cases separate the failing ones
    "config.py",
    "inline.py",  # the notebook's checks
    "pictures.py",  # the notebook's pictures of a failed check
    "pytest_plugin.py",
    "scoring.py",
    "stopwatch.py",  # the stopwatch fixture
    "submit.py",  # make submit, and the notebook's export
    "testkit.py",
    "requirements-framework.txt",  # config.py reads the framework's pins
)
PYTEST_INI = """\
[pytest]
testpaths = tests
pythonpath = .
addopts = -p autograder.pytest_plugin --assignment tests/grading.yaml -p no:cacheprovider
"""


def build_student(assignment: config.Assignment, out: Path) -> Path:
    """Regenerate the student release in ``out`` (its old content is replaced)."""
    if assignment.reference is None:
        raise config.ConfigError(assignment.path, "reference", "is needed to build the student release")
    validate.check(assignment)  # before anything is written
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    package = out / assignment.package
    for src in archive.tree_files(assignment.reference):
        if src.suffix == ".py":
            stub_file(assignment.reference / src, package / src)
        else:
            archive.copy_file(assignment.reference / src, package / src)

    public = assignment.root / "tests" / "public"
    for src in archive.tree_files(public):
        archive.copy_file(public / src, out / "tests" / src)
    (out / "tests" / "grading.yaml").write_text(
        "# Points of the public tests (generated from the course's assignment.yaml).\n"
        + yaml.safe_dump(assignment.public_only(), sort_keys=False),
        encoding="utf-8",
    )

    master = notebook.find_master(assignment.root)
    if master is not None:
        notebook.assign_notebook(master, out, package=assignment.package)

    for name in RUNTIME_MODULES:
        archive.copy_file(FRAMEWORK / name, out / "autograder" / name)
    # Which release a student has: from assignment.yaml, not the git commit, so that
    # the committed template stays identical to a fresh build.
    (out / "VERSION").write_text(f"{assignment.version}\n", encoding="utf-8")
    (out / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")

    (out / "requirements.txt").write_text(config.requirements_text(
        assignment.packages.student_pins(), "Installs with pip alone on Python 3.10 to 3.13 (generated from the "
        "course's assignment.yaml)."), encoding="utf-8")
    extras = assignment.root / "student"
    if extras.is_dir():
        for src in archive.tree_files(extras):
            archive.copy_file(extras / src, out / src)
            if src.suffix == ".md":
                text = (out / src).read_text(encoding="utf-8")
                (out / src).write_text(text.replace("{{points_table}}", points_markdown(assignment)), encoding="utf-8")
    return out


def points_markdown(assignment: config.Assignment) -> str:
    """A markdown table of public and hidden points per part; extra credit in rows of
    its own after the total, as points on top."""
    rows: dict[str, list[float]] = {}
    extra: dict[str, float] = {}
    for g in assignment.groups:
        if g.extra_credit:
            extra[g.part] = extra.get(g.part, 0) + g.points
        else:
            rows.setdefault(g.part, [0, 0])[0 if g.public else 1] += g.points
    lines = ["| Part | Public tests | Hidden tests |", "| --- | ---: | ---: |"]
    lines += [f"| {part} | {pub:g} | {hid:g} |" for part, (pub, hid) in rows.items()]
    pub, hid = sum(r[0] for r in rows.values()), sum(r[1] for r in rows.values())
    lines.append(f"| **Total ({pub + hid:g})** | **{pub:g}** | **{hid:g}** |")
    lines += [f"| {part} (extra credit, on top of the total) | | +{points:g} |" for part, points in extra.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--zip", type=Path)
    args = parser.parse_args(argv)
    try:
        out = build_student(config.load(args.assignment), args.out)
    except (config.ConfigError, ValueError) as err:  # NotebookError and MarkerError too
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"student release: {out}/")
    if args.zip:
        print(f"student zip:     {archive.write_zip(out, args.zip)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
