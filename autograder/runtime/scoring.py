"""Turn per-case pytest outcomes into per-group scores and feedback.

A test group is one test function; each of its parametrized cases is worth an equal
share of the group's points, so a submission that fails one case of twenty keeps
most of the points and sees exactly which case failed.

A failed case may carry hints: known mistakes whose output matched the student's on
that case (found by :mod:`autograder.grade.diagnose`). :func:`diagnoses` weighs them over
all the cases a group's reader may see, and words them by the strength of evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from autograder.runtime import characterise, outcomes
from autograder.runtime.config import TestGroup


@dataclasses.dataclass(frozen=True)
class Hint:
    """A known mistake, in words: ``what`` completes "Most likely ..." (e.g. "the
    bias is not added"), ``advice`` says how to fix it. Neither may depend on a
    case's inputs or expected values."""

    id: str
    what: str
    advice: str
    effect: bool = False  # recognised by its effect on the value (autograder.runtime.effects), not by a replay
    # said only when it gives every failed case of the functions it matched on: a scalar
    # (a size, a count) equals many formulas' values by chance, an array rarely does
    exact: bool = False


@dataclasses.dataclass(frozen=True)
class CaseOutcome:
    case: str  # the parametrized id, "" for an unparametrized test
    passed: bool
    message: str = ""  # why it failed, in words a student can act on
    output: str = ""  # what the student's code printed during the case
    replayed: str = ""  # the graded function the failing check could replay ("" if none)
    hints: tuple[Hint, ...] = ()  # known mistakes that give the student's output on this case
    features: tuple = ()  # ((name, value), ...): generic features of the case's arguments
    size: int = 0  # how big the case's arguments are (to pick the smallest failing case)
    inputs: str = ""  # the case's arguments written out: public tests only, never hidden ones
    reason: str = ""  # why it ended so, an :mod:`~autograder.runtime.outcomes` code ("": passed or failed)

    def __post_init__(self) -> None:
        if not self.reason:
            object.__setattr__(self, "reason", outcomes.PASSED if self.passed else outcomes.FAILED)


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

    @property
    def reasons(self) -> dict[str, int]:
        """``{reason code: cases}`` (see :func:`autograder.runtime.outcomes.tally`)."""
        return outcomes.tally(c.reason for c in self.cases)

    @property
    def reason(self) -> str:
        """The test's one code (see :func:`autograder.runtime.outcomes.main_reason`)."""
        return outcomes.main_reason(c.reason for c in self.cases)


def score_group(group: TestGroup, cases: list[CaseOutcome]) -> GroupScore:
    """Points in proportion to the cases passed, rounded to 1/100 of a point; a group
    whose cases never ran scores 0."""
    if not cases:
        return GroupScore(group, 0.0, ())
    fraction = sum(c.passed for c in cases) / len(cases)
    return GroupScore(group, round(group.points * fraction, 2), tuple(cases))


def feedback(score: GroupScore, max_cases: int = 3, max_chars: int = 1500, diagnosis: Sequence[str] = (),
             context: Sequence[GroupScore] = ()) -> str:
    """The text shown for one group: pass count, the ``diagnosis`` lines (from
    :func:`diagnoses`; first, so that cutting a long text keeps them) and the first
    few failures. ``context``: every group graded, for :func:`characterisation`."""
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
    lines += list(diagnosis)
    if not any(line.startswith(CONFIDENT) for line in diagnosis):  # it explains the failing cases already
        lines += characterisation(score, context)
    for case in failed[:max_cases]:
        label = f"[{case.case}] " if case.case else ""
        lines.append(f"- {label}{case.message}")
        if case.output:
            lines.append("  Your code printed:\n" + _indent(case.output, "    "))
    if len(failed) > max_cases:
        lines.append(f"- ... and {len(failed) - max_cases} more failing cases.")
    if not any(c.output for c in failed[:max_cases]):  # what the passing cases printed may explain it too
        printed = next((c for c in score.cases if c.output), None)
        if printed is not None:
            label = f" (case {printed.case}{', which passed' if printed.passed else ''})" if printed.case else ""
            lines.append(f"Your code printed{label}:\n" + _indent(printed.output, "    "))
    text = "\n".join(lines)
    return text if len(text) <= max_chars else text[: max_chars - 15] + "\n[... cut ...]"


def characterisation(score: GroupScore, context: Sequence[GroupScore] = ()) -> list[str]:
    """What separates the failing cases from the passing ones (features of the cases'
    arguments, see :mod:`autograder.runtime.characterise`) and, where the cases' inputs may be
    shown (a public test), the smallest failing case with its inputs.

    The evidence is this group's cases and those of the other groups of ``context``
    that check the same function and failed the same way (a wrong value or an error),
    whose cases its reader may see (as for :func:`diagnoses`): a condition must hold on
    all of them, so one that another failing test contradicts is not said (it was a
    coincidence of this test's few cases), and one that a few cases of each test
    support together is."""
    cases = [(dict(c.features), c.passed) for c in score.cases if c.features]
    described = len(cases) == len(score.cases)
    found = []
    if described and _one_way(score) and score.failed_cases:
        # The features this test's failing cases all have; another test's cases count
        # where they have them too (one that declares fewer neither blocks nor helps).
        failed = [f for f, passed in cases if not passed]
        names = [n for n in failed[0] if all(n in f for f in failed)]
        related = [c for c in _related_cases(score, context) if all(n in c[0] for n in names)]
        found = characterise.separators(cases + related, names)
    lines = characterise.wording(found)
    shown = [c for c in score.failed_cases if c.inputs]
    if shown and len(score.cases) > 1:
        smallest = min(shown, key=lambda c: c.size)
        lines.append(f"The smallest failing case, [{smallest.case}]:\n" + _indent(smallest.inputs, "    "))
    return lines


def _related_cases(score: GroupScore, context: Sequence[GroupScore]) -> list[tuple[dict, bool]]:
    """The described cases of the groups of ``context`` shown no later than ``score``
    whose failed checks are of the same function as its own, and that failed the same
    way (all passed: their function is not known; another reason: their inputs say
    nothing)."""
    functions = {c.replayed for c in score.failed_cases if c.replayed}
    out = []
    for other in context:
        if other is score or other.group.visibility not in (score.group.visibility, ALWAYS_SHOWN):
            continue
        theirs = {c.replayed for c in other.failed_cases if c.replayed}
        if not other.failed_cases or not _one_way(other) or not (functions & theirs):
            continue
        if all(c.features for c in other.cases):
            out += [(dict(c.features), c.passed) for c in other.cases]
    return out


# The reasons of a case that computed something wrong: only those say something about
# the case's inputs. A stub, a missing module, a timeout or a crash fail for their own
# reason, which the case's message says already.
_WRONG_VALUE = (outcomes.FAILED, outcomes.ERROR)


def _one_way(score: GroupScore) -> bool:
    """Whether the failing cases computed something wrong, the one kind of failure
    whose cases' inputs can say what separates them from the passing ones."""
    return all(c.reason in _WRONG_VALUE for c in score.failed_cases)


# Whose evidence a group's hints may use: a group's output must not reveal anything
# about tests shown later than it, so a visible test weighs visible tests only, and
# any other test weighs tests of its own visibility and the visible ones.
ALWAYS_SHOWN = "visible"


def diagnoses(scores: Sequence[GroupScore]) -> dict[str, list[str]]:
    """``{group id: lines}``: one line per known mistake that matched at least one
    of the group's failed cases, worded by the evidence over the cases the group's
    reader may see (the group's own, and see ``ALWAYS_SHOWN``):

    - "Most likely": the mistake gives the student's output on 2 or more failed cases,
      and on at least half of the failed cases it could have explained (those whose
      check replayed a function on which it matched);
    - "Possibly ...": on the one failed case it could have explained.

    Matched on fewer than half, or on one case of several, it is not said: another
    mistake gives the same value there (a coincidence of the case, not a cause).
    """
    out: dict[str, list[str]] = {}
    for score in scores:
        own = _tally([score])
        if not own:
            continue
        seen = _tally([s for s in scores if s.group.visibility in (score.group.visibility, ALWAYS_SHOWN)])
        # A mistake is said when it explains most failed cases it could (or the only
        # one): seen on a few of many, it is a coincidence of another (on a case where
        # both give the same value: stride on one axis only, for an output one column wide).
        lines = [_wording(seen[hint_id], own[hint_id]) for hint_id in own if _explains_most(seen[hint_id])]
        if lines:
            out[score.group.id] = lines
    return out


def matched_hints(scores: Sequence[GroupScore]) -> list[dict]:
    """The known mistakes that matched a failed case, as data for course staff:
    ``[{"id", "what", "cases"}]`` (most cases first)."""
    found = [e for e in _tally(scores).values() if _explains_most(e)]  # as diagnoses() says
    return [{"id": e.hint.id, "what": e.hint.what, "cases": len(e.matched)}
            for e in sorted(found, key=lambda e: (-len(e.matched), e.hint.id))]


@dataclasses.dataclass
class _Evidence:
    hint: Hint
    matched: list = dataclasses.field(default_factory=list)  # (group id, case id) of each matching case
    functions: set = dataclasses.field(default_factory=set)  # the functions whose output matched
    explainable: int = 0  # failed cases whose check replayed one of those functions
    unexplained: int = 0  # failed cases of the matching groups with nothing replayed (the call raised)


def _tally(scores: Sequence[GroupScore]) -> dict[str, _Evidence]:
    found: dict[str, _Evidence] = {}
    for score in scores:
        for case in score.failed_cases:
            for hint in case.hints:
                e = found.setdefault(hint.id, _Evidence(hint))
                e.matched.append((score.group.id, case.case))
                e.functions.add(case.replayed)
    for e in found.values():
        e.explainable = sum(c.replayed in e.functions for s in scores for c in s.failed_cases)
        groups = {group for group, _ in e.matched}
        e.unexplained = sum(not c.replayed for s in scores if s.group.id in groups for c in s.failed_cases)
    return found


CONFIDENT = "Most likely "  # how a diagnosis matching most failed cases starts


def _wording(seen: _Evidence, own: _Evidence) -> str:
    hint, matched = seen.hint, len(seen.matched)
    names = sorted(seen.functions)
    gives = f"what {names[0]} gives" if len(names) == 1 else f"what {', '.join(names[:-1])} and {names[-1]} give"
    if hint.effect:
        return _effect_wording(seen)
    tests = len({group for group, _ in seen.matched})
    across = f" (in {tests} tests)" if tests > 1 else ""
    if matched >= 2:  # and at least half of those it could explain (_explains_most)
        share = f"all {matched}" if matched == seen.explainable else f"{matched} of the {seen.explainable}"
        return (f"Most likely {hint.what}: on {share} failed cases{across}, your output matches "
                f"{gives} with that mistake. {hint.advice}")
    case = own.matched[0][1]  # the one failed case it could explain
    where = f"on case [{case}]" if case else "on this test"
    return (f"Possibly {hint.what}: {where}, your output matches {gives} with that mistake; "
            f"that is one case only, so check it. {hint.advice}")


def _explains_most(seen: _Evidence) -> bool:
    """Whether a mistake matched 2 or more failed cases and at least half of those it
    could explain, or the one failed case it could explain. An ``exact`` hint (a formula
    on scalars, which one case can match by chance) must give 2 or more and every failed
    case of its tests: one that raised, whose value nobody saw, may be another mistake."""
    matched = len(seen.matched)
    if seen.hint.exact:
        return matched >= 2 and matched == seen.explainable and not seen.unexplained
    return (matched >= 2 and 2 * matched >= seen.explainable) or matched == seen.explainable == 1


def _effect_wording(seen: _Evidence) -> str:
    """A mistake known by its effect: its ``what`` is a fact about the student's
    values, said with how many of the failed cases show it."""
    hint, matched = seen.hint, len(seen.matched)
    tests = len({group for group, _ in seen.matched})
    across = f" (in {tests} tests)" if tests > 1 else ""
    if matched == 1:  # the one failed case it could explain (_explains_most): still one case
        return f"Possibly {hint.what}: so it is on the one failed case of this function; check it. {hint.advice}"
    share = f"all {matched}" if matched == seen.explainable else f"{matched} of the {seen.explainable}"
    return f"{CONFIDENT}{hint.what}: so it is on {share} failed cases{across}. {hint.advice}"


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())
