"""A batch's warm grader (autograder/staff/warm.py, autograder/grade/server.py): the
same verdicts as run_autograder started per submission, a valid results.json whatever
becomes of a grading, and nothing left running."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import jsonschema
import pytest

from autograder.sandbox.messages import grader_died
from autograder.staff import simulate, warm
from autograder.staff.warm import WarmGrader
from tests.conftest import SCHEMA, TIMED, Graded, slack
from tests.fabricate import KINDS

pytestmark = pytest.mark.e2e

# One of each way a grading goes: full marks, stubs, a syntax error, a hang (timeouts),
# a submission that writes a perfect results.json at import.
ALIKE = ("correct", "stubs", "syntax", "loop", "forger")


def verdicts(graded: Graded) -> dict:
    """What a student and the course see, less what depends on the moment: times and
    the timed tests' points."""
    tests = {t["number"]: (t["score"], t.get("status"), t.get("output", ""), t.get("extra_data"))
             for t in graded.results["tests"] if t["number"] not in TIMED}
    return {"output": graded.results["output"], "tests": tests}


def test_warm_and_cold_grade_alike(gradings, autograder_zip, tmp_path):
    cold = gradings.many([KINDS[k] for k in ALIKE])  # run_autograder per submission
    try:
        for name, was in zip(ALIKE, cold, strict=True):
            results, log, notes = warm.grade(autograder_zip, KINDS[name].write(tmp_path / name),
                                             tmp_path / f"{name}.json")
            now = Graded(results, log, notes)  # valid against the schema
            assert verdicts(now) == verdicts(was), name
            assert "sandbox protections:" in log and "pytest exit code:" in log, name
    finally:
        warm.close_all()


def _tree(autograder_zip: Path, submission: Path) -> tuple[Path, Path, Path]:
    home = simulate.grader_home()
    image, venv = simulate.built_image(autograder_zip, home, simulate.grading_python())
    root, _ = simulate.build_tree(autograder_zip, submission, home, image)
    return image, venv, root


def test_a_grading_killed_midway_still_leaves_a_valid_results_json(autograder_zip, tmp_path):
    """The fork grading a submission dies (here: SIGKILL while the student's code loops):
    the server writes the failure results.json run_autograder would, and grades the
    next submission as if nothing had happened."""
    image, venv, hang = _tree(autograder_zip, KINDS["loop"].write(tmp_path / "loop"))
    _, _, fine = _tree(autograder_zip, KINDS["correct"].write(tmp_path / "correct"))
    grader = WarmGrader(image, venv)
    try:
        logs: list[str] = []
        worker = threading.Thread(target=lambda: logs.append(grader.run(hang, timeout=300)))
        worker.start()
        deadline = time.monotonic() + 120 * slack()
        while not (hang / "grader.log").exists() or b"sandbox protections" not in (hang / "grader.log").read_bytes():
            assert time.monotonic() < deadline and worker.is_alive()
            time.sleep(0.1)
        os.kill(grader.child, signal.SIGKILL)
        worker.join(60 * slack())
        assert not worker.is_alive() and logs
        killed = json.loads((hang / "results" / "results.json").read_text())
        jsonschema.validate(killed, SCHEMA)
        assert killed["output"] == grader_died(-signal.SIGKILL) and killed["extra_data"]["grader_failure"] is True
        assert "SIGKILL" in killed["output"] and "have been told" not in killed["output"]

        grader.run(fine, timeout=300)
        again = json.loads((fine / "results" / "results.json").read_text())
        jsonschema.validate(again, SCHEMA)
        assert again["score"] >= 100 - sum(g.points for g in TIMED.values()), again["output"]
    finally:
        grader.close()
        for root in (hang, fine):
            simulate.shutil.rmtree(root, ignore_errors=True)
    assert grader._proc.poll() is not None  # closed: the server is gone


def test_a_server_that_cannot_start_says_why(tmp_path):
    """A broken image (no grader inside) is an error naming the cause, not a hang."""
    (tmp_path / "run_autograder").write_text("#!/usr/bin/env bash\necho 'no grader here' >&2\nexit 3\n")
    with pytest.raises(warm.WarmGraderError, match="no grader here"):
        WarmGrader(tmp_path, tmp_path / "venv")
