"""How well the feedback does on every realistic bug we have: tests/realistic_bugs.py,
the catalogue's own mistaken submissions (tests/mistaken.py) and tests/buggy.py, each
graded on the Gradescope path (the autograder zip, through the sandbox) and locally
(pytest in the student release, as a student runs it), plus correct alternative
implementations (which must get full marks and no hint).

    .venv/bin/python -m tests.bench_feedback [--jobs 2] [--only NAME,...] [--json out.json]
    .venv/bin/python -m tests.bench_feedback --set tests/unseen_bugs [--part tuning|held-out|all]

Prints, per submission, the Gradescope score, the local public score and whether the
feedback names a cause (a catalogue hint, or a characterisation of the failing cases),
then the totals the issue asks for. No timing: it measures feedback, not speed.

``--set DIR`` grades a set of bugs written apart from the catalogue instead:
``DIR/bugs.yaml`` (each bug's style, module, edits to the correct implementation of
its style in ``DIR/correct/<style>/convnet/``, true cause and, for a set written
later, its part). ``DIR/judged.yaml`` says,
per bug, which hints (catalogue ids) and which characterisations (words of the
sentence) name its cause; the feedback is then counted as *named* (only right
causes), *wrong cause* (any hint or characterisation not listed) or *silent*, on the
Gradescope path and locally. ``--part`` picks the tuning part, the held-out part (a
third of the bugs, chosen by a hash of their ids, measured only at the end), a part
bugs.yaml names (``late``, ``fresh`` to ``fresh5``: written after the rest) or all.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import buggy, correct_styles, mistaken, realistic_bugs

ROOT = Path(__file__).resolve().parent.parent
HINT = re.compile(r"^(Most likely|Possibly) ", re.M)
CHARACTERISED = "Fails every case with"
LOCAL_CAUSE = (CHARACTERISED, "which fails its own tests", "does not import everywhere")
POINTS = re.compile(r"Public tests: ([\d.]+)/([\d.]+) points")


def submissions() -> list[tuple[str, str, object]]:
    """``(kind, name, writer)``: ``writer(folder)`` puts the package in folder/convnet."""
    out = [("realistic", b.name, b.variant.write) for b in realistic_bugs.BUGS]
    out += [("catalogue", m.mistake, m.variant.write) for m in mistaken.SUBMISSIONS]
    out += [("buggy", b.name.replace(" ", "-"), b.variant.write) for b in buggy.BUGS]
    out += [("correct", style.name, style.variant.write) for style in correct_styles.STYLES]
    return out


SENTENCE = re.compile(r"^\s*(Fails every case with .*)$", re.M)


def grade_gradescope(zip_path: Path, folder: Path) -> dict:
    from autograder.grade.results import split_score
    from autograder.staff import simulate

    results = simulate.grade(zip_path, folder, folder.parent / f"{folder.name}-results.json")[0]
    failed = [t for t in results.get("tests", [])  # extra credit's tests have max_score 0: their status says it
              if t.get("score", 0) < t.get("max_score", 0) or t.get("status") == "failed"]
    text = "\n".join(t.get("output", "") for t in failed)
    graded, _bonus = split_score(results)  # the 100 points; the bonus apart
    hints = [h["id"] for h in results.get("extra_data", {}).get("hints", [])]
    sentences = sorted({f"{t.get('name', '')}: {m}" for t in failed for m in SENTENCE.findall(t.get("output", ""))})
    return {"score": float(graded), "hint": bool(HINT.search(text)), "characterised": CHARACTERISED in text,
            "hints": hints, "sentences": sentences, "failed_tests": len(failed)}


def grade_local(release: Path, folder: Path) -> dict:
    """pytest in a copy of the student release with the submission's package."""
    work = folder.parent / f"{folder.name}-local"
    shutil.copytree(release, work)
    shutil.rmtree(work / "convnet")
    shutil.copytree(folder / "convnet", work / "convnet")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    found = POINTS.search(run.stdout)
    return {
        "score": float(found.group(1)) if found else 0.0,
        "max": float(found.group(2)) if found else 0.0,
        "named": any(cause in run.stdout for cause in LOCAL_CAUSE) or bool(HINT.search(run.stdout)),
        "characterised": CHARACTERISED in run.stdout,
        "hint_lines": sorted(set(LOCAL_HINT.findall(run.stdout))),
        "sentences": sorted(set(SENTENCE.findall(run.stdout))),
    }


