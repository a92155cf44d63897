"""The failure characterisation: generic features of case arguments, and which of them
separate failing cases from passing ones."""

import dataclasses

import numpy as np

from autograder.runtime import characterise, config
from autograder.runtime.characterise import Condition, case_features, separators, wording
from autograder.runtime.scoring import CaseOutcome, GroupScore, characterisation


def cases(rows):
    return [(case_features(params), passed) for params, passed in rows]


def test_features_of_arrays_dicts_lists_and_scalars():
    f = case_features({
        "x": np.zeros((2, 3, 4, 4)),
        "param": {"stride": 2, "pad": 1},
        "layers": [{"type": "conv", "size": 3}, {"type": "pool"}],
        "n": 7,
        "name": "conv_params",
    })
    assert f["x.shape[0]"] == 2 and f["x.shape[3]"] == 4
    assert f["x.shape[-2] == x.shape[-1]"] is True
    assert f["stride"] == 2 and f["pad"] == 1 and f["stride == pad"] is False
    assert f["layers has type=conv"] is True and "len(layers)" not in f  # a count of arguments is never a cause
    assert f["n"] == 7 and f["name"] == "conv_params"


def test_a_threshold_on_a_dict_item():
    rows = [({"x": np.zeros((1, 1, 5, 5)), "p": {"stride": s, "pad": p}}, s == 1) for s in (1, 2, 3) for p in (0, 1)]
    found = separators(cases(rows))
    assert found[0].failing == Condition("stride", ">", 1)
    assert wording(found) == ["Fails every case with stride > 1, passes every case with stride 1."]


def test_unequal_dimensions():
    shapes = [(4, 4), (4, 6), (3, 3), (5, 2), (2, 2), (3, 5)]
    rows = [({"x": np.zeros(s)}, s[0] == s[1]) for s in shapes]
    text = wording(separators(cases(rows)))
    assert text[0] == ("Fails every case with x.shape[-2] != x.shape[-1], "
                       "passes every case with x.shape[-2] == x.shape[-1].")


def test_nothing_when_all_fail_or_all_pass_or_nothing_separates():
    rows = [({"n": n}, False) for n in (1, 2, 3)]
    assert separators(cases(rows)) == []
    rows = [({"n": n}, True) for n in (1, 2, 3)]
    assert separators(cases(rows)) == []
    rows = [({"n": 1}, True), ({"n": 1}, False), ({"n": 1}, False)]
    assert separators(cases(rows)) == []
    rows = [({"n": 1}, True), ({"n": 2}, False)]  # one failing case: its id says it all
    assert separators(cases(rows)) == []


def test_a_categorical_value():
    functions = ("conv_backward", "max_pool_backward", "avg_pool_backward") * 3
    rows = [({"function": f}, f != "max_pool_backward") for f in functions]
    assert wording(separators(cases(rows)))[0] == (
        "Fails every case with function = max_pool_backward, passes every case with function other than "
        "max_pool_backward.")


def test_inputs_and_size():
    params = {"x": np.arange(4.0).reshape(2, 2), "stride": 2}
    assert characterise.case_size(params) == 5
    assert "x = [[0., 1.]" in characterise.describe_inputs(params)


def _score(outcomes, public):
    group = config.TestGroup(id="t", name="a test", points=4, part="1", number="1.1",
                      visibility="visible" if public else "after_published", public=public)
    return GroupScore(group, 0.0, tuple(outcomes))


def test_feedback_lines_public_and_hidden():
    rows = [({"x": np.ones((1, 4)), "stride": s}, s == 1) for s in (1, 1, 2, 3, 4)]
    public = [CaseOutcome(str(i), passed, "" if passed else "wrong", features=tuple(case_features(p).items()),
                          size=characterise.case_size(p), inputs="" if passed else characterise.describe_inputs(p))
              for i, (p, passed) in enumerate(rows)]
    lines = characterisation(_score(public, True))
    assert any("stride > 1" in line for line in lines)
    assert any(line.startswith("The smallest failing case, [2]") for line in lines)
    hidden = [CaseOutcome(c.case, c.passed, c.message, features=c.features, size=c.size) for c in public]
    lines = characterisation(_score(hidden, False))
    assert lines and not any("smallest" in line or "[[" in line for line in lines)


