"""Check a release before anyone uploads it: the reference must score full marks and
the stubs zero through the real grading path, then print each artifact's sha256.

    python -m autograder.release --assignment assignment/assignment.yaml \
        --student-release student_template --dist dist
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

from . import config, simulate


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(assignment: config.Assignment, student_release: Path, dist: Path) -> list[str]:
    """Grade the reference and the stubs; return the problems found ([] when fine)."""
    problems = []
    expectations = [
        ("reference", assignment.reference, assignment.total_points),
        ("stubs", student_release / assignment.package, 0.0),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for label, submission, expected in expectations:
            results, log, _ = simulate.grade(dist / "autograder.zip", submission, Path(tmp) / f"{label}.json")
            print(f"  {label:<10} {results['score']:g}/{assignment.total_points:g}  ({results['execution_time']:.1f} s)")
            if abs(results["score"] - expected) > 1e-9:
                failing = [f"{t['number']} {t['name']}: {t['output'][:300]}" for t in results["tests"]
                           if (t["score"] < t["max_score"]) == (expected > 0)]
                problems.append(f"{label} scored {results['score']:g}, expected {expected:g}:\n  " + "\n  ".join(failing[:10])
                                + f"\n--- grader log ---\n{log[-3000:]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", type=Path, required=True)
    parser.add_argument("--student-release", type=Path, required=True)
    parser.add_argument("--dist", type=Path, default=Path("dist"))
    args = parser.parse_args(argv)
    assignment = config.load(args.assignment)
    print(f"Release check of {assignment.name} {assignment.version}:")
    problems = check(assignment, args.student_release, args.dist)
    for artifact in sorted(args.dist.glob("*.zip")):
        print(f"  {artifact}  sha256 {sha256(artifact)}")
    if problems:
        print("\nRELEASE CHECK FAILED:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    print("Release check passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
