"""Diagnoses: the generic matching and wording (on toy functions, no convolution), the
assignment's catalogue, and where it ships."""

import zipfile

import numpy as np
import pytest

from autograder.grade.diagnose import CatalogueError, Diagnoser, Mistake, load_catalogue, same
from autograder.runtime import config
from autograder.runtime.scoring import CaseOutcome, Hint, diagnoses, feedback, score_group
from autograder.runtime.testkit import Evidence, GradingFailure, Replay, check_array, check_raises, check_value
from tests.conftest import ASSIGNMENT, ROOT

# -- the checks attach evidence -----------------------------------------------------

def test_replay_copies_its_inputs_and_selects_a_part():
    x = np.zeros(3)
    replay = Replay("f", (x, [1, 2]), {"k": {"a": 1}}, part=(1, "b"))
    x[0] = 5  # the student's code changing its input in place afterwards
    assert replay.args[0][0] == 0 and replay.part == (1, "b")
    assert replay.select(({"b": 0}, {"b": 7})) == 7
    assert Replay("f", part=0).part == (0,)


def test_failed_checks_carry_evidence_only_when_asked():
    replay = Replay("f", (1,))
    with pytest.raises(GradingFailure) as failed:
        check_array(np.ones((2, 2)), np.zeros(2), what="out", call="f(1)", tolerance={"rtol": 1e-3, "atol": 0.5},
                    diagnose=replay)
    evidence = failed.value.evidence
    assert (
        evidence.replay is replay and evidence.actual.shape == (2, 2) and (evidence.rtol, evidence.atol) == (1e-3, 0.5)
    )
    with pytest.raises(GradingFailure) as failed:
        check_value(3, 4, what="n", call="f(1)", diagnose=replay)
    assert failed.value.evidence.actual == 3 and failed.value.evidence.atol == 0
    with pytest.raises(GradingFailure) as failed:
        check_raises(lambda n: n // 2, 5, call="f(5)", diagnose=replay)
    assert failed.value.evidence.actual == 2
    with pytest.raises(GradingFailure) as failed:
        check_value(3, 4, what="n", call="f(1)")
    assert failed.value.evidence is None
    with pytest.raises(GradingFailure) as failed:
        check_array(None, np.zeros(2), what="out", call="f(1)", diagnose=replay)
    assert failed.value.evidence is None  # nothing to compare


def test_same_compares_like_the_checks():
    assert same(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]), 1e-7, 0)
    assert not same(np.array([1.0, 2.0]), np.array([1.0, 2.1]), 1e-7, 0)
    assert not same(np.zeros((2, 2)), np.zeros(4))
    assert same(np.zeros((2, 0)), np.zeros((2, 0)))
    assert same((np.ones(2), {"a": (1, 2)}), (np.ones(2), {"a": (1, 2)}))
    assert not same({"a": 1}, {"b": 1}) and not same([1, 2], [1, 2, 3])
    assert same(3, np.int64(3)) and same(2.0, 2) and not same(True, 1) and not same("a", "b")


# -- matching, on a toy assignment ----------------------------------------------------


class Toy:
    """A reference with one graded function: the mean of each row."""

    @staticmethod
    def row_means(x):
        return x.mean(axis=1), x.shape


def toy_catalogue():
    def boom(x):
        raise ValueError("does not apply")

    return [
        Mistake(
            "sums",
            "the rows are summed, not averaged",
            "Divide by the row length.",
            {"row_means": lambda x: (x.sum(axis=1), x.shape)},
        ),
        Mistake(
            "columns",
            "the means are taken over columns",
            "Use axis=1.",
            {"row_means": lambda x: (x.mean(axis=0), x.shape)},
        ),
        Mistake("never", "it raises", "Nothing.", {"row_means": boom}),
    ]


def evidence(actual, x, part=0):
    return Evidence(Replay("row_means", (x,), part=part), actual, 1e-7, 1e-9)


def test_diagnoser_finds_the_mistake_that_gives_the_students_output():
    diagnoser = Diagnoser(toy_catalogue(), Toy)
    x = np.arange(6.0).reshape(2, 3)
    assert [h.id for h in diagnoser.hints(evidence(x.sum(axis=1), x))] == ["sums"]
    assert [h.id for h in diagnoser.hints(evidence(x.mean(axis=0), x))] == ["columns"]
    assert diagnoser.hints(evidence(np.array([9.0, 9.0]), x)) == ()  # no known mistake
    assert diagnoser.hints(evidence((2, 3), x, part=1)) == ()  # right (the check failed for another reason)
    symmetric = np.array([[1.0, 2.0], [2.0, 1.0]])  # column means are row means: "columns" does not show here
    assert diagnoser.hints(evidence(symmetric.mean(axis=0), symmetric)) == ()
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]  # variants get copies


def test_a_mistake_recognises_its_whole_family_of_outputs():
    """A tuple of variants: the mistake however it is written (either end, here)."""
    family = Mistake(
        "one-end",
        "only one end is kept",
        "Keep both.",
        {"row_means": (lambda x: (x[:, 0], x.shape), lambda x: (x[:, -1], x.shape))},
    )
    diagnoser = Diagnoser([family], Toy)
    x = np.arange(6.0).reshape(2, 3)
    assert [h.id for h in diagnoser.hints(evidence(x[:, 0], x))] == ["one-end"]
    assert [h.id for h in diagnoser.hints(evidence(x[:, -1], x))] == ["one-end"]
    assert diagnoser.hints(evidence(x[:, 1], x)) == ()


