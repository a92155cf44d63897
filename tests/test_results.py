"""autograder/grade/results.py on its own: results.json from group scores (always valid
against Gradescope's schema), the summary a student reads first, the atomic write."""

import json
import math
import os

import jsonschema
import pytest

from autograder.grade.results import build_results, failure_results, split_score, summary, write_results
from autograder.runtime import config
from autograder.runtime.scoring import CaseOutcome, Hint, score_group
from tests.conftest import SCHEMA

YAML = """
name: Mini
slug: mini
version: "2.1"
package: mini
modules: [m]
total_points: 10
parts:
  - name: P
    tests:
      - {id: test_seen, name: seen, points: 4, public: true}
      - {id: test_later, name: later, points: 6}
  - name: Bonus
    tests:
      - {id: test_bonus, name: bonus, points: 2, extra_credit: true}
"""


@pytest.fixture
def assignment(tmp_path):
    (tmp_path / "assignment.yaml").write_text(YAML)
    return config.load(tmp_path / "assignment.yaml")


def scored(assignment, **cases):
    """One score per group: ``test_x=[True, False]`` gives its cases' outcomes."""
    return [score_group(g, [CaseOutcome(f"c{i}", ok, "" if ok else "wrong")
                            for i, ok in enumerate(cases.get(g.id, []))]) for g in assignment.groups]


def test_one_test_per_group_with_its_points_visibility_and_feedback(assignment):
    results = build_results(assignment, scored(assignment, test_seen=[True, False, True], test_later=[True],
                                               test_bonus=[True]), execution_time=3.14159, problems=[],
                            extra_data={"version": "2.1"})
    jsonschema.validate(results, SCHEMA)
    rows = [(t["name"], t["number"], t["score"], t["max_score"], t["status"], t["visibility"])
            for t in results["tests"]]
    assert rows == [
        ("seen", "1.1", 2.67, 4.0, "failed", "visible"), ("later", "1.2", 6.0, 6.0, "passed", "after_published"),
        ("bonus", "2.1", 2.0, 0.0, "passed", "after_published")]
    assert results["score"] == 10.67 and split_score(results) == (8.67, 2.0)
    assert results["execution_time"] == 3.14 and results["stdout_visibility"] == "hidden"
    assert results["tests"][0]["output"].startswith("2 of 3 cases passed.")
    assert results["extra_data"] == {"version": "2.1", "hints": []} and "leaderboard" not in results


def test_the_summary_lists_problems_then_visible_points_and_counts_the_hidden_tests(assignment):
    text = summary(assignment, scored(assignment, test_seen=[True]), ["conv.py is missing", "found Conv.py"])
    assert text.splitlines() == ["Problems with your submission:", "- conv.py is missing", "- found Conv.py", "",
                                 "Mini (version 2.1): visible tests 4/4 points.",
                                 "2 more tests are graded now and shown when grades are published."]
    assert "Problems" not in summary(assignment, scored(assignment), [])


def test_hints_go_to_extra_data_as_data_and_never_to_the_summary(assignment):
    hint = Hint("flipped", "the filter is flipped", "Do not flip it.")
    scores = scored(assignment)
    scores[1] = score_group(assignment.groups[1], [CaseOutcome("a", False, "wrong", replayed="f", hints=(hint,)),
                                                   CaseOutcome("b", False, "wrong", replayed="f", hints=(hint,))])
    results = build_results(assignment, scores, execution_time=0, problems=[], extra_data={})
    assert results["extra_data"]["hints"] == [{"id": "flipped", "what": "the filter is flipped", "cases": 2}]
    assert "the filter is flipped" in results["tests"][1]["output"] and "flipped" not in results["output"]


def test_output_is_cut_at_output_chars(assignment):
    scores = scored(assignment)
    scores[0] = score_group(assignment.groups[0], [CaseOutcome(f"c{i}", False, "x" * 400) for i in range(10)])
    output = build_results(assignment, scores, execution_time=0, problems=[], extra_data={}, output_chars=500)
    assert len(output["tests"][0]["output"]) <= 500 and output["tests"][0]["output"].endswith("[... cut ...]")


def test_failure_results_are_valid_and_score_nothing():
    results = failure_results("The grader could not run: out of memory.", execution_time=1.234)
    jsonschema.validate(results, SCHEMA)
    assert (results["score"], results["tests"], results["execution_time"]) == (0.0, [], 1.23)
    assert results["output"] == "The grader could not run: out of memory."


def test_write_results_is_atomic_readable_and_printable(tmp_path):
    path = tmp_path / "results" / "results.json"
    write_results(path, {"score": 1, "output": "a\x1b[31mred\x07\n\ttab", "tests": [{"name": "caf\udce9"}],
                         "extra_data": {"k\x00ey": ["\x85x"]}})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["output"] == "a[31mred\n\ttab" and data["extra_data"] == {"key": ["x"]}
    assert data["tests"][0]["name"].startswith("caf")  # a lone surrogate costs one character, not the file
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    assert os.listdir(path.parent) == ["results.json"]


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_one(tmp_path):
    path = tmp_path / "results.json"
    write_results(path, {"score": 5})
    with pytest.raises(ValueError):
        write_results(path, {"score": math.nan})  # not JSON: refused, never half-written
    assert json.loads(path.read_text()) == {"score": 5} and os.listdir(tmp_path) == ["results.json"]


def test_split_score_of_results_without_tests():
    assert split_score({"score": 42}) == (42, 0) and split_score({}) == (0, 0)
