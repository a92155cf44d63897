"""A TA's assignment written from docs/ta-reference.md alone: examples/transit (no numpy:
a CSV data file the student's code opens by path, shipped to both sides, hidden data
for the autograder only, a file a test writes at grading time, a stateful class called
many times, the assignment's own exception hierarchy given as it is, a randomised
hidden test). It builds, and its reference (full), its stubs (0) and a buggy version
(partial) are graded through Gradescope's real path; its public tests run on a laptop.

Also: an assignment written against the previous release (test files importing
``autograder.testkit``, as the README taught then) still builds and grades."""

import json
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder.build import validate
from autograder.build.autograder_zip import build_autograder
from autograder.build.student_release import build_student
from autograder.grade.results import split_score
from autograder.runtime import archive, config
from autograder.staff import simulate
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

TRANSIT = ROOT / "examples" / "transit" / "assignment.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    a = config.load(TRANSIT)
    tmp = tmp_path_factory.mktemp("transit")
    student = build_student(a, tmp / "student")
    build_autograder(a, tmp / "autograder.zip")
    return a, student, tmp / "autograder.zip"


def test_data_ship_where_the_yaml_says(built):
    a, student, zip_path = built
    assert validate.problems(a) == []
    names = set(zipfile.ZipFile(zip_path).namelist())
    assert {"assignment/data/stops.csv", "assignment/data/hidden/network.csv"} <= names
    assert (student / "data" / "stops.csv").is_file()
    assert not (student / "data" / "hidden").exists()  # hidden data stays hidden
    shipped = "".join((student / rel).read_text(errors="replace") for rel in archive.tree_files(student))
    assert "network.csv" not in shipped and "Old Mill" not in shipped
    # the given classes reach students as they are, the graded code as stubs
    card = (student / "transit" / "card.py").read_text()
    assert "class InsufficientFunds(CardError):  # GIVEN" in card and "NotImplementedError" in card


def buggy(tmp_path, a):
    """The reference with a fare one zone short: the stops part stays right."""
    package = tmp_path / "buggy" / a.package
    shutil.copytree(a.reference, package)
    card = package / "card.py"
    card.write_text(card.read_text().replace("(abs(zone - self.start) + 1)", "abs(zone - self.start)"))
    return package


def test_reference_full_stubs_zero_buggy_partial_on_gradescopes_path(built, tmp_path):
    a, student, zip_path = built
    graded = {}
    for label, submission in (("reference", a.reference), ("stubs", student / a.package),
                              ("buggy", buggy(tmp_path, a))):
        results, log, _ = simulate.grade(zip_path, submission, tmp_path / f"{label}.json")
        graded[label] = (results, log)
    results, log = graded["reference"]
    assert split_score(results)[0] == a.total_points, log[-4000:]
    assert "Warning" not in log and "warning" not in log.lower().replace("warnings_", ""), log[-4000:]
    results, log = graded["stubs"]
    assert split_score(results)[0] == 0, log[-4000:]
    results, log = graded["buggy"]
    by_name = {t["name"]: t for t in results["tests"]}
    stops_points = sum(t["score"] for name, t in by_name.items() if name.startswith(("load_stops", "zones")))
    assert stops_points == 10 and split_score(results)[0] == 10, log[-4000:]
    text = json.dumps(results)
    assert "Student" not in text  # the sandbox's own class names never reach a student
    assert "InsufficientFunds" in text or "the fare" in text


def test_public_tests_on_the_laptop_read_the_shipped_data(built, tmp_path):
    a, student, _ = built
    work = tmp_path / "release"
    shutil.copytree(student, work)
    shutil.rmtree(work / a.package)
    shutil.copytree(a.reference, work / a.package)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=work, capture_output=True,
                          text=True, timeout=600)
    assert re.search(r"^Public tests: 4/4 points$", done.stdout, re.M), done.stdout[-3000:] + done.stderr[-2000:]
    assert "warning" not in done.stdout.lower(), done.stdout[-3000:]


def test_an_assignment_of_the_previous_release_builds_and_grades(tmp_path):
    """examples/strutils with its test files as the previous release wrote them:
    ``from autograder.testkit import ...``."""
    old = tmp_path / "strutils"
    shutil.copytree(ROOT / "examples" / "strutils", old)
    for path in old.rglob("test_*.py"):
        text = path.read_text()
        assert "autograder.runtime.testkit" in text
        path.write_text(text.replace("autograder.runtime.testkit", "autograder.testkit"))
    a = config.load(old / "assignment.yaml")
    student = build_student(a, tmp_path / "student")
    zip_path = build_autograder(a, tmp_path / "autograder.zip")
    results, log, _ = simulate.grade(zip_path, a.reference, tmp_path / "results.json")
    assert split_score(results)[0] == a.total_points, log[-4000:]
    work = tmp_path / "release"
    shutil.copytree(student, work)
    shutil.rmtree(work / a.package)
    shutil.copytree(a.reference, work / a.package)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=work, capture_output=True,
                          text=True, timeout=600)
    public = sum(g.points for g in a.groups if g.public)
    assert re.search(rf"^Public tests: {public:g}/{public:g} points$", done.stdout, re.M), done.stdout[-3000:]
