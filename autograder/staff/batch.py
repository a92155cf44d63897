"""Grade a whole class: every submission of an export through the same sandboxed path
as ``make grade`` (:func:`autograder.staff.simulate.grade`), several at once, resumable;
each worker grades through a warm grader (:mod:`autograder.staff.warm`: the runner's
imports once, a fork per submission) unless ``--cold``.

    python -m autograder.staff.batch --submissions <export.zip or folder> [--out build/grade-all] \
        [--autograder dist/autograder.zip] [--jobs N] [--force] [--cold] [--timeout 600] \
        [--feedback-before-publish] [--executor local|slurm] [--slurm-args "..."] [--slurm-max K] [--slurm-shard-size N]

``OUT`` receives ``results/<id>.json`` (the results.json Gradescope would get),
``logs/<id>.log`` (the grader's own output, instructor-only), ``batch.json`` (what
happened to each submission, and with which autograder), then ``scores.csv``,
``report.md`` and ``scores.png`` (:mod:`autograder.staff.report`), ``gradescope.csv``
and ``feedback/<id>.md`` (:mod:`autograder.staff.handback`). The export is untrusted
input (:mod:`autograder.staff.intake`): an entry that is not a submission that can be
read safely is ``refused`` with a reason code, and the rest of the class is graded.

A submission whose grading crashes or runs past ``--timeout`` is recorded as such and
the batch goes on. Rerunning skips every submission already graded with the same
autograder zip (byte for byte), so an interrupted batch resumes where it stopped and a
changed test regrades everyone; ``--force`` regrades all. Where the gradings run is
the executor's business (:mod:`autograder.staff.executors`): this machine's cores, or a
Slurm job array.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from autograder.runtime.text import printable
from autograder.sandbox.limits import MAX_SLOTS
from autograder.staff import export, report, simulate, warm
from autograder.staff.executors import Executor, ExecutorError, GradeJob, Outcome, by_name, read_json, write_atomic
from autograder.staff.executors.local import LocalExecutor, default_jobs  # noqa: F401 (default_jobs: part of this module's API)

STATE = "batch.json"
# Gradescope's own default limit per submission: a run past it would get 0 there too.
DEFAULT_TIMEOUT = 600.0


def grade_all(
    autograder_zip: Path,
    submissions: list[export.Submission],
    out: Path,
    *,
    jobs: int | None = None,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[Outcome], None] | None = None,
    grade: Callable = warm.grade,
    executor: Executor | None = None,
) -> dict[str, Outcome]:
    """Grade every submission not yet graded with this autograder into ``out``; return
    an outcome for each (``skipped`` ones from the earlier run).

    ``executor`` does the grading (:mod:`autograder.staff.executors`; default: the local
    pool, ``jobs`` at a time). ``grade(autograder_zip, submission_path, results_path,
    timeout=...)`` returns ``(results, log, notes)`` like :func:`simulate.grade`, and
    raises :class:`simulate.GradingTimeout` on a timeout. ``progress`` is called once
    per submission, skipped ones first. On KeyboardInterrupt what finished is kept and
    the interrupt propagates."""
    out = Path(out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    sha = sha256(autograder_zip)
    state = _State(out / STATE)
    outcomes: dict[str, Outcome] = {}
    todo = []
    for sub in submissions:
        if sub.refused:  # found unsafe when the export was read: reported, never graded
            (out / "results" / f"{sub.id}.json").unlink(missing_ok=True)
            outcome = Outcome(sub.id, "refused", 0.0, sub.refused_why, autograder_sha256=sha, reason=sub.refused)
            outcomes[sub.id] = outcome
            state.record(outcome)
            if progress:
                progress(outcome)
            continue
        done = state.get(sub.id)
        if not force and done and done.status == "graded" and done.autograder_sha256 == sha \
                and isinstance(read_json(out / "results" / f"{sub.id}.json"), dict):
            done.skipped = True
            outcomes[sub.id] = done
            if progress:
                progress(done)
        else:
            todo.append(sub)

    def finished(outcome: Outcome) -> None:
        outcomes[outcome.id] = outcome
        state.record(outcome)
        if progress:
            progress(outcome)

    if todo:
        executor = executor or LocalExecutor(jobs)
        executor.grade(GradeJob(Path(autograder_zip), sha, out, timeout, grade), todo, finished)
    return outcomes


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
                           entry.get("score"), entry.get("autograder_sha256", ""), reason=str(entry.get("reason", "")))
        except (KeyError, TypeError, ValueError):
            return None

    def record(self, outcome: Outcome) -> None:
        entry = dataclasses.asdict(outcome)
        del entry["id"], entry["skipped"]
        self.entries[outcome.id] = entry
        write_atomic(self.path, json.dumps({"submissions": self.entries}, indent=1, sort_keys=True) + "\n")


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
    parser.add_argument("--cold", action="store_true", help="start the zip's run_autograder for each submission, "
                        "as Gradescope does, instead of a warm grader per worker (slower; the same results)")
    parser.add_argument("--feedback-before-publish", action="store_true",
                        help="feedback files show only what students see before grades are published "
                        "(default: what they see once published; hidden tests are never shown)")
    parser.add_argument("--executor", choices=["local", "slurm"], default="local", help="where to grade")
    parser.add_argument("--slurm-args", default="", help="extra sbatch arguments (partition, time limit...)")
    parser.add_argument("--slurm-max", type=int, help="array tasks running at once (sbatch --array=...%%K)")
    parser.add_argument("--slurm-shard-size", type=int, help="submissions per array task")
    parser.add_argument("--slurm-home", help="GRADER_HOME of the tasks, e.g. on the shared filesystem "
                        "(default: a folder in each node's /tmp)")
    args = parser.parse_args(argv)
    if not args.autograder.is_file():
        print(f"error: {args.autograder} not found: run `make autograder` first", file=sys.stderr)
        return 2
    if not args.submissions.exists():
        print(f"error: {args.submissions} does not exist: give a Gradescope export (zip or folder) "
              "or a folder of submissions", file=sys.stderr)
        return 2
    # A TA's `kill` (or a CI timeout) must clean up like Ctrl-C does, from the start:
    # reading a hostile export is bounded, and must stay interruptible too.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        found = export.read_export(args.submissions, args.out)
    except export.ExportError as err:
        print(printable(f"error: {err}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted while reading the export; nothing was graded.", file=sys.stderr)
        return 130
    for note in found.notes:
        print(printable(f"note: {note}"), file=sys.stderr)
    if args.executor == "local":
        jobs = args.jobs or default_jobs()
        if jobs > MAX_SLOTS:
            print(f"note: at most {MAX_SLOTS} gradings can run at once on one machine; using {MAX_SLOTS}",
                  file=sys.stderr)
            jobs = MAX_SLOTS
        executor = by_name("local", jobs=jobs)
        where = f"{jobs} at a time"
    else:
        executor = by_name("slurm", shard_size=args.slurm_shard_size, max_running=args.slurm_max,
                           sbatch_args=args.slurm_args, home=args.slurm_home, force=args.force)
        where = "in a Slurm job array"
    print(f"Grading {len(found.submissions)} submissions, {where}, into {args.out}/", file=sys.stderr)
    started = time.monotonic()
    try:
        outcomes = grade_all(args.autograder, found.submissions, args.out, force=args.force,
                             timeout=args.timeout, progress=Progress(len(found.submissions)), executor=executor,
                             grade=simulate.grade if args.cold else warm.grade)
    except ExecutorError as err:  # the engine refused the work (e.g. sbatch failed)
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        done = _State(args.out / STATE).entries
        print(f"\ninterrupted; {len(done)} submissions have an outcome in {args.out / STATE}. "
              "Run the same command again to grade the rest.", file=sys.stderr)
        return 130
    paths = report.write_report(args.out, found.submissions, outcomes, published=not args.feedback_before_publish)
    refused = sum(o.status == "refused" for o in outcomes.values())
    graded = sum(not o.skipped and o.status != "refused" for o in outcomes.values())
    problems = [o for o in outcomes.values() if o.status != "graded"]
    print(f"\nGraded {graded} in {_clock(time.monotonic() - started)}, {sum(o.skipped for o in outcomes.values())} "
          f"already graded; {len(problems) - refused} errors or timeouts"
          + (f"; {refused} refused (not submissions that can be read safely: see report.md)." if refused else "."))
    for path in paths:
        print(f"  {path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
