"""The Slurm executor against a real cluster (``make test-slurm`` starts a one-node one
on this machine): a mixed class graded through a job array gives the local executor's
scores.csv cell for cell, and an array task killed midway costs only its own shard,
which the next run completes. Skipped when no cluster answers."""

import csv
import json
import shutil
import subprocess
import sys
import time

import pytest

from autograder.runtime import archive
from autograder.staff.executors.slurm import _parse_states
from tests.buggy import BUGS
from tests.conftest import ROOT, TIMED
from tests.fabricate import write_export
from tests.test_batch import RECORDED

pytestmark = pytest.mark.slurm

# The mixed class of the issue, at least 20: every kind of tests/test_batch.py and every bug
# of tests/buggy.py (the batch test grades a smaller class; here the array is the point).
KINDS = (["correct", "flat", "nested", "forger", "stubs", "stubs", "empty", "syntax", "loop"]
         + [f"bug:{b.name}" for b in BUGS] + ["correct", "flat"])


def _no_cluster() -> str:
    """Why there is no usable cluster here, or '' when one answers."""
    if not shutil.which("sbatch") or not shutil.which("sinfo"):
        return "no Slurm client here (make test-slurm installs and starts a one-node cluster)"
    try:
        proc = subprocess.run(["sinfo", "--noheader", "--format=%T"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"sinfo does not answer ({err}); make test-slurm starts a one-node cluster"
    if proc.returncode != 0 or not {"idle", "mixed", "allocated"} & set(proc.stdout.split()):
        return f"no Slurm node up ({(proc.stderr or proc.stdout).strip()[:200]}); make test-slurm starts one"
    return ""


@pytest.fixture(scope="module")
def cluster():
    reason = _no_cluster()
    if reason:
        pytest.skip(reason)


def batch_command(export, out, autograder_zip, *extra):
    return [sys.executable, "-m", "autograder.staff.batch", "--submissions", str(export), "--out", str(out),
            "--autograder", str(autograder_zip), *extra]


def task_states(job_id: str) -> dict[int, str]:
    proc = subprocess.run(["squeue", "--noheader", "--array", "--states=all", f"--jobs={job_id}", "--format=%i|%T"],
                          capture_output=True, text=True, timeout=60)
    return _parse_states(proc.stdout)


def kill_one_task_midway(out, proc, deadline) -> tuple[str, int]:
    """scancel one array task that has graded part of its shard and not all of it;
    return (job id, task id)."""
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, "the array ended before a task could be killed"
        job = json.loads((out / "slurm" / "job.json").read_text()) if (out / "slurm" / "job.json").exists() else None
        if job:
            plan = json.loads((out / "slurm" / "plan.json").read_text())
            states = task_states(job["job_id"])
            for task, state in sorted(states.items()):
                record_path = out / "slurm" / "tasks" / f"{task}.json"
                if state != "RUNNING" or not record_path.exists():
                    continue
                record = json.loads(record_path.read_text())
                if 1 <= len(record["graded"]) < len(plan["shards"][task]) - 1:
                    subprocess.run(["scancel", f"{job['job_id']}_{task}"], check=True, timeout=60)
                    for _ in range(100):
                        final = task_states(job["job_id"]).get(task)
                        if final not in ("RUNNING", "COMPLETING"):
                            break
                        time.sleep(0.2)
                    if final == "CANCELLED":
                        return job["job_id"], task
        time.sleep(0.5)


def rows(path):
    with open(path, newline="") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def test_array_grades_like_the_local_executor_and_a_killed_task_is_completed_by_the_rerun(
        cluster, autograder_zip, tmp_path):
    tree = tmp_path / "tree" / "assignment_7_export"
    expected = write_export(tree, KINDS, recorded=RECORDED, unlisted=["nested"])
    assert len(expected) >= 20
    export_zip = archive.write_zip(tmp_path / "tree", tmp_path / "export.zip")

    local = tmp_path / "local"
    done = subprocess.run(batch_command(export_zip, local, autograder_zip, "--jobs", "2"), cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]

    out = tmp_path / "slurm"
    slurm = ["--executor", "slurm", "--slurm-shard-size", "4", "--slurm-max", "2"]
    proc = subprocess.Popen(batch_command(export_zip, out, autograder_zip, *slurm), cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    job_id, killed = kill_one_task_midway(out, proc, time.monotonic() + 900)
    output, _ = proc.communicate(timeout=1800)
    # The killed task's submissions that it had not graded are errors, nothing else is.
    assert proc.returncode == 1, output[-3000:]
    plan = json.loads((out / "slurm" / "plan.json").read_text())
    shard = [entry["id"] for entry in plan["shards"][killed]]
    state = json.loads((out / "batch.json").read_text())["submissions"]
    lost = sorted(i for i, s in state.items() if s["status"] != "graded")
    assert lost and set(lost) <= set(shard) and len(lost) < len(shard), (lost, shard)
    assert all(f"array task {job_id}_{killed} ended CANCELLED" in state[i]["message"] for i in lost)
    assert "tasks " in output and " running, " in output and " pending, " in output and "ETA" in output
    assert not [p.name for p in (out / "results").iterdir() if p.name.startswith(".")]

    # The rerun grades only what the killed task lost.
    again = subprocess.run(batch_command(export_zip, out, autograder_zip, *slurm), cwd=ROOT, capture_output=True,
                           text=True, timeout=1800)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"Graded {len(lost)} in " in again.stdout and f"{len(expected) - len(lost)} already graded" in again.stdout
    plan = json.loads((out / "slurm" / "plan.json").read_text())
    assert sorted(e["id"] for s in plan["shards"] for e in s) == lost

    ours, theirs = rows(out / "scores.csv"), rows(local / "scores.csv")
    assert set(ours) == set(theirs) == set(expected)
    with open(local / "scores.csv", newline="") as f:
        header = next(csv.reader(f))
    assert any(h[:1].isdigit() for h in header)  # one column per test
    for sub_id, row in theirs.items():
        assert row["status"] == "graded", sub_id
        for column in header:  # every cell must agree, but the measured speed's (and the total and reasons it is in)
            if column.split(" ", 1)[0] in TIMED or column in ("total", "reasons"):
                continue
            assert ours[sub_id][column] == row[column], (sub_id, column)

    # Every task recorded the sandbox's protections; the report is the local one's.
    tasks = [json.loads(p.read_text()) for p in (out / "slurm" / "tasks").glob("*.json")]
    assert tasks and all(t["sandbox"] and "isolation" in t["sandbox"] for t in tasks)
    for name in ("report.md", "scores.png"):
        assert (out / name).exists()
