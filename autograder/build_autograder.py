"""Build ``autograder.zip`` for Gradescope: ``setup.sh`` and ``run_autograder`` at the
root, the pinned requirements, the framework, the assignment's graders, the reference
solutions and the catalogue of known mistakes (when the assignment has one).
Byte-identical on rebuild.

    python -m autograder.build_autograder --assignment assignment/assignment.yaml --zip dist/autograder.zip
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from . import archive, config

FRAMEWORK = Path(__file__).resolve().parent
GRADESCOPE = FRAMEWORK / "gradescope"


def stage(assignment: config.Assignment, out: Path) -> Path:
    """Lay out the zip's tree in ``out``."""
    if assignment.reference is None:
        raise config.ConfigError(assignment.path, "reference", "the autograder needs the reference solutions")
    for name in ("setup.sh", "run_autograder", "requirements.txt"):
        archive.copy_file(GRADESCOPE / name, out / name)
    for rel in archive.tree_files(FRAMEWORK):
        if rel.parts[0] != "gradescope":
            archive.copy_file(FRAMEWORK / rel, out / "autograder" / rel)
    archive.copy_file(assignment.path, out / "assignment" / "assignment.yaml")
    for kind in ("public", "hidden"):
        folder = assignment.root / "tests" / kind
        for rel in archive.tree_files(folder):
            archive.copy_file(folder / rel, out / "assignment" / "tests" / kind / rel)
    # The reference and the catalogue sit where assignment.yaml says, relative to it.
    for package in (assignment.reference, assignment.diagnoses):
        if package is not None:
            package_rel = package.relative_to(assignment.root.parent)
            for rel in archive.tree_files(package):
                archive.copy_file(package / rel, out / package_rel / rel)
    return out


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
