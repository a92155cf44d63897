"""Executors: who grades the submissions of a batch regrade, and where.

:mod:`autograder.staff.batch` decides *what* to grade (it reads the export, skips what is
already graded with the same autograder zip, merges the results into the reports);
an executor grades a list of submissions into ``OUT``. The whole contract:

    class Executor(Protocol):
        name: str
        def grade(self, job: GradeJob, todo: list[Submission],
                  done: Callable[[Outcome], None]) -> None: ...

- ``grade`` returns once every submission of ``todo`` has been passed to ``done``
  exactly once (in the calling thread), and ``OUT/results/<id>.json`` holds the
  results.json of each graded one. A submission the engine lost (a dead worker, a
  cancelled task) gets an ``error`` outcome: the batch retries errors on its next run.
- Each submission is graded by :func:`grade_one`, wherever it runs: the same
  sandboxed path as ``make grade``, results written atomically.
- When the engine cannot take the work at all, ``grade`` raises
  :class:`ExecutorError` with a message for the TA.
- On KeyboardInterrupt, ``grade`` stops waiting, passes nothing more to ``done`` and
  re-raises; whatever was finished stays valid. (The local executor kills its runs;
  a cluster's jobs may keep going, and the next run picks up what they finish.)

:mod:`.local` (a pool of threads on this machine) and :mod:`.slurm` (one Slurm job
array) are the two engines; :func:`by_name` picks one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from autograder.grade.results import grader_failed
from autograder.runtime.text import printable
from autograder.staff import intake, simulate, warm

if TYPE_CHECKING:
    from autograder.staff.export import Submission


@dataclasses.dataclass
class Outcome:
    """What happened to one submission. ``status`` is ``graded`` (a results.json with
    tests), ``error`` (grading crashed, or the grader flagged its own failure:
    ``extra_data.grader_failure`` in results.json), ``timeout`` or ``refused`` (the
    export's entry is not a submission that can be read safely: ``reason`` holds one of
    :data:`autograder.staff.intake.CODES`, ``message`` the sentence); ``score`` is the
    total when graded."""

    id: str
    status: str
    seconds: float
    message: str = ""
    score: float | None = None
    autograder_sha256: str = ""
    skipped: bool = False  # graded by an earlier run, not this one
    reason: str = ""  # a reason code when refused

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


# The grading functions a job can name, by the name a plan for other machines (a
# Slurm array's plan.json) carries: a function itself cannot travel.
GRADERS: dict[str, Callable] = {"warm": warm.grade, "cold": simulate.grade}
DEFAULT_GRADER = "warm"  # also what a plan written before plans named their grader means


def grader_name(grade: Callable) -> str:
    """The name in :data:`GRADERS` of ``grade``; ValueError for any other function."""
    for name, known in GRADERS.items():
        if known is grade:
            return name
    raise ValueError(f"{getattr(grade, '__name__', grade)!r} is not one of the graders a plan can name "
                     f"({', '.join(sorted(GRADERS))})")


@dataclasses.dataclass(frozen=True)
class GradeJob:
    """What every grading of one batch shares: the autograder zip (and its sha256, the
    key of resumability), the output folder, the time limit per submission and the
    grading function (``grade(zip, submission, results_path, timeout=...)`` returning
    ``(results, log, notes)`` like :func:`autograder.staff.simulate.grade`)."""

    autograder_zip: Path
    autograder_sha256: str
    out: Path
    timeout: float
    grade: Callable = warm.grade


class ExecutorError(RuntimeError):
    """The engine refused the work or does not answer (e.g. sbatch failed): nothing
    was graded by this call, and the batch stops with this message."""


class Executor(Protocol):
    name: str

    def grade(self, job: GradeJob, todo: list[Submission], done: Callable[[Outcome], None]) -> None:
        """Grade every submission of ``todo`` into ``job.out``; see the module's docstring."""


def grade_one(job: GradeJob, sub_id: str, path: Path, stopping: threading.Event | None = None) -> Outcome | None:
    """Grade one submission into ``job.out/results/<id>.json`` (atomically) and its
    grader log into ``job.out/logs/<id>.log``; never raises for the submission's sake.
    The export's entry is checked first (:func:`intake.check_submission`): a refused one
    is never graded (status ``refused``, its reason code in ``reason``). Returns None,
    writing nothing, when ``stopping`` was set meanwhile (the run was killed: its
    result is not to be trusted)."""
    out = Path(job.out)
    final = out / "results" / f"{sub_id}.json"
    partial = out / "results" / f".{sub_id}.json.partial"
    started = time.monotonic()
    log, notes, results, reason = "", [], None, ""
    try:
        intake.check_submission(Path(path))  # an export's entry: regular files and folders only, bounded
        results, log, notes = job.grade(job.autograder_zip, Path(path), partial, timeout=job.timeout)
    except intake.Refused as err:
        status, message, reason = "refused", str(err), err.code
        log = f"not graded ({err.code}): {err}"
    except simulate.GradingTimeout as err:
        status, message = "timeout", str(err).splitlines()[0]
        log = str(err)
    except Exception as err:  # the batch must survive anything one submission does
        status, message = "error", f"{type(err).__name__}: {err}"
        log = message
    else:
        if grader_failed(results):  # the grader's own failure, flagged in a valid results.json
            status, message = "error", "the grader reported a failure: " + str(results.get("output", ""))[:300]
        else:
            status, message = "graded", ""
    if stopping is not None and stopping.is_set():
        partial.unlink(missing_ok=True)
        return None
    if results is not None and partial.exists():
        os.replace(partial, final)  # atomic: a killed batch never leaves half a file
    elif status != "graded":
        final.unlink(missing_ok=True)  # an older result must not pass for this run's
    write_atomic(out / "logs" / f"{sub_id}.log", "".join(f"note: {n}\n" for n in notes) + (log or ""))
    score = None
    if status == "graded":
        assert results is not None  # "graded" is only ever set from the grader's results, above
        score = float(results.get("score", 0))
    return Outcome(sub_id, status, round(time.monotonic() - started, 2), printable(message), score,
                   job.autograder_sha256, reason=reason)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so that a
    reader (or a killed writer) never sees half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(printable(text), encoding="utf-8")  # logs hold what the submission printed
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def by_name(name: str, **options: Any) -> Executor:
    """The executor called ``name`` (``local`` or ``slurm``), built with ``options``
    (each executor takes its own keyword arguments; None values are dropped)."""
    options = {k: v for k, v in options.items() if v is not None}
    if name == "local":
        from autograder.staff.executors.local import LocalExecutor
        return LocalExecutor(**options)
    if name == "slurm":
        from autograder.staff.executors.slurm import SlurmExecutor
        return SlurmExecutor(**options)
    raise ValueError(f"unknown executor {name!r}: choose local or slurm")
