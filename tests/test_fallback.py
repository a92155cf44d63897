"""run_autograder's fallback results.json when the grader itself dies (issue 24): the
real script, with a grader that exits with a status or is killed by a signal (its venv's
``python`` is a shell script doing so). The student reads why in plain words, nobody is
claimed to have been told, the details are in the log (Gradescope shows it to staff).
The kernel's kill for memory is graded in the real container (tests/test_container.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, SCHEMA

SCRIPT = ROOT / "autograder" / "grade" / "gradescope" / "run_autograder"


def _run(tmp_path: Path, body: str) -> tuple[dict, str]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f"#!/bin/bash\n{body}\n")
    python.chmod(0o755)
    root = tmp_path / "autograder"
    for folder in ("source", "results", "submission"):
        (root / folder).mkdir(parents=True)
    done = subprocess.run(["bash", str(SCRIPT)], env={"PATH": os.environ["PATH"], "AUTOGRADER_ROOT": str(root),
                                                      "GRADER_VENV": str(venv)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return results, done.stdout


@pytest.mark.parametrize("body, said, logged", [
    ("exit 3", "it stopped with exit status 3", "exited with status 3"),
    ("kill -TERM $$", "signal SIGTERM", "was killed by signal 15 (SIGTERM)"),
    ("kill -SEGV $$", "signal SIGSEGV", "was killed by signal 11 (SIGSEGV)"),
    ("exit 0", "ended without writing your results", "exited with status 0 but wrote no results.json"),
])
def test_the_fallback_says_how_the_grader_ended(tmp_path, body, said, logged):
    results, log = _run(tmp_path, body)
    assert results["score"] == 0 and results["tests"] == []
    assert said in results["output"], results["output"]
    assert "This is not a grade of your work" in results["output"]
    assert "nobody has been told" in results["output"] and "have been told" not in results["output"]
    assert results["extra_data"]["grader_failure"] is True
    assert f"GRADER DIED: the grader {logged}" in log, log


def test_a_results_json_the_grader_wrote_is_kept(tmp_path):
    results, log = _run(tmp_path, 'echo \'{"score": 7, "tests": []}\' > "$AUTOGRADER_ROOT/results/results.json"')
    assert results["score"] == 7 and "GRADER DIED" not in log
