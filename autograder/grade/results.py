"""Gradescope's results.json: built from group scores, always valid, written
atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from autograder.runtime import characterise, outcomes
from autograder.runtime.config import Assignment
from autograder.runtime.scoring import GroupScore, diagnoses, feedback, matched_hints
from autograder.runtime.text import printable

SCHEMA_PATH = Path(__file__).resolve().parent / "results_schema.json"
# What the results' extra_data holds when the trusted side itself failed (read by grader_failed).
GRADER_FAILURE = {"grader_failure": True, "reason": outcomes.GRADER_ERROR}


def build_results(
    assignment: Assignment,
    scores: list[GroupScore],
    *,
    execution_time: float,
    problems: list[str],
    extra_data: dict[str, Any],
    output_chars: int = 1500,
    leaderboard: list[dict[str, Any]] | None = None,
    not_collected: frozenset[str] | set[str] = frozenset(),
    graders_failed: bool = False,
) -> dict[str, Any]:
    """One Gradescope test per group, the student-facing summary on top. Hints about
    known mistakes go only into the output of the group whose cases they explain,
    never into the summary (see :func:`~autograder.runtime.scoring.diagnoses` for what a
    group's hints may draw on). An extra-credit group has ``max_score`` 0 and its
    earned points as ``score``, so they add on top of the total.

    Each test's ``extra_data`` says why, as :mod:`~autograder.runtime.outcomes` codes:
    ``{"reason": code, "cases": {code: count}}``, plus ``"grader_failure": true``
    for a group in ``not_collected`` (its test function was never collected: the
    graders' fault, not the submission's). ``graders_failed``: the graders' session
    itself broke off (pytest's collection errors, an internal error); the results'
    ``extra_data`` then flags the whole run as a grader failure, and so does every
    test none of whose cases ran."""
    hints = diagnoses(scores)
    tests: list[dict[str, Any]] = [
        {
            "name": s.group.name,
            "number": s.group.number,
            "score": s.score,
            "max_score": 0.0 if s.group.extra_credit else float(s.group.points),
            "status": "passed" if s.passed else "failed",
            "visibility": s.group.visibility,
            "output": feedback(s, max_chars=output_chars, diagnosis=hints.get(s.group.id, ()), context=scores),
            "output_format": "text",
            "extra_data": test_facts(s, grader_failure=s.group.id in not_collected or (graders_failed and not s.cases)),
        }
        for s in scores
    ]
    total = round(sum(t["score"] for t in tests), 2)
    extra = {"leaderboard": [dict(e) for e in leaderboard]} if leaderboard else {}
    return {
        "score": total,
        "execution_time": round(execution_time, 2),
        "output": summary(assignment, scores, problems),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {**extra_data, "hints": matched_hints(scores), **(GRADER_FAILURE if graders_failed else {})},
        "tests": tests,
        **extra,
    }


def test_facts(score: GroupScore, *, grader_failure: bool = False) -> dict[str, Any]:
    """A test's ``extra_data``: its reason code, its cases by code, and whether the
    graders themselves failed it."""
    reason = outcomes.GRADER_ERROR if grader_failure else score.reason
    return {"reason": reason, "cases": score.reasons, **({"grader_failure": True} if grader_failure else {}),
            **({"characterised": True} if _characterised(score) else {})}


def _characterised(score: GroupScore) -> bool:
    """Whether the feedback says what the failing cases have in common (a fact for
    course staff: ``make mutants`` reports which mistakes got one)."""
    cases = [(dict(c.features), c.passed) for c in score.cases if c.features]
    return bool(score.failed_cases) and len(cases) == len(score.cases) and bool(characterise.separators(cases))


def summary(assignment: Assignment, scores: list[GroupScore], problems: list[str]) -> str:
    """What the student reads first: the problems to fix, then public points."""
    lines = []
    if problems:
        lines.append("Problems with your submission:")
        lines += [f"- {p}" for p in problems]
        lines.append("")
    public = [s for s in scores if s.group.visibility == "visible"]
    got, top = sum(s.score for s in public), sum(s.group.points for s in public if not s.group.extra_credit)
    lines.append(f"{assignment.name} (version {assignment.version}): visible tests {got:g}/{top:g} points.")
    hidden = len(scores) - len(public)
    if hidden:
        lines.append(f"{hidden} more tests are graded now and shown when grades are published.")
    return "\n".join(lines)


def failure_results(message: str, *, execution_time: float, extra_data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid results.json for when grading itself could not run: no tests, and
    ``extra_data`` flags it (``"grader_failure": true``, ``"reason": "grader_error"``)."""
    return {
        "score": 0.0,
        "execution_time": round(execution_time, 2),
        "output": message,
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {**(extra_data or {}), **GRADER_FAILURE},
        "tests": [],
    }


def grader_failed(results: dict[str, Any]) -> bool:
    """Whether a results.json says the trusted side itself failed to grade."""
    extra = results.get("extra_data")
    return isinstance(extra, dict) and extra.get("grader_failure") is True


def write_results(path: Path, results: dict[str, Any]) -> None:
    """Write atomically (a reader never sees half a file), mode 0644. Every string is
    written without control characters (:func:`~autograder.runtime.text.printable`), wherever
    in the results it came from."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_printable_strings(results), indent=2, allow_nan=False, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    try:
        # errors="replace": a file name that is not UTF-8 (a lone surrogate) must not
        # cost the student the whole results file
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as f:
            f.write(text + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _printable_strings(value: Any) -> Any:
    """``value`` (plain JSON data) with :func:`printable` applied to every string."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {_printable_strings(k): _printable_strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable_strings(v) for v in value]
    return value


def split_score(results: dict[str, Any]) -> tuple[float, float]:
    """``(graded, bonus)`` of a results.json: extra-credit tests are the ones with
    ``max_score`` 0 whose points add on top of the graded part."""
    bonus = round(sum(t.get("score", 0) for t in results.get("tests", []) if t.get("max_score") == 0), 2)
    return round(results.get("score", 0) - bonus, 2), bonus
