"""Grade a submission on this machine exactly as Gradescope would.

    python -m autograder.staff.simulate --autograder dist/autograder.zip --submission <dir or zip> \
        [--results build/grade/results.json] [--instructor]

Builds a fresh tree laid out like Gradescope's (``source/``, ``submission/``,
``results/``, ``submission_metadata.json``) and runs the real ``run_autograder`` in it.
Like Gradescope, which runs ``setup.sh`` once when it builds its image and starts each
submission from that image, the zip is unpacked and its real ``setup.sh`` run once per
zip and interpreter (the venv once per requirements), and each tree gets a copy of
that folder. Then copies ``results.json`` out and prints the student's view. Exits 0 whatever the score.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from autograder.grade.results import split_score
from autograder.runtime.text import printable
from autograder.sandbox import cgroup, rundir
from autograder.sandbox.limits import descendants, sweep_free_slots
from autograder.staff import intake
from autograder.staff.unpack import UnpackError, unpack

TIMEOUT_SECONDS = 900  # far above the grader's own budget: only a runaway grader hits it


def grader_home() -> Path:
    """Where venvs and run trees live: world-readable when root (the sandbox user
    must be able to run the venv's Python), the project's build/ otherwise."""
    if os.environ.get("GRADER_HOME"):
        return Path(os.environ["GRADER_HOME"])
    return Path("/opt/convnet-grader") if os.geteuid() == 0 else Path("build/grade-home").resolve()


def grading_python() -> str:
    """Python 3.10 (Gradescope's) when the sandbox user can run it, else python3."""
    return os.environ.get("GRADER_PYTHON") or _default_python()


@functools.cache
def _default_python() -> str:
    """Looked up once per process (a batch grades many submissions with the same one)."""
    for candidate in ("python3.10", "/usr/bin/python3", "python3"):
        path = shutil.which(candidate)
        if path and _usable_by_others(path):
            return path
    return sys.executable


def _usable_by_others(python: str) -> bool:
    """True when not root, or when every folder on the way to the interpreter and its
    standard library is open to other users. The interpreter's own path is checked
    before it is run: a wrapper in a closed home folder (a version manager's shim) is
    refused without starting it (that start can cost more than the rest of a grading's setup)."""
    if os.geteuid() != 0:
        return True
    if not _open_to_others(Path(python).resolve()):
        return False
    try:
        prefix = subprocess.run([python, "-I", "-S", "-c", "import sys; print(sys.base_prefix)"], capture_output=True,
                                text=True, timeout=30, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return False
    return _open_to_others(Path(prefix))


def _open_to_others(path: Path) -> bool:
    return all(not folder.exists() or os.stat(folder).st_mode & 0o005 for folder in [path, *path.parents])


def build_tree(autograder_zip: Path, submission: Path, home: Path,
               image: Path | None = None, deadline: float | None = None) -> tuple[Path, list[str]]:
    """A fresh Gradescope-like tree; returns it and notes about the submission.
    ``image``: a source folder already set up (:func:`built_image`) to copy, as
    Gradescope starts each submission's container from the image it built; else the
    zip is unpacked as it is. The submission is read as untrusted input
    (:mod:`.intake`): :class:`intake.Refused` for one that is not a real folder or zip
    or holds anything but regular files, folders and symbolic links (copied as links,
    never followed: the grader tells the student), :class:`intake.CopyTimeout` once
    ``deadline`` (``time.monotonic()``) passes; the tree is removed then."""
    runs = home / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    os.chmod(runs, 0o700)  # the sandbox users must not reach other runs' trees (submissions, results)
    root = Path(tempfile.mkdtemp(prefix="autograder-", dir=runs))
    os.chmod(root, 0o755)
    if image is not None:  # copy2 keeps modes and times: the compiled bytecode stays valid
        shutil.copytree(image, root / "source", symlinks=True)
    else:
        _unzip(autograder_zip, root / "source")
    (root / "results").mkdir()
    (root / "submission").mkdir()
    notes: list[str] = []
    try:
        if intake.check_top(submission) == "folder":
            intake.copy_folder(submission, root / "submission", deadline, links=True)  # as an upload holds them
        else:
            notes = unpack(submission, root / "submission", deadline=deadline)
    except UnpackError as err:  # the student's zip: graded as empty, the reason said
        notes = [str(err)]
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    (root / "submission_metadata.json").write_text(json.dumps({
        "id": 1, "created_at": "2026-01-01T00:00:00Z", "assignment": {"title": "local simulation"},
        "users": [{"name": "Local Student", "email": "student@example.com"}], "previous_submissions": [],
    }, indent=2))
    return root, notes


def _unzip(autograder_zip: Path, target: Path) -> None:
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(target)
        for info in zf.infolist():  # zipfile drops permissions; Gradescope keeps them
            mode = info.external_attr >> 16
            if mode:
                os.chmod(target / info.filename, mode & 0o777)


IMAGES_KEPT = 4  # built source folders kept in GRADER_HOME/images (one per zip and interpreter)


def built_image(autograder_zip: Path, home: Path, python: str) -> tuple[Path, Path]:
    """``(source folder, venv)`` as Gradescope's image holds them: the zip unpacked and
    its setup.sh run once (it compiles the source to bytecode), per zip and interpreter;
    each grading then copies the folder (:func:`build_tree`) instead of unpacking the
    zip and running setup.sh again. One at a time: the setup lock guards it."""
    key = hashlib.sha256(autograder_zip.read_bytes() + python.encode()).hexdigest()[:16]
    images = home / "images"
    images.mkdir(parents=True, exist_ok=True)
    os.chmod(images, 0o700)
    image, done = images / key, images / f"{key}.built"
    with open(home / ".setup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(image, ignore_errors=True)
            _unzip(autograder_zip, image)
            _run_setup(image, home, python)
            done.touch()
        os.utime(done)  # the most recently used images are kept
        built = sorted(images.glob("*.built"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in built[IMAGES_KEPT:]:
            shutil.rmtree(images / old.stem, ignore_errors=True)
            old.unlink(missing_ok=True)
    return image, _venv(image, home, python)


def _venv(source: Path, home: Path, python: str) -> Path:
    key = hashlib.sha256((source / "requirements.txt").read_bytes() + python.encode()).hexdigest()[:12]
    return home / f"venv-{key}"


def _run_setup(source: Path, home: Path, python: str) -> None:
    env = {**os.environ, "GRADER_VENV": str(_venv(source, home, python)), "GRADER_PYTHON": python}
    subprocess.run(["bash", str(source / "setup.sh")], env=env, check=True)


def setup(root: Path, home: Path, python: str) -> Path:
    """Run the zip's setup.sh into a cached venv (one at a time: a lock guards it)."""
    with open(home / ".setup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _run_setup(root / "source", home, python)
    return _venv(root / "source", home, python)


class GradingTimeout(RuntimeError):
    """The grading did not finish in time; its whole process tree was killed. The
    message's first line says so; the rest is the end of the grader's log."""

    def __init__(self, timeout: float, tail: str = ""):
        super().__init__(f"the grading timed out after {timeout:g} s\n{printable(tail[-2000:])}")
        self.tail = tail


_RUNNING: set[subprocess.Popen] = set()  # run_autograder processes alive now, for stop_all()
_RUNNING_LOCK = threading.Lock()


def run_env(root: Path, venv: Path) -> dict[str, str]:
    """run_autograder's whole environment (Gradescope's has little more)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AUTOGRADER_ROOT": str(root), "GRADER_VENV": str(venv),
            "LANG": "C.UTF-8"}


def run(root: Path, venv: Path, timeout: float = TIMEOUT_SECONDS) -> str:
    """Run run_autograder; return what it printed (instructor-only on Gradescope),
    without control characters (:func:`~autograder.runtime.text.printable`).

    Raises :class:`GradingTimeout` after ``timeout`` seconds, once every process the
    run started (the grader, the student's process and its children) is killed."""
    env = run_env(root, venv)
    # A session of its own: a timeout or stop_all() kills the run and nothing else,
    # and a Ctrl-C meant for a batch does not reach the grader (which would then write
    # an "interrupted" results.json that looks like a real score).
    proc = subprocess.Popen(["bash", str(root / "source" / "run_autograder")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace", cwd=root, start_new_session=True)
    with _RUNNING_LOCK:
        _RUNNING.add(proc)
    try:
        output, _ = proc.communicate(timeout=timeout)
        return printable(output)
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        output, _ = proc.communicate()
        sweep_killed_runs()
        raise GradingTimeout(timeout, output or "") from None
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)


def stop_all() -> None:
    """Kill every run_autograder started by :func:`run` that is still going (for a
    batch that is interrupted); their :func:`grade` calls then fail."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for proc in running:
        _kill_tree(proc)
    for proc in running:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    sweep_killed_runs()


def sweep_killed_runs() -> None:
    """A killed run_autograder could not clean up: remove its run folder and what its
    sandbox user left running or behind (both only where no live run holds them)."""
    rundir.sweep()
    sweep_free_slots()
    cgroup.sweep()


def _kill_tree(proc: subprocess.Popen) -> None:
    if proc.returncode is None:  # else already reaped: its pid may belong to another process now
        kill_tree(proc.pid)


def kill_tree(top: int) -> None:
    """SIGKILL process ``top`` (not yet reaped) and every descendant. The student's process runs in a session
    of its own, so killing the process group alone would leave it running; freezing
    the tree first (SIGSTOP) keeps a forking process from outrunning the kill, and
    keeps orphans from being reparented out of sight."""
    frozen: list[int] = []
    for _ in range(5):
        fresh = [pid for pid in [top, *descendants(top)] if pid not in frozen]
        if not fresh:
            break
        _signal_all(fresh, signal.SIGSTOP)
        frozen += fresh
    _signal_all(frozen, signal.SIGKILL)


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def student_view(results: dict, instructor: bool = False) -> str:
    """The results as a student sees them before grades are published, without
    control characters: it is printed on a terminal."""
    lines = []
    hidden_points, hidden_count, hidden_bonus = 0.0, 0, 0
    width = max([len(t.get("name", "")) for t in results.get("tests", [])] + [10])
    for test in results.get("tests", []):
        shown = instructor or test.get("visibility", "visible") == "visible"
        if not shown:
            if test.get("max_score") == 0:  # extra credit (see split_score): on top, said apart
                hidden_bonus += 1
            else:
                hidden_points += test.get("max_score", 0)
                hidden_count += 1
            continue
        mark = "" if test.get("visibility", "visible") == "visible" else f"  [{test['visibility']}]"
        lines.append(f"{test.get('number', ''):>5} {test.get('name', ''):<{width}} "
                     f"{test.get('score', 0):g}/{test.get('max_score', 0):g}{mark}")
        if test.get("status") != "passed" and test.get("output"):
            lines += ["        " + line for line in test["output"].splitlines()]
    if hidden_count or hidden_bonus:
        held_back = _hidden_summary(hidden_count, hidden_points, hidden_bonus)
        lines.append(f"      ({held_back} shown when grades are published)")
    lines += ["", results.get("output", "")]
    if instructor or not (hidden_count or hidden_bonus):
        graded, bonus = split_score(results)
        lines.append(f"Total: {graded:g}" + (f" + {bonus:g} extra credit" if bonus else ""))
    return printable("\n".join(lines))


def _hidden_summary(count: int, points: float, bonus: int) -> str:
    """``"21 more tests worth 70 points + 2 extra-credit tests are"``: the graded part
    and the extra credit apart (extra credit adds to no maximum)."""
    graded = f"{count} more {_tests(count)} worth {points:g} points" if count else ""
    extra = f"{bonus} extra-credit {_tests(bonus)}" if bonus else ""
    said = " + ".join(part for part in (graded, extra) if part)
    return f"{said} {'is' if count + bonus == 1 else 'are'}"


def _tests(n: int) -> str:
    return "test" if n == 1 else "tests"


def grade(autograder_zip: Path, submission: Path, results_path: Path, keep: bool = False,
          timeout: float = TIMEOUT_SECONDS, through: Callable[[Path, Path, Path, float], str] | None = None,
          ) -> tuple[dict, str, list[str]]:
    """Grade one submission; returns (results, grader log, unpack notes). Safe to call
    from several threads at once: each call has its own tree. ``through(image, venv,
    root, timeout)`` runs the grader on the tree and returns its log (default: the
    zip's run_autograder, as Gradescope runs it; a batch's warm grader: :mod:`.warm`).

    Raises :class:`GradingTimeout` when the grading takes longer than ``timeout``
    (copying and unpacking the submission included), :class:`intake.Refused` for a
    submission that is not graded at all (see :mod:`.intake`)."""
    home = grader_home()
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o755)
    python = grading_python()
    image, venv = built_image(autograder_zip, home, python)  # once per zip, shared: not this submission's time
    deadline = time.monotonic() + timeout  # copying and unpacking count: a slow or hostile export is bounded too
    try:
        root, notes = build_tree(autograder_zip, submission, home, image, deadline)
    except intake.CopyTimeout:
        raise GradingTimeout(timeout, "copying the submission into the grading tree took the whole time limit") \
            from None
    try:
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise GradingTimeout(timeout, "copying the submission took the whole time limit")
            log = run(root, venv, left) if through is None else through(image, venv, root, left)
        except GradingTimeout as err:  # said with the whole limit, not what copying left of it
            raise GradingTimeout(timeout, err.tail) from None
        results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
        results_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / "results" / "results.json", results_path)
        return results, log, notes
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--autograder", type=Path, default=Path("dist/autograder.zip"))
    parser.add_argument("--submission", type=Path, required=True)
    parser.add_argument("--results", type=Path, default=Path("build/grade/results.json"))
    parser.add_argument("--instructor", action="store_true", help="show every test, whatever its visibility")
    parser.add_argument("--log", action="store_true", help="print run_autograder's own output (instructor-only)")
    args = parser.parse_args(argv)
    if not args.submission.exists():
        print(f"error: {args.submission} does not exist: give a submission folder or zip", file=sys.stderr)
        return 2
    if not args.autograder.is_file():
        print(f"error: {args.autograder} not found: run `make autograder` first", file=sys.stderr)
        return 2
    try:
        # the TA named it: a link to it is followed; what it holds is read as untrusted
        results, log, notes = grade(args.autograder, args.submission.resolve(), args.results)
    except GradingTimeout as err:
        print(printable(f"error: {err}"), file=sys.stderr)
        return 1
    except intake.Refused as err:
        print(f"error: {args.submission} is not graded ({err.code}): {err}", file=sys.stderr)
        return 2
    if args.log:
        print(printable(log))
    for note in notes:
        print(printable(f"note: {note}"))
    print(student_view(results, args.instructor))
    print(f"\nresults.json: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
