"""Write the killed mutants of a mutation run as a generated catalogue of mistakes
(the file :mod:`autograder.grade.mutant_catalogue` reads)::

    python -m autograder.staff.mutants.catalogue --assignment assignment/assignment.yaml \
        --run build/mutants --out assignment/diagnoses/mutants.json [--per-operator 2]

Only mutants that the graders kill with partial marks, their modules importing: a
survivor's output is the reference's on every graded input (it could only ever be
dropped by the diagnoser), and a mutant that breaks an import names nothing. At most
``--per-operator`` mutants per function and operator, the first in the file: every
failed check replays each variant of its function, so the catalogue stays small. The
file is sorted and holds no time or path: the same run writes the same bytes.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import Counter
from pathlib import Path

from autograder.runtime import config
from autograder.staff.mutants import generate
from autograder.staff.mutants.run import Verdict


def reached(source: str, function: str, public: set[str]) -> list[str]:
    """The public functions of ``source`` that are ``function`` or call it, directly
    or through other functions of the same module."""
    callers: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Name) and inner.id != node.name:
                    callers.setdefault(inner.id, set()).add(node.name)
    reach, todo = {function}, [function]
    while todo:
        for caller in callers.get(todo.pop(), ()):
            if caller not in reach:
                reach.add(caller)
                todo.append(caller)
    return sorted(reach & public)


def entries(mutants: list[generate.Mutant], verdicts: dict[str, Verdict], public: set[str], full: float,
            per_operator: int) -> list[dict]:
    taken: Counter[tuple[str, str]] = Counter()
    found = []
    for m in mutants:
        v = verdicts.get(m.id)
        if v is None or v.status != "killed" or v.import_broken or not 0 < v.score < full:
            continue
        if taken[(m.function, m.operator)] >= per_operator:
            continue
        functions = reached(m.source, m.function, public)
        if not functions:
            continue
        taken[(m.function, m.operator)] += 1
        found.append({"id": m.id, "module": m.module, "function": m.function, "functions": functions,
                      "operator": m.operator, "what": m.what, "source": m.source})
    return sorted(found, key=lambda e: e["id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", required=True, type=Path)
    parser.add_argument("--run", required=True, type=Path, help="the out folder of make mutants")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--per-operator", type=int, default=2)
    args = parser.parse_args(argv)
    assignment = config.load(args.assignment)
    if assignment.reference is None:
        print(f"error: {args.assignment}: no reference", file=sys.stderr)
        return 2
    summary = args.run / "mutants.json"  # the modules of the run; a run still going: the required ones
    modules = (sorted({Path(row["module"]).stem for row in json.loads(summary.read_text(encoding="utf-8"))["mutants"]},
                      key=list(assignment.modules).index) if summary.exists() else list(assignment.required_modules))
    mutants = generate.all_mutants(assignment.reference, modules, cache=args.run / "generated")
    verdicts = {}
    for m in mutants:
        path = args.run / "verdicts" / f"{m.id}.json"
        if path.exists():
            v = Verdict.from_json(json.loads(path.read_text(encoding="utf-8")))
            if v is not None and v.digest == m.digest:
                verdicts[m.id] = v
    reference = json.loads((args.run / "verdicts" / "reference.results.json").read_text(encoding="utf-8"))
    full = sum(t.get("max_score", 0) for t in reference.get("tests", []))
    init = (assignment.reference / "__init__.py").read_text(encoding="utf-8")
    public = {name for node in ast.walk(ast.parse(init)) if isinstance(node, ast.ImportFrom)
              for name in (a.asname or a.name for a in node.names)}
    found = entries(mutants, verdicts, public, full, args.per_operator)
    args.out.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(found)} generated mistakes written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
