"""Build ``autograder.zip`` for Gradescope: ``setup.sh`` and ``run_autograder`` at the
root, the pinned requirements, the framework, the assignment's graders, the reference
solutions and the catalogue of known mistakes (when the assignment has one).
Byte-identical on rebuild.

    python -m autograder.build.autograder_zip --assignment assignment/assignment.yaml --zip dist/autograder.zip
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import yaml

from autograder.build import public_data, validate
from autograder.runtime import archive, config

FRAMEWORK = Path(__file__).resolve().parents[1]  # autograder/
GRADESCOPE = FRAMEWORK / "grade" / "gradescope"
# What Gradescope runs: the trusted run, the sandbox, and the runtime the graders import.
# The builders and the staff's tools stay on the TA's machine.
SHIPPED = ("grade", "runtime", "sandbox")


def stage(assignment: config.Assignment, out: Path) -> Path:
    """Lay out the zip's tree in ``out``."""
    if assignment.reference is None:
        raise config.ConfigError(assignment.path, "reference", "the autograder needs the reference solutions")
    validate.check(assignment)
    for name in ("setup.sh", "run_autograder"):
        archive.copy_file(GRADESCOPE / name, out / name)
    (out / "requirements.txt").write_text(grader_requirements(assignment), encoding="utf-8")
    archive.copy_file(FRAMEWORK / "__init__.py", out / "autograder" / "__init__.py")
    for folder in SHIPPED:
        for rel in archive.tree_files(FRAMEWORK / folder):
            if rel.parts[0] != "gradescope":  # at the zip's top, above
                archive.copy_file(FRAMEWORK / folder / rel, out / "autograder" / folder / rel)
    for kind in ("public", "hidden"):
        tests = assignment.root / "tests" / kind
        for rel in archive.tree_files(tests):
            archive.copy_file(tests / rel, out / "assignment" / "tests" / kind / rel)
    public_data.write(assignment, out / "assignment" / "tests" / "public")  # as in the student release
    # The reference and the catalogue may live anywhere on the TA's machine: in the zip
    # they sit at fixed places, and the zip's assignment.yaml says so.
    places = {"reference": (assignment.reference, Path("solutions") / assignment.package),
              "diagnoses": (assignment.diagnoses, Path("assignment") / "diagnoses")}
    raw = yaml.safe_load(assignment.path.read_text(encoding="utf-8"))
    # data: shipped to the autograder (ship: both or autograder), beside assignment.yaml
    # as in the course's folder; the zip's yaml lists only those.
    for entry in assignment.data:
        if entry.to_autograder:
            for rel in validate.data_files(assignment, entry):
                archive.copy_file(assignment.data_folder / rel, out / "assignment" / rel)
    if "data" in raw:
        raw["data"] = [{"path": e.path, "ship": "autograder"} for e in assignment.data if e.to_autograder]
        raw.pop("data_root", None)
    raw.pop("public_data", None)  # its files are made above: the maker stays on the TA's machine
    for key, (package, place) in places.items():
        if package is not None:
            for rel in archive.tree_files(package):
                archive.copy_file(package / rel, out / place / rel)
            raw[key] = Path(os.path.relpath(place, "assignment")).as_posix()
    (out / "assignment" / "assignment.yaml").write_text(
        "# Generated from the course's assignment.yaml: the reference and the catalogue at their places in this zip.\n"
        + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


def grader_requirements(assignment: config.Assignment) -> str:
    """The zip's requirements.txt: the framework's pins and the assignment's
    ``packages.code`` and ``packages.graders``."""
    return config.requirements_text(
        assignment.packages.grader_pins(),
        "What the autograder installs on Gradescope (Python 3.10), generated from assignment.yaml's packages: "
        "and the framework's pins.")


def build_autograder(assignment: config.Assignment, zip_path: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        return archive.write_zip(stage(assignment, Path(tmp)), zip_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", type=Path, required=True)
    parser.add_argument("--zip", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        path = build_autograder(config.load(args.assignment), args.zip)
    except config.ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"autograder zip:  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
