"""Batch regrade of a whole class: reading Gradescope's export, grading in parallel
through the real path, surviving crashes and hangs, resuming, and the reports."""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.grade.results import failure_results
from autograder.runtime import archive
from autograder.sandbox.limits import descendants
from autograder.staff import batch, export, report, simulate, warm
from tests.buggy import BUGS
from tests.conftest import ASSIGNMENT, BONUS_POINTS, ROOT, TIMED, TIMED_POINTS, quiet, slack
from tests.fabricate import kind, write_export, write_submission

FULL = {g.number: float(g.points) for g in ASSIGNMENT.groups}
ZERO = {number: 0.0 for number in FULL}


# -- reading the export (fast) --------------------------------------------------------

RUBY_METADATA = """\
submission_2001:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  - :name: Charles Babbage
    :sid: '1791'
    :email: cb@example.edu
  :created_at: 2024-03-01 22:13:45.123456789 -08:00
  :score: !ruby/object:BigDecimal 18:0.855e2
  :status: processed
  :results: !ruby/hash:ActiveSupport::HashWithIndifferentAccess
    score: 85.5
    extra_data:
      version: 0.9.1
    tests: []
  :history:
  - :id: 1999
    :score: 12.0
submission_2002:
  :submitters:
  - :name: Grace Hopper
    :sid: '1906'
  :created_at: 2024-03-02 10:00:00.000000000 Z
  :status: processed
"""


def test_metadata_with_ruby_keys_and_tags(tmp_path):
    (tmp_path / "submission_2001").mkdir()
    (tmp_path / "submission_2002").mkdir()
    (tmp_path / "submission_metadata.yml").write_text(RUBY_METADATA)
    found = export.read_export(tmp_path, tmp_path / "work")
    first, second = found.submissions
    assert first.id == "submission_2001" and first.path == tmp_path / "submission_2001"
    assert [p.name for p in first.submitters] == ["Ada Lovelace", "Charles Babbage"]
    assert [p.email for p in first.submitters] == ["ada@example.edu", "cb@example.edu"]
    assert first.submitters[0].sid == "1815"
    assert first.recorded_score == 85.5 and first.recorded_version == "0.9.1"
    assert first.created_at.startswith("2024-03-01T22:13:45")
    assert second.recorded_score is None and second.submitters[0].email == ""
    assert found.notes == []


def test_export_zip_wrapped_in_a_folder_with_missing_and_unlisted_folders(tmp_path):
    tree = tmp_path / "tree" / "assignment_42_export"
    for name in ("submission_7", "submission_10", "extra folder"):
        (tree / name).mkdir(parents=True)
        (tree / name / "conv.py").write_text("x = 1\n")
    (tree / "submission_metadata.yml").write_text(
        "submission_10:\n  :submitters:\n  - :name: B\n"
        "submission_7:\n  :submitters:\n  - :name: A\n"
        "submission_99:\n  :submitters:\n  - :name: Gone\n")
    zip_path = archive.write_zip(tmp_path / "tree", tmp_path / "export.zip")
    found = export.read_export(zip_path, tmp_path / "work")
    assert [s.id for s in found.submissions] == ["extra_folder", "submission_7", "submission_10"]
    assert found.submissions[1].submitters[0].name == "A"
    assert found.submissions[1].path == tmp_path / "work" / "export" / "assignment_42_export" / "submission_7"
    assert any("submission_99" in n and "not in the export" in n for n in found.notes)
    assert any("extra folder" in n and "not in submission_metadata.yml" in n for n in found.notes)


def test_plain_folder_of_folders_and_zips(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "conv.py").write_text("x = 1\n")
    with zipfile.ZipFile(tmp_path / "bob smith.zip", "w") as zf:
        zf.writestr("convnet/conv.py", "x = 1\n")
    with zipfile.ZipFile(tmp_path / "Alice.zip", "w") as zf:  # clashes with alice/ on a case-blind disk
        zf.writestr("conv.py", "x = 1\n")
    (tmp_path / "README.txt").write_text("grades due Friday")
    found = export.read_export(tmp_path, tmp_path / "work")
    assert {s.id: s.path.name for s in found.submissions} == {"Alice": "Alice.zip", "alice-2": "alice",
                                                              "bob_smith": "bob smith.zip"}
    assert found.metadata is None and any("README.txt" in n for n in found.notes)


