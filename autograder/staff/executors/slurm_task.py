"""One task of the Slurm job array: grade one shard of the plan.

    python -m autograder.staff.executors.slurm_task --plan OUT/slurm/plan.json --shard N

``plan.json`` (written by :mod:`.slurm`) holds the run's token, the autograder zip
and its sha256, ``OUT``, the time limit per submission, the grader (``warm``, or
``cold`` for ``make grade-all COLD=1``: a name in
:data:`autograder.staff.executors.GRADERS`) and the shards (lists of
``{"id", "path"}``). The task first makes sure the grading venv exists in
``GRADER_HOME`` (built once per node, or once on a shared filesystem, and reused),
then grades its submissions one by one through the local executor (one at a time,
:func:`autograder.staff.executors.grade_one`, as ``make grade-all`` does), and after
each writes its outcome atomically to ``OUT/slurm/outcomes/<id>.json`` (the outcome's
fields plus ``run``). A submission
already graded with the same zip (or by this same run, for a requeued task) is
skipped, unless the plan says ``force``.

``OUT/slurm/tasks/<N>.json`` records when the task started and ended, on which host,
and how long the venv step took: the figures of the array's overhead. Exit status 0
when the shard is done (whatever the scores), 143 when stopped by SIGTERM (scancel):
the running grading is killed and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from autograder.staff import simulate
from autograder.staff.executors import DEFAULT_GRADER, GRADERS, GradeJob, Outcome, read_json, write_atomic
from autograder.staff.executors.local import LocalExecutor
from autograder.staff.export import Submission


def prepare_venv(autograder_zip: Path) -> float:
    """Run the zip's setup.sh into ``GRADER_HOME``'s cached venv (a no-op when it is
    there already); return the seconds it took."""
    started = time.monotonic()
    home = simulate.grader_home()
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o755)
    with tempfile.TemporaryDirectory() as empty:
        root, _ = simulate.build_tree(autograder_zip, Path(empty), home)
        try:
            simulate.setup(root, home, simulate.grading_python())
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return time.monotonic() - started


def already_done(plan: dict[str, Any], sub_id: str) -> dict | None:
    """The recorded outcome of ``sub_id`` if it needs no grading by this run: graded
    by this run already (a requeued task), or graded with the same zip by an earlier
    run and the plan does not force a regrade."""
    out = Path(plan["out"])
    recorded = read_json(out / "slurm" / "outcomes" / f"{sub_id}.json")
    if not isinstance(recorded, dict):
        return None
    if recorded.get("run") == plan["run"]:
        return recorded
    if not plan.get("force") and recorded.get("status") == "graded" \
            and recorded.get("autograder_sha256") == plan["autograder_sha256"] \
            and isinstance(read_json(out / "results" / f"{sub_id}.json"), dict):
        return recorded
    return None


def record_outcome(out: Path, run: str, outcome: Outcome) -> None:
    write_atomic(out / "slurm" / "outcomes" / f"{outcome.id}.json",
                 json.dumps({**outcome.to_json(), "run": run}, sort_keys=True) + "\n")


def _sandbox_mode(results_path: Path) -> Any:
    """What the results.json says about the sandbox's protections (None if unknown)."""
    results = read_json(results_path)
    if isinstance(results, dict) and isinstance(results.get("extra_data"), dict):
        return results["extra_data"].get("sandbox")
    return None


def run_shard(plan: dict[str, Any], shard: int) -> int:
    out = Path(plan["out"])
    task = {"run": plan["run"], "shard": shard, "host": socket.gethostname(), "uid": os.getuid(),
            "job": os.environ.get("SLURM_ARRAY_JOB_ID", ""), "started": time.time(),
            "submitted": plan.get("submitted"), "grader_home": str(simulate.grader_home()), "graded": [],
            "skipped": [], "finished": None}
    task_file = out / "slurm" / "tasks" / f"{shard}.json"

    def save() -> None:
        write_atomic(task_file, json.dumps(task, indent=1, sort_keys=True) + "\n")

    job = job_of(plan)
    save()
    task["venv_seconds"] = round(prepare_venv(job.autograder_zip), 2)
    save()
    todo = []
    for entry in plan["shards"][shard]:
        if already_done(plan, entry["id"]):
            task["skipped"].append(entry["id"])
        else:
            todo.append(Submission(entry["id"], Path(entry["path"])))

    def done(outcome: Outcome) -> None:
        record_outcome(out, plan["run"], outcome)
        task["graded"].append({"id": outcome.id, "status": outcome.status, "seconds": outcome.seconds})
        if task.get("sandbox") is None:
            task["sandbox"] = _sandbox_mode(out / "results" / f"{outcome.id}.json")
        save()

    # One at a time, through the local executor: on SIGTERM it kills the running
    # grading and records nothing for it.
    LocalExecutor(jobs=1).grade(job, todo, done)
    task["finished"] = time.time()
    save()
    return 0


def _terminate(signum, frame):
    raise KeyboardInterrupt


def job_of(plan: dict[str, Any]) -> GradeJob:
    """What every grading of the plan shares, its grader found by name (a plan written
    before plans named one: :data:`~autograder.staff.executors.DEFAULT_GRADER`)."""
    return GradeJob(Path(plan["autograder_zip"]), plan["autograder_sha256"], Path(plan["out"]),
                    float(plan["timeout"]), GRADERS[plan.get("grader", DEFAULT_GRADER)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--shard", type=int, required=True)
    args = parser.parse_args(argv)
    plan = read_json(args.plan)
    if not isinstance(plan, dict) or not 0 <= args.shard < len(plan.get("shards", [])):
        print(f"error: {args.plan} has no shard {args.shard}", file=sys.stderr)
        return 2
    grader = plan.get("grader", DEFAULT_GRADER)
    if not isinstance(grader, str) or grader not in GRADERS:
        print(f"error: {args.plan}: grader: {grader!r} is not one of {', '.join(sorted(GRADERS))} "
              "(write the plan again with make grade-all)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)  # scancel: kill the running grading, keep the rest
    try:
        return run_shard(plan, args.shard)
    except KeyboardInterrupt:
        print(f"shard {args.shard}: stopped; its submissions without an outcome are graded by the next run",
              file=sys.stderr)
        return 143


if __name__ == "__main__":
    sys.exit(main())
