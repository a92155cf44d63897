"""The Gradescope autograder end to end: real zip, real Gradescope-like tree, real
run_autograder, real sandbox (the unprivileged user when run as root)."""

import os
import shutil
import zipfile

import pytest

from autograder.runtime import archive
from autograder.build.autograder_zip import build_autograder
from tests.buggy import BUGS
from tests.conftest import ASSIGNMENT, BONUS_POINTS, ROOT, TIMED, TIMED_POINTS


def test_reference_scores_100(grade):
    graded = grade(ROOT / "solutions")
    assert graded.score == 100, graded.log[-3000:]
    # Every test passes but the timed ones, whose verdict depends on how busy this machine is.
    assert [t["name"] for t in graded.results["tests"] if t["status"] != "passed" and t["number"] not in TIMED] == []
    assert len(graded.results["tests"]) == len(ASSIGNMENT.groups)
    # The reference's fast.py earns the bonus, on top (see test_bonus_*): all but the speed
    # points for sure, and a speedup well past the first threshold (the speed points
    # themselves depend on how busy this machine is).
    assert BONUS_POINTS - TIMED_POINTS <= graded.bonus <= BONUS_POINTS and BONUS_POINTS > 0
    assert [e["value"] for e in graded.results["leaderboard"]][0] > 1


def test_stubs_score_0_and_say_not_implemented(grade):
    graded = grade(ROOT / "student_template" / "convnet")
    assert graded.score == 0 and graded.bonus == 0 and "leaderboard" not in graded.results
    for test in graded.results["tests"]:
        assert "not implemented yet" in test["output"], test


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_buggy_submission_loses_only_what_it_breaks(grade, tmp_path, bug):
    graded = grade(bug.write(tmp_path))
    lost = graded.lost()
    assert bug.loses <= lost, f"should lose {sorted(bug.loses - lost)}"
    assert not bug.keeps & lost, f"should keep {sorted(bug.keeps & lost)}"
    assert 0 < graded.score < 100


def test_results_follow_assignment_yaml(grade):
    graded = grade(ROOT / "solutions")
    for group in ASSIGNMENT.groups:
        test = graded.by_id[group.id]
        max_score = 0 if group.extra_credit else group.points  # extra credit adds on top
        assert (test["name"], test["max_score"], test["visibility"]) == (group.name, max_score, group.visibility)
    assert graded.results["extra_data"]["version"] == ASSIGNMENT.version
    assert graded.results["stdout_visibility"] == "hidden"


def test_outputs_never_show_grader_code_or_expected_values(grade, tmp_path):
    bug = BUGS[0]  # bias forgotten: many failing hidden cases
    graded = grade(bug.write(tmp_path))
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

def copy_flat(dst):
    dst.mkdir(parents=True, exist_ok=True)
    for f in (ROOT / "solutions" / "convnet").glob("*.py"):
        shutil.copy(f, dst / f.name)
    return dst


def test_flat_files_at_the_top(grade, tmp_path):
    assert grade(copy_flat(tmp_path / "sub")).score == 100


def test_zip_with_package_one_folder_down(grade, tmp_path):
    copy_flat(tmp_path / "tree" / "my-hw" / "convnet")
    zip_path = archive.write_zip(tmp_path / "tree", tmp_path / "submission.zip")
    assert grade(zip_path).score == 100


def test_missing_file_says_which_and_where(grade, tmp_path):
    sub = copy_flat(tmp_path / "sub" / "convnet")
    (sub / "pool.py").rename(sub / "Pool.py")
    graded = grade(tmp_path / "sub")
    assert "pool.py is missing: it was looked for in convnet/" in graded.results["output"]
    assert "found Pool.py: rename it to pool.py" in graded.results["output"]
    # the tests of pooling, and the pooling cases of the backward passes' contract tests
    needs_pool = {g.id for g in ASSIGNMENT.groups if "pool" in g.id and "output_size" not in g.id}
    assert graded.lost() == needs_pool | {"test_backward_contract", "test_backward_contract_hidden"}
    assert "pool.py is missing" in graded.by_id["test_max_pool_lecture"]["output"]