def test_nothing_to_grade_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing")
    with pytest.raises(export.ExportError, match="no submissions found"):
        export.read_export(tmp_path, tmp_path / "work")
    (tmp_path / "bad.zip").write_text("not a zip")
    with pytest.raises(export.ExportError, match="not a readable zip"):
        export.read_export(tmp_path / "bad.zip", tmp_path / "work")


# -- the batch with a stand-in grader (fast) --------------------------------------------

def fake_results(score: float) -> dict:
    return {"score": score, "output": "", "extra_data": {"version": "9.9"}, "tests": [
        {"name": "first", "number": "1.1", "score": min(score, 50.0), "max_score": 50.0,
         "status": "passed" if score >= 50 else "failed", "output": ""},
        {"name": "second", "number": "1.2", "score": max(score - 50, 0.0), "max_score": 50.0,
         "status": "passed" if score >= 100 else "failed", "output": "",
         **({"extra_data": {"reason": "timeout", "cases": {"passed": 1, "timeout": 4}}} if score == 60 else {})},
    ]}


class FakeGrader:
    """Grades a folder by its ``plan`` file: a score, ``crash``, ``hang`` or ``fail``
    (the grader's own failure: a results.json flagging it)."""

    def __init__(self):
        self.graded = []

    def __call__(self, autograder_zip, submission, results_path, timeout):
        self.graded.append(submission.name)
        plan = (submission / "plan").read_text()
        if plan == "crash":
            raise RuntimeError("setup.sh failed")
        if plan == "hang":
            raise simulate.GradingTimeout(timeout, "last words")
        results = failure_results("could not grade", execution_time=0) if plan == "fail" else fake_results(float(plan))
        results_path.write_text(json.dumps(results))
        return results, "log", []


def plans(tmp_path, plan_by_id):
    subs = []
    for sub_id, plan in plan_by_id.items():
        (tmp_path / "class" / sub_id).mkdir(parents=True)
        (tmp_path / "class" / sub_id / "plan").write_text(plan)
        subs.append(export.Submission(sub_id, tmp_path / "class" / sub_id, (export.Submitter(f"Name {sub_id}"),),
                                      recorded_score=100.0))
    zip_path = tmp_path / "autograder.zip"
    zip_path.write_bytes(b"version one")
    return subs, zip_path


def test_crash_hang_and_grader_failure_never_stop_the_batch_and_are_retried(tmp_path):
    subs, zip_path = plans(tmp_path, {"a": "100", "b": "crash", "c": "60", "d": "hang", "e": "fail", "f": "0"})
    grader, seen = FakeGrader(), []
    out = tmp_path / "out"
    outcomes = batch.grade_all(zip_path, subs, out, jobs=3, grade=grader, progress=seen.append)
    assert {k: o.status for k, o in outcomes.items()} == {"a": "graded", "b": "error", "c": "graded", "d": "timeout",
                                                         "e": "error", "f": "graded"}
    assert outcomes["b"].message == "RuntimeError: setup.sh failed"
    assert outcomes["d"].message == "the grading timed out after 600 s"
    assert "could not grade" in outcomes["e"].message
    assert len(seen) == 6 and sorted(os.listdir(out / "results")) == ["a.json", "c.json", "e.json", "f.json"]
    assert "last words" in (out / "logs" / "d.log").read_text()

    # Rerun: the graded ones are skipped, the rest retried (now fixed).
    for sub_id in "bde":
        (tmp_path / "class" / sub_id / "plan").write_text("75")
    grader = FakeGrader()
    outcomes = batch.grade_all(zip_path, subs, out, jobs=2, grade=grader)
    assert sorted(grader.graded) == ["b", "d", "e"]
    assert [k for k, o in sorted(outcomes.items()) if o.skipped] == ["a", "c", "f"]
    assert all(o.status == "graded" for o in outcomes.values())


