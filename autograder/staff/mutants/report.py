"""The TA's report of a mutation run (``report.md``) and its data (``mutants.json``).

The score is the share of non-equivalent mutants that the graders kill. Every
survivor is a finding: its diff with file and line, and the tests that came closest
(those that call the function the mutant changed, directly or through a helper:
they ran the changed line and still passed). Killed mutants that scored 0 are
findings too (a single mistake should cost part of the points, not all), unless
the mutant broke the module's import.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from autograder.runtime.text import printable
from autograder.staff.mutants import equivalents
from autograder.staff.mutants.generate import Mutant
from autograder.staff.mutants.run import Verdict


@dataclasses.dataclass
class Summary:
    total: int
    equivalent: int
    killed: int
    survived: int
    unfinished: int  # errors and timeouts: no verdict
    partial: int  # killed with neither 0 nor full marks
    zero: int  # killed with 0, import intact
    import_broken: int
    hinted: int  # killed with a catalogued mistake named
    characterised: int  # killed with a test saying what its failing cases share

    @property
    def score(self) -> float:
        counted = self.killed + self.survived
        return 100.0 * self.killed / counted if counted else 100.0


def summarise(mutants: list[Mutant], verdicts: dict[str, Verdict], equivalent: dict[str, equivalents.Equivalent],
              full: float) -> Summary:
    counts: Counter[str] = Counter()
    for m in mutants:
        v = verdicts.get(m.id)
        if _is_equivalent(m, equivalent):
            counts["equivalent"] += 1
        elif v is None or v.status not in ("killed", "survived"):
            counts["unfinished"] += 1
        else:
            counts[v.status] += 1
            if v.status == "killed":
                counts["import_broken"] += v.import_broken
                counts["partial"] += 0 < v.score < full or (v.score >= full and v.bonus > 0)
                counts["zero"] += v.score <= 0 and not v.import_broken
                counts["hinted"] += bool(v.hints)
                counts["characterised"] += bool(v.characterised)
    return Summary(len(mutants), *(counts[k] for k in ("equivalent", "killed", "survived", "unfinished", "partial",
                                                        "zero", "import_broken", "hinted", "characterised")))


def _is_equivalent(mutant: Mutant, equivalent: dict[str, equivalents.Equivalent]) -> bool:
    entry = equivalent.get(mutant.id)
    return entry is not None and equivalents.matches(entry, mutant.after)


def tests_by_function(test_files: list[Path], reference_files: list[Path]) -> dict[str, list[str]]:
    """``{function: [test function names]}``: the tests that call each function of the
    reference, directly (``student.f``, or ``"f"`` named in a call such as the oracle's)
    or through the helpers it calls (a private helper maps to its public callers' tests)."""
    calls: dict[str, set[str]] = defaultdict(set)  # test -> names it mentions
    for path in test_files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name) \
                            and inner.value.id == "student":
                        calls[node.name].add(inner.attr)
                    elif isinstance(inner, ast.Constant) and isinstance(inner.value, str) \
                            and inner.value.isidentifier():
                        calls[node.name].add(inner.value)
    users: dict[str, set[str]] = defaultdict(set)  # reference function -> the reference functions calling it
    for path in reference_files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Name) and inner.id != node.name:
                        users[inner.id].add(node.name)
    found: dict[str, list[str]] = {}
    for function in set(users) | {name for names in calls.values() for name in names}:
        reach, todo = {function}, [function]
        while todo:
            for caller in users.get(todo.pop(), ()):
                if caller not in reach:
                    reach.add(caller)
                    todo.append(caller)
        found[function] = sorted(t for t, names in calls.items() if names & reach)
    return found


def write(out: Path, *, title: str, mutants: list[Mutant], verdicts: dict[str, Verdict],
          equivalent: dict[str, equivalents.Equivalent], equivalents_path: Path, full: float,
          closest: dict[str, list[str]], test_names: dict[str, str], seconds: float, jobs: int) -> Summary:
    """Write ``out/report.md`` and ``out/mutants.json``; return the summary."""
    summary = summarise(mutants, verdicts, equivalent, full)
    rows = [_row(m, verdicts.get(m.id), equivalent) for m in mutants]
    (out / "mutants.json").write_text(__import__("json").dumps(
        {"summary": {**dataclasses.asdict(summary), "score": round(summary.score, 2)}, "mutants": rows}, indent=1))
    (out / "report.md").write_text(_markdown(title, mutants, verdicts, equivalent, equivalents_path, full, closest,
                                             test_names, summary, seconds, jobs), encoding="utf-8")
    return summary


def _row(m: Mutant, v: Verdict | None, equivalent: dict[str, equivalents.Equivalent]) -> dict[str, Any]:
    row = m.summary()
    row["status"] = "equivalent" if _is_equivalent(m, equivalent) else (v.status if v else "not graded")
    if v:
        row.update(score=v.score, bonus=v.bonus, caught_by=v.caught_by, hints=v.hints,
                   characterised=v.characterised, import_broken=v.import_broken, seconds=v.seconds)
    return row


