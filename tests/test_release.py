"""Versioned, reproducible releases: dist/MANIFEST.json and the version stamps."""

import json
import subprocess
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograder.build import release
from autograder.build.autograder_zip import build_autograder
from autograder.runtime import archive
from tests.conftest import ASSIGNMENT, ROOT
from tests.fabricate import Variant

pytestmark = pytest.mark.e2e  # builds every artifact and runs the release check

# What the release check grades, as the session's gradings hold them (conftest.Gradings):
# the reference's package folder and the student release's, each uploaded as it is (flat).
CHECKED = {ROOT / "solutions" / "convnet": Variant(layout="flat"),
           ROOT / "student_template" / "convnet": Variant(base="stubs", layout="flat")}
GRADINGS = list(CHECKED.values())

@pytest.fixture(scope="module")
def dist(tmp_path_factory, student_release):
    """dist/ as `make release` lays it out, built from this checkout."""
    dist = tmp_path_factory.mktemp("dist")
    archive.write_zip(student_release, dist / "student.zip")
    build_autograder(ASSIGNMENT, dist / "autograder.zip")
    return dist


def test_manifest_hashes_match_the_files(dist):
    built = json.loads(release.write_manifest(ASSIGNMENT, dist).read_text())
    assert built["version"] == ASSIGNMENT.version and built["slug"] == ASSIGNMENT.slug
    assert set(built["artifacts"]) == {"autograder.zip", "student.zip"}
    for name, facts in built["artifacts"].items():
        data = (dist / name).read_bytes()
        assert facts == {"sha256": release.sha256(dist / name), "bytes": len(data)}
        assert len(facts["sha256"]) == 64
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert built["git_commit"] == head and isinstance(built["git_dirty"], bool)


def test_manifest_lists_the_pins_each_zip_installs(dist):
    built = release.manifest(ASSIGNMENT, dist)
    assert built["packages"]["autograder.zip"] == ASSIGNMENT.packages.grader_pins()
    assert built["packages"]["student.zip"] == ASSIGNMENT.packages.student_pins()
    assert "numpy" in built["packages"]["autograder.zip"] and "numpy" in built["packages"]["student.zip"]


def test_rebuild_gives_the_same_bytes_manifest_included(dist, tmp_path, student_release_again):
    first = release.write_manifest(ASSIGNMENT, dist).read_bytes()
    again = tmp_path / "dist"
    archive.write_zip(student_release_again, again / "student.zip")
    build_autograder(ASSIGNMENT, again / "autograder.zip")
    assert release.write_manifest(ASSIGNMENT, again).read_bytes() == first
    for name in ("student.zip", "autograder.zip"):
        assert (again / name).read_bytes() == (dist / name).read_bytes()


def test_version_is_stamped_into_the_student_release(dist):
    with zipfile.ZipFile(dist / "student.zip") as zf:
        assert zf.read("VERSION").decode() == f"{ASSIGNMENT.version}\n"
    assert (ROOT / "student_template" / "VERSION").read_text() == f"{ASSIGNMENT.version}\n"


def test_release_check_passes_with_the_bonus_on_top(autograder_zip, gradings, monkeypatch):
    """The reference earns extra credit on top of 100: the check compares the graded
    part (a regression: it once compared results.json's score, 105, with 100). The
    check's two gradings are the session's of the same folders with the same zip (the
    check grading for real: tests/test_validate.py's releases)."""
    done = {folder: gradings(variant) for folder, variant in CHECKED.items()}
    asked = []

    def grade(zip_path, submission, results_path, *args, **kwargs):
        assert not args and not kwargs and zip_path == autograder_zip.parent / "autograder.zip", (zip_path, args)
        asked.append(Path(submission).resolve())
        graded = done[Path(submission).resolve()]
        Path(results_path).write_text(json.dumps(graded.results))
        return graded.results, graded.log, graded.notes

    monkeypatch.setattr(release, "simulate", SimpleNamespace(grade=grade))
    assert release.check(ASSIGNMENT, ROOT / "student_template", autograder_zip.parent) == []
    assert sorted(asked) == sorted(CHECKED)
