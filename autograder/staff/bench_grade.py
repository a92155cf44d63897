"""Benchmark the grading path: seconds per `make grade`, and how much of it is the
framework's own overhead.

    python -m autograder.staff.bench_grade [--repeat 3] [--cores 1] [--json build/bench-grade.json] NAME=PATH ...

Pinned to ``--cores`` CPUs (children inherit the affinity). Prints a table of medians;
figures, not assertions: machines are shared and noisy, so CPU time (user + system)
is measured beside wall time, and the overhead is a CPU figure:

- ``cpu``: every process the grading ran (this process's share, the tree, setup.sh,
  run_autograder, the student's processes (a first start that fails an isolation among them): the runner's
  ``cpu:`` log line adds what no rusage counts, a student's process killed inside a
  namespace);
- ``student``: CPU in the student's own code (its imports and calls, as its process
  reports it: per call, not the process's start, numpy's import or the wire format);
- ``graders``: CPU in the test functions outside the sandbox's calls (expected values,
  numerical gradients, the bonus's timed reference): the assignment's own work;
- ``overhead`` = cpu - student - graders: the framework's own cost (unpacking, the
  interpreters' starts and imports, pytest, the sandbox's set-up, the wire
  format and copies of arguments, results, sweeps).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from autograder.staff import simulate, warm

TIMING = re.compile(r"timing: ([\d.]+) s in all, ([\d.]+) s in the student's process .*?, ([\d.]+) s of grader "
                    r"overhead")
CPU = re.compile(r"^cpu: (\{.*\})$", re.MULTILINE)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(autograder_zip: Path, submission: Path, repeat: int, warm_grader: bool = False) -> dict:
    """Medians over ``repeat`` gradings: by ``make grade`` (run_autograder started), or
    ``warm_grader``: as in a batch (:mod:`autograder.staff.warm`, started before the
    first measured grading), whose fork's CPU this process never reaps: the grader's
    ``cpu:`` figures count it."""
    rows: dict[str, list[float]] = {}
    scores = []
    grade = warm.grade if warm_grader else simulate.grade
    with tempfile.TemporaryDirectory() as tmp:
        if warm_grader:
            grade(autograder_zip, submission, Path(tmp) / "warm-up.json")
        for i in range(repeat):
            started, cpu = time.perf_counter(), _cpu()
            results, log, _ = grade(autograder_zip, submission, Path(tmp) / f"{i}.json")
            row = {"make_grade_s": time.perf_counter() - started, "cpu_s": _cpu() - cpu}
            scores.append(results["score"])
            # The last of each: the runner writes them at its end, after anything the
            # submission's words could have put into the log.
            match = ([None] + list(TIMING.finditer(log)))[-1]
            if match:
                row["runner_s"], row["student_wall_s"] = float(match.group(1)), float(match.group(2))
            figures = ([None] + list(CPU.finditer(log)))[-1]
            if figures:  # a grader that does not log them (an older zip): total CPU only
                cpu_log = json.loads(figures.group(1))
                if warm_grader:  # the fork and everything it ran: reaped by the server, never here
                    row["cpu_s"] += cpu_log["runner"] + cpu_log["children"] + cpu_log["student_process"]
                else:  # run_autograder's tree is reaped here, but for what died inside a namespace
                    row["cpu_s"] += cpu_log.get("student_unreaped", 0.0)
                row["student_s"], row["graders_s"] = cpu_log["student_code"], cpu_log["graders"]
                row["overhead_s"] = row["cpu_s"] - row["student_s"] - row["graders_s"]
            for key, value in row.items():
                rows.setdefault(key, []).append(value)
    summary: dict = {key: round(statistics.median(values), 2) for key, values in rows.items()}
    return {"score": scores[0], **summary, "repeat": repeat}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", nargs="*", metavar="NAME=PATH")
    parser.add_argument("--assignment", type=Path, help="also time its reference and its stubs")
    parser.add_argument("--student-release", type=Path, help="the student release holding the stubs")
    parser.add_argument("--autograder", type=Path, default=Path("dist/autograder.zip"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cores", type=int, default=1)
    parser.add_argument("--json", type=Path, default=Path("build/bench-grade.json"))
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    specs = list(args.submissions)
    if args.assignment is not None:
        from autograder.runtime import config

        assignment = config.load(args.assignment)
        specs[:0] = [f"reference={assignment.reference}"] + (
            [f"stubs={args.student_release / assignment.package}"] if args.student_release else [])
    if not specs:
        parser.error("give --assignment or NAME=PATH submissions")
    rows = {}
    load = os.getloadavg()[0]
    print(f"make grade, median of {args.repeat}, on {args.cores} core(s); seconds:")
    print(f"{'submission':<16} {'score':>6} {'wall':>7} {'cpu':>6} {'student':>8} {'graders':>8} {'overhead':>9}")
    try:
        for warm_grader in (False, True):
            for spec in specs:
                name, _, path = spec.partition("=")
                label = f"{name}, batch" if warm_grader else name
                row = rows[label] = measure(args.autograder, Path(path), args.repeat, warm_grader)
                print(f"{label:<16} {row['score']:>6g} {row['make_grade_s']:>7} {row['cpu_s']:>6} "
                      f"{row.get('student_s', '-'):>8} {row.get('graders_s', '-'):>8} {row.get('overhead_s', '-'):>9}")
    finally:
        warm.close_all()
    print("wall = the whole make grade; cpu = CPU time of everything it ran; student = CPU in the student's code\n"
          "(imports and calls, as its process reports); graders = CPU in the test functions outside the sandbox's\n"
          "calls (expected values, the bonus's timing); overhead = cpu - student - graders: the framework's own;\n"
          "\", batch\": the same grading in make grade-all, through a worker's warm grader (no interpreter start).")
    print(f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after (above the core count: wall times are high)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
