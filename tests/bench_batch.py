"""Benchmark of ``make grade-all``: a mixed class graded through the real path.

    python tests/bench_batch.py [--count 100] [--jobs N] [--autograder dist/autograder.zip]

Builds a Gradescope export of ``--count`` submissions (mostly correct, a third buggy,
some stubs, syntax errors, empty uploads, forgers and one infinite loop, in the
proportions below), grades it with ``python -m autograder.staff.batch`` into
``build/bench-grade-all/``, and prints submissions graded per minute and the peak
memory of the whole process tree (the batch, every grader, every student's process),
sampled every 0.2 s. Writes the figures to ``build/bench-grade-all.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.buggy import BUGS  # noqa: E402
from tests.fabricate import write_export  # noqa: E402

# Out of 100: what a real class's uploads look like, one hanging submission included.
MIX = {"correct": 25, "flat": 12, "nested": 5, "forger": 3, "bugs": 30, "stubs": 10, "syntax": 6, "empty": 8, "loop": 1}


def kinds(count: int) -> list[str]:
    """``count`` submission kinds in MIX's proportions (always one loop), shuffled the
    same way every run, like a real export's order."""
    pool = ["loop"]
    for kind, share in MIX.items():
        n = round(share * count / 100) - (kind == "loop")
        pool += [f"bug:{BUGS[i % len(BUGS)].name}" for i in range(n)] if kind == "bugs" else [kind] * max(n, 0)
    pool = (pool + ["correct"] * count)[:count]
    random.Random(0).shuffle(pool)
    return pool


def tree_memory(root_pid: int) -> tuple[int, int, int, int]:
    """(summed PSS, summed RSS, largest RSS, process count) in bytes over ``root_pid``
    and its descendants. PSS splits shared pages (numpy's libraries) fairly, so its sum
    is what the tree really holds; RSS counts them once per process."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    tree, todo = {root_pid}, [root_pid]
    while todo:
        pid = todo.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                todo.append(child)
    pss = rss = largest = 0
    for pid in tree:
        rss_one = _field(f"/proc/{pid}/status", "VmRSS:")
        pss += _field(f"/proc/{pid}/smaps_rollup", "Pss:") or rss_one
        rss += rss_one
        largest = max(largest, rss_one)
    return pss, rss, largest, len(tree)


def _field(path: str, name: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=0, help="gradings at once (default: one per core)")
    parser.add_argument("--autograder", type=Path, default=ROOT / "dist" / "autograder.zip")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench-grade-all")
    parser.add_argument("--cold", action="store_true", help="run_autograder per submission (grade-all --cold)")
    args = parser.parse_args(argv)
    if not args.autograder.is_file():
        print(f"error: {args.autograder} not found: run `make autograder` first", file=sys.stderr)
        return 2
    shutil.rmtree(args.work, ignore_errors=True)
    mix = kinds(args.count)
    write_export(args.work / "export", mix)
    out = args.work / "out"
    cmd = [sys.executable, "-m", "autograder.staff.batch", "--submissions", str(args.work / "export"),
           "--out", str(out), "--autograder", str(args.autograder)]
    cmd += (["--jobs", str(args.jobs)] if args.jobs else []) + (["--cold"] if args.cold else [])
    jobs = args.jobs or len(os.sched_getaffinity(0))
    print(f"Grading {len(mix)} submissions ({', '.join(f'{n} {k}' for k, n in _summary(mix).items())}), "
          f"{jobs} at a time, on {os.cpu_count()} cores...", flush=True)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0, 0, 0, 0]
    while True:  # wait4, not poll: the rusage of the whole tree comes with the exit status
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            break
        sample = tree_memory(proc.pid)
        peak = [max(a, b) for a, b in zip(peak, sample, strict=True)]
        time.sleep(0.2)
    seconds = time.monotonic() - started
    errors = proc.stderr.read()
    # CPU time of the whole tree (its reaped descendants; a student's process killed inside
    # a namespace may be missing): what the class costs, however busy the machine is.
    cpu = usage.ru_utime + usage.ru_stime
    state = json.loads((out / "batch.json").read_text())["submissions"]
    statuses = Counter(s["status"] for s in state.values())
    per_job = sorted(s["seconds"] for s in state.values())
    figures = {
        "submissions": len(mix), "jobs": jobs, "cores": os.cpu_count(), "seconds": round(seconds, 1),
        "per_minute": round(len(state) / seconds * 60, 1),
        "cpu_seconds_per_submission": round(cpu / len(state), 2) if state else None,
        # The rate the CPU time allows on `jobs` idle cores: the figure a busy machine cannot show.
        "per_minute_cpu_bound": round(jobs * 60 * len(state) / cpu, 1) if cpu else None,
        "median_seconds_per_submission": per_job[len(per_job) // 2], "slowest_seconds": per_job[-1],
        "peak_pss_mb": round(peak[0] / 2**20), "peak_rss_sum_mb": round(peak[1] / 2**20),
        "largest_process_mb": round(peak[2] / 2**20), "peak_processes": peak[3], "statuses": dict(statuses),
        # The machine may be shared: a load above the core count means the figures are low.
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    (args.work.parent / "bench-grade-all.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"Graded {len(state)} in {seconds:.0f} s: {figures['per_minute']} submissions per minute "
          f"({jobs} at a time; median {figures['median_seconds_per_submission']:.1f} s each, "
          f"slowest {figures['slowest_seconds']:.1f} s)")
    if figures["cpu_seconds_per_submission"] is not None:
        print(f"CPU time: {figures['cpu_seconds_per_submission']} s per submission, so "
              f"{figures['per_minute_cpu_bound']} per minute on {jobs} idle cores")
    print(f"Peak memory of the batch and everything it ran: {figures['peak_pss_mb']} MB PSS "
          f"({figures['peak_rss_sum_mb']} MB summed RSS, largest process {figures['largest_process_mb']} MB, "
          f"{figures['peak_processes']} processes at most)")
    print(f"Outcomes: {dict(statuses)}; load average {figures['load_average_before_after'][0]} before, "
          f"{figures['load_average_before_after'][1]} after; report: {out / 'report.md'}")
    if proc.returncode not in (0, 1) or len(state) != len(mix):
        print(errors[-3000:], file=sys.stderr)
        return 1
    return 0


def _summary(mix: list[str]) -> dict[str, int]:
    return dict(Counter("buggy" if k.startswith("bug:") else k for k in mix))


if __name__ == "__main__":
    sys.exit(main())
