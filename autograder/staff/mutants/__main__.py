"""``make mutants``: mutate the reference, grade every mutant, write the report.

    python -m autograder.staff.mutants --assignment assignment/assignment.yaml \
        --autograder dist/autograder.zip --out build/mutants [--jobs 2] [--modules conv,pool] \
        [--only ID,ID...] [--sample N]

Writes ``<out>/report.md`` (for the TA), ``<out>/mutants.json`` (every verdict) and
``<out>/verdicts/`` (one file per mutant: a second run resumes, grading only what
changed). By default the mutants of every required module; the optional modules
(an extra-credit bonus) only when ``--modules`` names them.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sys
import time
from pathlib import Path

from autograder.runtime import config
from autograder.staff.batch import Progress, sha256
from autograder.staff.mutants import equivalents, generate, report, run


def sample(mutants: list[generate.Mutant], count: int) -> list[generate.Mutant]:
    """``count`` mutants spread evenly over the list (deterministic: the same every run)."""
    if count <= 0 or count >= len(mutants):
        return mutants
    step = len(mutants) / count
    return [mutants[int(i * step)] for i in range(count)]


def _cpu_seconds() -> float:
    """CPU seconds of this process and of every descendant it has reaped (the warm
    graders, closed before this is read, with the forks and sandboxes they reaped)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", required=True, type=Path)
    parser.add_argument("--autograder", required=True, type=Path, help="the built autograder.zip")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--modules", default="", help="comma-separated modules to mutate (default: the required ones)")
    parser.add_argument("--only", default="", help="comma-separated mutant ids to grade (the others are left out)")
    parser.add_argument("--sample", type=int, default=0, help="grade only this many mutants, spread evenly")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    args = parser.parse_args(argv)

    try:
        assignment = config.load(args.assignment)
    except config.ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if assignment.reference is None:
        print(f"error: {args.assignment}: no reference: to mutate (reference: is not set)", file=sys.stderr)
        return 2
    modules = [m for m in args.modules.split(",") if m] or list(assignment.required_modules)
    unknown = sorted(set(modules) - set(assignment.modules))
    if unknown:
        print(f"error: --modules {','.join(unknown)}: not modules of {assignment.path} "
              f"(it has {', '.join(assignment.modules)})", file=sys.stderr)
        return 2
    equivalents_path = assignment.root / equivalents.FILE_NAME
    try:
        equivalent = equivalents.load(equivalents_path)
    except equivalents.EquivalentsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    mutants = generate.all_mutants(assignment.reference, modules, cache=args.out / "generated")
    if args.only:
        wanted = set(args.only.split(","))
        missing = sorted(wanted - {m.id for m in mutants})
        if missing:
            print(f"error: --only: no mutant {', '.join(missing)} (use --list to see the ids)", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m.id in wanted]
    mutants = sample(mutants, args.sample)
    if args.list:
        for m in mutants:
            print(f"{m.id}\t{m.module}:{m.line}\t{m.after.strip()}")
        return 0
    if not args.autograder.is_file():
        print(f"error: {args.autograder}: not found (make autograder builds it)", file=sys.stderr)
        return 2

    (args.out / "verdicts").mkdir(parents=True, exist_ok=True)
    job = run.Job(args.autograder.resolve(), sha256(args.autograder), assignment.reference, assignment.package,
                  args.out.resolve())
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print(f"{len(mutants)} mutants of {', '.join(modules)}; grading the reference first", file=sys.stderr)
    started, cpu_before = time.monotonic(), _cpu_seconds()
    try:
        reference = run.baseline(job)
        full = sum(t.get("max_score", 0) for t in reference.get("tests", []))
        progress = Progress(len(mutants))
        verdicts = run.grade_mutants(job, mutants, reference, args.jobs, progress)
    except KeyboardInterrupt:
        print("\ninterrupted: the same command resumes where this run stopped", file=sys.stderr)
        return 130
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    seconds = time.monotonic() - started
    cpu = _cpu_seconds() - cpu_before
    tests = sorted((assignment.root / "tests").rglob("test_*.py"))
    references = [assignment.reference / f"{m}.py" for m in assignment.modules]
    closest = report.tests_by_function(tests, references)
    names = {g.id: g.name for g in assignment.groups}
    summary = report.write(args.out, title=assignment.name, mutants=mutants, verdicts=verdicts,
                           equivalent=equivalent, equivalents_path=equivalents_path, full=full, closest=closest,
                           test_names=names, seconds=seconds, jobs=args.jobs)
    print(f"mutation score {summary.score:.1f}%: {summary.killed} killed, {summary.survived} survived, "
          f"{summary.equivalent} equivalent, {summary.unfinished} without a verdict; "
          f"{summary.partial} of the killed partial; {len(mutants)} mutants in {seconds / 60:.1f} min "
          f"on {args.jobs} worker(s)")
    graded = progress.done - progress.skipped
    print(f"CPU: {cpu / 60:.1f} min in all (the graders, the sandboxes and this process), "
          f"{cpu / max(graded, 1):.1f} s per mutant graded: {cpu / 60 / args.jobs:.1f} min on {args.jobs} idle cores")
    print(f"report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
