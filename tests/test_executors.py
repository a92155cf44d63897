"""The executor interface (fast): any object with ``grade(job, todo, done)`` grades a
batch; the Slurm executor's plan, sbatch command line and reading of Slurm's
machine-readable states. The real cluster is in tests/test_slurm.py."""

import json
import shlex
import sys

import pytest

from autograder.staff import batch, simulate, warm
from autograder.staff.executors import ExecutorError, GradeJob, Outcome, by_name, grade_one
from autograder.staff.executors.local import LocalExecutor
from autograder.staff.executors.slurm import SlurmExecutor, _kind, _parse_states
from autograder.staff.executors.slurm_task import already_done, job_of, main, record_outcome
from tests.test_batch import FakeGrader, plans


class Serial:
    """An executor in a few lines: grade here, one at a time."""

    name = "serial"

    def __init__(self):
        self.seen = []

    def grade(self, job, todo, done):
        for sub in todo:
            self.seen.append(sub.id)
            done(grade_one(job, sub.id, sub.path))


def test_any_executor_grades_a_batch_and_the_batch_skips_what_it_graded(tmp_path):
    subs, zip_path = plans(tmp_path, {"a": "100", "b": "crash", "c": "60"})
    out = tmp_path / "out"
    serial = Serial()
    outcomes = batch.grade_all(zip_path, subs, out, grade=FakeGrader(), executor=serial)
    assert serial.seen == ["a", "b", "c"]
    assert {k: o.status for k, o in outcomes.items()} == {"a": "graded", "b": "error", "c": "graded"}
    assert json.loads((out / "results" / "c.json").read_text())["score"] == 60
    serial = Serial()
    batch.grade_all(zip_path, subs, out, grade=FakeGrader(), executor=serial)
    assert serial.seen == ["b"]


def test_by_name():
    assert isinstance(by_name("local", jobs=3), LocalExecutor) and by_name("local", jobs=3).jobs == 3
    slurm = by_name("slurm", max_running=4, sbatch_args="--partition=short --time=1:00:00", shard_size=None)
    assert isinstance(slurm, SlurmExecutor) and slurm.sbatch_args == ["--partition=short", "--time=1:00:00"]
    with pytest.raises(ValueError, match="unknown executor"):
        by_name("carrier-pigeon")
    assert issubclass(ExecutorError, RuntimeError)


def test_slurm_plan_shards_and_sbatch_command(tmp_path):
    subs, zip_path = plans(tmp_path, {f"s{i}": "100" for i in range(7)})
    executor = SlurmExecutor(shard_size=3, max_running=2, sbatch_args="--partition=short")
    shards = executor.shards(subs)
    assert [[s.id for s in shard] for shard in shards] == [["s0", "s1", "s2"], ["s3", "s4", "s5"], ["s6"]]
    assert len(SlurmExecutor().shards(subs)) == 7  # one per task while they fit in 1000 tasks
    assert len(SlurmExecutor().shards(subs * 300)) == 700
    assert len(SlurmExecutor().shards(subs * 2000)) == 1000
    job = GradeJob(zip_path, "abc", tmp_path / "out", 600.0)
    plan_path = executor.write_plan(job, shards)
    plan = json.loads(plan_path.read_text())
    assert plan["autograder_sha256"] == "abc" and plan["timeout"] == 600.0 and len(plan["run"]) == 32
    assert plan["shards"][2] == [{"id": "s6", "path": str((tmp_path / "class" / "s6").resolve())}]
    command = executor.sbatch_command(plan_path, len(shards))
    assert command[:3] == ["sbatch", "--parsable", "--array=0-2%2"]
    assert command[-2:] == ["--partition=short", str(plan_path.parent / "array.sh")]
    script = (plan_path.parent / "array.sh").read_text()
    assert "-m autograder.staff.executors.slurm_task --plan" in script and '--shard "$SLURM_ARRAY_TASK_ID"' in script
    assert shlex.quote(sys.executable) in script and "GRADER_HOME=" in script