def test_force_or_a_changed_autograder_regrades_everyone(tmp_path):
    subs, zip_path = plans(tmp_path, {"a": "100", "b": "50"})
    out = tmp_path / "out"
    batch.grade_all(zip_path, subs, out, grade=FakeGrader())
    grader = FakeGrader()
    batch.grade_all(zip_path, subs, out, grade=grader)
    assert grader.graded == []
    batch.grade_all(zip_path, subs, out, grade=grader, force=True)
    assert sorted(grader.graded) == ["a", "b"]
    zip_path.write_bytes(b"version two: a test changed")
    grader = FakeGrader()
    batch.grade_all(zip_path, subs, out, grade=grader)
    assert sorted(grader.graded) == ["a", "b"]
    # A lost or damaged results file is regraded too.
    (out / "results" / "a.json").write_text("{trunc")
    grader = FakeGrader()
    batch.grade_all(zip_path, subs, out, grade=grader)
    assert grader.graded == ["a"]


def test_report_from_fake_results(tmp_path):
    subs, zip_path = plans(tmp_path, {"s1": "100", "s2": "60", "s3": "crash", "s10": "0"})
    out = tmp_path / "out"
    outcomes = batch.grade_all(zip_path, subs, out, grade=FakeGrader())
    paths = report.write_report(out, subs, outcomes)
    assert [p.name for p in paths] == ["scores.csv", "report.md", "scores.png", "gradescope.csv", "feedback"]
    assert (out / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.DictReader((out / "scores.csv").open()))
    assert [(r["id"], r["status"], r["total"], r["1.1 first"], r["1.2 second"]) for r in rows] == [
        ("s1", "graded", "100", "50", "50"), ("s2", "graded", "60", "50", "10"),
        ("s3", "error", "", "", ""), ("s10", "graded", "0", "0", "0")]
    assert rows[0]["name"] == "Name s1" and rows[0]["gradescope_score"] == "100"
    # why cases did not pass, as the reason codes the grader recorded, counted
    assert [r["reasons"] for r in rows] == ["", "timeout=4", "", ""]
    # and in words beside them (reasons.py), with what happened to one not graded
    assert [r["reason_text"] for r in rows] == [
        "", "timeout: the student's code ran past its time limit",
        "error: the grading itself crashed; rerun the batch to retry (RuntimeError: setup.sh failed)", ""]
    text = (out / "report.md").read_text()
    assert "3 of 4 submissions graded with version 9.9 of the autograder." in text
    assert "2 submissions changed score: s2 (Name s2) 100 -> 60, s10 (Name s10) 100 -> 0." in text
    assert "| s3 | Name s3 | error |  | RuntimeError: setup.sh failed |" in text
    assert "| 1.2 | second | 50 | 1/3 | 33% | 20.00 |" in text
    most_failed = text.split("## Most failed tests")[1]
    assert most_failed.index("| 1.2 | second | 2/3 |") < most_failed.index("| 1.1 | first | 1/3 |")
    assert "- s2 (Name s2): tests 1.2" in text  # the student's code timed out there
    assert "![Histogram of totals](scores.png)" in text

    never_ran = fake_results(40)
    never_ran["tests"][1]["extra_data"] = {"reason": "not_run", "cases": {}}  # no case ran: its reason, once
    (out / "results" / "s10.json").write_text(json.dumps(never_ran))
    report.write_report(out, subs, outcomes)
    rows = list(csv.DictReader((out / "scores.csv").open()))
    assert rows[3]["reasons"] == "not_run=1"


def test_progress_bar_on_a_terminal_and_plain_lines_elsewhere():
    class Stream(list):
        def write(self, text):
            self.append(text)

        def flush(self):
            pass

    plain = Stream()
    progress = batch.Progress(3, plain, tty=False)
    progress(batch.Outcome("a", "graded", 1.0, score=80, skipped=True))
    progress(batch.Outcome("b", "graded", 2.5, score=90.5))
    progress(batch.Outcome("c", "timeout", 600, "the grading timed out after 600 s"))
    assert plain[0].startswith("[2/3] b: 90.5 (2.5 s)  ETA ")
    assert plain[1].startswith("[3/3] c: timeout: the grading timed out after 600 s (600.0 s)")
    bar = Stream()
    progress = batch.Progress(4, bar, tty=True)
    progress(batch.Outcome("a", "graded", 1.0, score=80))
    assert bar[-1].startswith("\r\033[K[" + "#" * 7 + "." * 23 + "] 1/4  elapsed 0:00  ETA 0:00")
    progress(batch.Outcome("b", "error", 1.0, "boom"))
    assert "b: error: boom\n" in "".join(bar) and "1 errors/timeouts" in bar[-1]