def test_empty_submission(grade, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.txt").write_text("hi")
    graded = grade(tmp_path / "sub")
    assert graded.score == 0
    assert "None of the expected files (shapes.py, params.py, conv.py, pool.py) were found" in graded.results["output"]
    assert "notes.txt" in graded.results["output"]


def test_syntax_error_costs_only_the_broken_module(grade, tmp_path):
    sub = copy_flat(tmp_path / "sub")
    (sub / "pool.py").write_text((sub / "pool.py").read_text() + "\ndef broken(:\n")
    graded = grade(sub)
    assert "pool.py could not be imported: SyntaxError" in graded.results["output"]
    assert graded.by_id["test_conv_forward_random"]["score"] == graded.by_id["test_conv_forward_random"]["max_score"]
    assert graded.by_id["test_max_pool_lecture"]["score"] == 0
    assert "line" in graded.by_id["test_max_pool_lecture"]["output"]


def test_infinite_loop_times_out_and_costs_only_that_function(grade, tmp_path):
    sub = copy_flat(tmp_path / "sub")
    text = (sub / "pool.py").read_text()
    (sub / "pool.py").write_text(text.replace('    """Forward pass of average pooling', '    while True:\n        pass\n    """x', 1))
    graded = grade(sub)
    # The first calls time out in the public tests (run first); the hidden ones are then skipped.
    everything = "\n".join(t["output"] for t in graded.results["tests"])
    assert "Timed out after 5 s" in everything
    assert "already timed out 3 times" in graded.by_id["test_avg_pool_forward_random"]["output"]
    assert graded.by_id["test_max_pool_forward_random"]["status"] == "passed"
    assert graded.by_id["test_conv_forward_random"]["status"] == "passed"


def test_student_output_is_captured_per_test_and_cut(grade, tmp_path):
    sub = copy_flat(tmp_path / "sub")
    text = (sub / "shapes.py").read_text()
    (sub / "shapes.py").write_text(text.replace("def same_padding(f):\n", "def same_padding(f):\n    print('x' * 100000)\n", 1))
    graded = grade(sub)
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
def test_sandbox_user_cannot_read_the_source(grade, tmp_path):
    sub = copy_flat(tmp_path / "sub")
    probe = (
        "\n\ndef receptive_field(pool, kernel):\n"
        "    import glob, os\n"
        "    seen = [p for p in glob.glob('/opt/convnet-grader/runs/*/source/**', recursive=True) if os.access(p, os.R_OK)]\n"
        "    print('UID', os.getuid(), 'SEEN', len(seen))\n"
        "    return pool + kernel - 1\n"
    )
    (sub / "shapes.py").write_text((sub / "shapes.py").read_text() + probe)
    graded = grade(sub)
    output = graded.by_id["test_same_padding_and_receptive_field"]["output"]
    assert "UID 0 " not in output and "SEEN 0" in output, output
    assert graded.results["extra_data"]["sandbox"]["user"] == "dedicated unprivileged user"


def test_an_independent_correct_solution_scores_100(grade):
    """A student's naive all-loops code, written apart from the reference."""
    graded = grade(ROOT / "tests" / "naive")
    assert graded.score == 100, [t["output"] for t in graded.results["tests"] if t["status"] == "failed"]


def test_parallel_runs_do_not_kill_each_other(grade):
    """Each run kills every process of its sandbox user at the end: concurrent runs
    must hold different users (a regression: they used to share one)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as pool:
        scores = list(pool.map(lambda _: grade(ROOT / "tests" / "naive").score, range(3)))
    assert scores == [100, 100, 100]


def test_inputs_modified_in_place_are_seen_across_the_sandbox(grade, tmp_path):
    """The student's process works on copies; changes it makes to its arguments are
    copied back so that the "inputs unchanged" grader sees them."""
    sub = copy_flat(tmp_path / "sub")
    text = (sub / "conv.py").read_text()
    (sub / "conv.py").write_text(text.replace("    cache = (x, w, b, conv_param)\n", "    x += 1.0\n    cache = (x, w, b, conv_param)\n", 1))
    graded = grade(sub)
    assert "modified its input x in place" in graded.by_id["test_conv_forward_contract"]["output"]


# -- the bonus (extra credit): fast convolution ----------------------------------------

LOOP_WRAPPER = """from .conv import conv_backward, conv_forward


def conv_forward_fast(x, w, b, conv_param):
    return conv_forward(x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    return conv_backward(dout, cache)
"""


def test_bonus_reference_fast_earns_it_and_goes_on_the_leaderboard(grade):
    graded = grade(ROOT / "solutions")
    correct, speed = graded.by_id["test_fast_correct"], graded.by_id["test_fast_speedup"]
    assert correct["max_score"] == speed["max_score"] == 0
    assert (correct["score"], speed["score"]) == (1, 4), speed["output"]
    [entry] = graded.results["leaderboard"]
    assert entry["order"] == "desc" and entry["value"] >= 50


def test_bonus_correct_but_slow_earns_the_correctness_point_only(grade, tmp_path):
    """fast functions that call the loop versions: right, not faster."""
    sub = copy_flat(tmp_path / "sub")
    (sub / "fast.py").write_text(LOOP_WRAPPER)
    graded = grade(sub)
    assert graded.score == 100 and graded.bonus == 1
    assert graded.by_id["test_fast_speedup"]["score"] == 0
    assert "less than 10x faster" in graded.by_id["test_fast_speedup"]["output"]
    [entry] = graded.results["leaderboard"]
    assert entry["value"] < 10


def test_bonus_wrong_fast_earns_nothing_and_costs_nothing(grade, tmp_path):
    sub = copy_flat(tmp_path / "sub")
    (sub / "fast.py").write_text(LOOP_WRAPPER.replace("return conv_forward(x, w, b, conv_param)",
                                                      "out, cache = conv_forward(x, w, b, conv_param)\n"
                                                      "    return out * 1.01, cache"))
    graded = grade(sub)
    assert graded.score == 100 and graded.bonus == 0
    assert "leaderboard" not in graded.results
    assert "max abs error" in graded.by_id["test_fast_speedup"]["output"]


def test_bonus_without_fast_py_loses_only_the_bonus(grade, tmp_path):
    sub = copy_flat(tmp_path / "sub")
    (sub / "fast.py").unlink()
    graded = grade(sub)
    assert graded.score == 100 and graded.bonus == 0
    assert "fast.py" not in graded.results["output"]  # not a problem of the submission
    for test_id in ("test_fast_correct", "test_fast_speedup"):
        assert "fast.py was not submitted" in graded.by_id[test_id]["output"]