LOCAL_HINT = re.compile(r"((?:Most likely|Possibly) [^:]*):")


def held_out(bug_id: str) -> bool:
    """A third of any set, fixed by the bug's id alone (never by its results)."""
    return hashlib.sha256(bug_id.encode()).digest()[0] % 3 == 0


def part_of(bug: dict) -> str:
    """A bug's part: the one bugs.yaml names (``late``, ``fresh``: sets written after
    the rest and measured once, untouched), else tuning or held-out by its id's hash."""
    return bug.get("part") or ("held-out" if held_out(bug["id"]) else "tuning")


def external(folder: Path, part: str) -> list[tuple[str, str, object]]:
    """The bugs and correct implementations of an external set (see the module's doc).
    A bug is its ``edits`` (``old`` text replaced by ``new``, each once) in its module of
    the correct implementation of its style (``correct/<style>/convnet``)."""
    import yaml

    from tests.fabricate import Variant, replace

    def writer(base: Path, edits=()):
        return Variant(base=str(base), edits=tuple(edits)).write

    out = []
    for bug in yaml.safe_load((folder / "bugs.yaml").read_text()):
        if part in ("all", part_of(bug)):
            edits = [replace(f"{bug['module']}.py", e["old"], e["new"]) for e in bug["edits"]]
            out.append(("unseen", bug["id"], writer(folder / "correct" / bug["style"] / "convnet", edits)))
    for style in sorted((folder / "correct").iterdir()):
        if (style / "convnet").is_dir():
            out.append(("correct", style.name, writer(style / "convnet")))
    return out


WHICH_FUNCTION = re.compile(r"Fails every case with (function|pooling) = \S+, passes every (other case|case with "
                            r"(function|pooling) (= |other than )\S+)\.$")


