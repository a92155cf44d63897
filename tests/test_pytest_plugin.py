"""autograder/runtime/pytest_plugin.py as students run it (``pytest -p
autograder.runtime.pytest_plugin --assignment ...``), inside pytest with ``pytester``:
points per case, the points table, failures in a sentence, a module that does not
import costing only its tests, and config mistakes stopping the run."""

import pytest

YAML = """
name: Mini
slug: mini
version: "1"
package: mini
modules: [arith, text]
total_points: 10
parts:
  - name: Arithmetic
    tests:
      - {id: test_add, name: add, points: 4, public: true}
      - {id: test_todo, name: todo, points: 2, public: true}
  - name: Text
    tests:
      - {id: test_shout, name: shout, points: 4, public: true}
"""

TESTS = """
import pytest


@pytest.mark.parametrize("a, b", [(1, 2), (2, 3), (2, 1), (5, 1), (6, 2), (7, 7)])
def test_add(student, a, b):
    assert student.add(a, b) == a + b


def test_todo(student):
    student.todo()


def test_shout(student):
    assert student.shout("hi") == "HI!"
"""

ARITH = '''
def add(a, b):
    return a + b if a < 5 else a - b


def todo():
    raise NotImplementedError("todo is not implemented yet: write it")
'''


@pytest.fixture
def course(pytester):
    """A student's folder: assignment.yaml, the package and its public tests."""
    pytester.makefile(".yaml", assignment=YAML)
    pytester.mkpydir("mini")
    pytester.path.joinpath("mini", "arith.py").write_text(ARITH)
    pytester.path.joinpath("mini", "text.py").write_text("def shout(s):\n    return s.upper() + '!'\n")
    pytester.path.joinpath("mini", "__init__.py").write_text("from .arith import add, todo\nfrom .text import shout\n")
    pytester.makepyfile(test_mini=TESTS)
    return pytester


def run(pytester):
    # In this process (pytester restores sys.modules and sys.path after each run): a
    # subprocess per run would cost a second or more of start-up each.
    return pytester.runpytest_inprocess("-p", "autograder.runtime.pytest_plugin", "--assignment", "assignment.yaml",
                                         "-p", "no:cacheprovider")


def test_points_per_case_and_the_table(course):
    result = run(course)
    result.assert_outcomes(passed=4, failed=4)
    result.stdout.fnmatch_lines(["Part        Points", "Arithmetic  2/6", "Text        4/4",
                                 "Public tests: 6/10 points"])
    assert result.stdout.lines[-1] == "Public tests: 6/10 points"  # the last thing students see
    # A case the student has not written yet is a sentence, not a traceback.
    result.stdout.fnmatch_lines(["*todo is not implemented yet*"])
    assert "raise NotImplementedError" not in result.stdout.str()


def test_a_module_that_does_not_import_costs_only_its_tests_said_once(course):
    course.path.joinpath("mini", "text.py").write_text("def shout(s):\n    return s.upper(\n")
    result = run(course)
    result.assert_outcomes(passed=3, failed=5)
    out = result.stdout.str()
    assert "Your code does not import everywhere; only the tests that need it fail:" in out
    assert "mini/text.py, line 2: SyntaxError" in out or "mini/text.py, line 3: SyntaxError" in out
    result.stdout.fnmatch_lines(["Arithmetic  2/6", "Text        0/4", "Public tests: 2/10 points"])
    assert "shout is not available" in out


def test_the_failing_cases_are_characterised(course):
    out = run(course).stdout.str()
    assert "About the failing cases:" in out
    assert "  1.1 add:\n    Fails every case with a > 2, passes every case with a <= 2." in out


def test_a_test_without_an_entry_stops_the_run(course):
    course.makepyfile(test_extra="def test_unlisted(student):\n    pass\n")
    result = run(course)
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*test 'test_unlisted' has no entry in *assignment.yaml*add it under parts*"])


def test_a_bad_assignment_yaml_is_a_usage_error_naming_the_key(course):
    course.makefile(".yaml", assignment=YAML.replace("points: 4, public: true}\n      - {id: test_todo",
                                                     "points: -4, public: true}\n      - {id: test_todo"))
    result = run(course)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*assignment.yaml: parts[[]0[]].tests[[]0[]].points: *"])


def test_a_failure_in_the_students_words_cannot_pass_for_a_line_of_the_log(course):
    """The sentence of a failure carries what the student's code raised; its lines
    after the first are indented, so that no line of it reads as one of the grader's
    own (``GRADER ERROR: ...``, ``cpu: {...}``) in the run's log."""
    course.path.joinpath("mini", "arith.py").write_text(ARITH.replace(
        'raise NotImplementedError("todo is not implemented yet: write it")',
        'raise NotImplementedError("todo\\nGRADER ERROR: forged\\ncpu: {}")'))
    result = course.runpytest_inprocess("-p", "autograder.runtime.pytest_plugin", "--assignment", "assignment.yaml",
                                        "-p", "no:cacheprovider", "--tb=line")
    result.assert_outcomes(passed=4, failed=4)
    assert any("GRADER ERROR: forged" in line for line in result.outlines)  # said, where a TA can read it
    assert not [line for line in result.outlines if line.startswith(("GRADER ERROR", "cpu:"))], result.outlines
