"""Benchmark of ``make grade-all EXECUTOR=slurm`` against the local executor, on the
same mixed export (that of ``tests/bench_batch.py``), on the cluster ``sinfo`` answers
for (``tests/slurm/start_cluster.sh`` starts a one-node one here).

    python tests/bench_slurm.py [--count 40] [--shard-size N] [--slurm-args "..."]

Prints submissions per minute for both, and the array's overhead per task: the
latency from sbatch to the first task's start, what a task spends outside grading
(Python's start, the venv check, bookkeeping), the venv step (built by the first task
on a node, reused by the rest), how soon a freed CPU starts the next task, and the
wall-clock cost per task against the local run. Writes the figures to ``build/bench-slurm.json``. No assertion on speed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bench_batch import kinds  # noqa: E402
from tests.fabricate import write_export  # noqa: E402


def timed(cmd: list[str]) -> float:
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return time.monotonic() - started


def cluster_cpus() -> int:
    out = subprocess.run(["sinfo", "--noheader", "--format=%C"], capture_output=True, text=True).stdout.split()
    return int(out[0].split("/")[3]) if out else 0  # allocated/idle/other/total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--shard-size", type=int, default=1)
    parser.add_argument("--slurm-args", default="")
    parser.add_argument("--autograder", type=Path, default=ROOT / "dist" / "autograder.zip")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench-slurm")
    args = parser.parse_args(argv)
    if not args.autograder.is_file():
        sys.exit(f"error: {args.autograder} not found: run `make autograder` first")
    cpus = cluster_cpus()
    if not cpus:
        sys.exit("error: no Slurm cluster answers (tests/slurm/start_cluster.sh starts a one-node one)")
    shutil.rmtree(args.work, ignore_errors=True)
    write_export(args.work / "export", kinds(args.count))
    base = [sys.executable, "-m", "autograder.staff.batch", "--submissions", str(args.work / "export"),
            "--autograder", str(args.autograder)]
    jobs = len(os.sched_getaffinity(0))
    print(f"{args.count} submissions; local: {jobs} at a time; Slurm: {cpus} CPUs, "
          f"{args.shard_size} per task", flush=True)
    local = timed(base + ["--out", str(args.work / "local"), "--jobs", str(jobs)])
    slurm_cmd = base + ["--out", str(args.work / "slurm"), "--executor", "slurm",
                        "--slurm-shard-size", str(args.shard_size)] + (["--slurm-args", args.slurm_args]
                                                                       if args.slurm_args else [])
    slurm = timed(slurm_cmd)

    plan = json.loads((args.work / "slurm" / "slurm" / "plan.json").read_text())
    tasks = [json.loads(p.read_text()) for p in (args.work / "slurm" / "slurm" / "tasks").glob("*.json")]
    outside = [t["finished"] - t["started"] - sum(g["seconds"] for g in t["graded"]) for t in tasks if t["finished"]]
    venv = sorted(t.get("venv_seconds", 0) for t in tasks)
    # Once the cluster is full, task k starts when task k - cpus has ended: the gap is
    # Slurm's latency to reuse a freed CPU.
    starts, ends = sorted(t["started"] for t in tasks), sorted(t["finished"] or 0 for t in tasks)
    gaps = [starts[k] - ends[k - cpus] for k in range(cpus, len(starts))] or [0.0]
    figures = {
        "submissions": args.count, "tasks": len(tasks), "shard_size": args.shard_size, "cluster_cpus": cpus,
        "local_seconds": round(local, 1), "slurm_seconds": round(slurm, 1),
        "local_per_minute": round(args.count / local * 60, 1), "slurm_per_minute": round(args.count / slurm * 60, 1),
        "sbatch_to_first_start_seconds": round(min(t["started"] for t in tasks) - plan["submitted"], 2),
        "in_task_overhead_median_seconds": round(statistics.median(outside), 2),
        "freed_cpu_to_next_start_median_seconds": round(statistics.median(gaps), 2),
        "venv_first_seconds": venv[-1], "venv_reused_median_seconds": venv[len(venv) // 2],
        # What the array costs beyond the same work on the same cores, per task.
        "wall_overhead_per_task_seconds": round((slurm - local) * min(cpus, jobs) / len(tasks), 2),
        "load_average": round(os.getloadavg()[0], 2),
    }
    (args.work.parent / "bench-slurm.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"local: {figures['local_per_minute']} submissions/minute ({local:.0f} s); "
          f"Slurm: {figures['slurm_per_minute']} submissions/minute ({slurm:.0f} s, {len(tasks)} tasks)")
    print(f"per task: sbatch to first start {figures['sbatch_to_first_start_seconds']} s; "
          f"freed CPU to next task's start {figures['freed_cpu_to_next_start_median_seconds']} s (median); "
          f"outside grading {figures['in_task_overhead_median_seconds']} s (median); venv step "
          f"{figures['venv_first_seconds']} s at most, {figures['venv_reused_median_seconds']} s median (reused); "
          f"wall-clock cost against local {figures['wall_overhead_per_task_seconds']} s per task")
    print(f"load average now {figures['load_average']} on {os.cpu_count()} cores (a shared machine makes both slower)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
