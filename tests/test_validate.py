"""A TA's mistakes stop the build before anything is written, naming the file and the
key or line; a failed release check leaves no zip; a new assignment releases 100/0."""

import shutil

import pytest

from autograder.build import release, validate
from autograder.build.autograder_zip import build_autograder
from autograder.build.student_release import build_student
from autograder.grade.results import split_score
from autograder.runtime import config
from autograder.staff import scaffold, simulate
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "strutils"


@pytest.fixture
def example(tmp_path):
    """A copy of examples/strutils to break."""
    folder = tmp_path / "strutils"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def edit(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


TEXT = "reference/strutils/text.py"
INIT = "reference/strutils/__init__.py"
YAML = "assignment.yaml"
PUBLIC = "tests/public/test_text.py"


@pytest.mark.parametrize("file, old, new, where, key, reason", [
    (TEXT, "    # BEGIN SOLUTION\n    kept = [c.lower() for c in text if c.isalnum()]\n    return kept == kept[::-1]\n"
     "    # END SOLUTION\n", "    kept = [c.lower() for c in text if c.isalnum()]\n    return kept == kept[::-1]\n",
     TEXT, "line 4", "function is_palindrome has no # BEGIN SOLUTION"),
    (TEXT, "    return kept == kept[::-1]\n    # END SOLUTION\n", "    return kept == kept[::-1]\n", TEXT, "line 16",
     "nested # BEGIN SOLUTION (the one on line 8"),
    (YAML, "modules: [text, stack]", "modules: [txet, stack]", YAML, "modules[0]", "'txet' has no file"),
    (YAML, "modules: [text, stack]", "modules: [text, stack, extra]", YAML, "modules[2]", "'extra' has no file"),
    (YAML, "modules: [text, stack]", "modules: [text]", YAML, "modules", "stack.py is not listed"),
    (YAML, "id: test_word_counts,", "id: test_word_count,", YAML, "parts[0].tests[3].id",
     "no pytest function test_word_count"),
    (YAML, "id: test_caesar_examples, name: \"caesar: small shifts\", points: 2, public: true",
     "id: test_caesar_examples, name: \"caesar: small shifts\", points: 2", YAML, "parts[0].tests[1].public",
     "is in tests/public/"),
    (PUBLIC, "def test_caesar_examples(", "def test_caesar_example(", PUBLIC, "line 14",
     "test test_caesar_example has no entry"),
    (INIT, "from .text import caesar, is_palindrome", "from .text import is_palindrome", PUBLIC, "line 15",
     "calls student.caesar, which"),
    (PUBLIC, "student.caesar(text, shift)", "student.ceasar(text, shift)", PUBLIC, "line 15",
     "calls student.ceasar, which no module"),
])
def test_mistakes_are_named_with_file_and_key(example, tmp_path, file, old, new, where, key, reason):
    edit(example / file, old, new)
    a = config.load(example / YAML)
    with pytest.raises(validate.ValidationError) as err:
        build_student(a, tmp_path / "student")
    found = [(p.path, p.key, p.reason) for p in err.value.problems]
    assert any(path == str(example / where) and k == key and reason in r for path, k, r in found), found
    assert not (tmp_path / "student").exists()  # nothing was written
    with pytest.raises(validate.ValidationError):
        build_autograder(a, tmp_path / "dist" / "autograder.zip")
    assert not (tmp_path / "dist").exists()


def test_a_missing_student_folder_stops_the_build(example, tmp_path):
    shutil.rmtree(example / "student")
    with pytest.raises(validate.ValidationError) as err:
        build_student(config.load(example / YAML), tmp_path / "student")
    assert err.value.problems[0].path == str(example / "student") and "missing" in err.value.problems[0].reason


def test_pins_that_disagree_stop_the_load(example):
    edit(example / YAML, '  student: {}', '  student: {pytest: "8.0.0"}')
    with pytest.raises(config.ConfigError) as err:
        config.load(example / YAML)
    assert err.value.key == "packages.student.pytest" and "pytest==9.2.0" in err.value.reason


@pytest.mark.e2e
def test_the_reference_may_live_anywhere(example, tmp_path):
    elsewhere = tmp_path / "far" / "away" / "solution"
    shutil.move(str(example / "reference" / "strutils"), elsewhere)
    edit(example / YAML, "reference: reference/strutils", f"reference: {elsewhere}")
    a = config.load(example / YAML)
    zip_path = build_autograder(a, tmp_path / "autograder.zip")
    results, log, _ = simulate.grade(zip_path, elsewhere, tmp_path / "results.json")
    assert split_score(results) == (25, 0), log[-3000:]


@pytest.mark.e2e
def test_a_failed_release_check_leaves_no_zip(example, tmp_path, capsys):
    edit(example / TEXT, "    return kept == kept[::-1]", "    return True")  # the public tests now fail
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "autograder.zip").write_bytes(b"an older release")
    assert release.release(config.load(example / YAML), tmp_path / "student", dist) == 1
    assert not list(dist.glob("*.zip")) and not (dist / release.MANIFEST).exists()
    err = capsys.readouterr().err
    assert "RELEASE CHECK FAILED" in err and "public tests give the reference" in err


@pytest.mark.e2e
def test_a_new_assignment_releases_full_and_zero_straight_away(tmp_path, capsys):
    folder = tmp_path / "wordplay"
    scaffold.scaffold("wordplay", folder)
    a = config.load(folder / "assignment.yaml")
    assert release.release(a, tmp_path / "student", tmp_path / "dist") == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert f"reference  {a.total_points:g}/{a.total_points:g}" in out and f"stubs      0/{a.total_points:g}" in out
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == ["MANIFEST.json", "autograder.zip", "student.zip"]
    with pytest.raises(scaffold.ScaffoldError, match="exists already"):
        scaffold.scaffold("wordplay", folder)
