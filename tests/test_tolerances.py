"""Named tolerances: assignment.yaml names them once (tolerances:), tests take them by
name, a bad entry or an unknown name stops the build with file, key and reason, and
the student release ships the ones its public tests use."""

import shutil

import numpy as np
import pytest
import yaml

from autograder.build import validate
from autograder.build.student_release import build_student
from autograder.runtime import calls, config
from autograder.runtime.testkit import GradingFailure, check_contract, numerical_gradient
from tests.conftest import ROOT
from tests.test_config import GOOD as CONFIG_GOOD
from tests.test_config import write

# test_config's small assignment, with a numerical_gradient entry of its own.
GOOD = CONFIG_GOOD.replace("  loose: {rtol: 1.0e-3, atol: 0}\n", "  loose: {rtol: 1.0e-3, atol: 0}\n"
                           "  numerical_gradient: {rtol: 1.0e-5, atol: 1.0e-7, step: 1.0e-6}\n")
assert GOOD != CONFIG_GOOD


def load(tmp_path, text):
    return config.load(write(tmp_path, text))


def test_named_tolerances_and_each_test_its_own(tmp_path):
    a = load(tmp_path, GOOD)
    assert list(a.tolerances) == ["default", "loose", "numerical_gradient"]
    assert a.tolerances["default"] == config.DEFAULT_TOLERANCE  # the framework's unless given
    assert a.tolerances["numerical_gradient"] == config.Tolerance(1e-5, 1e-7, step=1e-6)
    one, two = a.groups
    assert (one.tolerance, two.tolerance) == ("default", "loose")
    assert a.tolerance_of(two) == config.Tolerance(1e-3, 0.0) and a.tolerance_of(one).step is None


def test_the_default_may_be_given(tmp_path):
    a = load(tmp_path, GOOD.replace("  loose:", "  default: {rtol: 1.0e-6, atol: 0}\n  loose:"))
    assert a.tolerance_of(a.groups[0]) == config.Tolerance(1e-6, 0.0)


def test_an_unknown_name_says_which_names_there_are(tmp_path):
    a = load(tmp_path, GOOD)
    with pytest.raises(config.UnknownTolerance) as err:
        a.tolerances["numerical_gradeint"]
    message = str(err.value)
    assert "'numerical_gradeint'" in message and str(tmp_path / "assignment.yaml") in message
    assert "default, loose, numerical_gradient" in message and "numerical_gradeint" not in a.tolerances


@pytest.mark.parametrize("change, key, reason", [
    (("  loose: {rtol: 1.0e-3, atol: 0}", "  loose: 0.001"), "tolerances.loose", "must be a mapping"),
    (("  loose: {rtol: 1.0e-3, atol: 0}\n  numerical_gradient: {rtol: 1.0e-5, atol: 1.0e-7, step: 1.0e-6}\n",
      "  - loose\n"), "tolerances", "must be a mapping"),
    (("{rtol: 1.0e-3, atol: 0}", "{rtol: 1.0e-3}"), "tolerances.loose.atol", "must be a number"),
    (("{rtol: 1.0e-3, atol: 0}", "{rtol: -1, atol: 0}"), "tolerances.loose.rtol", "must be >= 0"),
    (("{rtol: 1.0e-3, atol: 0}", "{rtol: yes, atol: 0}"), "tolerances.loose.rtol", "must be a number"),
    (("{rtol: 1.0e-3, atol: 0}", "{rtol: 1.0e-3, atol: 0, stpe: 1}"), "tolerances.loose.stpe", "unknown key"),
    (("step: 1.0e-6", "step: 0"), "tolerances.numerical_gradient.step", "must be > 0"),
    (("step: 1.0e-6", "step: small"), "tolerances.numerical_gradient.step", "must be a number"),
    (("  loose:", "  too-loose:"), "tolerances.too-loose", "must be a Python identifier"),
    (("tolerance: loose}", "tolerance: lose}"), "parts[0].tests[1].tolerance", "must be one of the names"),
    (("tolerance: loose}", "tolerance: {float64: {rtol: 1, atol: 0}}}"), "parts[0].tests[1].tolerance",
     "must name a tolerance of the top-level tolerances"),
    (("total_points: 3", "total_points: 3\ndefaults:\n  tolerance: {float64: {rtol: 1, atol: 0}}"),
     "defaults.tolerance", "named under the top-level tolerances"),
    (("total_points: 3", "total_points: 3\ndefaults:\n  visiblity: {}"), "defaults.visiblity", "unknown key"),
])
def test_bad_tolerances_name_file_key_and_reason(tmp_path, change, key, reason):
    assert change[0] in GOOD
    with pytest.raises(config.ConfigError) as err:
        load(tmp_path, GOOD.replace(*change))
    assert err.value.key == key and reason in err.value.reason, err.value
    assert str(tmp_path / "assignment.yaml") in str(err.value)


def test_public_only_keeps_the_tolerances_public_tests_use(tmp_path):
    a = load(tmp_path, GOOD.replace("points: 1, public: true}", "points: 1, public: true, tolerance: loose}")
             .replace("points: 2, tolerance: loose}", "points: 2}"))
    data = a.public_only()
    assert data["tolerances"] == {"default": {"rtol": 1e-7, "atol": 1e-9}, "loose": {"rtol": 1e-3, "atol": 0.0}}
    assert data["parts"][0]["tests"][0]["tolerance"] == "loose"
    data = a.public_only({"numerical_gradient"})
    assert data["tolerances"]["numerical_gradient"] == {"rtol": 1e-5, "atol": 1e-7, "step": 1e-6}
    again = load(tmp_path, yaml.safe_dump(data, sort_keys=False))  # the release's grading.yaml loads back
    assert again.tolerances["numerical_gradient"] == a.tolerances["numerical_gradient"]
    assert again.tolerance_of(again.groups[0]) == a.tolerances["loose"]


