"""The student release: up to date, reproducible, and scored right by its own tests."""

import filecmp

import pytest

from autograder.runtime import archive, config
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e  # builds the student release

ASSIGNMENT = ROOT / "assignment" / "assignment.yaml"


@pytest.fixture(scope="module")
def fresh_release(student_release):
    return student_release


def test_committed_student_template_is_up_to_date(fresh_release):
    committed = ROOT / "student_template"
    fresh, old = archive.tree_files(fresh_release), archive.tree_files(committed)
    assert fresh == old, "student_template/ is stale: run `make student` and commit it"
    stale = [str(p) for p in fresh if not filecmp.cmp(fresh_release / p, committed / p, shallow=False)]
    assert not stale, f"student_template/ is stale ({stale}): run `make student` and commit it"


def test_two_builds_give_identical_zips(tmp_path, fresh_release, student_release_again):
    first = archive.write_zip(fresh_release, tmp_path / "a.zip").read_bytes()
    assert archive.write_zip(student_release_again, tmp_path / "b.zip").read_bytes() == first


def test_release_has_no_solutions_or_hidden_tests(fresh_release):
    a = config.load(ASSIGNMENT)
    hidden_ids = [g.id for g in a.groups if not g.public]
    for rel in archive.tree_files(fresh_release):
        text = (fresh_release / rel).read_text(encoding="utf-8", errors="replace")
        assert "BEGIN SOLUTION" not in text, rel
        assert "np.tensordot(window, w" not in text, rel  # a distinctive reference line
        leaked = [h for h in hidden_ids if h in text]
        assert not leaked, f"{rel} names hidden tests {leaked}"


# The release's public tests on the reference (every public point) and on its stubs (zero,
# "not implemented yet", no traceback): tests/test_assignments.py, for every assignment.
