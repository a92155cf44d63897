"""Grade every mutant like a student's submission: the sandbox, through the warm
grader of ``make grade-all`` (one per worker), ``jobs`` at a time, resumable.

Each mutant becomes a submission folder (the reference package with one module
replaced), graded into a results.json; the verdict compares it with the reference's
own results, test by test. Verdicts are written one file per mutant, atomically,
under ``<out>/verdicts/``, keyed by the mutant's content and the autograder zip's
sha256: a run interrupted at any point resumes where it stopped, and a changed
grader or reference regrades what it changed.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from autograder.grade.results import grader_failed, split_score
from autograder.runtime import outcomes
from autograder.staff import simulate, warm
from autograder.staff.executors import Outcome, read_json, write_atomic
from autograder.staff.mutants.generate import Mutant

REFERENCE = "reference"  # the baseline's verdict file: the unmutated reference


@dataclasses.dataclass
class Verdict:
    """What the graders made of one mutant.

    ``status``: ``killed`` (a test lost points against the reference), ``survived``
    (every test kept its points), ``error`` or ``timeout`` (the grading itself failed:
    no verdict; rerun). ``score``: the graded part, ``bonus`` the extra credit.
    ``caught_by``: the ids of the tests that lost points; ``hints``: the ids of the
    catalogued mistakes named in the feedback; ``characterised``: the tests whose
    feedback said what the failing cases share; ``import_broken``: a module of the
    mutant did not import (a score of 0 is then expected, not a weakness)."""

    id: str
    digest: str
    autograder_sha256: str
    status: str
    score: float = 0.0
    bonus: float = 0.0
    caught_by: list[str] = dataclasses.field(default_factory=list)
    hints: list[str] = dataclasses.field(default_factory=list)
    characterised: list[str] = dataclasses.field(default_factory=list)
    import_broken: bool = False
    seconds: float = 0.0
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Verdict | None:
        if not isinstance(data, dict):
            return None
        fields = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in fields})
        except TypeError:
            return None


@dataclasses.dataclass(frozen=True)
class Job:
    autograder_zip: Path
    autograder_sha256: str
    reference: Path  # the reference package folder
    package: str  # the package's name (the submission's folder)
    out: Path
    timeout: float = simulate.TIMEOUT_SECONDS
    grade: Callable = warm.grade


def baseline(job: Job) -> dict[str, Any]:
    """The reference's own results.json (graded once, reused while the zip is the same).
    Raises RuntimeError when the reference itself does not get its points back."""
    cached = read_json(job.out / "verdicts" / f"{REFERENCE}.results.json")
    if isinstance(cached, dict) and cached.get("_autograder_sha256") == job.autograder_sha256:
        return cached
    results, log = _grade(job, REFERENCE, {})
    if results is None or grader_failed(results):
        raise RuntimeError(f"the reference could not be graded: {log[-2000:]}")
    results["_autograder_sha256"] = job.autograder_sha256
    write_atomic(job.out / "verdicts" / f"{REFERENCE}.results.json", json.dumps(results, indent=1))
    return results


def grade_mutants(job: Job, mutants: list[Mutant], reference: dict[str, Any], jobs: int,
                  progress: Callable[[Outcome], None] | None = None) -> dict[str, Verdict]:
    """A verdict for every mutant: those of an earlier run with the same mutant and
    zip as they were, the others graded ``jobs`` at a time."""
    verdicts: dict[str, Verdict] = {}
    todo = []
    for mutant in mutants:
        done = Verdict.from_json(read_json(_verdict_path(job, mutant.id)))
        if done and done.digest == mutant.digest and done.autograder_sha256 == job.autograder_sha256 \
                and done.status in ("killed", "survived"):
            verdicts[mutant.id] = done
            if progress:
                progress(Outcome(mutant.id, "graded", done.seconds, score=done.score, skipped=True))
        else:
            todo.append(mutant)
    lock = threading.Lock()

    def one(mutant: Mutant) -> None:
        verdict = grade_mutant(job, mutant, reference)
        write_atomic(_verdict_path(job, mutant.id), json.dumps(verdict.to_json(), indent=1))
        with lock:
            verdicts[mutant.id] = verdict
            if progress:
                status = "graded" if verdict.status in ("killed", "survived") else verdict.status
                progress(Outcome(mutant.id, status, verdict.seconds, verdict.message or verdict.status,
                                 verdict.score if status == "graded" else None))

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        for future in [pool.submit(one, m) for m in todo]:
            future.result()
    except BaseException:  # interrupted: nothing more starts, the gradings in progress are killed
        pool.shutdown(wait=False, cancel_futures=True)
        warm.stop_all()
        raise
    finally:
        pool.shutdown(wait=True)
        warm.close_all()
    return verdicts


def grade_mutant(job: Job, mutant: Mutant, reference: dict[str, Any]) -> Verdict:
    """Grade one mutant and compare its results with the reference's."""
    started = time.monotonic()
    try:
        results, log = _grade(job, mutant.id, {mutant.module: mutant.source})
    except simulate.GradingTimeout as err:
        return Verdict(mutant.id, mutant.digest, job.autograder_sha256, "timeout",
                       seconds=round(time.monotonic() - started, 2), message=str(err).splitlines()[0])
    seconds = round(time.monotonic() - started, 2)
    if results is None or grader_failed(results):
        why = str((results or {}).get("output", "")) or log[-500:]
        return Verdict(mutant.id, mutant.digest, job.autograder_sha256, "error", seconds=seconds,
                       message=f"the grader failed: {why[:300]}")
    return compare(mutant, results, reference, job.autograder_sha256, seconds)


def compare(mutant: Mutant, results: dict[str, Any], reference: dict[str, Any], sha: str, seconds: float) -> Verdict:
    """The verdict of ``results`` (the mutant's) against ``reference`` (the reference's)."""
    expected = {t["name"]: t for t in reference.get("tests", [])}
    caught, characterised, broken = [], [], False
    for test in results.get("tests", []):
        facts = test.get("extra_data") or {}
        if outcomes.UNAVAILABLE in (facts.get("cases") or {}):
            broken = True
        if test.get("score", 0) < expected.get(test["name"], {}).get("score", 0) - 1e-9:
            caught.append(test["name"])
            if facts.get("characterised"):
                characterised.append(test["name"])
    score, bonus = split_score(results)
    hints = [h.get("id", "") for h in (results.get("extra_data") or {}).get("hints", []) if isinstance(h, dict)]
    return Verdict(mutant.id, mutant.digest, sha, "killed" if caught else "survived", score, bonus, caught, hints,
                   characterised, broken, seconds)


def _grade(job: Job, name: str, replaced: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    """Grade the reference with ``replaced`` ({file: source}) as a submission."""
    work = job.out / "work" / name
    shutil.rmtree(work, ignore_errors=True)
    package = work / "submission" / job.package
    package.mkdir(parents=True)
    for path in sorted(Path(job.reference).glob("*.py")):
        (package / path.name).write_text(replaced.get(path.name, path.read_text(encoding="utf-8")), encoding="utf-8")
    results_path = work / "results.json"
    try:
        results, log, _ = job.grade(job.autograder_zip, work / "submission", results_path, timeout=job.timeout)
        return results, log
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _verdict_path(job: Job, mutant_id: str) -> Path:
    return job.out / "verdicts" / f"{mutant_id}.json"
