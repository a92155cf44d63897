"""What a batch regrade found, for course staff: ``scores.csv``, ``report.md`` and
``scores.png``, built from the results.json of every submission; and what goes back
to Gradescope and the students (:mod:`autograder.staff.handback`).

Knows Gradescope's results format, nothing about what is graded: test columns come
from the tests the results hold, sorted by their ``number``. Everything a submission
or an export chose (names, emails, ids, messages, file and exception names) is written
inert (:mod:`autograder.staff.inert`): plain text in a spreadsheet, a markdown viewer
and a terminal.

The statistics (scores, pass rates, most failed tests, the histogram) count only the
submissions that were graded at all: not the ones that could not be graded (refused,
error, timeout), the empty ones (none of the expected files), the ones whose code never
ran (every case ``unavailable``: nothing imports) and the stubs (every case that ran
``not_implemented``). Those would make every test look failed; the report says how many
were left out and why.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path
from typing import Any

from autograder.grade.results import split_score
from autograder.runtime import outcomes
from autograder.staff import handback, reasons
from autograder.staff.export import Submission
from autograder.staff.inert import csv_cell, md_text

MOST_FAILED = 10  # rows in the "most failed tests" table

# Why a row is left out of the statistics (see the module's docstring).
NOT_GRADED, EMPTY, NO_CODE, STUBS = "not graded", "empty", "no code ran", "stubs only"
LEFT_OUT_WORDS = {NOT_GRADED: "could not be graded (see Grading problems)",
                  EMPTY: "empty (none of the expected files)",
                  NO_CODE: "no code ran (nothing imports)",
                  STUBS: "only stubs (every function not implemented)"}
# Case codes that say the student's own code never ran.
_NEVER_RAN = {outcomes.UNAVAILABLE, outcomes.NOT_RUN, outcomes.GRADER_ERROR}


def write_report(out: Path, submissions: list[Submission], outcomes: dict[str, Any], *,
                 published: bool = True) -> list[Path]:
    """Write ``out/scores.csv``, ``out/report.md``, ``out/scores.png``, and what goes
    back (:func:`handback.write`: ``gradescope.csv`` and ``feedback/<id>.md``) from
    ``out/results/<id>.json`` and ``outcomes`` (id -> an object with ``status``,
    ``message`` and ``reason``, as :class:`autograder.staff.batch.Outcome`); return the
    paths written. A submission without an outcome is listed as not graded.
    ``published``: the feedback shows what students see once grades are published."""
    out = Path(out)
    results = {s.id: _load(out / "results" / f"{s.id}.json") for s in submissions}
    rows = [_Row(s, outcomes.get(s.id), results[s.id]) for s in submissions]
    tests = test_columns([r.results for r in rows if r.graded])
    paths = [out / "scores.csv", out / "report.md"]
    paths[0].write_text(scores_csv(rows, tests), encoding="utf-8")
    png = out / "scores.png"
    counted = [r for r in rows if not r.left_out]
    plotted = histogram([r.graded_part for r in counted], png, top=_top(tests),
                        extra=[r.extra for r in counted] if _has_extra(tests) else None)
    back = handback.write(out, [(r.sub, r.results if r.graded else None) for r in rows], published=published)
    paths[1].write_text(report_markdown(rows, tests, png.name if plotted else None, back), encoding="utf-8")
    return paths + ([png] if plotted else []) + back.paths


class _Row:
    """One submission: who, what happened, and its points by test key."""

    def __init__(self, sub: Submission, outcome: Any, results: dict | None):
        self.sub = sub
        self.status = getattr(outcome, "status", "not graded")
        self.message = getattr(outcome, "message", "")
        self.reason = getattr(outcome, "reason", "")  # a refused entry's code
        self.graded = self.status == "graded" and results is not None
        # {} and zeros when not graded: every use below is of graded rows only.
        self.results: dict[str, Any] = results if self.graded and results is not None else {}
        self.tests = {_key(t): t for t in self.results.get("tests", [])}
        self.total = float(self.results["score"]) if self.graded else 0.0
        # The graded part (out of the tests' max_score) and the extra credit on top.
        self.graded_part, self.extra = split_score(self.results) if self.graded else (0.0, 0.0)
        facts = self.results.get("extra_data") or {}
        submission = facts.get("submission")
        self.submission: dict[str, Any] = submission if isinstance(submission, dict) else {}
        self.hints = [h for h in facts.get("hints") or [] if isinstance(h, dict) and isinstance(h.get("what"), str)]
        self.left_out = self._left_out()

    def _left_out(self) -> str:
        """Why this row is left out of the statistics, or "" (see the module's docstring)."""
        if not self.graded:
            return NOT_GRADED
        if self.submission.get("found") is False:
            return EMPTY
        ran = {code for test in self.tests.values() for code in _case_codes(test)}
        if ran and ran <= _NEVER_RAN:
            return NO_CODE
        if ran and outcomes.NOT_IMPLEMENTED in ran and ran <= _NEVER_RAN | {outcomes.NOT_IMPLEMENTED}:
            return STUBS
        return ""  # no codes at all (results without facts): counted

    @property
    def who(self) -> str:
        return "; ".join(p.name for p in self.sub.submitters if p.name)

    def reasons(self) -> dict[str, int]:
        """How many of the submission's cases ended for each reason but passing
        (each test's ``extra_data.cases``; a test with no case counted, one that never
        ran, ``not_run`` or ``grader_error``, counts its ``reason`` once). A refused
        entry counts its own code once."""
        counts: dict[str, int] = {self.reason: 1} if self.reason else {}
        for test in self.tests.values():
            for code, n in _case_codes(test).items():
                if code != outcomes.PASSED:
                    counts[code] = counts.get(code, 0) + n
        return counts

    def tests_where(self, condition) -> list[str]:
        """The numbers of the tests whose ``extra_data`` (the reason codes the grader
        recorded, see :func:`autograder.grade.results.test_facts`) meets ``condition``."""
        found = [number for (number, _), test in self.tests.items()
                 if isinstance(test.get("extra_data"), dict) and condition(test["extra_data"])]
        return sorted(found, key=_number_key)


def _case_codes(test: dict) -> dict[str, int]:
    """``{code: cases}`` of one test's ``extra_data`` (its ``reason`` once when it
    counted no case)."""
    facts = test.get("extra_data")
    if not isinstance(facts, dict):
        return {}
    cases = facts.get("cases")
    if not isinstance(cases, dict) or not cases:
        cases = {facts["reason"]: 1} if isinstance(facts.get("reason"), str) else {}
    return {code: n for code, n in cases.items() if isinstance(code, str) and isinstance(n, int) and n > 0}


def test_columns(all_results: list[dict]) -> list[tuple[str, str, float]]:
    """Every test seen, as ``(number, name, max_score)``, sorted by number."""
    seen: dict[tuple[str, str], float] = {}
    for results in all_results:
        for test in results.get("tests", []):
            seen.setdefault(_key(test), float(test.get("max_score", 0)))
    return sorted(((number, name, top) for (number, name), top in seen.items()),
                  key=lambda t: (_number_key(t[0]), t[1]))


def scores_csv(rows: list[_Row], tests: list[tuple[str, str, float]]) -> str:
    """One row per submission: id, names, emails, sids, submission time, status,
    the reasons its cases did not pass (``timeout=4;failed=2``: the reason codes of
    :mod:`autograder.runtime.outcomes`, counted, by code; a refused entry's code of
    :data:`autograder.staff.intake.CODES`), the same reasons in words
    (``reason_text``: ``timeout: <sentence>; ...``, then what happened to a submission
    that was not graded), total, the score Gradescope recorded, then the points of
    every test (headed ``<number> <name>``). Empty cells for what is unknown. Text
    cells are inert (:func:`csv_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in ["id", "name", "email", "sid", "created_at", "status", "reasons",
                                           "reason_text", "total", "gradescope_score", "gradescope_version"]
                     + [f"{number} {name}".strip() for number, name, _ in tests]])
    for row in rows:
        people = row.sub.submitters
        counted = sorted(row.reasons().items())
        words = [f"{code}: {reasons.sentence(code)}" for code, _ in counted]
        if not row.graded and row.message and not row.reason:
            words.append(f"{row.status}: {reasons.status_sentence(row.status)} ({row.message})")
        elif row.reason and row.message:  # refused: the entry named after the generic words
            words = [f"{row.reason}: {reasons.sentence(row.reason)} ({row.message})"]
        cells = [csv_cell(c) for c in (row.sub.id, "; ".join(p.name for p in people),
                                       "; ".join(p.email for p in people), "; ".join(p.sid for p in people),
                                       row.sub.created_at, row.status,
                                       ";".join(f"{code}={n}" for code, n in counted), "; ".join(words))]
        cells += [_fmt(row.total if row.graded else None), _fmt(row.sub.recorded_score),
                  csv_cell(row.sub.recorded_version)]
        for number, name, _ in tests:
            test = row.tests.get((number, name))
            cells.append(_fmt(test.get("score")) if test else "")
        writer.writerow(cells)
    return buffer.getvalue()


def report_markdown(rows: list[_Row], tests: list[tuple[str, str, float]], png: str | None,
                    back: handback.Written | None = None) -> str:
    graded = [r for r in rows if r.graded]
    counted = [r for r in rows if not r.left_out]
    versions = sorted({str((r.results.get("extra_data") or {}).get("version", "?")) for r in graded})
    lines = ["# Batch regrade", "",
             f"{len(graded)} of {len(rows)} submissions graded"
             + (f" with version {md_text(', '.join(versions))} of the autograder." if versions else "."), ""]
    lines += _left_out_line(rows, counted)
    lines += _score_summary(counted, _top(tests), png, _has_extra(tests))
    lines += _problems(rows)
    lines += _unusable_files(graded)
    lines += _class_mistakes(graded)
    lines += _pass_rates(counted, tests)
    lines += _changes(rows)
    lines += _handed_back(back)
    return "\n".join(lines).rstrip() + "\n"


def _left_out_line(rows: list[_Row], counted: list[_Row]) -> list[str]:
    """How many submissions the statistics leave out, and why."""
    left = {why: sum(r.left_out == why for r in rows) for why in LEFT_OUT_WORDS}
    if not any(left.values()):
        return [f"The statistics below count all {len(rows)} submissions.", ""]
    said = ", ".join(f"{n} {LEFT_OUT_WORDS[why]}" for why, n in left.items() if n)
    return [f"The statistics below count the {len(counted)} submissions graded at all; "
            f"{len(rows) - len(counted)} left out: {said}.", ""]


def _score_summary(counted: list[_Row], top: float, png: str | None, has_extra: bool) -> list[str]:
    lines = ["## Scores", ""]
    if not counted:
        return lines + ["Nothing was graded.", ""]
    totals = [r.graded_part for r in counted]
    lines += [f"- graded part: mean {statistics.mean(totals):.2f}, median {statistics.median(totals):g}, "
              f"min {min(totals):g}, max {max(totals):g} (out of {top:g})",
              f"- full marks: {sum(t >= top - 1e-9 for t in totals)}; zero: {sum(t <= 1e-9 for t in totals)}"]
    if has_extra:
        lines.append(f"- {_extra_credit_line([r.extra for r in counted])}")
    lines.append("")
    if png:
        lines += [f"![Histogram of totals]({png})", ""]
    return lines


def _problems(rows: list[_Row]) -> list[str]:
    lines = ["## Grading problems", ""]
    failed = [r for r in rows if not r.graded]
    if failed:
        lines += ["Submissions that were not graded: refused (the export's entry is not a submission that can be "
                  "read safely: see the reason), or whose grading errored or timed out (rerun the batch to retry "
                  "them; `logs/<id>.log` has the grader's output):", "",
                  "| submission | who | status | reason | what happened |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {md_text(r.sub.id)} | {md_text(r.who)} | {md_text(r.status)} | {md_text(r.reason)} | "
                  f"{md_text(r.message)} |" for r in failed]
    else:
        lines.append("Every submission was graded.")
    broken = [(r, r.tests_where(lambda facts: facts.get("grader_failure") is True)) for r in rows if r.graded]
    broken = [(r, numbers) for r, numbers in broken if numbers]
    if broken:
        lines += ["", "Graded, but some tests did not run because of the graders themselves (check them; "
                  "the log says which):", ""]
        lines += [f"- {md_text(r.sub.id)} ({md_text(r.who) or 'no name'}): tests {md_text(', '.join(numbers))}"
                  for r, numbers in broken]
    slow = [(r, r.tests_where(_timed_out)) for r in rows if r.graded]
    slow = [(r, numbers) for r, numbers in slow if numbers]
    if slow:
        lines += ["", "Graded, but the student's code timed out in some tests (an infinite loop, or far too slow):", ""]
        lines += [f"- {md_text(r.sub.id)} ({md_text(r.who) or 'no name'}): tests {md_text(', '.join(numbers))}"
                  for r, numbers in slow]
    return lines + [""]


def _timed_out(facts: dict) -> bool:
    """Whether a test's ``extra_data`` counts a case that timed out (or was skipped
    for timing out before)."""
    cases = facts.get("cases")
    return isinstance(cases, dict) and any(cases.get(code) for code in outcomes.TIMED_OUT)


def _extra_credit_line(extra: list[float]) -> str:
    """The same words in the report and on the plot."""
    earned = [e for e in extra if e > 1e-9]
    if not earned:
        return "extra credit: none earned"
    return (f"extra credit (on top): {len(earned)} of {len(extra)} submissions earned some, "
            f"mean +{statistics.mean(earned):.2f} among them, max +{max(earned):g}")


def _unusable_files(graded: list[_Row]) -> list[str]:
    """Graded submissions whose files could not all be used: nothing found, a module
    missing, or one that did not import (from the facts the grader recorded)."""
    found = []
    for r in graded:
        facts = r.submission
        reasons = []
        if facts.get("found") is False:
            reasons.append("no expected files found")
        elif facts.get("missing"):
            reasons.append("missing " + ", ".join(f"{m}.py" for m in facts["missing"]))
        errors = facts.get("import_errors") or {}
        if isinstance(errors, dict) and errors:
            reasons.append("did not import: " + ", ".join(f"{m}.py ({kind})" for m, kind in sorted(errors.items())))
        if reasons:
            found.append((r, "; ".join(reasons)))
    if not found:
        return []
    lines = ["## Submissions whose files could not be used", "",
             f"{len(found)} submission{'s' * (len(found) != 1)} lost points to the files themselves "
             "(a wrong name or folder, a syntax error, an import that is not available): worth a word to the student.",
             "", "| submission | who | graded part | what happened |", "| --- | --- | ---: | --- |"]
    lines += [f"| {md_text(r.sub.id)} | {md_text(r.who)} | {r.graded_part:g} | {md_text(why)} |" for r, why in found]
    return lines + [""]


def _class_mistakes(graded: list[_Row]) -> list[str]:
    """How many submissions each known mistake explains: what to go over in class."""
    counts: dict[str, list] = {}
    for r in graded:
        for key, hint in {str(h.get("id", h["what"])): h for h in r.hints}.items():
            counts.setdefault(key, [hint["what"], 0])[1] += 1
    if not counts:
        return []
    lines = ["## Known mistakes across the class", ""]
    lines += [f"- {n} submission{'s' * (n != 1)}: {md_text(what, 1000)}"
              for what, n in sorted(counts.values(), key=lambda wn: (-wn[1], wn[0]))]
    return lines + [""]


def _pass_rates(graded: list[_Row], tests: list[tuple[str, str, float]]) -> list[str]:
    stats = []
    for number, name, top in tests:
        ran = [r.tests[(number, name)] for r in graded if (number, name) in r.tests]
        passed = sum(t.get("status") == "passed" for t in ran)
        mean = statistics.mean(float(t.get("score", 0)) for t in ran) if ran else 0.0
        stats.append((number, name, top, len(ran), passed, mean))
    lines = ["## Pass rate of each test", "", "| test | name | points | passed | pass rate | mean points |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {md_text(n)} | {md_text(name)} | {top:g} | {p}/{ran} | {_rate(p, ran)} | {mean:.2f} |"
              for n, name, top, ran, p, mean in stats]
    failing = sorted((s for s in stats if s[3] and s[4] < s[3]), key=lambda s: (s[4] / s[3], _number_key(s[0])))
    lines += ["", "## Most failed tests", ""]
    if not failing:
        return lines + ["Every graded submission passed every test.", ""]
    lines += ["A test that most of the class fails may be wrong itself: check it first.", "",
              "| test | name | failed | fail rate |", "| --- | --- | ---: | ---: |"]
    lines += [f"| {md_text(n)} | {md_text(name)} | {ran - p}/{ran} | {_rate(ran - p, ran)} |"
              for n, name, _, ran, p, _ in failing[:MOST_FAILED]]
    return lines + [""]


def _changes(rows: list[_Row]) -> list[str]:
    """Against the scores Gradescope recorded, when the metadata has them."""
    recorded = [(r, r.sub.recorded_score) for r in rows if r.sub.recorded_score is not None]
    if not recorded:
        return []
    lines = ["## Changes from the scores Gradescope recorded", ""]
    compared = [(r, before) for r, before in recorded if r.graded]
    changed = [(r, before) for r, before in compared if abs(r.total - before) > 1e-6]
    if changed:
        lines.append(f"{len(changed)} submission{'s' * (len(changed) != 1)} changed score: "
                     + ", ".join(f"{md_text(r.sub.id)}{f' ({md_text(r.who)})' if r.who else ''} "
                                 f"{before:g} -> {r.total:g}" for r, before in changed) + ".")
    else:
        lines.append("No submission changed score.")
    lines.append("")
    lines.append(f"{len(compared) - len(changed)} unchanged; {len(recorded) - len(compared)} with a recorded score "
                 f"could not be compared (not graded here); {len(rows) - len(recorded)} had no recorded score.")
    if changed:
        lines += ["", "| submission | who | Gradescope | now | change |", "| --- | --- | ---: | ---: | ---: |"]
        lines += [f"| {md_text(r.sub.id)} | {md_text(r.who)} | {before:g} | {r.total:g} | "
                  f"{r.total - before:+g} |" for r, before in changed]
    return lines + [""]


def _handed_back(back: handback.Written | None) -> list[str]:
    if back is None:
        return []
    lines = ["## Handed back", "",
             f"- `{handback.GRADESCOPE_CSV}`: {back.rows} row{'s' * (back.rows != 1)} for Gradescope's score upload "
             "(Name, SID, Email, Total Score; one per student of a graded submission).",
             f"- `{handback.FEEDBACK}/<id>.md`: {back.feedback} feedback file{'s' * (back.feedback != 1)}, "
             + ("as students see their results once grades are published (hidden tests left out)."
                if back.published else "as students see their results before grades are published.")]
    if back.nameless:
        lines.append(f"- Not in {handback.GRADESCOPE_CSV} (graded, but no email or SID in the metadata): "
                     + ", ".join(md_text(i) for i in back.nameless) + ".")
    if back.duplicates:
        lines.append("- In more than one submission (each has a row; Gradescope keeps one): "
                     + ", ".join(md_text(d) for d in back.duplicates) + ".")
    return lines + [""]


def histogram(totals: list[float], path: Path, top: float, extra: list[float] | None = None) -> bool:
    """Save a histogram of ``totals`` (the graded part, 0 to ``top``) as a PNG, the
    extra credit (``extra``, None for an assignment without any) said below the title
    as in the report; False when there is nothing to plot or matplotlib is missing."""
    if not totals:
        return False
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display on a grading server
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return False
    top = max([top, *totals, 1.0])  # the graded part never exceeds top; extra credit is not on this axis
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    ax.hist(totals, bins=20, range=(0, top), color="#4c72b0", edgecolor="white")
    ax.set_xlabel("graded part of the score")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # submissions come in whole numbers
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    title = f"{len(totals)} submissions, graded part: mean {statistics.mean(totals):.1f} / {top:g}"
    ax.set_title(title + ("\n" + _extra_credit_line(extra) if extra is not None else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})  # no version stamp: same scores, same bytes
    plt.close(fig)
    return True


def _load(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _key(test: dict) -> tuple[str, str]:
    return str(test.get("number", "")), str(test.get("name", ""))


def _number_key(number: str) -> list:
    """Gradescope's sort key: "1.10" after "1.9"."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in number.split(".")] if number else []


def _top(tests: list[tuple[str, str, float]]) -> float:
    return sum(top for _, _, top in tests)


def _has_extra(tests: list[tuple[str, str, float]]) -> bool:
    """Whether the assignment has extra credit: a test worth 0 points whose score adds on top."""
    return any(top == 0 for _, _, top in tests)


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return ""
    return f"{round(float(value), 4):g}"


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"
