"""The Slurm executor: one job array grades the submissions, in shards, on a cluster.

Assumes a filesystem shared by this machine and the compute nodes for ``OUT``, the
autograder zip, the submissions (unpacked under ``OUT``) and this checkout with its
venv (the tasks run its Python). Each task runs as the submitting user, so the
sandbox uses its unprivileged modes (bubblewrap, user namespaces, else the limits
alone); every results.json's ``extra_data.sandbox`` records which.

``grade`` writes ``OUT/slurm/plan.json`` (a fresh run token, the zip and its sha256,
the grader by name, warm or cold as the batch was asked, and the shards), ``OUT/slurm/array.sh``, and submits

    sbatch --parsable --array=0-<shards-1>[%<max_running>] --cpus-per-task=1 \
        --output=OUT/slurm/logs/%A_%a.out [extra args] OUT/slurm/array.sh

whose task ``N`` runs :mod:`.slurm_task` on shard ``N``. Then it waits: every
``poll`` seconds it reads the new ``OUT/slurm/outcomes/<id>.json`` (passing each to
``done``) and the array's task states (``squeue --array --states=all --noheader
--format=%i|%T``; ``sacct --parsable2`` for tasks squeue no longer lists, when there
is accounting), and prints the tasks done, running, pending and failed, and an ETA.
When no task is left pending or running, every submission still without an outcome
(its task was cancelled, killed, timed out or lost its node) gets an ``error``
outcome, which the next run of ``make grade-all`` retries.

The grading venv lives in ``GRADER_HOME``: by default a folder in each node's
``/tmp`` (built by the first task on the node, reused by the rest and by later
arrays); with ``home`` on the shared filesystem it is built once, here, before the
array is submitted (compute nodes then need no network).

Ctrl-C stops the waiting, not the array (``scancel <job>`` does that): the same
command, run again, takes every outcome the array wrote meanwhile and grades the rest.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from autograder.staff.executors import ExecutorError, GradeJob, Outcome, grader_name, read_json, write_atomic
from autograder.staff.executors.slurm_task import already_done, prepare_venv
from autograder.staff.export import Submission

ROOT = Path(__file__).resolve().parents[3]
MAX_SHARDS = 1000  # Slurm's default MaxArraySize is 1001
DONE_STATES = {"COMPLETED"}
RUNNING_STATES = {"RUNNING", "COMPLETING", "CONFIGURING", "STAGE_OUT", "SIGNALING", "RESIZING"}
PENDING_STATES = {"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "SUSPENDED", "STOPPED", "RESV_DEL_HOLD"}
# Anything else (FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED,
# BOOT_FAIL, DEADLINE, ...) is a failed task.


class SlurmError(ExecutorError):
    """sbatch refused the array, or the cluster does not answer."""


class SlurmExecutor:
    """Grades in one Slurm job array. ``shard_size`` submissions per task (default:
    as few as fit in ``MAX_SHARDS`` tasks), at most ``max_running`` tasks at once
    (``%K``; default: as many as the cluster gives), ``sbatch_args`` appended to
    sbatch's command line (partition, time limit, account...), ``home`` the
    ``GRADER_HOME`` of the tasks."""

    name = "slurm"

    def __init__(self, *, shard_size: int | None = None, max_running: int | None = None,
                 sbatch_args: str | list[str] = "", home: str | Path | None = None, force: bool = False,
                 poll: float = 2.0, stream: TextIO | None = None):
        self.shard_size = shard_size
        self.max_running = max_running
        self.sbatch_args = shlex.split(sbatch_args) if isinstance(sbatch_args, str) else list(sbatch_args)
        self.home = Path(home).resolve() if home else None
        self.force = force
        self.poll = poll
        self.stream = stream if stream is not None else sys.stderr
        self.job_id = ""

    # -- the plan -------------------------------------------------------------------

    def shards(self, todo: list[Submission]) -> list[list[Submission]]:
        size = self.shard_size or max(1, math.ceil(len(todo) / MAX_SHARDS))
        return [todo[i:i + size] for i in range(0, len(todo), size)]

    def write_plan(self, job: GradeJob, shards: list[list[Submission]]) -> Path:
        grader = self._grader(job)  # before anything is written
        folder = Path(job.out).resolve() / "slurm"
        for sub in ("outcomes", "tasks", "logs"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        for stale in (folder / "tasks").glob("*.json"):
            stale.unlink()  # task records describe the current array only
        plan = {"run": uuid.uuid4().hex, "autograder_zip": str(Path(job.autograder_zip).resolve()),
                "autograder_sha256": job.autograder_sha256, "out": str(Path(job.out).resolve()),
                "timeout": job.timeout, "force": self.force, "grader": grader,
                "submitted": time.time(),
                "shards": [[{"id": s.id, "path": str(Path(s.path).resolve())} for s in shard] for shard in shards]}
        write_atomic(folder / "plan.json", _dumps(plan))
        home = f'"{self.home}"' if self.home else '"/tmp/autograder-$(id -u)"'
        script = "\n".join([
            "#!/bin/bash",
            "# One task of a batch regrade: grades shard $SLURM_ARRAY_TASK_ID of plan.json.",
            f"export GRADER_HOME={home}",
            f"export PYTHONPATH={shlex.quote(str(ROOT))}",
            f"cd {shlex.quote(str(ROOT))}",
            f"exec {shlex.quote(sys.executable)} -m autograder.staff.executors.slurm_task "
            f"--plan {shlex.quote(str(folder / 'plan.json'))} --shard \"$SLURM_ARRAY_TASK_ID\"", ""])
        write_atomic(folder / "array.sh", script)
        os.chmod(folder / "array.sh", 0o755)
        return folder / "plan.json"

    @staticmethod
    def _grader(job: GradeJob) -> str:
        try:
            return grader_name(job.grade)
        except ValueError as err:  # a function cannot travel to the compute nodes; a name can
            raise ExecutorError(f"the Slurm executor cannot send this grader to its tasks: {err}") from None

    def sbatch_command(self, plan_path: Path, shards: int) -> list[str]:
        folder = plan_path.parent
        cap = f"%{self.max_running}" if self.max_running else ""
        return ["sbatch", "--parsable", f"--array=0-{shards - 1}{cap}", "--job-name=grade-all", "--cpus-per-task=1",
                f"--output={folder / 'logs' / '%A_%a.out'}", f"--chdir={ROOT}", *self.sbatch_args,
                str(folder / "array.sh")]

    # -- the run ----------------------------------------------------------------------

    def grade(self, job: GradeJob, todo: list[Submission], done: Callable[[Outcome], None]) -> None:
        folder = Path(job.out).resolve() / "slurm"
        (folder / "outcomes").mkdir(parents=True, exist_ok=True)
        left = {}
        for sub in todo:  # graded by an array whose waiting was interrupted
            earlier = self._earlier_outcome(job, folder, sub.id)
            if earlier:
                done(earlier)
            else:
                left[sub.id] = sub
        if not left:
            return
        self._wait_for_earlier_array(folder)
        if self.home:
            self._say(f"grading venv in {self.home}: {self._prepare_shared_venv(job):.1f} s")
        shards = self.shards(list(left.values()))
        plan_path = self.write_plan(job, shards)
        plan = read_json(plan_path)
        command = self.sbatch_command(plan_path, len(shards))
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SlurmError(f"sbatch failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
        self.job_id = proc.stdout.strip().split(";")[0]
        write_atomic(folder / "job.json", _dumps({"job_id": self.job_id, "run": plan["run"],
                                                  "shards": len(shards), "command": command}))
        self._say(f"submitted job array {self.job_id}: {len(left)} submissions in {len(shards)} tasks"
                  f"{f', at most {self.max_running} at once' if self.max_running else ''}"
                  f" (logs: {folder / 'logs'}; scancel {self.job_id} to stop it)")
        try:
            self._wait(job, plan, shards, left, done)
        except KeyboardInterrupt:
            self._say(f"\nstopped waiting; job array {self.job_id} keeps running (scancel {self.job_id} stops it). "
                      "Run the same command again to collect what it grades.")
            raise

    def _wait(self, job: GradeJob, plan: dict, shards: list[list[Submission]], left: dict[str, Submission],
              done: Callable[[Outcome], None]) -> None:
        folder = Path(job.out).resolve() / "slurm"
        shard_of = {sub.id: i for i, shard in enumerate(shards) for sub in shard}
        started, graded, last_line, last_print = time.monotonic(), 0, "", 0.0
        ever_listed: set[int] = set()
        while True:
            for sub_id, recorded in _outcomes_of_run(folder, left, plan["run"]).items():
                del left[sub_id]
                graded += 1
                done(Outcome.from_json(recorded))
            states = self.task_states(len(shards), folder)
            if states is not None:
                ever_listed |= {t for t, s in states.items() if s != "LOST"}
                if time.monotonic() - started < 60:  # just submitted: not listed yet is not lost
                    states = {t: "PENDING" if s == "LOST" and t not in ever_listed else s for t, s in states.items()}
            counts = Counter(_kind(s) for s in (states or {}).values())
            line = (f"array {self.job_id}: tasks {counts['done']} done, {counts['running']} running, "
                    f"{counts['pending']} pending, {counts['failed']} failed; "
                    f"{len(shard_of) - len(left)}/{len(shard_of)} submissions; ETA "
                    f"{_eta(time.monotonic() - started, graded, len(left))}")
            if line.split("; ETA")[0] != last_line or time.monotonic() - last_print > 30:
                self._say(line)
                last_line, last_print = line.split("; ETA")[0], time.monotonic()
            if not left:
                self._say_sandboxes(folder)
                return
            if states is not None and not counts["running"] and not counts["pending"]:
                # Nothing will write more outcomes: read them one last time, then the
                # rest was lost with its task.
                time.sleep(0.5)
                if _outcomes_of_run(folder, left, plan["run"]):
                    continue
                for sub_id in sorted(left, key=lambda i: shard_of[i]):
                    task = shard_of[sub_id]
                    state = states.get(task, "UNKNOWN")
                    done(Outcome(sub_id, "error", 0.0, f"array task {self.job_id}_{task} ended {state} "
                                 "before grading this submission", None, job.autograder_sha256))
                self._say_sandboxes(folder)
                return
            time.sleep(self.poll)

    def task_states(self, count: int, folder: Path) -> dict[int, str] | None:
        """Slurm's state of each task of the array, by task id; None when the
        cluster does not answer. A task Slurm no longer lists is COMPLETED when its
        record says it finished, else LOST."""
        listed = _squeue_states(self.job_id)
        if listed is None:
            return None
        missing = [t for t in range(count) if t not in listed]
        if missing:
            listed.update({t: s for t, s in (_sacct_states(self.job_id) or {}).items() if t in missing})
        for task in range(count):
            if task not in listed:
                record = read_json(folder / "tasks" / f"{task}.json")
                listed[task] = "COMPLETED" if isinstance(record, dict) and record.get("finished") else "LOST"
        return listed

    def _prepare_shared_venv(self, job: GradeJob) -> float:
        """Build the venv in the shared ``home`` here, once, before any task starts."""
        before = os.environ.get("GRADER_HOME")
        os.environ["GRADER_HOME"] = str(self.home)
        try:
            return prepare_venv(job.autograder_zip)
        finally:
            if before is None:
                del os.environ["GRADER_HOME"]
            else:
                os.environ["GRADER_HOME"] = before

    def _earlier_outcome(self, job: GradeJob, folder: Path, sub_id: str) -> Outcome | None:
        """The outcome an earlier array wrote for ``sub_id``, if it graded it with this
        zip (the task's own rule, :func:`.slurm_task.already_done`)."""
        earlier = {"run": None, "out": str(Path(job.out).resolve()), "force": self.force,
                   "autograder_sha256": job.autograder_sha256}
        recorded = already_done(earlier, sub_id)
        return Outcome.from_json({**recorded, "skipped": True}) if recorded else None

    def _wait_for_earlier_array(self, folder: Path) -> None:
        """An array from an interrupted run may still be grading into OUT: a second
        one would grade the same submissions at the same time. Wait for it."""
        earlier = read_json(folder / "job.json")
        if not isinstance(earlier, dict) or not earlier.get("job_id"):
            return
        while True:
            states = _squeue_states(str(earlier["job_id"])) or {}
            alive = [s for s in states.values() if _kind(s) in ("running", "pending")]
            if not alive:
                return
            self._say(f"job array {earlier['job_id']} of an earlier run still has {len(alive)} tasks; "
                      "waiting for it to end (or scancel it)")
            time.sleep(max(self.poll, 10))

    def _say_sandboxes(self, folder: Path) -> None:
        """Which sandbox the tasks had on the nodes, as their records say."""
        modes: Counter[str] = Counter()
        for path in (folder / "tasks").glob("*.json"):
            sandbox = (read_json(path) or {}).get("sandbox") or {}
            if sandbox:
                modes[f"{sandbox.get('isolation', '?')}, {sandbox.get('user', '?')}"] += 1
        if modes:
            self._say("sandbox on the nodes: " + "; ".join(f"{m} ({n} tasks)" for m, n in sorted(modes.items())))

    def _say(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def _squeue_states(job_id: str) -> dict[int, str] | None:
    try:
        proc = subprocess.run(["squeue", "--noheader", "--array", "--states=all", f"--jobs={job_id}",
                               "--format=%i|%T"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        # A job that has left slurmctld's memory altogether is "Invalid job id".
        return {} if "Invalid job id" in proc.stderr else None
    return _parse_states(proc.stdout)


def _sacct_states(job_id: str) -> dict[int, str] | None:
    try:
        proc = subprocess.run(["sacct", "--noheader", "--parsable2", f"--jobs={job_id}", "--format=JobID,State"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    rows = [line.split("|") for line in proc.stdout.splitlines()]
    return _parse_states("\n".join("|".join(r) for r in rows if len(r) == 2 and "." not in r[0]))


def _parse_states(text: str) -> dict[int, str]:
    """``<job>_<task>|<STATE>`` lines (job steps and unexpanded ranges such as
    ``12_[3-9%2]`` are left out); ``CANCELLED by 0`` is CANCELLED."""
    states = {}
    for line in text.splitlines():
        job_task, _, state = line.strip().partition("|")
        task = job_task.rpartition("_")[2]
        if task.isdigit() and state:
            states[int(task)] = state.split()[0].rstrip("+")
    return states


def _kind(state: str) -> str:
    if state in DONE_STATES:
        return "done"
    if state in RUNNING_STATES:
        return "running"
    if state in PENDING_STATES:
        return "pending"
    return "failed"


def _outcomes_of_run(folder: Path, ids, run: str) -> dict[str, dict]:
    """The outcomes this run's tasks wrote for ``ids`` (an earlier run's are ignored)."""
    found = {}
    for sub_id in sorted(set(ids) & _listed(folder / "outcomes")):
        recorded = read_json(folder / "outcomes" / f"{sub_id}.json")
        if isinstance(recorded, dict) and recorded.get("run") == run:
            found[sub_id] = recorded
    return found


def _listed(folder: Path) -> set[str]:
    try:
        return {name[:-5] for name in os.listdir(folder) if name.endswith(".json") and not name.startswith(".")}
    except OSError:
        return set()


def _eta(elapsed: float, graded: int, left: int) -> str:
    if graded == 0:
        return "--:--"
    seconds = int(round(elapsed / graded * left))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _dumps(data) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"
