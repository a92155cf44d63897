"""Every mistake of the catalogue, submitted as a student would make it and graded
through the real autograder, gets its own hint on the tests it loses and no other
hint; a correct submission gets none; hints stay where the test's visibility puts them."""

import re

import pytest

from autograder.grade.diagnose import load_catalogue
from autograder.runtime.packages import load_module_file
from tests.conftest import ASSIGNMENT
from tests.fabricate import Variant
from tests.mistaken import SUBMISSIONS

HINT_START = re.compile(r"^(Most likely|Possibly) ", re.M)


EFFECTS = load_module_file(ASSIGNMENT.effects, "_graded_effects").EFFECTS
# Effects that replaced a mistake of the catalogue keep its submission; the others are
# checked on values made from the reference in tests/test_effects.py.
EFFECTS_SUBMITTED = {"bias-offset", "values-misplaced", "grads-batch-averaged", "avg-divisor"}


@pytest.fixture(scope="module")
def catalogue(ref):
    """Every mistake with a hint: the catalogue's and the shipped effects' (by id)."""
    return {m.id: m for m in [*load_catalogue(ASSIGNMENT.diagnoses, ref, "_graded_diagnoses"), *EFFECTS]}


GRADINGS = [s.variant for s in SUBMISSIONS] + [Variant()]  # graded with the other modules' (conftest.Gradings)


@pytest.fixture(scope="module")
def graded(gradings):
    """``{mistake id: Graded}``, and the reference as ``"correct"`` (graded once per session)."""
    results = gradings.many(GRADINGS)
    return dict(zip([s.mistake for s in SUBMISSIONS] + ["correct"], results, strict=True))


def hinted(graded, what):
    """The ids of the test groups whose output gives this hint."""
    return {test_id for test_id, test in graded.by_id.items() if what in test["output"]}


def failed_cases(output):
    """How many cases a test's feedback says failed."""
    if output.startswith(("Passed.", "All ")):
        return 0
    if output.startswith("Failed."):
        return 1
    passed, total = re.match(r"(\d+) of (\d+) cases passed", output).groups()
    return int(total) - int(passed)


def test_every_mistake_has_a_submission(catalogue):
    effects = {e.id for e in EFFECTS}
    assert sorted(set(catalogue) - effects | EFFECTS_SUBMITTED) == sorted(s.mistake for s in SUBMISSIONS)


def test_a_correct_submission_gets_no_hint(graded):
    correct = graded["correct"]
    assert correct.score == 100
    assert not [t["name"] for t in correct.results["tests"] if HINT_START.search(t["output"])]


@pytest.mark.parametrize("submission", SUBMISSIONS, ids=[s.mistake for s in SUBMISSIONS])
def test_each_mistake_gets_its_own_hint_where_it_loses_points(graded, catalogue, submission):
    result, mistake = graded[submission.mistake], catalogue[submission.mistake]
    lost = result.lost()
    assert 0 < result.score < 100
    assert set(submission.unexplained) <= lost, "an unexplained test must be one it loses"
    assert hinted(result, mistake.what) == lost - set(submission.unexplained)
    others = [m.id for m in catalogue.values() if m is not mistake and hinted(result, m.what)]
    assert not others, f"hints of other mistakes: {others}"
    for test_id in lost - set(submission.unexplained):  # hidden tests: "most likely" after publication
        if not ASSIGNMENT.group(test_id).public:
            assert f"Most likely {mistake.what}:" in result.by_id[test_id]["output"], test_id


@pytest.mark.parametrize("submission", SUBMISSIONS, ids=[s.mistake for s in SUBMISSIONS])
def test_hints_follow_visibility(graded, catalogue, submission):
    result, mistake = graded[submission.mistake], catalogue[submission.mistake]
    assert not HINT_START.search(result.results["output"]) and mistake.what not in result.results["output"]
    visible = {test_id for test_id in hinted(result, mistake.what) if ASSIGNMENT.group(test_id).visibility == "visible"}
    # Before grades are published, students see the hint only in the visible tests that give it ...
    assert result.student_text().count(mistake.what) == len(visible)
    # ... and, in those, weighed on visible tests alone: one visible case is never "most likely".
    failed_visible = sum(failed_cases(t["output"]) for t in result.results["tests"] if t["visibility"] == "visible")
    for test_id in visible:
        strong = f"Most likely {mistake.what}:" in result.by_id[test_id]["output"]
        assert not strong or failed_visible >= 2, test_id


def test_hidden_evidence_does_not_strengthen_a_visible_hint(graded, catalogue):
    result, what = graded["filter-flipped"], catalogue["filter-flipped"].what
    # The visible test counts its own two cases (stride 1 and 2), not the hidden ones as well.
    visible = result.by_id["test_conv_forward_edge_filter"]["output"]
    assert f"Most likely {what}: on all 2 failed cases, your output" in visible
    assert "(in 2 tests)" not in visible
    assert f"Most likely {what}: on all " in result.by_id["test_conv_forward_random"]["output"]