def test_a_slurm_plan_names_its_grader_and_the_task_grades_with_it(tmp_path, capsys):
    """``make grade-all COLD=1 EXECUTOR=slurm``: the tasks grade cold too. A function
    cannot travel in plan.json; its name can, and an unknown one stops the task."""
    subs, zip_path = plans(tmp_path, {"s0": "100"})
    executor = SlurmExecutor()
    for grade, name in ((warm.grade, "warm"), (simulate.grade, "cold")):
        plan_path = executor.write_plan(GradeJob(zip_path, "abc", tmp_path / "out", 600.0, grade), [subs])
        plan = json.loads(plan_path.read_text())
        assert plan["grader"] == name
        assert job_of(plan).grade is grade
    del plan["grader"]  # a plan written before plans named their grader
    assert job_of(plan).grade is warm.grade
    with pytest.raises(ExecutorError, match="cannot send this grader"):
        executor.write_plan(GradeJob(zip_path, "abc", tmp_path / "out", 600.0, FakeGrader()), [subs])
    for wrong in ("lukewarm", ["warm"]):
        plan_path.write_text(json.dumps({**plan, "grader": wrong}))
        assert main(["--plan", str(plan_path), "--shard", "0"]) == 2
        assert f"grader: {wrong!r} is not one of cold, warm" in capsys.readouterr().err


def test_slurm_states_are_read_from_machine_readable_lines():
    text = "12_0|COMPLETED\n12_1|RUNNING\n12_[2-9%2]|PENDING\n12_3|CANCELLED by 0\n12_4.batch|CANCELLED\n12_5|PENDING\n"
    assert _parse_states(text) == {0: "COMPLETED", 1: "RUNNING", 3: "CANCELLED", 5: "PENDING"}
    assert [_kind(s) for s in ("COMPLETED", "RUNNING", "PENDING", "CANCELLED", "NODE_FAIL", "OUT_OF_MEMORY")] == [
        "done", "running", "pending", "failed", "failed", "failed"]


def test_a_task_skips_what_this_run_or_an_earlier_one_graded_with_the_same_zip(tmp_path):
    out = tmp_path
    (out / "slurm" / "outcomes").mkdir(parents=True)
    (out / "results").mkdir()
    plan = {"run": "r2", "out": str(out), "autograder_sha256": "abc", "force": False}
    record_outcome(out, "r1", Outcome("old", "graded", 1.0, score=5, autograder_sha256="abc"))
    (out / "results" / "old.json").write_text("{}")
    record_outcome(out, "r1", Outcome("other-zip", "graded", 1.0, score=5, autograder_sha256="xyz"))
    (out / "results" / "other-zip.json").write_text("{}")
    record_outcome(out, "r1", Outcome("errored", "error", 1.0, "boom", autograder_sha256="abc"))
    record_outcome(out, "r2", Outcome("requeued", "error", 1.0, "boom", autograder_sha256="abc"))
    assert [i for i in ("old", "other-zip", "errored", "requeued", "new") if already_done(plan, i)] == [
        "old", "requeued"]
    assert [i for i in ("old", "requeued") if already_done({**plan, "force": True}, i)] == ["requeued"]


def test_slurm_takes_what_an_earlier_array_graded_without_submitting_anything(tmp_path):
    subs, zip_path = plans(tmp_path, {"a": "100", "b": "50"})
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "slurm" / "outcomes").mkdir(parents=True)
    for sub in subs:  # an array whose waiting command was interrupted graded both
        record_outcome(out, "earlier", Outcome(sub.id, "graded", 2.0, score=1.0,
                                               autograder_sha256=batch.sha256(zip_path)))
        (out / "results" / f"{sub.id}.json").write_text("{}")
    seen = []
    outcomes = batch.grade_all(zip_path, subs, out, executor=SlurmExecutor(), progress=seen.append)
    assert sorted(outcomes) == ["a", "b"] and all(o.skipped and o.status == "graded" for o in seen)
    assert not (out / "slurm" / "job.json").exists()


def test_the_waiting_command_takes_only_its_own_runs_outcomes(tmp_path):
    from autograder.staff.executors.slurm import _outcomes_of_run
    (tmp_path / "slurm" / "outcomes").mkdir(parents=True)
    record_outcome(tmp_path, "old", Outcome("a", "error", 1.0, "boom"))  # retried by this run
    record_outcome(tmp_path, "new", Outcome("b", "graded", 1.0, score=3))
    record_outcome(tmp_path, "new", Outcome("c", "graded", 1.0, score=3))
    assert list(_outcomes_of_run(tmp_path / "slurm", {"a", "b"}, "new")) == ["b"]
