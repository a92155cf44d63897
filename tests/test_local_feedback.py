"""What a student sees from `pytest` in the release: a module that does not import
costs only the tests that need it, said once; a forward mistake costs no backward
point and gets the hint Gradescope gives; the failing cases are characterised."""

import shutil
import subprocess
import sys

import pytest

from tests.fabricate import Variant, replace

pytestmark = pytest.mark.e2e  # pytest in a student release, as a student runs it


@pytest.fixture(scope="module")
def release(student_release):
    return student_release  # copied before each run (run_with)


def run_with(release, tmp_path, *edits):
    """pytest in a copy of the release holding the reference with ``edits``."""
    work = tmp_path / "work"
    shutil.copytree(release, work)
    shutil.rmtree(work / "convnet")
    Variant(edits=edits).write(work)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=work,
                         capture_output=True, text=True, timeout=300)
    return run.stdout


def test_a_syntax_error_costs_only_the_tests_that_need_the_module(release, tmp_path):
    out = run_with(release, tmp_path, replace("pool.py", "    share = dout / (ph * pw)\n",
                                              "    share = dout / (ph * pw))\n"))
    assert out.count("SyntaxError") <= out.count("is not available") + 1  # said once, and in each failing test
    assert "Your code does not import everywhere" in out and "convnet/pool.py, line " in out
    assert "Traceback" not in out and "ERROR" not in out
    assert "Output sizes and padding  5/5" in out and "Pooling                   0/8" in out
    assert "Public tests: " in out


def test_a_forward_mistake_costs_forward_points_only_and_gets_its_hint(release, tmp_path):
    """The backward checks run on shipped inputs, caches and gradients (never the
    student's forward pass), and the effects ship: the same verdict and hint as on
    Gradescope."""
    out = run_with(release, tmp_path, replace("conv.py", "axes=([1, 2, 3], [1, 2, 3])) + b",
                                              "axes=([1, 2, 3], [1, 2, 3]))"))
    assert "test_conv_backward_gradcheck" not in out.split("short test summary info")[-1]
    assert "which fails its own tests" not in out and "Traceback" not in out
    assert "Most likely out is off by the same amount at every position of each filter's map" in out


def test_the_failing_cases_are_characterised(release, tmp_path):
    out = run_with(release, tmp_path, replace(
        "conv.py", "window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]",
        "window = xp[:, :, i * stride:i * stride + hh, j:j + ww]"))
    assert "About the failing cases:" in out
    assert "Fails every case with stride > 1, passes every case with stride 1." in out
