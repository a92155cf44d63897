"""Correct code of every style (tests/correct_styles.py) gets full marks and no hint:
on Gradescope's path (every test, hidden ones included, and the bonus's correctness) and
with the student release's public tests, as a student runs them."""

import re
import shutil
import subprocess
import sys

import pytest

from tests.correct_styles import STYLES

pytestmark = pytest.mark.e2e
GRADINGS = [s.variant for s in STYLES]
SAID = re.compile(r"Most likely|Possibly|Fails every case with|About the failing cases")


@pytest.mark.parametrize("style", STYLES, ids=[s.name for s in STYLES])
def test_full_marks_and_no_hint_on_gradescope(gradings, style):
    graded = gradings(style.variant)
    lost = {t["name"]: t.get("output", "")[:300] for t in graded.results["tests"]
            if t["score"] < t["max_score"]}
    assert graded.score == 100, lost
    assert not graded.results["extra_data"].get("hints"), graded.results["extra_data"]["hints"]
    outputs = "\n".join(t.get("output", "") for t in graded.results["tests"])
    assert not SAID.search(outputs), outputs
    if style.fast:
        fast = [t for t in graded.results["tests"] if t["name"].startswith("Bonus: the fast functions")]
        assert fast and all(t["status"] == "passed" for t in fast), fast


@pytest.mark.parametrize("style", STYLES, ids=[s.name for s in STYLES])
def test_every_public_point_and_no_hint_locally(student_release, tmp_path, style):
    work = tmp_path / "release"
    shutil.copytree(student_release, work)
    shutil.rmtree(work / "convnet")
    style.variant.write(work)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=work,
                         capture_output=True, text=True, timeout=600)
    assert "Public tests: 30/30 points" in run.stdout, run.stdout[-3000:]
    assert not SAID.search(run.stdout), run.stdout[-3000:]
