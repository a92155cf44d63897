"""The public tests' data made from the reference at build time (public_data:), and
its text format (autograder/runtime/casedata.py)."""

import dataclasses

import numpy as np
import pytest

from autograder.build import public_data
from autograder.runtime import casedata, config
from tests.conftest import ASSIGNMENT, ROOT


def test_round_trip_bit_for_bit_and_deterministic():
    value = {"a": np.random.default_rng(0).normal(size=(2, 3)), "t": (1, 2.5, "s", None, True),
             "i": np.arange(4, dtype=np.int64), "nested": [{"p": {"stride": 2}}]}
    text = casedata.dumps(value)
    back = casedata.loads(text)
    assert np.array_equal(back["a"], value["a"]) and back["a"].dtype == np.float64
    assert back["t"] == value["t"] and back["i"].dtype == np.int64 and back["nested"] == value["nested"]
    assert casedata.dumps(back) == text


def test_what_cannot_be_written():
    for bad in ({1: 2}, {"array": 1}, object(), np.array(["a"])):
        with pytest.raises(TypeError):
            casedata.dumps(bad)


def test_a_missing_file_says_how_it_is_made(tmp_path):
    with pytest.raises(FileNotFoundError, match="make student"):
        casedata.load(tmp_path / "test_x.py", "backward_cases.json")


def test_the_convnet_data_holds_the_references_gradients(ref):
    made = public_data.files(ASSIGNMENT)
    data = casedata.loads(made["backward_cases.json"])
    case = data["conv"][0]
    dx, dw, db = ref.conv_backward(case["dout"], (case["x"], case["w"], case["b"], case["conv_param"]))
    assert np.array_equal(dx, case["dx"]) and np.array_equal(dw, case["dw"]) and np.array_equal(db, case["db"])
    assert (ROOT / "student_template" / "tests" / "backward_cases.json").read_text() == made["backward_cases.json"]
    assert "def make" not in (ROOT / "student_template" / "tests" / "backward_cases.json").read_text()


def test_a_maker_that_fails_stops_the_build(tmp_path):
    maker = tmp_path / "maker"
    maker.mkdir()
    (maker / "__init__.py").write_text("def make(ref):\n    return {'../escape.json': 1}\n")
    broken = dataclasses.replace(ASSIGNMENT, public_data=maker)
    with pytest.raises(config.ConfigError, match="public_data.*plain file name"):
        public_data.files(broken)
    other = tmp_path / "other"
    other.mkdir()
    (other / "__init__.py").write_text("def make(ref):\n    raise RuntimeError('no')\n")
    broken = dataclasses.replace(ASSIGNMENT, public_data=other)
    with pytest.raises(config.ConfigError, match="make.reference. failed: RuntimeError: no"):
        public_data.files(broken)
