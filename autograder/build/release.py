"""Build and check a release before anyone uploads it: the assignment's folder is
validated (:mod:`autograder.build.validate`) before anything is written; the student release
is rebuilt; both zips are built aside; the reference must score full marks on the
graded part (its extra credit is reported on top) and the stubs zero through the real
grading path, the student release's own public tests, run as a student runs them,
must give the reference every public point, and every case's inputs must be inside the
contract the assignment declares (``contracts:``, :mod:`autograder.build.contracts`).
Only then are the zips put into ``dist/`` with ``MANIFEST.json``; a failed check
leaves no zip there.

    python -m autograder.build.release --assignment assignment/assignment.yaml \
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
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder.build import contracts, validate
from autograder.build.autograder_zip import build_autograder, stage
from autograder.build.student_release import build_student
from autograder.grade.results import split_score
from autograder.runtime import archive, config
from autograder.staff import simulate

MANIFEST = "MANIFEST.json"
FRAMEWORK = Path(__file__).resolve().parent.parent  # the whole of autograder/


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
    return config.parse_pins(text)


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


def _reference(assignment: config.Assignment) -> Path:
    """The reference package's folder; :func:`validate.check` refuses an assignment without one."""
    if assignment.reference is None:
        raise config.ConfigError(assignment.path, "reference", "is needed to build the releases")
    return assignment.reference


def check(assignment: config.Assignment, student_release: Path, dist: Path) -> list[str]:
    """Grade the reference and the stubs; return the problems found ([] when fine)."""
    problems = []
    expectations = [
        ("reference", _reference(assignment), assignment.total_points),
        ("stubs", student_release / assignment.package, 0.0),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for label, submission, expected in expectations:
            results, log, _ = simulate.grade(dist / "autograder.zip", submission, Path(tmp) / f"{label}.json")
            graded, bonus = split_score(results)  # the bonus depends on timing: reported, not required
            extra = f" + {bonus:g} extra credit" if bonus else ""
            print(f"  {label:<10} {graded:g}/{assignment.total_points:g}{extra}  ({results['execution_time']:.1f} s)")
            if abs(graded - expected) > 1e-9:
                failing = [f"{t['number']} {t['name']}: {t['output'][:300]}" for t in results["tests"]
                           if t["max_score"] and (t["score"] < t["max_score"]) == (expected > 0)]
                problems.append(f"{label} scored {graded:g}, expected {expected:g}:\n  " + "\n  ".join(failing[:10])
                                + f"\n--- grader log ---\n{log[-3000:]}")
    problems += check_public_tests(assignment, student_release)
    problems += check_contracts(assignment)
    return problems


def check_contracts(assignment: config.Assignment) -> list[str]:
    """Every case's inputs inside the documented contract (``contracts:``, see
    :mod:`autograder.build.contracts`), on the graders as the zip holds them."""
    if not assignment.contracts:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        stage(assignment, Path(tmp))
        found = contracts.violations(Path(tmp) / "assignment" / "assignment.yaml")
    print(f"  contracts  {'every case inside them' if not found else f'{len(found)} violations'}")
    return [f"outside the contract: {v}" for v in found[:20]]


PUBLIC_TOTAL = re.compile(r"^Public tests: ([\d.]+)/([\d.]+) points$", re.M)


def check_public_tests(assignment: config.Assignment, student_release: Path) -> list[str]:
    """Run the student release's public tests on the reference, as a student runs
    them (``python -m pytest`` in the release's folder, the package replaced by the
    reference); return the problems ([] when the reference gets every public point)."""
    expected = sum(g.points for g in assignment.groups if g.public)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "release"
        shutil.copytree(student_release, work, ignore=shutil.ignore_patterns("__pycache__", ".OTTER_LOG"))
        shutil.rmtree(work / assignment.package)
        shutil.copytree(_reference(assignment), work / assignment.package, ignore=shutil.ignore_patterns("__pycache__"))
        try:
            done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=work,
                                  capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            return ["the public tests of the student release did not finish in 900 s on the reference"]
    match = PUBLIC_TOTAL.search(done.stdout)
    got = float(match.group(1)) if match else None
    print(f"  {'public':<10} " + (f"{got:g}/{expected:g}" if match else "no points table")
          + "  (the student release's own tests, on the reference)")
    if got is not None and abs(got - expected) < 1e-9:
        return []
    return [f"the student release's public tests give the reference {got if got is not None else 'no score'}"
            f" (expected {expected:g}), run as a student runs them:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"]


def release(assignment: config.Assignment, student_release: Path, dist: Path) -> int:
    """Validate, build, check; on success put the zips and the manifest into ``dist``
    and return 0. On failure, ``dist`` holds no zip and no manifest of this release."""
    print(f"Release check of {assignment.name} {assignment.version}:")
    validate.check(assignment)
    dist.mkdir(parents=True, exist_ok=True)
    for old in [dist / MANIFEST, *dist.glob("*.zip")]:  # nothing unchecked must be left to upload
        old.unlink(missing_ok=True)
    build_student(assignment, student_release)
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        archive.write_zip(student_release, staging / "student.zip")
        build_autograder(assignment, staging / "autograder.zip")
        problems = check(assignment, student_release, staging)
        if problems:
            print(f"\nRELEASE CHECK FAILED (nothing was put into {dist}/):\n" + "\n".join(problems), file=sys.stderr)
            return 1
        for artifact in sorted(staging.glob("*.zip")):
            shutil.move(str(artifact), dist / artifact.name)
    for artifact in sorted(dist.glob("*.zip")):
        print(f"  {artifact}  sha256 {sha256(artifact)}")
    path = write_manifest(assignment, dist)  # only for a release that passed its check
    built = json.loads(path.read_text(encoding="utf-8"))
    print(f"  {path}  version {built['version']}, commit {built['git_commit'] or '(not a git checkout)'}")
    if built["git_dirty"]:
        print("  warning: uncommitted changes in the files this release was built from: it does not match "
              "that commit; commit them before uploading", file=sys.stderr)
    print("Release check passed.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", type=Path, required=True)
    parser.add_argument("--student-release", type=Path, required=True)
    parser.add_argument("--dist", type=Path, default=Path("dist"))
    args = parser.parse_args(argv)
    try:
        return release(config.load(args.assignment), args.student_release, args.dist)
    except (config.ConfigError, ValueError) as err:  # ValidationError, MarkerError, NotebookError
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
