"""Reason codes as data, from a case to results.json to the class report (fast: no
grading). The report and the batch read the codes; the wording of a test's feedback
may change without changing what they count."""

from __future__ import annotations

import json
import types
from pathlib import Path

import jsonschema
import pytest

from autograder.grade.results import build_results, failure_results, grader_failed
from autograder.runtime import config, outcomes
from autograder.runtime.pytest_plugin import PartialPackage, failure_text
from autograder.runtime.scoring import CaseOutcome, score_group
from autograder.runtime.testkit import GradingFailure, check_raises, trusted_function
from autograder.sandbox.errors import SandboxError, student_error_class
from autograder.sandbox.messages import Message
from autograder.staff import export, report
from autograder.staff.executors import GradeJob, grade_one
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "autograder" / "grade" / "results_schema.json").read_text())
ASSIGNMENT = config.load(ROOT / "examples" / "strutils" / "assignment.yaml")


# -- the codes themselves ------------------------------------------------------------------

def test_the_schema_knows_exactly_the_codes():
    assert SCHEMA["$defs"]["reason"]["enum"] == list(outcomes.ALL)
    assert len(set(outcomes.ALL)) == len(outcomes.ALL)
    assert set(outcomes.TIMED_OUT) <= set(outcomes.ALL)


def test_tally_and_main_reason():
    reasons = [outcomes.TIMEOUT, outcomes.PASSED, outcomes.FAILED, outcomes.TIMEOUT, outcomes.PASSED]
    assert outcomes.tally(reasons) == {outcomes.PASSED: 2, outcomes.FAILED: 1, outcomes.TIMEOUT: 2}
    assert list(outcomes.tally(reasons)) == [outcomes.PASSED, outcomes.FAILED, outcomes.TIMEOUT]  # ALL's order
    assert outcomes.main_reason(reasons) == outcomes.TIMEOUT
    assert outcomes.main_reason([outcomes.ERROR, outcomes.FAILED]) == outcomes.ERROR  # a tie: the first
    assert outcomes.main_reason([outcomes.PASSED] * 3) == outcomes.PASSED
    assert outcomes.main_reason([]) == outcomes.NOT_RUN


def test_the_code_comes_from_the_exception_not_its_words():
    sandbox_error = SandboxError(Message("anything at all", outcomes.TIMEOUT))
    student_value_error = student_error_class(["ValueError", "Exception"])("bad")
    assert outcomes.reason_of(sandbox_error) == outcomes.TIMEOUT
    assert outcomes.reason_of(SandboxError(Message("Timed out after 5 s", outcomes.CRASHED))) == outcomes.CRASHED
    assert outcomes.reason_of(student_value_error) == outcomes.ERROR and isinstance(student_value_error, ValueError)
    assert outcomes.reason_of(GradingFailure("wrong")) == outcomes.FAILED
    assert outcomes.reason_of(NotImplementedError("whatever it says")) == outcomes.NOT_IMPLEMENTED
    assert outcomes.reason_of(ValueError("x")) == outcomes.ERROR
    assert outcomes.reason_of(AssertionError("assert 1 == 2")) == outcomes.FAILED
    student_assertion = student_error_class(["AssertionError", "Exception"])("raised by the student's code")
    assert outcomes.reason_of(student_assertion) == outcomes.ERROR
    bogus = ValueError("x")
    bogus.reason = "made up"  # type: ignore[attr-defined]
    assert outcomes.reason_of(bogus) == outcomes.ERROR


def test_not_implemented_sentences():
    stub = NotImplementedError(outcomes.not_implemented("zero_pad") + ": write your code here")
    assert failure_text(stub) == "zero_pad is not implemented yet"
    assert failure_text(NotImplementedError("later")) == "not implemented yet (later)"


def test_checks_keep_the_code_of_what_stopped_the_student():
    def times_out():
        raise SandboxError(Message("Timed out", outcomes.TIMEOUT))

    with pytest.raises(GradingFailure) as caught:
        check_raises(times_out, call="f()")
    assert caught.value.reason == outcomes.TIMEOUT

    class Student:
        def f(self):
            return 1

    def crashing_check(student):
        raise SandboxError(Message("gone", outcomes.CRASHED))

    with pytest.raises(GradingFailure) as caught:
        trusted_function(Student(), None, "f", (crashing_check,))
    assert caught.value.reason == outcomes.CRASHED


def test_a_module_that_did_not_import_is_unavailable_on_a_laptop():
    package = PartialPackage("pkg", {}, [])
    with pytest.raises(GradingFailure) as caught:
        package.anything  # noqa: B018
    assert caught.value.reason == outcomes.UNAVAILABLE


# -- results.json ----------------------------------------------------------------------------

