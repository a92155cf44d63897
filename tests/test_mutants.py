"""Mutation analysis (autograder/staff/mutants/): the operators, the generation's
stable ids, the reviewed list of equivalent mutants, the verdicts, and a small
deterministic sample of the CNN's mutants graded through the real path: each must
stay killed (a grader weakened so that one of them survives fails here)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from autograder.staff.mutants import equivalents, generate, operators, report, run

ROOT = Path(__file__).resolve().parent.parent


def _apply(operator, code: str) -> list[str]:
    code = textwrap.dedent(code)
    src = operators.Source(code)
    return [src.apply(edit).strip() for edit in operator(ast.parse(code), src)]


@pytest.mark.parametrize("operator, code, expected", [
    (operators.range_off_by_one, "for i in range(out_h): pass", ["for i in range(out_h - 1): pass"]),
    (operators.range_off_by_one, "range(a, n + 1)", ["range(a, (n + 1) - 1)"]),
    (operators.slice_off_by_one, "x[a:b]", ["x[a:b - 1]", "x[a:b + 1]"]),
    (operators.drop_term, "y = i * stride + hh",
     ["y = (i * stride)", "y = i + hh", "y = stride + hh"]),
    (operators.augassign_to_assign, "dw += g", ["dw = g"]),
    (operators.axis_changed, "x.sum(axis=(0, 2, 3))",
     ["x.sum(axis=(2, 3))", "x.sum(axis=(0, 3))", "x.sum(axis=(0, 2))"]),
    (operators.axis_changed, "np.tensordot(a, b, axes=([1, 2], [1, 2]))",
     ["np.tensordot(a, b, axes=([2], [2]))", "np.tensordot(a, b, axes=([1], [1]))"]),
    (operators.transpose_dropped, "y = w.T @ x + np.transpose(v, (1, 0))", ["y = w @ x + np.transpose(v, (1, 0))",
                                                                            "y = w.T @ x + v"]),
    (operators.index_flipped, "w[f, c, i, j]", ["w[f, c, -1 - i, j]", "w[f, c, i, -1 - j]", "w[-1 - f, c, i, j]",
                                                "w[f, -1 - c, i, j]"]),
    (operators.minus_inf_to_zero, "best = -np.inf", ["best = 0"]),
    (operators.division_grouping, "share = dout / (ph * pw)", ["share = dout / ph * pw"]),
    (operators.default_required, "s = layer.get('stride', 1)", ["s = layer['stride']"]),
    (operators.copy_dropped, "a = x.copy(); b = np.copy(x)", ["a = x; b = np.copy(x)", "a = x.copy(); b = x"]),
    (operators.reduction_swapped, "window.max(axis=(2, 3))", ["window.min(axis=(2, 3))"]),
])
def test_operator_edits(operator, code, expected):
    assert sorted(_apply(operator, code)) == sorted(expected)


SOURCE = textwrap.dedent('''\
    def area(h, w, pad=0):
        """Area of the padded rectangle, e.g. "2 + 2"."""
        # BEGIN SOLUTION
        total = 0
        for i in range(h + 2 * pad):
            total += w + 2 * pad
        return total
        # END SOLUTION


    def outside(n):
        return n + 1
    ''')


def test_mutants_stay_inside_solution_regions_and_out_of_strings():
    mutants = list(generate.mutants_of_module("m.py", SOURCE))
    assert mutants, "the region has mutable code"
    for m in mutants:
        assert 4 <= m.line <= 7, m.id
        assert m.function == "area"
        assert '"2 + 2"' in m.source  # the docstring is no mutant
        assert m.source != SOURCE
        compile(m.source, m.id, "exec")
    assert len({m.source for m in mutants}) == len(mutants), "no two mutants are the same"


def test_ids_are_stable_and_name_module_function_operator():
    first = [(m.id, m.source) for m in generate.mutants_of_module("m.py", SOURCE)]
    again = [(m.id, m.source) for m in generate.mutants_of_module("m.py", SOURCE)]
    assert first == again
    ids = [i for i, _ in first]
    assert len(set(ids)) == len(ids)
    assert "m.area.augassign-to-assign.0" in ids
    assert "m.area.range-off-by-one.0" in ids
    assert any(i.startswith("m.area.NumberReplacer.") for i in ids)  # cosmic-ray's operators, by their name


def test_diff_names_the_file_and_line():
    m = next(m for m in generate.mutants_of_module("m.py", SOURCE) if m.operator == "augassign-to-assign")
    diff = m.diff()
    assert diff.startswith("--- a/m.py\n+++ b/m.py\n")
    assert "-        total += w + 2 * pad" in diff and "+        total = w + 2 * pad" in diff
    assert m.line == 6


def test_equivalents_file_checked(tmp_path):
    path = tmp_path / equivalents.FILE_NAME
    assert equivalents.load(path) == {}
    path.write_text("- id: a.b.c.0\n  after: 'x = 1'\n  reason: no input tells it apart\n")
    entry = equivalents.load(path)["a.b.c.0"]
    assert equivalents.matches(entry, "  x = 1") and not equivalents.matches(entry, "x = 2")
    for text, words in [("- id: a\n", "needs a reason"), ("- reason: r\n", "needs an id"), ("{}", "must be a list"),
                        ("- {id: a, reason: r}\n- {id: a, reason: s}\n", "listed twice")]:
        path.write_text(text)
        with pytest.raises(equivalents.EquivalentsError, match=words):
            equivalents.load(path)


def _results(scores: dict[str, float], cases=None, hints=()):
    return {"score": sum(scores.values()), "extra_data": {"hints": [{"id": h} for h in hints]},
            "tests": [{"name": n, "score": s, "max_score": 5.0, "extra_data": {"cases": cases or {"passed": 1}}}
                      for n, s in scores.items()]}


def test_verdicts_compare_test_by_test():
    m = next(iter(generate.mutants_of_module("m.py", SOURCE)))
    reference = _results({"a": 5.0, "b": 5.0})
    killed = run.compare(m, _results({"a": 5.0, "b": 2.5}, hints=["flipped"]), reference, "sha", 1.0)
    assert (killed.status, killed.caught_by, killed.score, killed.hints) == ("killed", ["b"], 7.5, ["flipped"])
    survived = run.compare(m, _results({"a": 5.0, "b": 5.0}), reference, "sha", 1.0)
    assert survived.status == "survived" and not survived.caught_by
    broken = run.compare(m, _results({"a": 0.0, "b": 0.0}, cases={"unavailable": 3}), reference, "sha", 1.0)
    assert broken.import_broken
    summary = report.summarise([m], {m.id: killed}, {}, full=10.0)
    assert (summary.killed, summary.partial, summary.score) == (1, 1, 100.0)
    equivalent = {m.id: equivalents.Equivalent(m.id, "why", m.after)}
    assert report.summarise([m], {m.id: survived}, equivalent, full=10.0).equivalent == 1


def test_every_cnn_module_has_mutants_of_each_numeric_operator_it_can_have(tmp_path):
    modules = ["shapes", "params", "conv", "pool"]
    mutants = generate.all_mutants(ROOT / "solutions" / "convnet", modules, cache=tmp_path)
    again = generate.all_mutants(ROOT / "solutions" / "convnet", modules, cache=tmp_path)  # from the cache
    assert [(m.id, m.source, m.diff()) for m in again] == [(m.id, m.source, m.diff()) for m in mutants]
    ops = {m.operator for m in mutants}
    for op in ("range-off-by-one", "slice-off-by-one", "drop-term", "augassign-to-assign", "axis-changed",
               "index-flipped", "division-grouping", "default-required", "reduction-swapped", "core/NumberReplacer"):
        assert op in ops, op
    assert {m.module for m in mutants} == {"shapes.py", "params.py", "conv.py", "pool.py"}
    # the reviewed equivalent mutants still exist as reviewed (a changed reference makes an entry stale)
    by_id = {m.id: m for m in mutants}
    reviewed = equivalents.load(ROOT / "assignment" / equivalents.FILE_NAME)
    assert reviewed
    stale = [i for i, e in reviewed.items() if i not in by_id or not equivalents.matches(e, by_id[i].after)]
    assert not stale, f"review these entries of assignment/{equivalents.FILE_NAME} again: {stale}"


# A deterministic sample of the CNN's mutants, one or more per module and per kind of
# mistake (the issue's: a documented default made a required key, an accumulation
# that overwrites, an axis left out, a flipped index, a division's grouping): each is
# killed today with partial marks. A grader change that lets one survive, or that
# costs it every point, fails here. `make mutants` grades them all.
SAMPLE = [
    "shapes.conv_output_size.NumberReplacer.0",
    "shapes._check_window.NumberReplacer.1",
    "params.network_summary.default-required.0",
    "params.network_summary.default-required.1",
    "conv.zero_pad.slice-off-by-one.1",
    "conv.conv_backward.augassign-to-assign.0",
    "conv.conv_backward.axis-changed.0",
    "pool.max_pool_forward.reduction-swapped.0",
    "pool.max_pool_backward.index-flipped.0",
    "pool.avg_pool_backward.division-grouping.0",
]


def test_sample_of_cnn_mutants_stays_killed(autograder_zip, tmp_path):
    from autograder.runtime import config
    from autograder.staff.batch import sha256

    assignment = config.load(ROOT / "assignment" / "assignment.yaml")
    modules = list(assignment.required_modules)
    mutants = {m.id: m for m in generate.all_mutants(assignment.reference, modules)}
    missing = [i for i in SAMPLE if i not in mutants]
    assert not missing, f"the sample names mutants that no longer exist (the reference changed?): {missing}"
    job = run.Job(Path(autograder_zip), sha256(Path(autograder_zip)), assignment.reference, assignment.package,
                  tmp_path)
    (tmp_path / "verdicts").mkdir()
    reference = run.baseline(job)
    full = sum(t["max_score"] for t in reference["tests"])
    assert reference["score"] >= full
    verdicts = run.grade_mutants(job, [mutants[i] for i in SAMPLE], reference, jobs=2)
    alive = {i: verdicts[i].status for i in SAMPLE if verdicts[i].status != "killed"}
    assert not alive, f"mutants the graders used to kill: {alive}"
    for i in SAMPLE:
        v = verdicts[i]
        assert 0 < v.score < full and not v.import_broken, (i, v.score, v.caught_by)


def test_killed_mutants_become_a_catalogue_that_names_them_and_not_correct_code(tmp_path):
    import json

    import numpy as np

    from autograder.grade import mutant_catalogue
    from autograder.grade.diagnose import Diagnoser, load_catalogue
    from autograder.runtime.packages import load_package
    from autograder.runtime.testkit import Evidence, Replay
    from autograder.staff.mutants import catalogue

    ref = load_package(ROOT / "solutions" / "convnet", "convnet_reference_for_mutants")
    source = (ROOT / "solutions" / "convnet" / "pool.py").read_text(encoding="utf-8")
    mutants = {m.id: m for m in generate.mutants_of_module("pool.py", source)}
    chosen = [mutants["pool.avg_pool_backward.division-grouping.0"], mutants["pool._geometry.NumberReplacer.0"]]
    verdicts = {m.id: run.Verdict(m.id, m.digest, "sha", "killed", score=90.0) for m in chosen}
    public = {"max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward"}
    entries = catalogue.entries(chosen, verdicts, public, full=100.0, per_operator=2)
    assert {e["id"]: e["functions"] for e in entries} == {  # a helper reaches every public function calling it
        "pool._geometry.NumberReplacer.0": sorted(public),
        "pool.avg_pool_backward.division-grouping.0": ["avg_pool_backward"]}
    (tmp_path / "mutants.json").write_text(json.dumps(entries))
    # killed but scoring 0, or surviving: no entry
    assert not catalogue.entries(chosen, {m.id: run.Verdict(m.id, m.digest, "sha", "survived", score=100.0)
                                         for m in chosen}, public, 100.0, 2)

    mistakes = mutant_catalogue.mistakes(ref, tmp_path / "mutants.json")
    assert [m.id for m in mistakes] == [f"mutant:{e['id']}" for e in entries]
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    dout = np.random.default_rng(1).normal(size=(2, 3, 2, 2))
    replay = Replay("avg_pool_backward", (dout, (x, param)))
    wrong = dout.repeat(2, axis=2).repeat(2, axis=3)  # dout / 2 * 2: the grouping mistake
    diagnoser = Diagnoser(mistakes, ref)
    assert [h.id for h in diagnoser.hints(Evidence(replay, wrong, 1e-7, 1e-9))] == [
        "mutant:pool.avg_pool_backward.division-grouping.0"]
    right = ref.avg_pool_backward(dout, (x, param))
    assert diagnoser.hints(Evidence(replay, right, 1e-7, 1e-9)) == ()
    assert mutant_catalogue.mistakes(ref, tmp_path / "absent.json") == []
    assert load_catalogue  # the catalogue's mistakes are the diagnoser's own type