# -- the real grading path ----------------------------------------------------------------

# Every kind, two bugs (tests/test_grading.py grades each bug of tests/buggy.py) and a
# hanging one; one folder unlisted and one listed folder missing, as happens in real exports.
KINDS = (["correct", "flat", "nested", "forger", "stubs", "stubs", "empty", "syntax", "loop"]
         + [f"bug:{b.name}" for b in BUGS[:2]] + ["correct", "flat"])
RECORDED = {0: 100.0, 1: 90.0, 4: 0.0, 9: 100.0}  # what Gradescope recorded for some
NEEDS_GRADING = sorted({k for k in KINDS if k.startswith("bug:")} | {"syntax", "loop"})
GRADINGS = [kind(k) for k in NEEDS_GRADING]  # graded with the other modules' (conftest.Gradings)


# Run after the other modules, with nothing else grading (conftest): a batch grades three at
# a time on its own, and the timeout test looks at every process of this session.
GRADES_ALONE = 3


@pytest.fixture(scope="module", autouse=True)
def _alone():
    quiet()


@pytest.fixture(scope="module")
def expected_points(gradings):
    """Points per test number for every kind, found without the batch code: full and
    zero marks from assignment.yaml, the rest by grading one of each kind directly
    (shared with the other modules' gradings of the same submissions)."""
    graded = gradings.many(GRADINGS)
    points = {k: {t["number"]: float(t["score"]) for t in g.results["tests"]}
              for k, g in zip(NEEDS_GRADING, graded, strict=True)}
    full_kinds = {k: FULL for k in ("correct", "flat", "nested", "forger")}
    return {**full_kinds, "stubs": ZERO, "empty": ZERO, **points}


@pytest.mark.e2e
def test_class_export_graded_end_to_end(autograder_zip, expected_points, tmp_path, capsys):
    tree = tmp_path / "tree" / "assignment_7_export"
    expected = write_export(tree, KINDS, recorded=RECORDED, unlisted=["nested"], missing=1)
    assert len(expected) >= 14
    export_zip = archive.write_zip(tmp_path / "tree", tmp_path / "export.zip")
    out = tmp_path / "out"
    args = ["--submissions", str(export_zip), "--out", str(out), "--autograder", str(autograder_zip), "--jobs", "3"]
    assert batch.main(args) == 0

    rows = {r["id"]: r for r in csv.DictReader((out / "scores.csv").open())}
    assert set(rows) == set(expected)
    columns = {h.split(" ", 1)[0]: h for h in next(csv.reader((out / "scores.csv").open())) if h[:1].isdigit()}
    assert set(columns) == set(FULL)
    for sub_id, info in expected.items():
        row, points = rows[sub_id], expected_points[info["kind"]]
        assert row["status"] == "graded", (sub_id, row["status"])
        timed = sum(float(row[columns[n]]) for n in TIMED)  # a measured speed: not compared
        for number, header in columns.items():
            if number not in TIMED:
                assert float(row[header]) == pytest.approx(points[number], abs=1e-3), (sub_id, info["kind"], header)
        untimed = sum(v for n, v in points.items() if n not in TIMED)
        assert float(row["total"]) - timed == pytest.approx(untimed, abs=0.01), sub_id
        who = info["who"] or {"name": "", "email": "", "sid": ""}
        assert (row["name"], row["email"], row["sid"]) == (who["name"], who["email"], who["sid"])
        i = int(sub_id.split("_")[1]) - 100
        assert row["gradescope_score"] == (f"{RECORDED[i]:g}" if i in RECORDED else "")
        saved = json.loads((out / "results" / f"{sub_id}.json").read_text())
        assert saved["extra_data"]["version"] == ASSIGNMENT.version

    text = (out / "report.md").read_text()
    assert f"{len(expected)} of {len(expected)} submissions graded with version {ASSIGNMENT.version}" in text
    totals = {i: sum(expected_points[KINDS[i]].values()) for i in RECORDED}
    changed = [i for i in RECORDED if abs(totals[i] - RECORDED[i]) > 1e-6]
    assert f"{len(changed)} submission{'s' * (len(changed) != 1)} changed score: " in text
    for i in changed:
        assert f"submission_{100 + i} (Student {i:03d}) {RECORDED[i]:g} -> {totals[i]:g}" in text
    loop_id = f"submission_{100 + KINDS.index('loop')}"
    assert f"- {loop_id} (Student {KINDS.index('loop'):03d}): tests" in text
    assert "timeout=" in rows[loop_id]["reasons"], rows[loop_id]["reasons"]
    assert (out / "scores.png").read_bytes()[:4] == b"\x89PNG"
    assert "submission_900: in submission_metadata.yml but not in the export" in capsys.readouterr().err

    # Run again: nothing left to grade.
    assert batch.main(args) == 0
    assert re.search(rf"Graded 0 in \d+:\d\d, {len(expected)} already graded", capsys.readouterr().out)  # any time