def _markdown(title, mutants, verdicts, equivalent, equivalents_path, full, closest, test_names, s: Summary,
              seconds, jobs) -> str:
    lines = [f"# Mutation analysis: {title}", ""]
    lines += [
        f"**Mutation score: {s.score:.1f}%** ({s.killed} of {s.killed + s.survived} non-equivalent mutants killed "
        f"by the public and hidden tests together).", "",
        "| mutants | killed | survived | equivalent (reviewed) | no verdict (error, timeout) |",
        "| --- | --- | --- | --- | --- |",
        f"| {s.total} | {s.killed} | {s.survived} | {s.equivalent} | {s.unfinished} |", "",
        f"Of the killed: {s.partial} partial (neither 0 nor full marks), {s.zero} at 0 with their modules importing, "
        f"{s.import_broken} that broke an import; a catalogued mistake named for {s.hinted}, the failing cases "
        f"characterised for {s.characterised}.", "",
        f"Graded in {seconds / 60:.1f} min on {jobs} worker(s) "
        "(verdicts of earlier runs reused where nothing changed).",
        "",
        "How to read this: a *survivor* is a change to the reference that no test notices: a mistake a student "
        "could make and keep every point. Either add a test case that tells it apart (through the documented "
        "contract only), or, when no allowed input can tell it from the reference, list it as equivalent in "
        f"`{equivalents_path.name}` with its id, its mutated line (`after:`) and the reason.", "",
    ]
    by_operator: dict[str, Counter] = defaultdict(Counter)
    for m in mutants:
        v = verdicts.get(m.id)
        status = "equivalent" if _is_equivalent(m, equivalent) else (v.status if v else "not graded")
        by_operator[m.operator][status] += 1
    lines += ["## By operator", "", "| operator | mistake | killed | survived | equivalent |",
              "| --- | --- | --- | --- | --- |"]
    whats = {m.operator: m.what for m in mutants}
    for op in sorted(by_operator):
        c = by_operator[op]
        lines.append(f"| `{op}` | {whats[op]} | {c['killed']} | {c['survived']} | {c['equivalent']} |")
    lines.append("")

    survivors = [m for m in mutants if not _is_equivalent(m, equivalent)
                 and (v := verdicts.get(m.id)) is not None and v.status == "survived"]
    lines += [f"## Survivors ({len(survivors)}): findings", ""]
    if not survivors:
        lines += ["None: every non-equivalent mutant loses points.", ""]
    for m in survivors:
        near = [test_names.get(t, t) for t in closest.get(m.function, [])]
        lines += [f"### `{m.id}`: {m.module} line {m.line}, in `{m.function}`", "",
                  f"Mistake: {m.what}.", "", "```diff", printable(m.diff()).rstrip(), "```", "",
                  "Tests that came closest (they call this code and kept their points): "
                  + (", ".join(f"`{n}`" for n in near) if near else "none calls it"), ""]

    zero = [m for m in mutants if (v := verdicts.get(m.id)) and v.status == "killed" and v.score <= 0
            and not v.import_broken and not _is_equivalent(m, equivalent)]
    if zero:
        lines += [f"## Killed with 0 points ({len(zero)}): not partial", "",
                  "One mistake costs the whole grade here: the tests that catch it are all of them.", ""]
        lines += [f"- `{m.id}` ({m.module}:{m.line}): `{m.after.strip()}`" for m in zero] + [""]

    unfinished = [m for m in mutants if (v := verdicts.get(m.id)) is None or v.status not in ("killed", "survived")]
    if unfinished:
        lines += [f"## No verdict ({len(unfinished)}): rerun", ""]
        for m in unfinished:
            v = verdicts.get(m.id)
            lines.append(f"- `{m.id}`: {v.status + ': ' + printable(v.message)[:200] if v else 'not graded'}")
        lines.append("")

    known = {m.id: m for m in mutants}
    lines += [f"## Equivalent mutants ({s.equivalent}), from `{equivalents_path.name}`", ""]
    for entry in equivalent.values():
        m = known.get(entry.id)
        if m is None:
            lines.append(f"- `{entry.id}`: STALE: no such mutant any more; remove the entry")
        elif not equivalents.matches(entry, m.after):
            lines.append(f"- `{entry.id}`: STALE: the mutant changed (now `{m.after.strip()}`); review it again")
        else:
            lines.append(f"- `{entry.id}` ({m.module}:{m.line}, `{m.after.strip()}`): {entry.reason}")
    lines.append("")

    lines += ["## Every mutant", "", "| mutant | line | verdict | score | caught by | hint | characterised |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for m in mutants:
        v = verdicts.get(m.id)
        status = "equivalent" if _is_equivalent(m, equivalent) else (v.status if v else "not graded")
        if v and status == "killed":
            caught = ", ".join(test_names.get(t, t) for t in v.caught_by[:3]) + (
                f" (+{len(v.caught_by) - 3})" if len(v.caught_by) > 3 else "")
            bonus = f" +{v.bonus:g}" if v.bonus else ""
            lines.append(f"| `{m.id}` | {m.module}:{m.line} | killed{' (import)' if v.import_broken else ''} | "
                         f"{v.score:g}{bonus}/{full:g} | {caught} | {', '.join(v.hints) or '-'} | "
                         f"{len(v.characterised) or '-'} |")
        else:
            score = f"{v.score:g}/{full:g}" if v and status in ("survived", "equivalent") else "-"
            lines.append(f"| `{m.id}` | {m.module}:{m.line} | {status} | {score} | - | - | - |")
    return "\n".join(lines) + "\n"
