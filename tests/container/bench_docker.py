"""Wall time and peak memory of gradings in Gradescope's real container at its
defaults (0.5 CPU, 768 MB): the reference, the stubs and the corpus's heaviest cases.

    python -m tests.container.bench_docker [--autograder dist/autograder.zip] [--cases id,id...]
        [--repeat 2] [--json build/bench-docker.json]

Each figure is the median of ``--repeat`` gradings: wall seconds of ``run_autograder``
in the container (``docker start`` to its end) and the container's cgroup peak
(``memory.peak``, v1 ``memory.max_usage_in_bytes``), which counts the grader, the
student's processes and the page cache together. The corpus's cases are chosen for
what they cost: memory (allocations, many processes), time (timeouts), CPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from tests.container import docker_grade
from tests.submissions.cases import load_cases

ROOT = docker_grade.ROOT
HEAVY = ("allocate-10-gb", "fork-bomb", "many-processes-under-the-limit", "fill-the-container-at-import",
         "fill-the-container-in-a-call", "lower-oom-score-adj-then-fill-in-a-call", "infinite-loop-in-call",
         "bonus-cpu-hog", "print-100-mb")


def measure(autograder_zip: Path, name: str, submission: Path, repeat: int) -> dict:
    runs = [docker_grade.grade_in_container(autograder_zip, submission)[0] for _ in range(repeat)]
    peaks = [r.peak_mb for r in runs if r.peak_mb is not None]
    score = runs[-1].results.get("score")
    died = any("GRADER DIED" in r.log for r in runs)
    return {"name": name, "score": score, "seconds": round(statistics.median(r.seconds for r in runs), 1),
            "peak_mb": round(statistics.median(peaks), 1) if peaks else None,
            "runner_mb": _runner_mb(runs[-1].log), "grader_died": died}


def _runner_mb(log: str) -> float | None:
    for line in reversed(log.splitlines()):
        if line.startswith("runner: "):
            return float(json.loads(line[len("runner: "):])["peak_rss_mb"])
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--autograder", type=Path, default=ROOT / "dist" / "autograder.zip")
    parser.add_argument("--cases", default=",".join(HEAVY))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", type=Path, default=ROOT / "build" / "bench-docker.json")
    args = parser.parse_args(argv)
    why = docker_grade.available()
    if why:
        print(f"error: {why} (tests/container/dockerd.sh start)", file=sys.stderr)
        return 2
    docker_grade.graded_image(args.autograder)
    cases = {c.id: c for c in load_cases()}
    wanted = [name for name in args.cases.split(",") if name]
    unknown = [name for name in wanted if name not in cases]
    if unknown:
        print(f"error: no such cases in tests/submissions/cases.yaml: {', '.join(unknown)}", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        subjects = [("reference", ROOT / "solutions" / "convnet"), ("stubs", ROOT / "student_template" / "convnet")]
        for name in wanted:
            folder = Path(tmp) / name
            folder.mkdir()
            subjects.append((name, cases[name].build(folder, 0)))
        print(f"Gradescope's defaults: --cpus {docker_grade.CPUS} --memory {docker_grade.MEMORY} "
              f"(median of {args.repeat})")
        print(f"{'submission':<42} {'score':>6} {'wall s':>7} {'peak MB':>8} {'runner MB':>9}  grader")
        for name, submission in subjects:
            row = measure(args.autograder, name, submission, args.repeat)
            rows.append(row)
            print(f"{name:<42} {row['score']!s:>6} {row['seconds']:>7} {row['peak_mb']!s:>8} "
                  f"{row['runner_mb']!s:>9}  {'DIED' if row['grader_died'] else 'survived'}", flush=True)
    corpus = [r for r in rows if r["name"] not in ("reference", "stubs")]
    if corpus:
        worst_memory = max(corpus, key=lambda r: r["peak_mb"] or 0)
        worst_time = max(corpus, key=lambda r: r["seconds"])
        print(f"worst corpus case: memory {worst_memory['name']} ({worst_memory['peak_mb']} MB), "
              f"time {worst_time['name']} ({worst_time['seconds']} s)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"cpus": docker_grade.CPUS, "memory": docker_grade.MEMORY, "rows": rows},
                                    indent=2))
    print(f"written: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
