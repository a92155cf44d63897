"""The Gradescope autograder end to end: real zip, real Gradescope-like tree, real
run_autograder, real sandbox (the unprivileged user when run as root).

Every submission of this module is graded once, three at a time (``SUBMISSIONS``,
through the session's ``gradings``, which the other modules share: the reference is
graded once for all of them); the tests assert on the results."""

import json
import os
import zipfile

import pytest

from autograder.build.autograder_zip import build_autograder
from autograder.staff import simulate
from tests.buggy import BUGS
from tests.conftest import ASSIGNMENT, BONUS_POINTS, ROOT, TIMED, TIMED_POINTS
from tests.fabricate import KINDS, Variant, append, replace

LOOP_WRAPPER = """from . import pool
from .conv import conv_backward, conv_forward


def conv_forward_fast(x, w, b, conv_param):
    return conv_forward(x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    return conv_backward(dout, cache)


max_pool_forward_fast, max_pool_backward_fast = pool.max_pool_forward, pool.max_pool_backward
avg_pool_forward_fast, avg_pool_backward_fast = pool.avg_pool_forward, pool.avg_pool_backward
"""

SANDBOX_PROBE = (
    "\n\ndef receptive_field(pool, kernel):\n"
    "    import glob, os\n"
    "    seen = [p for p in glob.glob('/opt/convnet-grader/runs/*/source/**', recursive=True)\n"
    "            if os.access(p, os.R_OK)]\n"
    "    print('UID', os.getuid(), 'SEEN', len(seen))\n"
    "    return pool + kernel - 1\n"
)

FLAT = KINDS["flat"]
SUBMISSIONS = {
    "reference": KINDS["correct"],
    "stubs": Variant(base="stubs", layout="flat"),
    "naive": Variant(base="naive"),  # a student's all-loops code, written apart from the reference
    **{f"bug:{b.name}": b.variant for b in BUGS},
    "flat": FLAT,
    "zip one folder down": Variant(layout="my-hw/convnet", zipped=True),
    "pool.py renamed": Variant(edits=({"file": "pool.py", "rename": "Pool.py"},)),
    "empty": KINDS["empty"],
    "syntax": KINDS["syntax"],
    "loop": KINDS["loop"],
    "prints": FLAT.but(replace("shapes.py", "def same_padding(f):\n",
                               "def same_padding(f):\n    print('x' * 100000)\n")),
    "probe": FLAT.but(append("shapes.py", SANDBOX_PROBE)),
    "changes x": FLAT.but(replace("conv.py", "    cache = (x, w, b, conv_param)\n",
                                  "    x += 1.0\n    cache = (x, w, b, conv_param)\n")),
    "returns x": FLAT.but(replace("conv.py", "    n, c, h, w = x.shape\n    out = np.zeros(",
                                  "    n, c, h, w = x.shape\n    if pad == 0:\n        return x\n    out = np.zeros(")),
    "fast but slow": FLAT.but({"file": "fast.py", "content": LOOP_WRAPPER}),
    "fast but wrong": FLAT.but({"file": "fast.py", "content": LOOP_WRAPPER.replace(
        "return conv_forward(x, w, b, conv_param)",
        "out, cache = conv_forward(x, w, b, conv_param)\n    return out * 1.01, cache")}),
    "no fast.py": FLAT.but({"file": "fast.py", "delete": True}),
}


GRADINGS = list(SUBMISSIONS.values())  # graded with the other modules' (conftest.Gradings)


@pytest.fixture(scope="module")
def graded(gradings):
    """{name: Graded} for every submission of ``SUBMISSIONS``."""
    return dict(zip(SUBMISSIONS, gradings.many(GRADINGS), strict=True))


def test_reference_scores_100(graded):
    graded = graded["reference"]
    assert graded.score == 100, graded.log[-3000:]
    # Every test passes but the timed ones, whose verdict depends on how busy this machine is.
    assert [t["name"] for t in graded.results["tests"] if t["status"] != "passed" and t["number"] not in TIMED] == []
    assert len(graded.results["tests"]) == len(ASSIGNMENT.groups)
    # The reference's fast.py earns the bonus, on top (see test_bonus_*): all but the speed
    # points for sure, and a speedup well past the first threshold (the speed points
    # themselves depend on how busy this machine is).
    assert BONUS_POINTS - TIMED_POINTS <= graded.bonus <= BONUS_POINTS and BONUS_POINTS > 0
    assert [e["value"] for e in graded.results["leaderboard"]][0] > 1


