"""Reason codes through the real ``make grade`` path: one submission that times out in
one function, crashes its process in another, has a stubbed module and a missing one;
each test's ``extra_data`` in results.json says so as codes, and the class report
reads them (not the wording of the feedback)."""

from __future__ import annotations

import json

import pytest

from autograder.build.stubs import stub_source
from autograder.runtime import outcomes
from autograder.staff import export, report
from autograder.staff.executors import Outcome
from tests.conftest import ASSIGNMENT
from tests.fabricate import REFERENCE, Variant, append

SLEEPS = "\n\ndef same_padding(f):\n    import time\n    time.sleep(100)\n"
CRASHES = ("\n\ndef fc_params(n_in, n_out, bias=True):\n    import os, signal\n"
           "    os.kill(os.getpid(), signal.SIGSEGV)\n")

# The reference with: same_padding sleeping, fc_params killing its process, conv.py back
# to the stubs, pool.py left out (fast.py too: optional, its absence is no problem of the
# submission).
DEFECTS = Variant(edits=(
    {"file": "pool.py", "delete": True}, {"file": "fast.py", "delete": True},
    {"file": "conv.py", "content": stub_source((REFERENCE / "conv.py").read_text(encoding="utf-8"),
                                               str(REFERENCE / "conv.py"))},
    append("shapes.py", SLEEPS), append("params.py", CRASHES)))
GRADINGS = [DEFECTS]  # graded with the other modules' (conftest.Gradings): its timeouts fill others' time


@pytest.fixture(scope="module")
def graded(gradings):
    return gradings(DEFECTS)


def facts(graded, test_id: str) -> dict:
    return graded.by_id[test_id]["extra_data"]


def test_a_passing_test_says_passed(graded):
    facts_ = facts(graded, "test_conv_output_size_lecture")
    assert facts_["reason"] == outcomes.PASSED and set(facts_["cases"]) == {outcomes.PASSED}
    assert graded.by_id["test_conv_output_size_lecture"]["status"] == "passed"


def test_a_stub_says_not_implemented(graded):
    for test_id in ("test_zero_pad_small", "test_conv_forward_random", "test_conv_backward_random"):
        facts_ = facts(graded, test_id)
        assert facts_["reason"] == outcomes.NOT_IMPLEMENTED and set(facts_["cases"]) == {outcomes.NOT_IMPLEMENTED}, \
            (test_id, facts_)


def test_a_missing_module_says_unavailable(graded):
    for test_id in ("test_max_pool_lecture", "test_avg_pool_backward_random"):
        facts_ = facts(graded, test_id)
        assert facts_["reason"] == outcomes.UNAVAILABLE and set(facts_["cases"]) == {outcomes.UNAVAILABLE}, \
            (test_id, facts_)


def test_a_sleeping_function_times_out_then_is_skipped(graded):
    public = facts(graded, "test_same_padding_and_receptive_field")["cases"]
    hidden = facts(graded, "test_same_padding_receptive_field_hidden")["cases"]
    assert public[outcomes.TIMEOUT] == 3  # MAX_TIMEOUTS_PER_FUNCTION, then no more calls
    assert public.get(outcomes.PASSED)  # receptive_field is fine
    assert hidden.get(outcomes.SKIPPED_AFTER_TIMEOUTS) and not hidden.get(outcomes.TIMEOUT)


def test_a_crashing_function_says_crashed(graded):
    cases = facts(graded, "test_params_lecture")["cases"]
    assert cases.get(outcomes.CRASHED), cases
    later = facts(graded, "test_layer_params_hidden")["cases"]
    assert later.get(outcomes.CRASHED, 0) + later.get(outcomes.SKIPPED_AFTER_CRASHES, 0) > 0, later


def test_every_test_has_its_facts_and_no_grader_failure(graded):
    # reason and cases always; characterised only where the feedback characterised the failing cases
    assert all({"reason", "cases"} <= set(t["extra_data"]) <= {"reason", "cases", "characterised"}
               for t in graded.results["tests"])
    for test in graded.results["tests"]:
        facts_ = test["extra_data"]
        assert sum(facts_["cases"].values()) > 0
        assert (test["status"] == "passed") == (facts_["reason"] == outcomes.PASSED)
    assert "grader_failure" not in graded.results["extra_data"]


def test_the_class_report_lists_the_timeouts_from_the_codes(graded, tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "s1.json").write_text(json.dumps(graded.results))
    sub = export.Submission("s1", tmp_path, (export.Submitter("Ada"),))
    report.write_report(tmp_path, [sub], {"s1": Outcome("s1", "graded", 1.0)})
    text = (tmp_path / "report.md").read_text()
    numbers = {g.id: g.number for g in ASSIGNMENT.groups}
    line = next(line for line in text.splitlines() if line.startswith("- s1 (Ada): tests"))
    listed = set(line.split("tests ", 1)[1].split(", "))
    assert listed == {numbers["test_same_padding_and_receptive_field"],
                      numbers["test_same_padding_receptive_field_hidden"]}