def test_load_catalogue_checks_what_it_loads(tmp_path):
    package = tmp_path / "cat"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from autograder.grade.diagnose import Mistake\n"
        "def catalogue(ref):\n"
        "    return [Mistake('a', 'x', 'y', {'row_means': len}), Mistake('a', 'x', 'y', {'row_means': len})]\n"
    )
    with pytest.raises(CatalogueError, match="duplicate id"):
        load_catalogue(package, Toy, "_toy_catalogue_1")
    (package / "__init__.py").write_text(
        "from autograder.grade.diagnose import Mistake\n"
        "def catalogue(ref):\n"
        "    return [Mistake('a', 'x', 'y', {'row_sums': len})]\n"
    )
    with pytest.raises(CatalogueError, match="'row_sums' is not a function of the reference"):
        load_catalogue(package, Toy, "_toy_catalogue_2")
    with pytest.raises(CatalogueError, match="could not load"):
        load_catalogue(tmp_path / "nowhere", Toy, "_toy_catalogue_3")


# -- weighing and wording ----------------------------------------------------------------

SUMS = Hint("sums", "the rows are summed, not averaged", "Divide by the row length.")


def group(test_id, visibility):
    return config.TestGroup(test_id, test_id, "1.1", 1, visibility == "visible", visibility, "Part", {})


def outcomes(*cases):
    """``(case id, passed, hinted)`` -> CaseOutcome, every check replaying row_means."""
    return [
        CaseOutcome(
            case, passed, "" if passed else "wrong", "", "" if passed else "row_means", (SUMS,) if hinted else ()
        )
        for case, passed, hinted in cases
    ]


def test_wording_follows_the_evidence():
    one = score_group(group("test_a", "after_published"), outcomes(("c1", False, True), ("c2", True, False)))
    assert diagnoses([one])["test_a"] == [
        "Possibly the rows are summed, not averaged: on case [c1], your output matches what row_means gives with "
        "that mistake; that is one case only, so check it. Divide by the row length."
    ]
    many = score_group(
        group("test_a", "after_published"), outcomes(("c1", False, True), ("c2", False, True), ("c3", False, False))
    )
    assert diagnoses([many])["test_a"][0].startswith(
        "Most likely the rows are summed, not averaged: on 2 of the 3 failed cases, your output matches"
    )
    few = score_group(group("test_a", "after_published"), outcomes(*[(f"c{i}", False, i < 2) for i in range(5)]))
    assert "test_a" not in diagnoses([few])  # 2 of 5: the other 3 say it is not this mistake
    clean = score_group(group("test_b", "visible"), outcomes(("c1", False, False)))
    assert diagnoses([clean]) == {}


def test_a_group_weighs_only_what_its_reader_may_see():
    visible = score_group(group("test_public", "visible"), outcomes(("", False, True)))
    hidden = score_group(group("test_hidden", "after_published"), outcomes(*[(f"c{i}", False, True) for i in range(4)]))
    hints = diagnoses([visible, hidden])
    # The visible test shows before grades are published: hidden matches do not strengthen it.
    assert hints["test_public"][0].startswith("Possibly the rows are summed, not averaged: on this test")
    assert hints["test_hidden"][0].startswith(
        "Most likely the rows are summed, not averaged: on all 5 failed cases (in 2 tests)"
    )
    other = score_group(group("test_later", "after_due_date"), outcomes(("c1", False, True)))
    assert diagnoses([other, hidden])["test_later"][0].startswith("Possibly")  # other visibilities are not pooled


def test_feedback_puts_the_diagnosis_first_and_keeps_it_when_cut():
    score = score_group(group("test_a", "after_published"), outcomes(*[(f"c{i}", False, True) for i in range(9)]))
    text = feedback(score, max_chars=200, diagnosis=["Most likely X."])
    assert text.splitlines()[:3] == ["0 of 9 cases passed.", "Most likely X.", "- [c0] wrong"]


# -- the assignment's catalogue -------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue(ref):
    return load_catalogue(ASSIGNMENT.diagnoses, ref, "_test_diagnoses")


def test_catalogue_covers_graded_functions_with_words_students_can_read(catalogue, ref):
    graded = {name for name in dir(ref) if not name.startswith("_")}
    assert len({m.id for m in catalogue}) == len(catalogue) >= 14
    whats = [m.what for m in catalogue]
    assert not [a for a in whats for b in whats if a != b and a in b], "a hint must be recognisable by its what"
    for m in catalogue:
        assert set(m.variants) <= graded
        text = (m.what + m.advice).lower()
        assert "expected" not in text and "reference" not in text and "solution" not in text, m.id


def test_catalogue_ships_in_the_autograder_zip_only(autograder_zip, student_release):
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
    assert "assignment/diagnoses/__init__.py" in names and "assignment/diagnoses/conv.py" in names
    release = student_release
    assert not list(release.rglob("diagnose*"))
    assert not [p for p in release.rglob("*.py") if "Mistake(" in p.read_text(encoding="utf-8")]
    assert "diagnoses" not in (release / "tests" / "grading.yaml").read_text()


def test_diagnoses_must_be_a_package(tmp_path):
    text = ASSIGNMENT.path.read_text().replace("diagnoses: diagnoses", "diagnoses: nowhere")
    (tmp_path / "assignment.yaml").write_text(
        text.replace("reference: ../solutions/convnet", f"reference: {ROOT / 'solutions' / 'convnet'}")
    )
    with pytest.raises(config.ConfigError) as err:
        config.load(tmp_path / "assignment.yaml")
    assert err.value.key == "diagnoses" and "not a package" in err.value.reason