def test_never_a_numbers_middle_value():
    rows = [({"HH": hh}, hh != 3) for hh in (1, 1, 3, 3, 3, 5, 5)]
    assert separators(cases(rows)) == []  # "HH 3, passes every case with HH other than 3": a coincidence


def test_never_two_conditions_together():
    """pool > 1 and kernel > 1 separate these cases together, and neither alone: with a
    dozen features some pair fits a few cases by chance, so no pair is ever claimed."""
    pairs = [(3, 3), (2, 5), (2, 2), (5, 2), (4, 4), (3, 6), (1, 7), (1, 4), (1, 2), (4, 1), (3, 1), (6, 1)]
    rows = [({"pool": p, "kernel": k}, p == 1 or k == 1) for p, k in pairs]
    assert separators(cases(rows)) == []


def test_a_feature_only_some_cases_have():
    counts = [(5, 3, False), (1, 64, False), (4, 16, False), (10, 1, True), (3, 1, True)]
    rows = [({"name": "conv", "args": {"f": f, "d_in": d}}, passed) for f, d, passed in counts]
    rows.append(({"name": "pool", "args": {}}, True))
    text = wording(separators(cases(rows)))
    assert text == ["Fails every case with d_in > 1, passes every other case."]
    positional = [({"name": "conv", "args": (5, 3, 1)}, False), ({"name": "conv", "args": (1, 64, 32)}, False),
                  ({"name": "conv", "args": (10, 1, 1)}, True), ({"name": "pool", "args": ()}, True)]
    assert separators(cases(positional)) == []  # args[1] names nothing: said by position only


# -- what the characterisation refuses to claim ------------------------------------------


def test_a_seed_or_an_index_is_never_a_cause():
    rows = [({"seed": s, "x": np.zeros((2, 2))}, s <= 1) for s in range(10)]
    assert separators(cases(rows)) == []
    rows = [({"index": i, "x": np.zeros((2, 2))}, i <= 1) for i in range(10)]
    assert separators(cases(rows)) == []
    rows = [({"n": n, "x": np.zeros((2, 2))}, n <= 1) for n in (0, 1, 5, 8, 9)]  # differs on every case: an id
    assert separators(cases(rows)) == []


def test_no_argument_counts_parities_or_dtypes():
    f = case_features({"args": (1, 2, 3), "x": np.zeros((2, 2), dtype=np.int64), "k": 4})
    assert not any(name.startswith("len(") or "even" in name or "dtype" in name for name in f)


def test_a_claim_one_case_carries_is_not_said():
    """Failing cases of filter width 1 and 3 and one passing case of width 4 (hidden
    cases drawn anew per grading): "fails every case with WW <= 3" would rest on that
    one case. Two failing cases are no more than two ids; with more of each, it is said."""
    rows = [({"WW": ww, "stride": s}, ww == 4) for ww, s in [(1, 2), (3, 1), (1, 1), (3, 3), (3, 2), (4, 3)]]
    assert separators(cases(rows)) == []
    rows = [({"WW": ww}, ww == 4) for ww in (1, 3, 4, 4)]
    assert separators(cases(rows)) == []
    rows = [({"WW": ww}, ww == 4) for ww in (1, 3, 3, 4, 4)]
    assert wording(separators(cases(rows))) == ["Fails every case with WW <= 3, passes every case with WW 4."]


def test_two_features_that_separate_equally_well_say_nothing():
    rows = [({"stride": s, "pad": s - 1}, s == 1) for s in (1, 1, 2, 2, 3)]
    assert separators(cases(rows)) == []  # stride > 1 and pad > 0: the cases cannot tell which


