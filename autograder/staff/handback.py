"""What a batch regrade hands back: ``gradescope.csv`` for Gradescope's score upload
and ``feedback/<id>.md``, one file per graded submission, for the TA to send.

``gradescope.csv`` has the columns ``Name``, ``SID``, ``Email``, ``Total Score``, one row
per student of a graded submission (a group submission gives each member a row with
the same score); Gradescope matches rows to its roster by email (SID when the email is
empty). ``Total Score`` is the total that results.json holds, extra credit included,
as Gradescope would record it. Submissions that were not graded, and students with
neither email nor SID (a folder the metadata does not list), get no row: an upload
leaves their recorded scores as they are. Every text cell is inert
(:func:`inert.csv_cell`).

A feedback file holds what the student may see of their results, per test: points,
status and the test's own feedback. Which tests follow Gradescope's visibility:
``published=True`` (the default: feedback is sent once grades are out) shows
``visible``, ``after_due_date`` and ``after_published`` tests and the total;
``published=False`` shows only ``visible`` tests, and the total only when nothing is
held back. A ``hidden`` test is never shown (Gradescope never shows it to the
student): only how many there are and their points together, which the total reveals
anyway. The results' ``extra_data`` (reason codes, hints' facts) is instructor-only
and never copied.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path
from typing import Any

from autograder.grade.results import split_score
from autograder.staff.export import Submission
from autograder.staff.inert import csv_cell, md_block, md_text

GRADESCOPE_CSV = "gradescope.csv"
FEEDBACK = "feedback"
COLUMNS = ["Name", "SID", "Email", "Total Score"]
SHOWN_PUBLISHED = {"visible", "after_due_date", "after_published"}
SHOWN_BEFORE = {"visible"}


@dataclasses.dataclass
class Written:
    """What :func:`write` wrote and what it could not: for the report."""

    paths: list[Path]
    rows: int = 0  # rows of gradescope.csv
    feedback: int = 0  # feedback files
    nameless: list[str] = dataclasses.field(default_factory=list)  # graded, but no email nor SID: no row
    duplicates: list[str] = dataclasses.field(default_factory=list)  # an email or SID in more than one submission
    published: bool = True


def write(out: Path, graded: list[tuple[Submission, dict | None]], *, published: bool = True) -> Written:
    """Write ``out/gradescope.csv`` and ``out/feedback/<id>.md`` from each submission
    and its results (None when it was not graded). Feedback files of an earlier run
    are replaced."""
    out = Path(out)
    folder = out / FEEDBACK
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    done = Written([out / GRADESCOPE_CSV], published=published)
    done.paths[0].write_text(gradescope_csv(graded, done), encoding="utf-8")
    for sub, results in graded:
        if results is None:
            continue
        (folder / f"{sub.id}.md").write_text(feedback_markdown(sub, results, published=published), encoding="utf-8")
        done.feedback += 1
    if done.feedback:
        done.paths.append(folder)
    return done


def gradescope_csv(graded: list[tuple[Submission, dict | None]], done: Written | None = None) -> str:
    """The CSV for Gradescope's score upload (see the module's docstring)."""
    done = done or Written([])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    seen: dict[str, str] = {}
    for sub, results in graded:
        if results is None:
            continue
        people = [p for p in sub.submitters if p.email or p.sid]
        if not people:
            done.nameless.append(sub.id)
            continue
        for person in people:
            key = (person.email or person.sid).strip().lower()
            if key in seen:
                done.duplicates.append(f"{person.email or person.sid} ({seen[key]}, {sub.id})")
            seen[key] = sub.id
            writer.writerow([csv_cell(person.name), csv_cell(person.sid), csv_cell(person.email),
                             f"{round(float(results.get('score', 0)), 4):g}"])
            done.rows += 1
    return buffer.getvalue()


def feedback_markdown(sub: Submission, results: dict[str, Any], *, published: bool = True) -> str:
    """One student's feedback (see the module's docstring), inert markdown."""
    shown_kinds = SHOWN_PUBLISHED if published else SHOWN_BEFORE
    tests = [t for t in results.get("tests", []) if isinstance(t, dict)]
    shown = [t for t in tests if t.get("visibility", "visible") in shown_kinds]
    held = [t for t in tests if t.get("visibility", "visible") not in shown_kinds]
    people = ", ".join(f"{p.name} ({p.email})" if p.email else p.name for p in sub.submitters if p.name or p.email)
    lines = ["# Autograder feedback", "", f"Submission {md_text(sub.id)}" + (f" by {md_text(people)}" if people else "")
             + ".", ""]
    graded, extra = split_score(results)
    top = sum(float(t.get("max_score", 0)) for t in tests)
    if published or not held:
        lines += [f"**Score: {graded:g} / {top:g}**" + (f" + {extra:g} extra credit" if extra else ""), ""]
    summary = str(results.get("output", "") or "").strip()
    if summary:
        lines += [md_block(summary), ""]
    lines += ["| test | points | status |", "| --- | ---: | --- |"]
    lines += [f"| {md_text(_title(t))} | {_points(t)} | {md_text(t.get('status', ''))} |" for t in shown]
    lines.append("")
    for kept, what in (([t for t in held if t.get("visibility") != "hidden"], "shown when grades are published"),
                       ([t for t in held if t.get("visibility") == "hidden"], "never shown to students")):
        if kept:
            points = sum(float(t.get("max_score", 0)) for t in kept)
            lines += [f"{len(kept)} more test{'s' * (len(kept) != 1)} worth {points:g} points ({what}) "
                      f"{'is' if len(kept) == 1 else 'are'} not listed.", ""]
    for test in shown:
        output = str(test.get("output", "") or "").strip()
        lines += [f"## {md_text(_title(test))}: {_points(test)}, {md_text(test.get('status', ''))}", ""]
        lines += [md_block(output) if output else "No feedback for this test.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _title(test: dict) -> str:
    return f"{test.get('number', '')} {test.get('name', '')}".strip()


def _points(test: dict) -> str:
    score, top = float(test.get("score", 0) or 0), float(test.get("max_score", 0) or 0)
    return f"+{score:g} extra credit" if top == 0 else f"{score:g}/{top:g}"
