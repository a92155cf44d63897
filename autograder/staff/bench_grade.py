"""Benchmark the grading path: seconds per `make grade`, and how much of it is the
framework's own overhead (time not spent waiting for the student's process).

    python -m autograder.staff.bench_grade [--repeat 3] [--cores 1] [--json build/bench-grade.json] NAME=PATH ...

Pinned to ``--cores`` CPUs (children inherit the affinity). Prints a table; figures,
not assertions: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from autograder.staff import simulate

TIMING = re.compile(
    r"timing: ([\d.]+) s in all, ([\d.]+) s in the student's process .*?, ([\d.]+) s of grader overhead")


def measure(autograder_zip: Path, submission: Path, repeat: int) -> dict:
    walls, runs, students, overheads, scores = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            started = time.perf_counter()
            results, log, _ = simulate.grade(autograder_zip, submission, Path(tmp) / f"{i}.json")
            walls.append(time.perf_counter() - started)
            scores.append(results["score"])
            match = TIMING.search(log)
            if match:
                run, student, overhead = (float(g) for g in match.groups())
                runs.append(run)
                students.append(student)
                overheads.append(overhead)
    med = lambda xs: round(statistics.median(xs), 2) if xs else None  # noqa: E731
    return {"score": scores[0], "make_grade_s": med(walls), "runner_s": med(runs), "student_s": med(students),
            "overhead_s": med(overheads), "repeat": repeat}


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
    print(f"make grade, median of {args.repeat}, on {args.cores} core(s):")
    print(f"{'submission':<12} {'score':>6} {'make grade':>11} {'runner':>8} {'student':>8} {'overhead':>9}")
    for spec in specs:
        name, _, path = spec.partition("=")
        row = rows[name] = measure(args.autograder, Path(path), args.repeat)
        print(f"{name:<12} {row['score']:>6g} {row['make_grade_s']:>10}s {row['runner_s']:>7}s {row['student_s']:>7}s "
              f"{row['overhead_s']:>8}s")
    print("make grade = whole command (tree, setup.sh check, run_autograder); runner = run_autograder's grading;\n"
          "student = waiting for the student's process (imports + calls); overhead = runner - student.")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
