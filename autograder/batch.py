"""Grade a whole class: every submission of an export through the same sandboxed path
as ``make grade`` (:func:`autograder.simulate.grade`), several at once, resumable.

    python -m autograder.batch --submissions <export.zip or folder> [--out build/grade-all] \
        [--autograder dist/autograder.zip] [--jobs N] [--force] [--timeout 600]

``OUT`` receives ``results/<id>.json`` (the results.json Gradescope would get),
``logs/<id>.log`` (the grader's own output, instructor-only), ``batch.json`` (what
happened to each submission, and with which autograder), then ``scores.csv``,
``report.md`` and ``scores.png`` (:mod:`autograder.report`).

A submission whose grading crashes or runs past ``--timeout`` is recorded as such and
the batch goes on. Rerunning skips every submission already graded with the same
autograder zip (byte for byte), so an interrupted batch resumes where it stopped and a
changed test regrades everyone; ``--force`` regrades all.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, TextIO

from . import export, report, simulate
from .sandbox.limits import MAX_SLOTS
from .text import printable

STATE = "batch.json"
# Gradescope's own default limit per submission: a run past it would get 0 there too.
DEFAULT_TIMEOUT = 600.0


@dataclasses.dataclass
class Outcome:
    """What happened to one submission. ``status`` is ``graded`` (a results.json with
    tests), ``error`` (grading crashed, or the grader reported its own failure) or
    ``timeout``; ``score`` is the total when graded."""

    id: str
    status: str
    seconds: float
    message: str = ""
    score: float | None = None
    autograder_sha256: str = ""
    skipped: bool = False  # graded by an earlier run, not this one


def default_jobs() -> int:
    """One grading at a time per core this process may use, within the number of
    sandbox users that can grade at once on one machine."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_SLOTS))


