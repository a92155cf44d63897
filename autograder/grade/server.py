"""A warm grader for a batch: the runner's imports done once, each submission graded
in a fork of this process, so that nothing of one grading reaches the next.

    python -B -E -s -m autograder.grade.server --python /opt/grader-venv/bin/python

Started like ``run_autograder`` starts the runner (same interpreter, flags and
environment, in the built image's source folder), by ``make grade-all``'s workers
(:mod:`autograder.staff.simulate`), one per worker. It reads one Gradescope-like tree
per line on stdin (``<root>``, laid out like ``/autograder``), once it has said
``ready``, and for each:

1. forks; the child (a session of its own, its output in ``<root>/grader.log``, in
   ``<root>/source`` as run_autograder's ``cd``) runs :func:`autograder.grade.runner.main`
   on it; whatever becomes of the child, a valid ``results/results.json`` is left (as
   run_autograder leaves one when the runner cannot start);
2. writes ``started <pid>`` on stdout (the caller kills that session on a timeout),
   then ``done <exit status>`` once the child has ended.

What a fork copies is only what this process holds before any grading: the
interpreter, pytest, numpy and the framework's modules. Each grading loads the
assignment, the reference and the graders itself, from its own tree. On Gradescope
nothing of this runs: one container grades one submission, through run_autograder.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from autograder.grade import runner
from autograder.grade.results import failure_results, write_results
from autograder.sandbox import messages

LOG = "grader.log"  # in the tree's root: what run_autograder would print (instructor-only)


def _warm_up() -> None:
    """Import what every grading imports (numpy, the diagnosis), so that each fork starts with it."""
    for name in ("numpy", "autograder.grade.diagnose", "autograder.runtime.characterise"):
        with contextlib.suppress(ImportError):  # an assignment without numpy has neither
            __import__(name)


def serve(python: str, requests, replies) -> int:
    """Grade each tree named on ``requests`` (one path per line), one at a time."""
    for line in requests:
        root = Path(line.rstrip("\n"))
        if not line.strip():
            continue
        pid = os.fork()
        if pid == 0:  # pragma: no cover (the child ends with os._exit)
            _grade_in_child(root, python)
        replies.write(f"started {pid}\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        _ensure_results(root, os.waitstatus_to_exitcode(status))
        replies.write(f"done {os.waitstatus_to_exitcode(status)}\n")
        replies.flush()
    return 0


def _ensure_results(root: Path, exit_code: int) -> None:
    """A valid results.json, whatever became of the child (run_autograder's promise),
    saying how it ended."""
    results = root / "results" / "results.json"
    try:
        if results.is_file() and results.stat().st_size > 0:
            return
        write_results(results, failure_results(messages.grader_died(exit_code), execution_time=0.0))
        print(f"warm grader: GRADER DIED: the grading of {root} ended with {exit_code} without results.json",
              file=sys.stderr)
    except OSError as err:  # the tree is gone (its caller removed it): nothing to write into
        print(f"warm grader: no results.json for {root}: {err}", file=sys.stderr)


def _grade_in_child(root: Path, python: str) -> None:
    """Grade ``root`` as run_autograder would, then leave this process (never returns)."""
    code = 1
    try:
        os.setsid()  # a session of its own: the caller's kill on a timeout takes the whole grading
        log = os.open(root / LOG, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
        os.chdir(root / "source")
        if "numpy" in sys.modules:  # as in a fresh process: the legacy global generator seeded anew
            sys.modules["numpy"].random.seed()
        code = runner.main(["--root", str(root), "--python", python])
    except BaseException as err:  # the grading's own failure: still a valid results.json below
        print(f"GRADER ERROR: the warm grader's child failed: {type(err).__name__}: {err}", flush=True)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)  # never back into the server's loop; the server checks results.json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter for the students' processes")
    args = parser.parse_args(argv)
    _warm_up()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    return serve(args.python, sys.stdin, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