def test_declared_features_are_the_only_ones_named():
    declared = {
        "stride": lambda p: characterise.argument(p, "stride"),
        "windows overlap|windows apart":
            lambda p: characterise.argument(p, "stride") < characterise.argument(p, "size"),
        "batch": lambda p: characterise.shape(p, "x")[0],
    }
    rows = [({"x_shape": (n, 1, 6, 6), "param": {"stride": s, "size": 2}}, s >= 2) for n in (1, 2, 3) for s in (1, 2)]
    found = [(case_features(p, declared), passed) for p, passed in rows]
    assert set(found[0][0]) == {"stride", "windows overlap|windows apart", "batch"}
    assert wording(separators(found)) == []  # stride <= 1 and windows overlap: a tie, so nothing
    declared.pop("stride")
    found = [(case_features(p, declared), passed) for p, passed in rows]
    assert wording(separators(found)) == [
        "Fails every case with windows overlap, passes every case with windows apart."]


def test_a_declared_feature_that_does_not_apply_is_left_out():
    declared = {"pad": lambda p: characterise.argument(p, "pad"), "broken": lambda p: 1 / 0}
    assert case_features({"param": {"stride": 1}}, declared) == {}
    assert case_features({"param": {"pad": 2}}, declared) == {"pad": 2}
    with_shape = {"h": lambda p: characterise.shape(p, "x")[2]}
    assert case_features({"shape": (1, 2, 3, 4)}, with_shape) == {"h": 3}
    assert case_features({"x": np.zeros((1, 2, 5, 4))}, with_shape) == {"h": 5}


def test_no_characterisation_when_every_failing_case_failed_for_another_reason():
    rows = [({"function": f, "stride": s}, f != "b") for f in ("a", "b") for s in (1, 2, 3)]
    stub = [CaseOutcome(str(i), passed, "" if passed else "not implemented yet",
                        features=tuple(case_features(p).items()), reason="" if passed else "not_implemented")
            for i, (p, passed) in enumerate(rows)]
    assert characterisation(_score(stub, False)) == []
    wrong = [dataclasses.replace(c, reason="failed" if not c.passed else c.reason) for c in stub]
    assert characterisation(_score(wrong, False)) == [
        "Fails every case with function = b, passes every case with function = a."]


def test_a_condition_another_failing_test_contradicts_is_not_said():
    def outcomes(rows, function="f"):
        return [CaseOutcome(str(i), passed, "" if passed else "wrong", replayed="" if passed else function,
                            features=tuple(case_features(p).items())) for i, (p, passed) in enumerate(rows)]

    few = _score(outcomes([({"n": 1, "k": 3}, False), ({"n": 1, "k": 5}, False), ({"n": 1, "k": 4}, False),
                           ({"n": 2, "k": 3}, True), ({"n": 2, "k": 5}, True)]), False)
    assert characterisation(few) == ["Fails every case with n 1, passes every case with n 2."]
    many = _score(outcomes([({"n": 2, "k": 4}, False), ({"n": 1, "k": 4}, True), ({"n": 2, "k": 3}, True)]), False)
    assert characterisation(few, [few, many]) == []  # n 1 was a coincidence of five cases
    elsewhere = _score(outcomes([({"n": 2}, False), ({"n": 1}, True)], function="g"), False)
    assert characterisation(few, [few, elsewhere]) == ["Fails every case with n 1, passes every case with n 2."]
    fewer = _score(outcomes([({"function": "f"}, False), ({"function": "f"}, True)]), False)
    assert characterisation(few, [few, fewer]) == [  # a test declaring fewer features neither blocks nor helps
        "Fails every case with n 1, passes every case with n 2."]
    passing = _score(outcomes([({"n": 1}, True), ({"n": 2}, True)]), False)
    assert characterisation(few, [few, passing]) == ["Fails every case with n 1, passes every case with n 2."]