def test_stubs_score_0_and_say_not_implemented(graded):
    graded = graded["stubs"]
    assert graded.score == 0 and graded.bonus == 0 and "leaderboard" not in graded.results
    for test in graded.results["tests"]:
        assert "not implemented yet" in test["output"], test
    # The untouched optional module (the bonus) reads as optional, as one left out does.
    optional = {g.number for g in ASSIGNMENT.groups if g.extra_credit}
    for test in graded.results["tests"]:
        if test["number"] in optional:
            assert "fast.py: it is optional" in test["output"], test


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_buggy_submission_loses_only_what_it_breaks(graded, bug):
    graded = graded[f"bug:{bug.name}"]
    lost = graded.lost()
    assert bug.loses <= lost, f"should lose {sorted(bug.loses - lost)}"
    assert not bug.keeps & lost, f"should keep {sorted(bug.keeps & lost)}"
    assert 0 < graded.score < 100


def test_results_follow_assignment_yaml(graded):
    graded = graded["reference"]
    for group in ASSIGNMENT.groups:
        test = graded.by_id[group.id]
        max_score = 0 if group.extra_credit else group.points  # extra credit adds on top
        assert (test["name"], test["max_score"], test["visibility"]) == (group.name, max_score, group.visibility)
    assert graded.results["extra_data"]["version"] == ASSIGNMENT.version
    assert graded.results["stdout_visibility"] == "hidden"


def test_outputs_never_show_grader_code_or_expected_values(graded):
    graded = graded[f"bug:{BUGS[0].name}"]  # bias forgotten: many failing hidden cases
    hidden_sources = [p.read_text() for p in (ROOT / "assignment" / "tests" / "hidden").glob("*.py")]
    distinctive = {line.strip() for src in hidden_sources for line in src.splitlines() if len(line.strip()) > 30}
    for test in graded.results["tests"]:
        text = test["output"]
        assert "Traceback" not in text and "reference" not in text
        assert not [line for line in distinctive if line in text]
    # The failing forward cases report where and how much, not what was expected.
    out = graded.by_id["test_conv_forward_random"]["output"]
    assert "first at index" in out and "max abs error" in out and "expected" not in out


# -- submission shapes --------------------------------------------------------------

def test_flat_files_at_the_top(graded):
    assert graded["flat"].score == 100


def test_zip_with_package_one_folder_down(graded):
    assert graded["zip one folder down"].score == 100


def test_missing_file_says_which_and_where(graded):
    graded = graded["pool.py renamed"]
    assert "pool.py is missing: it was looked for in convnet/" in graded.results["output"]
    assert "found Pool.py: rename it to pool.py" in graded.results["output"]
    # the tests of pooling, and the pooling cases of the backward passes' contract tests
    needs_pool = {g.id for g in ASSIGNMENT.groups if "pool" in g.id and "output_size" not in g.id}
    assert graded.lost() == needs_pool | {"test_backward_contract", "test_backward_contract_hidden"}
    assert "pool.py is missing" in graded.by_id["test_max_pool_lecture"]["output"]


def test_empty_submission(graded):
    graded = graded["empty"]
    assert graded.score == 0
    assert "None of the expected files (shapes.py, params.py, conv.py, pool.py) were found" in graded.results["output"]
    assert "notes.txt" in graded.results["output"]


def test_syntax_error_costs_only_the_broken_module(graded):
    graded = graded["syntax"]
    assert "pool.py could not be imported: SyntaxError" in graded.results["output"]
    assert graded.by_id["test_conv_forward_random"]["score"] == graded.by_id["test_conv_forward_random"]["max_score"]
    assert graded.by_id["test_max_pool_lecture"]["score"] == 0
    assert "line" in graded.by_id["test_max_pool_lecture"]["output"]


def test_infinite_loop_times_out_and_costs_only_that_function(graded):
    graded = graded["loop"]
    # The first calls time out in the public tests (run first); the hidden ones are then skipped.
    everything = "\n".join(t["output"] for t in graded.results["tests"])
    assert "Timed out after 5 s" in everything
    assert "already timed out 3 times" in graded.by_id["test_avg_pool_forward_random"]["output"]
    assert graded.by_id["test_max_pool_forward_random"]["status"] == "passed"
    assert graded.by_id["test_conv_forward_random"]["status"] == "passed"


def test_student_output_is_captured_per_test_and_cut(graded):
    graded = graded["prints"]
    output = graded.by_id["test_same_padding_and_receptive_field"]["output"]
    assert "Your code printed" in output and "xxxx" in output and len(output) < 3000
    assert graded.score == 100


# -- the zip itself ----------------------------------------------------------------

def test_autograder_zip_layout_and_reproducibility(autograder_zip, tmp_path):
    again = build_autograder(ASSIGNMENT, tmp_path / "again.zip")
    assert again.read_bytes() == autograder_zip.read_bytes()
    with zipfile.ZipFile(autograder_zip) as zf:
        names = zf.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt", "assignment/assignment.yaml"} <= set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert any(n.startswith("assignment/tests/hidden/") for n in names)
    assert any(n.startswith("solutions/convnet/") for n in names)
    assert not any("__pycache__" in n for n in names)


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox user exists only when grading as root")
def test_sandbox_user_cannot_read_the_source(graded):
    graded = graded["probe"]
    output = graded.by_id["test_same_padding_and_receptive_field"]["output"]
    assert "UID 0 " not in output and "SEEN 0" in output, output
    assert graded.results["extra_data"]["sandbox"]["user"] == "dedicated unprivileged user"


