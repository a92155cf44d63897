"""Turn per-case pytest outcomes into per-group scores.

A test group is one test function; each of its parametrized cases is worth an equal
share of the group's points, so a submission that fails one case of twenty keeps
most of the points and sees exactly which case failed.
"""

from __future__ import annotations

import dataclasses

from .config import TestGroup


@dataclasses.dataclass(frozen=True)
class CaseOutcome:
    case: str  # the parametrized id, "" for an unparametrized test
    passed: bool
    message: str = ""  # why it failed, in words a student can act on
    output: str = ""  # what the student's code printed during the case


@dataclasses.dataclass(frozen=True)
class GroupScore:
    group: TestGroup
    score: float
    cases: tuple[CaseOutcome, ...]

    @property
    def passed(self) -> bool:
        return bool(self.cases) and all(c.passed for c in self.cases)

    @property
    def failed_cases(self) -> list[CaseOutcome]:
        return [c for c in self.cases if not c.passed]


def score_group(group: TestGroup, cases: list[CaseOutcome]) -> GroupScore:
    """Points in proportion to the cases passed, rounded to 1/100 of a point; a group
    whose cases never ran scores 0."""
    if not cases:
        return GroupScore(group, 0.0, ())
    fraction = sum(c.passed for c in cases) / len(cases)
    return GroupScore(group, round(group.points * fraction, 2), tuple(cases))


def feedback(score: GroupScore, max_cases: int = 3, max_chars: int = 1500) -> str:
    """The text shown for one group: pass count and the first few failures."""
    total = len(score.cases)
    if not total:
        return "This test did not run."
    failed = score.failed_cases
    if not failed:
        text = f"All {total} cases passed." if total > 1 else "Passed."
        printed = next((c for c in score.cases if c.output), None)
        if printed is not None:
            label = f" (case {printed.case})" if printed.case else ""
            text += f"\nYour code printed{label}:\n" + _indent(printed.output, "    ")
        return text if len(text) <= max_chars else text[: max_chars - 15] + "\n[... cut ...]"
    lines = [f"{total - len(failed)} of {total} cases passed." if total > 1 else "Failed."]
    for case in failed[:max_cases]:
        label = f"[{case.case}] " if case.case else ""
        lines.append(f"- {label}{case.message}")
        if case.output:
            lines.append("  Your code printed:\n" + _indent(case.output, "    "))
    if len(failed) > max_cases:
        lines.append(f"- ... and {len(failed) - max_cases} more failing cases.")
    text = "\n".join(lines)
    return text if len(text) <= max_chars else text[: max_chars - 15] + "\n[... cut ...]"


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())