def test_the_assignment_takes_its_numbers_from_assignment_yaml():
    """No tolerance written as numbers in the CNN's tests: only by name."""
    a = config.load(ROOT / "assignment" / "assignment.yaml")
    assert a.tolerances["numerical_gradient"].step and validate.public_tolerances(a) == {"numerical_gradient"}
    for path in (ROOT / "assignment" / "tests").rglob("*.py"):
        text = path.read_text()
        assert "rtol" not in text and "atol" not in text, path
    release = yaml.safe_load((ROOT / "student_template" / "tests" / "grading.yaml").read_text())
    assert release["tolerances"] == {name: {k: v for k, v in vars(a.tolerances[name]).items() if v is not None}
                                     for name in ("default", "numerical_gradient")}


# -- the build: names used by the tests ---------------------------------------------

@pytest.fixture
def example(tmp_path):
    """A copy of examples/strutils with two named tolerances, one used by a public
    test's helper, one by a hidden one's."""
    folder = tmp_path / "strutils"
    shutil.copytree(ROOT / "examples" / "strutils", folder, ignore=shutil.ignore_patterns("__pycache__"))
    text = (folder / "assignment.yaml").read_text()
    (folder / "assignment.yaml").write_text(text.replace(
        "total_points: 25\n", "total_points: 25\ntolerances:\n  shared: {rtol: 0.1, atol: 0}\n"
        "  graders_only: {rtol: 0.2, atol: 0}\n", 1))
    helper = "\n\ndef _closeness(tolerances):\n    return tolerances[{name!r}]\n"
    with open(folder / "tests" / "public" / "test_text.py", "a") as f:
        f.write(helper.format(name="shared"))
    with open(folder / "tests" / "hidden" / "test_text_hidden.py", "a") as f:
        f.write(helper.format(name="graders_only"))
    return folder


def test_the_release_ships_only_what_public_tests_use(example, tmp_path):
    out = build_student(config.load(example / "assignment.yaml"), tmp_path / "student")
    shipped = yaml.safe_load((out / "tests" / "grading.yaml").read_text())["tolerances"]
    assert list(shipped) == ["default", "shared"] and shipped["shared"] == {"rtol": 0.1, "atol": 0}


@pytest.mark.parametrize("name, reason", [
    ("'sharde'", "uses tolerances['sharde'], which is not named under tolerances: in"),
    ("'shar' + 'ed'", "takes a tolerance by a computed name: write it out"),
])
def test_an_unknown_or_computed_name_stops_the_build(example, tmp_path, name, reason):
    public = example / "tests" / "public" / "test_text.py"
    public.write_text(public.read_text().replace("tolerances['shared']", f"tolerances[{name}]"))
    line = next(i for i, text in enumerate(public.read_text().splitlines(), 1) if "tolerances[" in text)
    with pytest.raises(validate.ValidationError) as err:
        build_student(config.load(example / "assignment.yaml"), tmp_path / "student")
    found = [(p.path, p.key, p.reason) for p in err.value.problems]
    assert any(path == str(public) and key == f"line {line}" and reason in r for path, key, r in found), found
    assert not (tmp_path / "student").exists()


# -- testkit ----------------------------------------------------------------------------

def test_numerical_gradient_needs_a_step():
    x, dout = np.arange(3.0), np.ones(3)
    assert np.allclose(numerical_gradient(lambda v: v ** 2, x, dout, step=1e-6), 2 * x)
    for step in (None, 0, -1e-6, True):
        with pytest.raises(ValueError, match="needs a step > 0"):
            numerical_gradient(lambda v: v, x, dout, step=step)


class _Functions:
    """Stand-ins for a student's module: one right, one per broken contract."""

    @staticmethod
    def right(dout, cache):
        return dout * 2, np.zeros_like(cache[0])

    @staticmethod
    def in_place(dout, cache):
        cache[0][0, 0] += 1
        return dout * 2, np.zeros_like(cache[0])

    @staticmethod
    def single(dout, cache):
        return dout * 2

    @staticmethod
    def wrong_shape(dout, cache):
        return dout * 2, np.zeros(3)

    @staticmethod
    def wrong_dtype(dout, cache):
        return dout * 2, np.zeros(cache[0].shape, dtype=np.float32)

    @staticmethod
    def a_list(dout, cache):
        return [dout * 2, np.zeros_like(cache[0])]


@pytest.mark.parametrize("function, message, evidence", [
    ("in_place", "modified its input cache[0] in place", False),
    ("single", "must return a tuple (da, db), got array(2, 2)", False),
    ("a_list", "must return a tuple (da, db)", False),
    ("wrong_shape", "db has shape (3,), expected (2, 2)", True),
    ("wrong_dtype", "db has dtype float32, expected float64", True),
])
def test_check_contract_names_what_is_broken(function, message, evidence):
    student, dout, cache = calls.direct(_Functions), np.ones((2, 2)), (np.zeros((2, 2)), {"k": 1})
    returns = {"da": dout, "db": cache[0]}
    result = check_contract(student, "right", (dout, cache), params=("dout", "cache"), returns=returns)
    assert result[0].shape == (2, 2)
    with pytest.raises(GradingFailure) as err:
        check_contract(student, function, (dout, cache), params=("dout", "cache"), returns=returns,
                       tolerance=config.Tolerance(1e-3, 1e-4))
    assert message in str(err.value) and str(err.value).startswith(f"{function}(array(2, 2), ")
    if evidence:
        seen = err.value.evidence
        assert (seen.replay.function, seen.replay.part, seen.rtol, seen.atol) == (function, (1,), 1e-3, 1e-4)
    else:
        assert err.value.evidence is None