def test_an_independent_correct_solution_scores_100(graded):
    """A student's naive all-loops code, written apart from the reference."""
    graded = graded["naive"]
    assert graded.score == 100, [t["output"] for t in graded.results["tests"] if t["status"] == "failed"]


def test_parallel_runs_do_not_kill_each_other(gradings):
    """Each run kills every process of its sandbox user at the end: concurrent runs
    must hold different users (a regression: they used to share one). Three copies of
    one submission, graded together (``gradings`` grades three at a time)."""
    assert gradings.WORKERS >= 3
    copies = [Variant(base="naive", extra=(("copy.txt", str(i)),)) for i in range(3)]
    assert [g.score for g in gradings.many(copies)] == [100, 100, 100]


def test_inputs_modified_in_place_are_seen_across_the_sandbox(graded):
    """The student's process works on copies; changes it makes to its arguments are
    copied back so that the "inputs unchanged" grader sees them."""
    graded = graded["changes x"]
    assert "modified its input x in place" in graded.by_id["test_conv_forward_contract"]["output"]


def test_a_result_that_is_an_input_is_seen_across_the_sandbox(graded):
    """zero_pad promises a new array: returning x itself (for pad 0) loses its pad-0
    cases, said so, and only those; the same check holds on a laptop."""
    graded = graded["returns x"]
    hidden = graded.by_id["test_zero_pad_hidden"]
    assert "returned x itself (or a view of it), where a new array is promised" in hidden["output"]
    assert 0 < hidden["score"] < hidden["max_score"]
    assert "Fails every case with pad 0" in hidden["output"]
    contract = graded.by_id["test_conv_forward_contract"]  # a cache holds x on purpose: not this check
    assert contract["score"] == contract["max_score"]


# -- the bonus (extra credit): fast convolution ----------------------------------------

def test_bonus_reference_fast_earns_it_and_goes_on_the_leaderboard(graded):
    graded = graded["reference"]
    correct, speed = graded.by_id["test_fast_correct"], graded.by_id["test_fast_speedup"]
    assert correct["max_score"] == speed["max_score"] == 0
    assert (correct["score"], speed["score"]) == (1, 4), speed["output"]
    [entry] = graded.results["leaderboard"]
    assert entry["order"] == "desc" and entry["value"] >= 25


def test_bonus_correct_but_slow_earns_the_correctness_point_only(graded):
    """fast functions that call the loop versions: right, not faster."""
    graded = graded["fast but slow"]
    assert graded.score == 100 and graded.bonus == 1
    assert graded.by_id["test_fast_speedup"]["score"] == 0
    assert "less than 10x faster" in graded.by_id["test_fast_speedup"]["output"]
    [entry] = graded.results["leaderboard"]
    assert entry["value"] < 10


def test_bonus_wrong_fast_earns_nothing_and_costs_nothing(graded):
    """conv_forward_fast wrong (its pooling right): no speed points, and only the
    pooling cases' share of the correctness point."""
    graded = graded["fast but wrong"]
    assert graded.score == 100 and graded.bonus == graded.by_id["test_fast_correct"]["score"] == 0.5
    assert "leaderboard" not in graded.results
    assert "max abs error" in graded.by_id["test_fast_speedup"]["output"]


def test_bonus_without_fast_py_loses_only_the_bonus(graded):
    graded = graded["no fast.py"]
    assert graded.score == 100 and graded.bonus == 0
    assert "fast.py" not in graded.results["output"]  # not a problem of the submission
    for test_id in ("test_fast_correct", "test_fast_speedup"):
        assert "fast.py was not submitted" in graded.by_id[test_id]["output"]


def test_no_conftest_above_the_graders_is_loaded(autograder_zip, tmp_path):
    """pytest looks for conftest.py files up from the graders' folder; the runner stops
    it there: a conftest.py in a folder above the tree (the machine's, not the zip's)
    is never imported by the grader, which runs as root."""
    home = simulate.grader_home()
    image, venv = simulate.built_image(autograder_zip, home, simulate.grading_python())
    above = tmp_path / "home"
    (above / "runs").mkdir(parents=True)
    marker = tmp_path / "conftest-was-loaded"
    (above / "runs" / "conftest.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    root, _ = simulate.build_tree(autograder_zip, KINDS["correct"].write(tmp_path / "upload"), above, image)
    log = simulate.run(root, venv)
    results = json.loads((root / "results" / "results.json").read_text())
    assert not marker.exists(), log
    assert results["score"] >= 100 - TIMED_POINTS, log
