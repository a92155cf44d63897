"""Extra credit, optional modules and the leaderboard, in the generic framework (the
bonus itself is graded end to end in test_grading.py)."""

import jsonschema
import pytest

from autograder.build.student_release import points_markdown
from autograder.grade import locate
from autograder.grade.results import build_results
from autograder.runtime import config
from autograder.runtime.pytest_plugin import GradingPlugin, points_table
from autograder.runtime.scoring import CaseOutcome, score_group
from tests.conftest import SCHEMA

YAML = """
name: A
slug: a
version: "1"
package: pkg
modules: [m, fast]
optional_modules: [fast]
total_points: 3
parts:
  - name: P
    tests:
      - {id: test_one, name: one, points: 1, public: true}
      - {id: test_two, name: two, points: 2}
  - name: Speed
    tests:
      - {id: test_bonus, name: bonus, points: 4, extra_credit: true}
"""


@pytest.fixture
def assignment(tmp_path):
    path = tmp_path / "assignment.yaml"
    path.write_text(YAML)
    return config.load(path)


def scores(assignment, passed):
    return [score_group(g, [CaseOutcome("", g.id in passed)]) for g in assignment.groups]


def test_extra_credit_adds_on_top_and_the_leaderboard_is_written(assignment):
    board = [{"name": "speedup", "value": 12.5, "order": "desc"}]
    results = build_results(assignment, scores(assignment, {"test_one", "test_two", "test_bonus"}), execution_time=1,
                            problems=[], extra_data={}, leaderboard=board)
    jsonschema.validate(results, SCHEMA)
    bonus = results["tests"][2]
    assert (bonus["score"], bonus["max_score"], bonus["visibility"]) == (4, 0, "after_published")
    assert results["score"] == 7 and results["leaderboard"] == board
    assert "visible tests 1/1 points" in results["output"]
    without = build_results(assignment, scores(assignment, set()), execution_time=1, problems=[], extra_data={})
    assert without["score"] == 0 and "leaderboard" not in without


def test_points_tables_show_extra_credit_apart(assignment):
    text = points_markdown(assignment)
    assert "| **Total (3)** | **1** | **2** |" in text
    assert "| Speed (extra credit, on top of the total) | | +4 |" in text
    lines = points_table(scores(assignment, {"test_bonus"}), "Tests")
    assert lines[-1] == "Tests: 4/3 points"


def test_public_only_keeps_optional_modules_and_drops_the_bonus(assignment):
    data = assignment.public_only()
    assert data["optional_modules"] == ["fast"] and data["total_points"] == 1
    assert [t["id"] for p in data["parts"] for t in p["tests"]] == ["test_one"]


def test_leaderboard_fixture_records_and_checks(assignment):
    plugin = GradingPlugin(assignment, lambda: None)
    record = plugin.leaderboard()  # the value of the leaderboard fixture
    record("speedup", 3)
    record("speedup", 12.25)  # the last value wins
    record("time", 0.5, order="asc")
    assert plugin.leaderboard_entries() == [{"name": "speedup", "value": 12.25, "order": "desc"},
                                            {"name": "time", "value": 0.5, "order": "asc"}]
    with pytest.raises(ValueError, match="order"):
        record("x", 1, order="up")
    with pytest.raises(ValueError, match="finite"):
        record("x", float("nan"))


def test_a_missing_optional_module_is_no_problem_of_the_submission(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("x = 1\n")
    found = locate.locate(tmp_path, "pkg", ("m", "fast"), ("fast",))
    assert "fast.py was not submitted" in found.missing["fast"] and found.problems() == []
    (tmp_path / "pkg" / "m.py").unlink()
    (tmp_path / "pkg" / "fast.py").write_text("x = 1\n")
    found = locate.locate(tmp_path, "pkg", ("m", "fast"), ("fast",))
    assert [p.split(":")[0] for p in found.problems()] == ["m.py is missing"]
    (tmp_path / "pkg" / "m.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "fast.py").unlink()
    (tmp_path / "pkg" / "fast.py").symlink_to(tmp_path / "pkg" / "m.py")
    found = locate.locate(tmp_path, "pkg", ("m", "fast"), ("fast",))  # there, but unusable: a problem
    assert [p.split(":")[0] for p in found.problems()] == ["fast.py is a symbolic link, which is not accepted"]