def grade_all(
    autograder_zip: Path,
    submissions: list[export.Submission],
    out: Path,
    *,
    jobs: int | None = None,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[Outcome], None] | None = None,
    grade: Callable = simulate.grade,
) -> dict[str, Outcome]:
    """Grade every submission not yet graded with this autograder into ``out``; return
    an outcome for each (``skipped`` ones from the earlier run).

    ``grade(autograder_zip, submission_path, results_path, timeout=...)`` returns
    ``(results, log, notes)`` like :func:`simulate.grade`, and raises
    :class:`simulate.GradingTimeout` on a timeout. ``progress`` is called once per
    submission, skipped ones first. On KeyboardInterrupt every running grading is
    killed, what finished is kept, and the interrupt propagates."""
    out = Path(out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    sha = sha256(autograder_zip)
    state = _State(out / STATE)
    outcomes: dict[str, Outcome] = {}
    todo = []
    for sub in submissions:
        done = state.get(sub.id)
        if not force and done and done.status == "graded" and done.autograder_sha256 == sha \
                and _readable(out / "results" / f"{sub.id}.json"):
            done.skipped = True
            outcomes[sub.id] = done
            if progress:
                progress(done)
        else:
            todo.append(sub)
    stopping = threading.Event()

    def one(sub: export.Submission) -> Outcome | None:
        return _grade_one(grade, autograder_zip, sub, out, timeout, sha, stopping)

    pool = ThreadPoolExecutor(max_workers=jobs or default_jobs(), thread_name_prefix="grade")
    futures = [pool.submit(one, sub) for sub in todo]
    try:
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                outcome = future.result()
                if outcome is None:
                    continue
                outcomes[outcome.id] = outcome
                state.record(outcome)
                if progress:
                    progress(outcome)
    except BaseException:
        stopping.set()  # results that arrive from now on are not trusted: their run was killed
        for future in futures:
            future.cancel()
        # A worker may be between unpacking and starting its run: keep killing until
        # every worker has returned.
        while not all(f.done() for f in futures):
            simulate.stop_all()
            wait(futures, timeout=0.2)
        raise
    finally:
        pool.shutdown(wait=True)
    return outcomes


def _grade_one(grade, autograder_zip: Path, sub: export.Submission, out: Path, timeout: float, sha: str,
               stopping: threading.Event) -> Outcome | None:
    """Grade one submission; never raises for the submission's sake."""
    final = out / "results" / f"{sub.id}.json"
    partial = out / "results" / f".{sub.id}.json.partial"
    started = time.monotonic()
    log, notes, results = "", [], None
    try:
        results, log, notes = grade(autograder_zip, sub.path, partial, timeout=timeout)
    except simulate.GradingTimeout as err:
        status, message = "timeout", str(err).splitlines()[0]
        log = str(err)
    except Exception as err:  # the batch must survive anything one submission does
        status, message = "error", f"{type(err).__name__}: {err}"
        log = message
    else:
        if results.get("tests"):
            status, message = "graded", ""
        else:  # the grader's own failure: a valid results.json without any test
            status, message = "error", "the grader reported a failure: " + str(results.get("output", ""))[:300]
    if stopping.is_set():
        partial.unlink(missing_ok=True)
        return None
    if results is not None and partial.exists():
        os.replace(partial, final)  # atomic: a killed batch never leaves half a file
    elif status != "graded":
        final.unlink(missing_ok=True)  # an older result must not pass for this run's
    _write(out / "logs" / f"{sub.id}.log", "".join(f"note: {n}\n" for n in notes) + (log or ""))
    score = float(results.get("score", 0)) if status == "graded" else None
    return Outcome(sub.id, status, round(time.monotonic() - started, 2), printable(message), score, sha)


class _State:
    """``batch.json``: the last outcome of every submission, rewritten atomically after
    each one (the batch may be killed at any moment)."""

    def __init__(self, path: Path):
        self.path = path
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.entries = dict(data.get("submissions", {}))
        except (OSError, ValueError, AttributeError):
            self.entries = {}

    def get(self, sub_id: str) -> Outcome | None:
        entry = self.entries.get(sub_id)
        if not isinstance(entry, dict):
            return None
        try:
            return Outcome(sub_id, entry["status"], float(entry.get("seconds", 0)), entry.get("message", ""),
                           entry.get("score"), entry.get("autograder_sha256", ""))
        except (KeyError, TypeError, ValueError):
            return None

    def record(self, outcome: Outcome) -> None:
        entry = dataclasses.asdict(outcome)
        del entry["id"], entry["skipped"]
        self.entries[outcome.id] = entry
        _write(self.path, json.dumps({"submissions": self.entries}, indent=1, sort_keys=True) + "\n")


def _readable(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
    except (OSError, ValueError):
        return False


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(printable(text), encoding="utf-8")  # logs hold what the submission printed
    os.replace(tmp, path)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Progress:
    """A progress bar with an ETA on a terminal; one plain line per submission
    otherwise (logs, CI). The ETA counts only submissions graded by this run."""

    def __init__(self, total: int, stream: TextIO | None = None, tty: bool | None = None):
        self.total, self.stream = total, stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.started = time.monotonic()
        self.done = self.skipped = self.problems = 0
        self.lock = threading.Lock()

    def __call__(self, outcome: Outcome) -> None:
        with self.lock:
            self.done += 1
            self.skipped += outcome.skipped
            self.problems += outcome.status != "graded"
            if self.tty:
                if outcome.status != "graded" and not outcome.skipped:
                    self.stream.write(f"\r\033[K{outcome.id}: {outcome.status}: {printable(outcome.message)[:200]}\n")
                self.stream.write("\r\033[K" + self.bar())
                if self.done == self.total:
                    self.stream.write("\n")
            elif not outcome.skipped:
                message = printable(outcome.message)[:200]
                what = f"{outcome.score:g}" if outcome.score is not None else f"{outcome.status}: {message}"
                self.stream.write(f"[{self.done}/{self.total}] {outcome.id}: {what} ({outcome.seconds:.1f} s)"
                                  f"  ETA {self.eta()}\n")
            self.stream.flush()

    def bar(self, width: int = 30) -> str:
        filled = int(width * self.done / max(self.total, 1))
        problems = f"  {self.problems} errors/timeouts" if self.problems else ""
        return (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}{problems}"
                f"  elapsed {_clock(time.monotonic() - self.started)}  ETA {self.eta()}")

    def eta(self) -> str:
        graded = self.done - self.skipped
        if graded == 0:
            return "--:--"
        left = self.total - self.done
        return _clock((time.monotonic() - self.started) / graded * left)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=Path, required=True, help="Gradescope export (zip or folder), "
                        "or a folder of submission folders or zips")
    parser.add_argument("--out", type=Path, default=Path("build/grade-all"))
    parser.add_argument("--autograder", type=Path, default=Path("dist/autograder.zip"))
    parser.add_argument("--jobs", type=int, default=0, help="gradings at once (default: one per core)")
    parser.add_argument("--force", action="store_true", help="regrade submissions already graded")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per submission")
    args = parser.parse_args(argv)
    if not args.autograder.is_file():
        print(f"error: {args.autograder} not found: run `make autograder` first", file=sys.stderr)
        return 2
    if not args.submissions.exists():
        print(f"error: {args.submissions} does not exist: give a Gradescope export (zip or folder) "
              "or a folder of submissions", file=sys.stderr)
        return 2
    try:
        found = export.read_export(args.submissions, args.out)
    except export.ExportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for note in found.notes:
        print(printable(f"note: {note}"), file=sys.stderr)
    jobs = args.jobs or default_jobs()
    if jobs > MAX_SLOTS:
        print(f"note: at most {MAX_SLOTS} gradings can run at once on one machine; using {MAX_SLOTS}", file=sys.stderr)
        jobs = MAX_SLOTS
    print(f"Grading {len(found.submissions)} submissions, {jobs} at a time, into {args.out}/", file=sys.stderr)
    # A TA's `kill` (or a CI timeout) must clean up like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    try:
        outcomes = grade_all(args.autograder, found.submissions, args.out, jobs=jobs, force=args.force,
                             timeout=args.timeout, progress=Progress(len(found.submissions)))
    except KeyboardInterrupt:
        done = _State(args.out / STATE).entries
        print(f"\ninterrupted; {len(done)} submissions have an outcome in {args.out / STATE}. "
              "Run the same command again to grade the rest.", file=sys.stderr)
        return 130
    paths = report.write_report(args.out, found.submissions, outcomes)
    graded = sum(not o.skipped for o in outcomes.values())
    problems = [o for o in outcomes.values() if o.status != "graded"]
    print(f"\nGraded {graded} in {_clock(time.monotonic() - started)}, {len(outcomes) - graded} already graded; "
          f"{len(problems)} errors or timeouts.")
    for path in paths:
        print(f"  {path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