def test_each_test_says_why_in_extra_data():
    groups = ASSIGNMENT.groups
    cases = [
        [CaseOutcome("a", True), CaseOutcome("b", False, "Timed out", reason=outcomes.TIMEOUT),
         CaseOutcome("c", False, "Timed out", reason=outcomes.TIMEOUT)],
        [CaseOutcome("", False, "x is not implemented yet", reason=outcomes.NOT_IMPLEMENTED)],
        [CaseOutcome("", False, "wrong")],
    ]
    scores = [score_group(g, c) for g, c in zip(groups, cases + [[]] * (len(groups) - len(cases)), strict=True)]
    results = build_results(ASSIGNMENT, scores, execution_time=1.0, problems=[], extra_data={},
                            not_collected={groups[-1].id})
    jsonschema.validate(results, SCHEMA)
    facts = [t["extra_data"] for t in results["tests"]]
    assert facts[0] == {"reason": outcomes.TIMEOUT, "cases": {outcomes.PASSED: 1, outcomes.TIMEOUT: 2}}
    assert facts[1] == {"reason": outcomes.NOT_IMPLEMENTED, "cases": {outcomes.NOT_IMPLEMENTED: 1}}
    assert facts[2] == {"reason": outcomes.FAILED, "cases": {outcomes.FAILED: 1}}
    assert facts[-1] == {"reason": outcomes.GRADER_ERROR, "cases": {}, "grader_failure": True}
    assert len(groups) > 4 and facts[3] == {"reason": outcomes.NOT_RUN, "cases": {}}
    assert not grader_failed(results)


def test_a_broken_graders_session_is_flagged_on_the_results_and_on_the_tests_that_did_not_run():
    groups = ASSIGNMENT.groups
    scores = [score_group(groups[0], [CaseOutcome("", True)])] + [score_group(g, []) for g in groups[1:]]
    results = build_results(ASSIGNMENT, scores, execution_time=1.0, problems=[], extra_data={"version": "1"},
                            graders_failed=True)
    jsonschema.validate(results, SCHEMA)
    assert grader_failed(results) and results["extra_data"]["version"] == "1"
    assert "grader_failure" not in results["tests"][0]["extra_data"]
    assert all(t["extra_data"]["grader_failure"] is True for t in results["tests"][1:])
    assert results["tests"][0]["output"] == "Passed."  # what the student reads is unchanged


def test_a_grader_failure_is_flagged_on_the_results():
    results = failure_results("could not grade", execution_time=0.5, extra_data={"version": "1"})
    jsonschema.validate(results, SCHEMA)
    assert grader_failed(results) and results["extra_data"]["version"] == "1"
    assert results["extra_data"]["reason"] == outcomes.GRADER_ERROR and results["tests"] == []


def test_the_batch_reads_the_flag_not_an_empty_list(tmp_path):
    def grading(results):
        def grade(zip_path, submission, results_path, timeout):
            results_path.write_text(json.dumps(results))
            return results, "log", []
        return grade

    for sub_id, results, status in [
        ("flagged", failure_results("no", execution_time=0), "error"),
        ("tested", {"score": 1, "output": "", "tests": [{"name": "t", "score": 1, "max_score": 1}]}, "graded"),
    ]:
        (tmp_path / "results").mkdir(exist_ok=True)
        (tmp_path / "logs").mkdir(exist_ok=True)
        job = GradeJob(Path("autograder.zip"), "sha", tmp_path, 10, grading(results))
        outcome = grade_one(job, sub_id, tmp_path)
        assert outcome is not None and outcome.status == status, sub_id


# -- the class report ---------------------------------------------------------------------

def results_with(tests: list[dict]) -> dict:
    return {"score": sum(t["score"] for t in tests), "output": "", "extra_data": {"version": "1"}, "tests": tests}


def a_test(number: str, score: float, output: str = "", **facts) -> dict:
    return {"name": f"t{number}", "number": number, "score": score, "max_score": 5.0,
            "status": "passed" if score == 5 else "failed", "output": output,
            **({"extra_data": facts} if facts else {})}


def write(tmp_path, plans: dict[str, dict]) -> str:
    (tmp_path / "results").mkdir()
    subs, done = [], {}
    for sub_id, res in plans.items():
        (tmp_path / "results" / f"{sub_id}.json").write_text(json.dumps(res))
        subs.append(export.Submission(sub_id, tmp_path, (export.Submitter(f"Name {sub_id}"),)))
        done[sub_id] = types.SimpleNamespace(status="graded", message="")
    report.write_report(tmp_path, subs, done)
    return (tmp_path / "report.md").read_text()


def test_the_report_counts_timeouts_by_code_whatever_the_words(tmp_path):
    text = write(tmp_path, {
        "slow": results_with([a_test("1.1", 5, reason="passed", cases={"passed": 2}),
                              a_test("1.2", 0, "Your loop never ended", reason="timeout", cases={"timeout": 2}),
                              a_test("1.10", 2, "", reason="skipped_after_timeouts",
                                   cases={"passed": 1, "skipped_after_timeouts": 1})]),
        "wordy": results_with([a_test("1.1", 0, "this test timed out, timed out, Timed out", reason="failed",
                                    cases={"failed": 3})]),
    })
    assert "- slow (Name slow): tests 1.2, 1.10" in text
    assert "wordy (Name wordy)" not in text


def test_the_report_lists_tests_the_graders_failed(tmp_path):
    text = write(tmp_path, {
        "a": results_with([a_test("1.1", 5, reason="passed", cases={"passed": 1}),
                           a_test("2.1", 0, "This test did not run.", reason="grader_error", cases={},
                                grader_failure=True)]),
        "b": results_with([a_test("1.1", 5, reason="passed", cases={"passed": 1})]),
    })
    section = text.split("because of the graders themselves")[1].split("##")[0]
    assert "- a (Name a): tests 2.1" in section and "- b " not in section
