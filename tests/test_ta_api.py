"""The TA-facing API: data: in assignment.yaml, given code (# GIVEN), regions in a
class body, the stable import autograder.testkit, and docs/ta-reference.md covering
every key and every public function."""

import dataclasses
import inspect
import re
import shutil
from pathlib import Path

import pytest

import autograder.testkit as stable
from autograder.build import validate
from autograder.build.stubs import stub_source
from autograder.runtime import config, datafiles, testkit
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "ta-reference.md").read_text(encoding="utf-8")
TRANSIT = ROOT / "examples" / "transit"


def test_the_stable_import_is_the_runtimes_module():
    assert stable is testkit
    from autograder import pytest_plugin
    from autograder.runtime import pytest_plugin as real

    assert pytest_plugin is real
    with pytest.raises(ModuleNotFoundError):
        import autograder.no_such_module  # noqa: F401


def test_the_reference_documents_every_key_and_every_check():
    allowed = inspect.getsource(config._parse).split('r.only(top, "(top level)", {')[1].split("}")[0]
    keys = set(re.findall(r'"(\w+)"', allowed))
    assert {"name", "data", "data_root", "parts"} <= keys
    missing = sorted(k for k in keys if not re.search(rf"`{k}[`.\[]", DOC))
    assert not missing, missing
    for f in dataclasses.fields(config.SandboxLimits):
        assert f"`{f.name}`" in DOC
    public = [n for n, o in vars(testkit).items() if not n.startswith("_") and getattr(o, "__module__", "") ==
              testkit.__name__ and n not in ("Evidence", "trusted_function")]
    assert all(f"`{n}`" in DOC for n in public), [n for n in public if f"`{n}`" not in DOC]
    for fixture in ("student", "reference", "oracle", "tolerance", "tolerances", "stopwatch", "leaderboard",
                    "data_file", "shared_folder"):
        assert f"| `{fixture}` |" in DOC


def _copy_transit(tmp_path, edit=None):
    shutil.copytree(TRANSIT, tmp_path / "t")
    path = tmp_path / "t" / "assignment.yaml"
    if edit:
        path.write_text(edit(path.read_text()))
    return path


@pytest.mark.parametrize("replace, key, words", [
    ("ship: both}", "data[0].ship", "must be one of both, student, autograder"),
    ("path: data/stops.csv", "data[0].path", "relative path inside"),
])
def test_a_bad_data_entry_names_its_key(tmp_path, replace, key, words):
    bad = {"ship: both}": "ship: hidden}", "path: data/stops.csv": "path: ../stops.csv"}[replace]
    path = _copy_transit(tmp_path, lambda text: text.replace(replace, bad, 1))
    with pytest.raises(config.ConfigError) as err:
        config.load(path)
    assert err.value.key == key and words in err.value.reason


def test_a_missing_data_file_stops_the_build(tmp_path):
    path = _copy_transit(tmp_path)
    (path.parent / "data" / "stops.csv").unlink()
    found = validate.problems(config.load(path))
    assert [p.key for p in found] == ["data[0].path"] and "no such file" in found[0].reason


def test_given_code_is_accepted_and_unmarked_code_refused(tmp_path):
    path = _copy_transit(tmp_path)
    assert validate.problems(config.load(path)) == []
    card = path.parent / "reference" / "transit" / "card.py"
    card.write_text(card.read_text().replace("class InsufficientFunds(CardError):  # GIVEN",
                                             "class InsufficientFunds(CardError):"))
    found = validate.problems(config.load(path))
    assert len(found) == 1 and "InsufficientFunds has no # BEGIN SOLUTION region" in found[0].reason
    assert "# GIVEN" in found[0].reason


def test_a_region_in_a_class_body_leaves_valid_python():
    source = ("def helper():\n    return 1\n\n\nclass Error(RuntimeError):\n    # BEGIN SOLUTION\n"
              "    # nothing to write\n    # END SOLUTION\n\n\nclass Card:\n    def tap(self):\n"
              "        # BEGIN SOLUTION\n        pass\n        # END SOLUTION\n")
    stubbed = stub_source(source)
    assert "class Error(RuntimeError):\n    pass\n" in stubbed
    assert stubbed.count("NotImplementedError") == 1 and '"tap is not implemented' in stubbed


def test_local_files_give_the_data_and_a_shared_folder(tmp_path):
    a = config.load(TRANSIT / "assignment.yaml")
    files = datafiles.LocalFiles(a)
    assert Path(files.data_file("data/stops.csv")).read_text().startswith("stop_id")
    with pytest.raises(datafiles.DataFileError, match="list it under data:"):
        files.data_file("data/other.csv")
    folder = files.shared_folder()
    path = folder.write_text("a/b.txt", "hello")
    assert Path(path).read_text() == "hello" and folder.student_path("a/b.txt") == path
    with pytest.raises(ValueError):
        folder.write_text("../escape.txt", "x")
    files.close()
    assert not folder.path.exists()


def test_a_test_asking_for_data_that_does_not_ship_there_stops_the_build(tmp_path):
    path = _copy_transit(tmp_path, lambda text: text.replace("{path: data/stops.csv, ship: both}",
                                                             "{path: data/stops.csv, ship: autograder}"))
    hidden = path.parent / "tests" / "hidden" / "test_stops_hidden.py"
    hidden.write_text(hidden.read_text() + "\n\ndef helper(data_file):\n    return data_file('data/nowhere.csv')\n")
    found = validate.problems(config.load(path))
    reasons = sorted((p.path.rsplit("/", 1)[-1], p.reason.split(":")[0]) for p in found)
    assert reasons == [("test_stops.py", "data_file('data/stops.csv') in a public test"),
                       ("test_stops_hidden.py", "data_file('data/nowhere.csv')")], found


def test_public_tests_show_expected_values_and_hidden_ones_never():
    def message(**kwargs):
        with pytest.raises(testkit.GradingFailure) as failure:
            testkit.check_value({"a": 1}, {"a": 2}, what="counts", call="f()", **kwargs)
        return str(failure.value)

    assert message() == "f(): counts is {'a': 1}, which is not the expected value"
    with testkit.public_test():
        assert message() == "f(): counts is {'a': 1}; expected {'a': 2}"
        assert "expected {" not in message(show_expected=False)
    assert message(show_expected=True).endswith("expected {'a': 2}")


def test_the_documented_signatures_are_the_real_ones():
    rows = re.findall(r"^\| `(\w+)` \| `\((.*?)\)(?:`| ->)", DOC, re.M)
    assert len(rows) >= 9
    for name, documented in rows:
        words = [part.strip().split("=")[0].lstrip("*") for part in documented.split(",")]
        real = [p for p in inspect.signature(getattr(testkit, name)).parameters]
        assert [w for w in words if w] == real, name


def test_given_code_may_be_listed_in_the_yaml_instead(tmp_path):
    path = _copy_transit(tmp_path, lambda text: text.replace("data:\n", "given: [card.InsufficientFunds, CardError]\n"
                                                             "data:\n", 1))
    card = path.parent / "reference" / "transit" / "card.py"
    card.write_text(card.read_text().replace("  # GIVEN", "").replace("# GIVEN: the card's errors", "# errors"))
    assert validate.problems(config.load(path)) == []
    path.write_text(path.read_text().replace("given: [card.InsufficientFunds, CardError]", "given: [stops.Nope]"))
    found = validate.problems(config.load(path))
    assert any(p.key == "given[0]" and "not a function or class" in p.reason for p in found), found
    assert any("CardError has no # BEGIN SOLUTION region" in p.reason for p in found)
