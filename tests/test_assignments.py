"""The framework against every assignment of the repository (the CNN one,
examples/strutils and examples/transit, which have no numpy): each validates, builds reproducibly, releases
no solution, and grades its reference full and its stubs zero, on Gradescope's path and
on the student's laptop. Nothing here knows what either assignment is about."""

import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder.build import layout, validate
from autograder.build.autograder_zip import build_autograder
from autograder.build.student_release import build_student
from autograder.grade.results import split_score
from autograder.runtime import archive, config
from autograder.staff import simulate
from tests.conftest import ASSIGNMENT, ROOT
from tests.fabricate import Variant

pytestmark = pytest.mark.e2e  # builds both releases of every assignment, and grades them

ASSIGNMENTS = {"convnet": ROOT / "assignment" / "assignment.yaml",
               "strutils": ROOT / "examples" / "strutils" / "assignment.yaml",
               "transit": ROOT / "examples" / "transit" / "assignment.yaml"}  # data files, given code


@pytest.fixture(scope="module", params=sorted(ASSIGNMENTS))
def built(request, tmp_path_factory):
    """(assignment, student release folder, dist folder with both zips)."""
    a = config.load(ASSIGNMENTS[request.param])
    tmp = tmp_path_factory.mktemp(a.slug)
    # The CNN assignment's release is the session's (conftest), built once for every module.
    student = request.getfixturevalue("student_release") if a.path == ASSIGNMENT.path else build_student(
        a, tmp / "student")
    archive.write_zip(student, tmp / "dist" / "student.zip")
    build_autograder(a, tmp / "dist" / "autograder.zip")
    return a, student, tmp / "dist"


# The CNN assignment's reference and stubs, graded with the other modules' (conftest.Gradings).
GRADINGS = [Variant(), Variant(base="stubs", layout="flat")]


def public_points(a):
    return sum(g.points for g in a.groups if g.public)


def test_validates(built):
    a, _, _ = built
    assert validate.problems(a) == []


def test_two_builds_give_the_same_bytes(built, tmp_path, request):
    a, _, dist = built
    again = request.getfixturevalue("student_release_again") if a.path == ASSIGNMENT.path else build_student(
        a, tmp_path / "student")
    archive.write_zip(again, tmp_path / "student.zip")
    build_autograder(a, tmp_path / "autograder.zip")
    for name in ("student.zip", "autograder.zip"):
        assert (tmp_path / name).read_bytes() == (dist / name).read_bytes(), name


def test_student_release_holds_no_solution_nor_hidden_test(built):
    a, student, _ = built
    hidden = [g.id for g in a.groups if not g.public]
    reference_lines = set()
    for path in a.reference.glob("*.py"):
        inside, outside = _split_solution(path.read_text())
        reference_lines |= inside - outside  # lines only a solution has
    for rel in archive.tree_files(student):
        text = (student / rel).read_text(encoding="utf-8", errors="replace")
        assert "BEGIN SOLUTION" not in text, rel
        assert not [h for h in hidden if h in text], rel
        if rel.suffix == ".py":
            leaked = [line for line in reference_lines & {t.strip() for t in text.splitlines()} if len(line) > 25]
            assert not leaked, (rel, leaked[:3])


def _split_solution(source):
    """(stripped lines inside solution regions, stripped lines outside them)."""
    sides, inside = (set(), set()), False
    for line in source.splitlines():
        if line.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
            inside = line.strip() == "# BEGIN SOLUTION"
        else:
            sides[0 if inside else 1].add(line.strip())
    return sides


def test_both_sides_pin_the_same_versions(built):
    """A package both zips install has one version, and it is the one the project's
    own venv (requirements.txt) runs the tests with."""
    a, _, dist = built
    pins = {name: config.parse_pins(zipfile.ZipFile(dist / name).read("requirements.txt").decode())
            for name in ("student.zip", "autograder.zip")}
    common = set(pins["student.zip"]) & set(pins["autograder.zip"])
    assert set(config.framework_pins()) | set(a.packages.code) <= common
    assert {n: pins["student.zip"][n] for n in common} == {n: pins["autograder.zip"][n] for n in common}
    project = config.parse_pins((ROOT / "requirements.txt").read_text())
    disagree = {n: (v, project[n]) for n, v in pins["autograder.zip"].items() if n in project and project[n] != v}
    assert not disagree, f"requirements.txt and {a.path} pin different versions: {disagree}"


def test_the_autograder_installs_numpy_only_when_the_code_uses_it(built):
    a, _, dist = built
    pins = config.parse_pins(zipfile.ZipFile(dist / "autograder.zip").read("requirements.txt").decode())
    assert ("numpy" in pins) == a.packages.uses("numpy")


def test_reference_full_and_stubs_zero_on_gradescopes_path(built, tmp_path, request):
    a, student, dist = built
    if a.path == ASSIGNMENT.path:
        # The session's gradings hold both, graded with a zip of the same bytes (and
        # test_student_release checks that the stubs are the fresh release's).
        assert (dist / "autograder.zip").read_bytes() == request.getfixturevalue("autograder_zip").read_bytes()
        both = request.getfixturevalue("gradings").many(GRADINGS)
        graded = [(g.results, g.log) for g in both]
    else:
        graded = [simulate.grade(dist / "autograder.zip", submission, tmp_path / "results.json")[:2]
                  for submission in (a.reference, student / a.package)]
    for (results, log), expected in zip(graded, (a.total_points, 0), strict=True):
        assert split_score(results)[0] == expected, log[-3000:]
        assert len(results["tests"]) == len(a.groups)
        assert "sandbox protections:" in log


def run_student_tests(release, tmp_path, package_dir, a, *, without_numpy):
    """``python -m pytest`` in a copy of the release, as a student runs it; with
    ``without_numpy``, in an interpreter where ``import numpy`` fails."""
    work = tmp_path / "release"
    shutil.copytree(release, work)
    if package_dir is not None:
        shutil.rmtree(work / a.package)
        shutil.copytree(package_dir, work / a.package)
    env = None
    if without_numpy:
        blocker = tmp_path / "no-numpy" / "numpy"
        blocker.mkdir(parents=True)
        (blocker / "__init__.py").write_text("raise ImportError('numpy is not installed')\n")
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(blocker.parent)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=work, capture_output=True,
                          text=True, timeout=600, env=env)
    match = re.search(r"^Public tests: ([\d.]+)/([\d.]+) points$", done.stdout, re.M)
    assert match, done.stdout[-3000:] + done.stderr[-2000:]
    return float(match.group(1)), float(match.group(2)), done.stdout


def test_public_tests_on_the_laptop(built, tmp_path):
    a, student, _ = built
    numpy_free = not a.packages.uses("numpy")
    got, top, out = run_student_tests(student, tmp_path / "ref", a.reference, a, without_numpy=numpy_free)
    assert (got, top) == (public_points(a), public_points(a)), out[-3000:]
    got, top, out = run_student_tests(student, tmp_path / "stubs", None, a, without_numpy=numpy_free)
    assert (got, top) == (0, public_points(a)) and "not implemented yet" in out and "Traceback" not in out


def test_every_assignment_has_outputs_of_its_own():
    places = [layout.outputs(config.load(p), base=ROOT) for p in ASSIGNMENTS.values()]
    assert places[0].student == ROOT / "student_template" and places[0].dist == ROOT / "dist"
    assert places[1].student == ROOT / "build" / "strutils" / "student" and places[1].dist == ROOT / "dist" / "strutils"
    assert len({p.student for p in places}) == len({p.dist for p in places}) == len(places)