@pytest.mark.e2e
def test_interrupted_batch_resumes_with_the_rest(autograder_zip, tmp_path):
    folder = tmp_path / "class"
    for i, name in enumerate(["correct", "flat", "correct", "flat"]):
        write_submission(name, folder / f"s{i}")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "autograder.staff.batch", "--submissions", str(folder), "--out", str(out),
           "--autograder", str(autograder_zip), "--jobs", "1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120 * slack()
    while not (out / "batch.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
        time.sleep(0.1)
    servers = [pid for pid in descendants(proc.pid) if b"autograder.grade.server" in _cmdline(pid)]
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output
    time.sleep(1)
    assert servers and not [pid for pid in servers if b"autograder.grade.server" in _cmdline(pid)], servers
    assert "Run the same command again" in output
    done = json.loads((out / "batch.json").read_text())["submissions"]
    assert 1 <= len(done) < 4 and all(d["status"] == "graded" for d in done.values())
    left = os.listdir(out / "results")
    assert {f"{i}.json" for i in done} <= set(left) and not [p for p in left if p.startswith(".")]
    stamps = {i: (out / "results" / f"{i}.json").stat().st_mtime_ns for i in done}

    graded = []

    def grade(zip_path, submission, results_path, timeout):
        graded.append(submission.name)
        return simulate.grade(zip_path, submission, results_path, timeout=timeout)

    subs = export.read_export(folder, out).submissions
    outcomes = batch.grade_all(autograder_zip, subs, out, jobs=2, grade=grade)
    assert sorted(graded) == sorted({"s0", "s1", "s2", "s3"} - set(done))
    # correct and flat submissions hold fast.py too: 100 and the extra credit
    assert all(o.status == "graded" and 100 + BONUS_POINTS - TIMED_POINTS <= o.score <= 100 + BONUS_POINTS
               for o in outcomes.values())
    assert {i: (out / "results" / f"{i}.json").stat().st_mtime_ns for i in done} == stamps


@pytest.mark.e2e
@pytest.mark.parametrize("grade", [warm.grade, simulate.grade], ids=["warm", "cold"])
def test_a_grading_past_the_timeout_is_killed_and_reported(autograder_zip, tmp_path, grade):
    sub = export.Submission("hang", write_submission("loop", tmp_path / "hang"))
    out = tmp_path / "out"
    started = time.monotonic()
    outcomes = batch.grade_all(autograder_zip, [sub], out, timeout=4, grade=grade)
    assert time.monotonic() - started < 30 * slack()  # killed at 4 s, not at the end of the loop
    assert outcomes["hang"].status == "timeout"
    assert outcomes["hang"].message == "the grading timed out after 4 s"
    assert not (out / "results" / "hang.json").exists()
    assert not [pid for pid in descendants(os.getpid()) if b"autograder" in _cmdline(pid)
                or b"child.py" in _cmdline(pid)]  # the grader, its warm server and the student's process are gone
    report.write_report(out, [sub], outcomes)
    assert "| hang |  | timeout |  | the grading timed out after 4 s |" in (out / "report.md").read_text()
    row = next(csv.DictReader((out / "scores.csv").open()))
    assert (row["status"], row["total"]) == ("timeout", "")
    shutil.rmtree(out)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
