"""Check a release before anyone uploads it: the reference must score full marks and
the stubs zero through the real grading path, then print each artifact's sha256 and
write ``dist/MANIFEST.json``.

    python -m autograder.release --assignment assignment/assignment.yaml \
        --student-release student_template --dist dist

The manifest says what was released: the assignment's version, the git commit it was
built from (and whether the files it was built from had uncommitted changes), the
sha256 and size of every zip in ``dist/``, and the package pins each zip installs. It
holds no timestamp, so a rebuild from the same commit gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from . import config, simulate
from .results import split_score


MANIFEST = "MANIFEST.json"
FRAMEWORK = Path(__file__).resolve().parent


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(assignment: config.Assignment, dist: Path) -> dict:
    """The release's manifest (see the module's docstring) for the zips in ``dist``."""
    artifacts, packages = {}, {}
    for path in sorted(dist.glob("*.zip")):
        artifacts[path.name] = {"sha256": sha256(path), "bytes": path.stat().st_size}
        pins = zip_pins(path)
        if pins:
            packages[path.name] = pins
    sources = [FRAMEWORK, assignment.root] + ([assignment.reference] if assignment.reference else [])
    commit, dirty = git_state(assignment.root, sources)
    return {
        "name": assignment.name,
        "slug": assignment.slug,
        "version": assignment.version,
        "git_commit": commit,
        "git_dirty": dirty,
        "artifacts": artifacts,
        "packages": packages,
    }


def write_manifest(assignment: config.Assignment, dist: Path) -> Path:
    path = dist / MANIFEST
    path.write_text(json.dumps(manifest(assignment, dist), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def zip_pins(zip_path: Path) -> dict[str, str]:
    """``{package: version}`` from the ``requirements.txt`` at the zip's top (a
    requirement that is not ``name==version`` keeps its whole specifier)."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            text = zf.read("requirements.txt").decode("utf-8")
    except (KeyError, zipfile.BadZipFile, OSError, UnicodeDecodeError):
        return {}
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        pins[name.strip()] = version.strip() if sep else line
    return pins


def git_state(where: Path, sources: list[Path]) -> tuple[str | None, bool | None]:
    """(HEAD's commit, whether ``sources`` differ from it, untracked files included);
    (None, None) outside a git checkout."""
    try:
        commit = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True, timeout=30).stdout.strip()
        status = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--", *map(str, sources)],
                                capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status.strip())


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
            graded, bonus = split_score(results)  # the bonus depends on timing: reported, not required
            print(f"  {label:<10} {graded:g}/{assignment.total_points:g}" + (f" + {bonus:g} extra credit" if bonus else "")
                  + f"  ({results['execution_time']:.1f} s)")
            if abs(graded - expected) > 1e-9:
                failing = [f"{t['number']} {t['name']}: {t['output'][:300]}" for t in results["tests"]
                           if t["max_score"] and (t["score"] < t["max_score"]) == (expected > 0)]
                problems.append(f"{label} scored {graded:g}, expected {expected:g}:\n  " + "\n  ".join(failing[:10])
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
    (args.dist / MANIFEST).unlink(missing_ok=True)  # an old manifest must not vouch for new zips
    problems = check(assignment, args.student_release, args.dist)
    for artifact in sorted(args.dist.glob("*.zip")):
        print(f"  {artifact}  sha256 {sha256(artifact)}")
    if problems:
        print("\nRELEASE CHECK FAILED:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    path = write_manifest(assignment, args.dist)  # only for a release that passed its check
    built = json.loads(path.read_text(encoding="utf-8"))
    print(f"  {path}  version {built['version']}, commit {built['git_commit'] or '(not a git checkout)'}")
    if built["git_dirty"]:
        print("  warning: uncommitted changes in the files this release was built from: it does not match "
              "that commit; commit them before uploading", file=sys.stderr)
    print("Release check passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
