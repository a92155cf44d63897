"""`make submit` in the student release: exactly the files the graders expect, refused
with a reason when a file is missing or the package does not import, and accepted by
`make grade`."""

import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder.runtime import config
from autograder.runtime.submit import unimplemented_functions
from tests.conftest import BONUS_POINTS, ROOT, TIMED_POINTS

pytestmark = pytest.mark.e2e  # builds the student release, runs its make submit and make grade

ASSIGNMENT = config.load(ROOT / "assignment" / "assignment.yaml")
EXPECTED = sorted(f"convnet/{m}.py" for m in ("__init__", *ASSIGNMENT.modules))


@pytest.fixture(scope="module")
def release(student_release):
    return student_release  # copied before each use (work)


@pytest.fixture
def work(release, tmp_path):
    """A copy of the student release with the reference package in place."""
    work = tmp_path / "student"
    shutil.copytree(release, work)
    shutil.rmtree(work / "convnet")
    shutil.copytree(ROOT / "solutions" / "convnet", work / "convnet")
    return work


def make_submit(work):
    return subprocess.run(
        ["make", "--no-print-directory", "submit", f"PYTHON={sys.executable}"],
        cwd=work, capture_output=True, text=True, timeout=120,
    )


def names(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        return sorted(zf.namelist())


def test_make_submit_zips_exactly_the_package(work):
    done = make_submit(work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert names(work / "submission.zip") == EXPECTED
    assert "warning" not in done.stdout + done.stderr
    first = (work / "submission.zip").read_bytes()
    (work / "convnet" / "conv.py").touch()
    assert make_submit(work).returncode == 0
    assert (work / "submission.zip").read_bytes() == first  # same files, same bytes


def test_make_submit_refuses_a_missing_file(work):
    assert make_submit(work).returncode == 0
    (work / "convnet" / "pool.py").unlink()
    done = make_submit(work)
    assert done.returncode != 0
    assert "missing convnet/pool.py" in done.stderr and "No submission was written" in done.stderr
    assert not (work / "submission.zip").exists()  # the old zip is gone too


def test_make_submit_leaves_out_a_missing_optional_module(work):
    """fast.py (the bonus) is optional: without it the zip holds the other files."""
    (work / "convnet" / "fast.py").unlink()
    done = make_submit(work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert names(work / "submission.zip") == [n for n in EXPECTED if n != "convnet/fast.py"]


def test_make_submit_refuses_a_package_that_does_not_import(work):
    with open(work / "convnet" / "conv.py", "a", encoding="utf-8") as f:
        f.write("\nfrom .my_helpers import im2col\n")
    (work / "convnet" / "my_helpers.py").write_text("def im2col():\n    pass\n")
    done = make_submit(work)
    assert done.returncode != 0
    assert "does not import on its own" in done.stderr and "my_helpers" in done.stderr
    assert not (work / "submission.zip").exists()


def test_make_submit_warns_about_stubs(release, tmp_path):
    work = tmp_path / "student"
    shutil.copytree(release, work)
    done = make_submit(work)
    assert done.returncode == 0, done.stderr
    assert (
        "convnet/conv.py: still not implemented (these score 0): zero_pad, conv_forward, conv_backward" in done.stdout
    )
    assert names(work / "submission.zip") == EXPECTED


def test_unimplemented_functions_are_found_statically():
    source = (
        "def done():\n    return 1\n"
        "def todo(x):\n    raise NotImplementedError('todo is not implemented yet')\n"
        "class Layer:\n    def forward(self):\n        raise NotImplementedError\n"
    )
    assert unimplemented_functions(source) == ["todo", "Layer.forward"]


@pytest.mark.parametrize("with_notebook", [False, True], ids=["make-submit", "notebook-export"])
def test_make_grade_accepts_the_zip(work, tmp_path, with_notebook):
    command = [sys.executable, "-m", "autograder.runtime.submit", "--out", str(tmp_path / "submission.zip")]
    if with_notebook:
        command += ["--include", "convnet.ipynb"]
    assert subprocess.run(command, cwd=work, capture_output=True, timeout=120).returncode == 0
    results = tmp_path / "results.json"
    done = subprocess.run(
        ["make", "--no-print-directory", "grade", f"SUBMISSION={tmp_path / 'submission.zip'}", f"RESULTS={results}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # the reference's fast.py is submitted too (an optional module): the extra credit on top
    score = json.loads(results.read_text())["score"]  # (the speed points depend on the machine's load)
    assert ASSIGNMENT.total_points + BONUS_POINTS - TIMED_POINTS <= score <= ASSIGNMENT.total_points + BONUS_POINTS
