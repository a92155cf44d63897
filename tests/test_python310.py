"""Gradescope's image runs Python 3.10: the framework, graders and reference must too.

Builds (once, cached under build/) a 3.10 venv from the autograder's own pinned
requirements, byte-compiles the framework with it and runs every public and hidden
grader against the reference under 3.10. Skipped where no Python 3.10 exists.
"""

import hashlib
import os
import shutil
import subprocess

import pytest

from autograder.build import public_data
from autograder.build.autograder_zip import grader_requirements
from autograder.runtime import config
from tests.conftest import ASSIGNMENT, ROOT

pytestmark = pytest.mark.e2e  # a Python 3.10 venv, every grader under it


def python310():
    path = shutil.which("python3.10")
    if path is None:
        return None
    env = {**os.environ, "PYENV_VERSION": "3.10.13"}
    done = subprocess.run(
        [path, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True, env=env
    )
    return path if done.returncode == 0 and "(3, 10)" in done.stdout else None


@pytest.fixture(scope="module")
def venv310():
    python = python310()
    if python is None:
        pytest.skip("no Python 3.10 on this machine")
    requirements = grader_requirements(ASSIGNMENT)
    key = hashlib.sha256(requirements.encode()).hexdigest()[:12]
    venv = ROOT / "build" / f"py310-{key}"
    if not (venv / ".ready").exists():
        (ROOT / "build").mkdir(exist_ok=True)
        (ROOT / "build" / f"py310-{key}.txt").write_text(requirements)
        shutil.rmtree(venv, ignore_errors=True)
        env = {**os.environ, "PYENV_VERSION": "3.10.13"}
        subprocess.run([python, "-m", "venv", str(venv)], check=True, env=env)
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(ROOT / "build" / f"py310-{key}.txt"),
            ],
            check=True,
        )
        (venv / ".ready").touch()
    return venv / "bin" / "python"


def test_framework_compiles_under_310(venv310):
    done = subprocess.run(
        [str(venv310), "-m", "compileall", "-q", "-x", "__pycache__", "autograder", "solutions", "assignment/tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_grader_passes_the_reference_under_310(venv310, tmp_path):
    # A copy of the course's folders with the public tests' data written in, as the
    # release does (public_data: is built from the reference, never kept in the sources).
    for folder in ("assignment", "solutions"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    public_data.write(config.load(tmp_path / "assignment" / "assignment.yaml"),
                      tmp_path / "assignment" / "tests" / "public")
    done = subprocess.run(
        [
            str(venv310),
            "-m",
            "pytest",
            "-p",
            "autograder.runtime.pytest_plugin",
            "--assignment",
            "assignment/assignment.yaml",
            "--student-dir",
            "solutions",
            "assignment/tests",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            os.devnull,
            "--rootdir",
            ".",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert "Tests: 100/100 points" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
