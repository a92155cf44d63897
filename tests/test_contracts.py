"""The release's check that every case stays inside the contract the assignment
declares per function (autograder/build/contracts.py)."""

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pytest

from autograder.build import contracts
from autograder.build.autograder_zip import stage
from tests.conftest import ASSIGNMENT

POOL_IN = {"x": {"array": "float64", "ndim": 4},
           "pool_param": {"dict": {"pool_height": {"int": [1, None]}, "stride": {"int": [1, None]}}}}


def test_values_against_specs():
    assert contracts.breaks(np.zeros((1, 1, 2, 2)), POOL_IN["x"], "x") == []
    assert contracts.breaks(np.zeros((1, 1, 2, 2), dtype=np.int64), POOL_IN["x"], "x") == [
        "x has dtype int64, the contract says float64"]
    assert contracts.breaks(np.zeros((2, 2)), POOL_IN["x"], "x") == ["x has 2 axes, the contract says 4"]
    assert contracts.breaks({"pool_height": 0, "stride": True}, POOL_IN["pool_param"], "p") == [
        "p['pool_height'] is 0, outside the contract's [1, None]", "p['stride'] is a bool, the contract says an int"]
    assert contracts.breaks((1, 2), {"tuple": [{"any": True}]}, "c") == [
        "c is not a tuple of 1 items, as the contract says"]


def test_a_call_is_bound_to_the_references_signature(ref):
    a = dataclasses.replace(ASSIGNMENT, contracts={"max_pool_forward": POOL_IN})
    ok = (np.zeros((1, 1, 2, 2)), {"pool_height": 2, "stride": 2})
    assert contracts.call_breaks(a, ref, "max_pool_forward", ok, {}) == []
    assert contracts.call_breaks(a, ref, "max_pool_forward", (), {"x": ok[0].astype(int), "pool_param": ok[1]})
    assert contracts.call_breaks(a, ref, "zero_pad", (1, 2), {}) == []  # no contract declared


def test_the_declared_contracts_themselves_are_checked(ref):
    a = dataclasses.replace(ASSIGNMENT, contracts={"nope": {}, "max_pool_forward": {"y": {"array": "float64"}},
                                                   "avg_pool_forward": {"x": {"weird": 1}}})
    found = contracts.spec_problems(a, ref)
    assert any("contracts.nope: not a function" in p for p in found)
    assert any("contracts.max_pool_forward.y: max_pool_forward has no such parameter" in p for p in found)
    assert any("contracts.avg_pool_forward.x: a spec is one of" in p for p in found)


@pytest.mark.e2e
def test_every_case_of_the_convnet_is_inside_and_an_integer_input_is_caught():
    with tempfile.TemporaryDirectory() as tmp:
        stage(ASSIGNMENT, Path(tmp))
        staged = Path(tmp) / "assignment" / "assignment.yaml"
        assert contracts.violations(staged) == []
        cases = Path(tmp) / "assignment" / "tests" / "hidden" / "hidden_cases.py"
        text = cases.read_text()
        old = "    return designed + [pool_case(4 + s) for s in range(random)]"
        assert old in text
        cases.write_text(text.replace(old, "    x, p = designed_pool_case(0)\n    return designed + "
                                      "[(np.round(x * 100).astype(np.int64), p)]"))
        found = contracts.violations(staged)
        assert found and all("int64, the contract says float64" in v for v in found)
        assert any("test_max_pool_forward_random" in v and "max_pool_forward(array(" in v for v in found)
