"""autograder/runtime/scoring.py's points and wording, written out: what a student reads
for a group (pass counts, failures, what their code printed, cuts) and how a hint is
worded by its evidence (tests/test_diagnose.py checks how the evidence is weighed)."""

import pytest

from autograder.runtime.config import TestGroup as Group
from autograder.runtime.scoring import CaseOutcome, Hint, diagnoses, feedback, matched_hints, score_group

FLIPPED = Hint("flipped", "the filter is flipped", "Do not flip it.")
SWAPPED = Hint("swapped", "the axes are swapped", "Mind the order.")


def group(test_id="test_a", points=3.0, visibility="after_published"):
    return Group(test_id, test_id, "1.1", points, visibility == "visible", visibility, "P", {})


def case(name, passed, message="wrong", **kw):
    return CaseOutcome(name, passed, "" if passed else message, **kw)


@pytest.mark.parametrize("passed, points", [(0, 0.0), (1, 1.0), (2, 2.0), (3, 3.0)])
def test_points_in_proportion_to_cases(passed, points):
    assert score_group(group(), [case(f"c{i}", i < passed) for i in range(3)]).score == points


def test_points_are_rounded_to_a_hundredth_and_no_cases_scores_nothing():
    assert score_group(group(points=10), [case("a", True), case("b", False), case("c", False)]).score == 3.33
    never = score_group(group(), [])
    assert (never.score, never.passed, feedback(never)) == (0.0, False, "This test did not run.")


def test_passing_wording():
    assert feedback(score_group(group(), [case("", True)])) == "Passed."
    assert feedback(score_group(group(), [case("a", True), case("b", True)])) == "All 2 cases passed."
    printed = feedback(score_group(group(), [case("a", True), case("b", True, output="hello\nworld")]))
    assert printed == "All 2 cases passed.\nYour code printed (case b):\n    hello\n    world"


def test_failing_wording_shows_the_first_failures_and_counts_the_rest():
    text = feedback(score_group(group(), [case("", False, "expected a float")]))
    assert text == "Failed.\n- expected a float"
    cases = [case("ok", True)] + [case(f"c{i}", False, f"error {i}") for i in range(5)]
    assert feedback(score_group(group(), cases), max_cases=2).splitlines() == [
        "1 of 6 cases passed.", "- [c0] error 0", "- [c1] error 1", "- ... and 3 more failing cases."]


def test_what_the_code_printed_is_shown_with_its_failure_or_from_a_passing_case():
    own = feedback(score_group(group(), [case("a", False, "boom", output="debug 1")]))
    assert own == "Failed.\n- [a] boom\n  Your code printed:\n    debug 1"
    other = feedback(score_group(group(), [case("a", True, output="debug 2"), case("b", False, "boom")]))
    assert other.splitlines()[-2:] == ["Your code printed (case a, which passed):", "    debug 2"]


def test_long_feedback_is_cut_with_a_mark():
    text = feedback(score_group(group(), [case(f"c{i}", False, "x" * 300) for i in range(3)]), max_chars=400)
    assert len(text) <= 400 and text.endswith("\n[... cut ...]")
    printed = feedback(score_group(group(), [case("a", True, output="y" * 5000)]), max_chars=300)
    assert len(printed) <= 300 and printed.endswith("[... cut ...]")


def test_the_smallest_failing_public_case_is_shown_with_its_inputs():
    cases = [case("big", False, size=50, inputs="x = big"), case("small", False, size=2, inputs="x = [1, 2]"),
             case("fine", True, size=1)]
    assert "The smallest failing case, [small]:\n    x = [1, 2]" in feedback(score_group(group(), cases))
    hidden = [case("big", False, size=50), case("small", False, size=2)]  # hidden: no inputs recorded
    assert "smallest" not in feedback(score_group(group(), hidden))


def evidence(*rows):
    """Failed cases: (case id, replayed function, hints)."""
    return [case(name, False, replayed=function, hints=hints) for name, function, hints in rows]


def test_most_likely_on_every_explainable_case_names_the_function():
    hints = diagnoses([score_group(group(), evidence(("a", "conv", (FLIPPED,)), ("b", "conv", (FLIPPED,))))])
    assert hints == {"test_a": ["Most likely the filter is flipped: on all 2 failed cases, your output matches what "
                                "conv gives with that mistake. Do not flip it."]}


def test_several_functions_and_tests_are_named_together():
    first = score_group(group("test_a"), evidence(("a", "conv", (FLIPPED,)), ("b", "pool", (FLIPPED,))))
    second = score_group(group("test_b"), evidence(("c", "relu", (FLIPPED,))))
    line = diagnoses([first, second])["test_a"][0]
    assert line.startswith("Most likely the filter is flipped: on all 3 failed cases (in 2 tests), your output "
                           "matches what conv, pool and relu give with that mistake.")


def test_thin_evidence_is_not_said_and_one_case_is_possibly():
    few = evidence(*[(f"c{i}", "conv", (FLIPPED,) if i < 2 else ()) for i in range(5)])
    assert diagnoses([score_group(group(), few)]) == {}  # 2 of 5: the other 3 say it is not this mistake
    one = diagnoses([score_group(group(), evidence(("", "conv", (SWAPPED,))))])["test_a"][0]
    assert one == ("Possibly the axes are swapped: on this test, your output matches what conv gives with that "
                   "mistake; that is one case only, so check it. Mind the order.")


def test_two_mistakes_are_said_when_each_explains_most_and_tallied_for_staff():
    scores = [score_group(group(), evidence(("a", "conv", (FLIPPED, SWAPPED)), ("b", "conv", (FLIPPED, SWAPPED))))]
    lines = diagnoses(scores)["test_a"]
    assert sorted(line.split(":")[0] for line in lines) == ["Most likely the axes are swapped",
                                                            "Most likely the filter is flipped"]
    assert matched_hints(scores) == [{"id": "flipped", "what": "the filter is flipped", "cases": 2},
                                     {"id": "swapped", "what": "the axes are swapped", "cases": 2}]
    scores = [score_group(group(), evidence(("a", "conv", (FLIPPED, SWAPPED)), ("b", "conv", (FLIPPED,))))]
    assert [line.split(":")[0] for line in diagnoses(scores)["test_a"]] == ["Most likely the filter is flipped"]
    assert [h["id"] for h in matched_hints(scores)] == ["flipped"]  # swapped: one case of two, a coincidence