def judge(row: dict, judged: dict) -> str:
    """``named``, ``wrong`` or ``silent`` for one bug's Gradescope feedback, by
    ``judged[bug]``: ``{hints: [ids naming the cause], sentences: [words of a
    characterisation naming it]}``."""
    accept = judged.get(row["name"]) or {}
    if accept.get("outside_contract"):
        return "outside"
    g = row["gradescope"]
    said = [("hint", h) for h in g.get("hints", [])] + [("sentence", t) for t in g.get("sentences", [])]
    right = [kind == "hint" and value in accept.get("hints", [])
             or kind == "sentence" and any(w in value for w in accept.get("sentences", []))
             for kind, value in said]
    # A sentence that only says which function's cases fail (a test of several) claims no
    # cause: neither right nor wrong, unless judged.yaml accepts it.
    claims = [ok for (kind, value), ok in zip(said, right, strict=True)
              if ok or not (kind == "sentence" and WHICH_FUNCTION.search(value))]
    if not claims:
        return "silent"
    return "named" if all(claims) else "wrong"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated names")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--set", type=Path, help="an external set of bugs (see the module's doc)")
    parser.add_argument("--part", default="tuning",
                        choices=("tuning", "held-out", "late", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "all"))
    parser.add_argument("--judge", type=Path, help="judge an earlier --json's rows again (by --set's judged.yaml)")
    args = parser.parse_args(argv)
    if args.judge:
        return rejudge(args.judge, args.set)

    from autograder.build.autograder_zip import build_autograder
    from autograder.runtime import config

    assignment = config.load(ROOT / "assignment" / "assignment.yaml")
    every = external(args.set, args.part) if args.set else submissions()
    chosen = [s for s in every if not args.only or s[1] in args.only.split(",")]
    judged = {}
    if args.set and (args.set / "judged.yaml").exists():
        import yaml
        judged = yaml.safe_load((args.set / "judged.yaml").read_text()) or {}
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-feedback-") as tmp:
        tmp = Path(tmp)
        zip_path = build_autograder(assignment, tmp / "autograder.zip")
        release = ROOT / "student_template"

        def one(item):
            kind, name, write = item
            folder = tmp / f"{kind}-{name}"
            folder.mkdir()
            write(folder)
            return {
                "kind": kind,
                "name": name,
                "gradescope": grade_gradescope(zip_path, folder),
                "local": grade_local(release, folder),
            }

        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for row in pool.map(one, chosen):
                g, lo = row["gradescope"], row["local"]
                if row["kind"] == "unseen":
                    row["verdict"] = judge(row, judged)
                print(
                    f"{row['kind']:<9} {row['name']:<44} gradescope {g['score']:6.2f} "
                    f"{'hint' if g['hint'] else '    '} {'char' if g['characterised'] else '    '}   "
                    f"local {lo['score']:5.2f}/{lo['max']:g} {'named' if lo['named'] else ''} "
                    f"{row.get('verdict', '')}",
                    flush=True,
                )
                if args.set:
                    for said in g["hints"] + g["sentences"] + lo["hint_lines"] + lo["sentences"]:
                        print(f"    {said}")
                rows.append(row)
    print()
    print(summary(rows))
    if args.set:
        print(verdicts(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)  # build/ is not there in a fresh checkout
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


def rejudge(path: Path, folder: Path) -> int:
    """Print the verdicts of an earlier run's rows (``--json``) by ``folder``'s judged.yaml."""
    import yaml

    judged = yaml.safe_load((folder / "judged.yaml").read_text()) or {}
    rows = json.loads(path.read_text())
    for row in rows:
        if row["kind"] == "unseen":
            row["verdict"] = judge(row, judged)
    print(verdicts(rows))
    return 0


def verdicts(rows: list[dict]) -> str:
    """named / wrong cause / silent over an external set's bugs."""
    bugs = [r for r in rows if r["kind"] == "unseen" and r.get("verdict") != "outside"]
    outside = [r["name"] for r in rows if r.get("verdict") == "outside"]
    counts = {v: sum(r.get("verdict") == v for r in bugs) for v in ("named", "wrong", "silent")}
    total = max(len(bugs), 1)
    lines = [f"{v}: {n}/{len(bugs)} ({100 * n / total:.0f}%)" for v, n in counts.items()]
    caught = [r for r in bugs if r["gradescope"]["score"] < 100 or r["gradescope"].get("failed_tests")]
    named = sum(r.get("verdict") == "named" for r in caught)
    share = f"{100 * named / max(len(caught), 1):.0f}%"
    lines.append(f"named among the bugs that fail a test: {named}/{len(caught)} ({share})")
    if outside:
        lines.append(f"outside the contract (full marks and silence are right): {', '.join(outside)}")
    lines += [f"wrong cause: {r['name']}" for r in bugs if r.get("verdict") == "wrong"]
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    bugs = [r for r in rows if r["kind"] != "correct"]
    correct = [r for r in rows if r["kind"] == "correct"]
    partial = [r for r in bugs if 0 < r["gradescope"]["score"] < 100]
    named_gs = [r for r in bugs if r["gradescope"]["hint"] or r["gradescope"]["characterised"]]
    hint_gs = [r for r in bugs if r["gradescope"]["hint"]]
    char_gs = [r for r in bugs if r["gradescope"]["characterised"]]
    named_local = [r for r in bugs if r["local"]["named"]]
    lost_local = [r for r in bugs if r["local"]["score"] < r["local"]["max"]]

    kinds = ", ".join(f"{k} {sum(r['kind'] == k for r in bugs)}" for k in ("realistic", "catalogue", "buggy", "unseen"))

    def share(part, whole):
        return f"{len(part)}/{len(whole)} ({100 * len(part) / max(len(whole), 1):.0f}%)"

    lines = [
        f"bugs: {len(bugs)} ({kinds})",
        f"lose points and keep some on Gradescope: {share(partial, bugs)}",
        f"named on Gradescope (catalogue hint or characterisation): {share(named_gs, bugs)}"
        f"  [hint {len(hint_gs)}, characterisation {len(char_gs)}]",
        f"lose public points locally: {share(lost_local, bugs)}; named locally: {share(named_local, lost_local)} "
        f"of those ({share(named_local, bugs)} of all)",
    ]
    for r in correct:
        g, lo = r["gradescope"], r["local"]
        lines.append(
            f"correct {r['name']}: Gradescope {g['score']:g}, local {lo['score']:g}/{lo['max']:g}, "
            f"hint: {'YES' if g['hint'] or g['characterised'] or lo['named'] else 'none'}"
        )
    missing = [r["name"] for r in bugs if r not in partial]
    if missing:
        lines.append("not partial on Gradescope: " + ", ".join(missing))
    unnamed = [r["name"] for r in bugs if r not in named_gs]
    if unnamed:
        lines.append("not named on Gradescope: " + ", ".join(unnamed))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
