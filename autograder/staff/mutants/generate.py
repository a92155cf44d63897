"""Every mutant of an assignment's reference, each with a stable id.

A mutant changes one span inside a solution region of one module of the reference
package (never a docstring, a string or an error message's wording). Its id,
``<module>.<function>.<operator>.<k>`` (the k-th mutant of that operator in that
function, in the order of the file), stays the same as long as that function does:
the equivalent mutants' reviewed list names mutants by it.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from autograder.staff.mutants import generic, operators, regions


@dataclasses.dataclass(frozen=True)
class Mutant:
    id: str
    module: str  # the file inside the package, e.g. conv.py
    function: str  # the function the change is in ("<module>" for module level)
    line: int  # the first changed line
    operator: str  # ours (e.g. drop-term) or cosmic-ray's (e.g. core/NumberReplacer)
    what: str  # the mistake in words
    before: str  # the changed lines of the reference
    after: str  # the same lines in the mutant
    source: str  # the whole mutated module

    @property
    def digest(self) -> str:
        """What the mutant is, for resuming: the same id with another change is another mutant."""
        return hashlib.sha256(f"{self.module}\0{self.source}".encode()).hexdigest()[:16]

    def diff(self, context: int = 2) -> str:
        """A unified diff against the reference, with the file and line numbers."""
        return "".join(difflib.unified_diff(
            self.reference_source().splitlines(keepends=True), self.source.splitlines(keepends=True),
            f"a/{self.module}", f"b/{self.module}", n=context))

    def reference_source(self) -> str:
        return _REFERENCE_TEXT[(self.module, hashlib.sha256(self.source.encode()).hexdigest())]

    def summary(self) -> dict:
        """The mutant as plain data (no source), for the JSON report."""
        keys = ("id", "module", "function", "line", "operator", "what", "before", "after")
        return {k: getattr(self, k) for k in keys}


_REFERENCE_TEXT: dict[tuple[str, str], str] = {}  # (module, sha of the mutant) -> the reference's text


def mutants_of_module(module: str, source: str) -> Iterator[Mutant]:
    """Every mutant of one module's solution regions, in file order, duplicates and
    mutants that do not compile left out."""
    tree = ast.parse(source)
    solution = regions.solution_lines(source)
    strings = regions.string_spans(tree)
    functions = regions.enclosing_functions(tree)
    src = operators.Source(source)

    def keep(first: tuple[int, int], last: tuple[int, int] | None = None) -> bool:
        lines = range(first[0], (last or first)[0] + 1)
        return all(n in solution for n in lines) and not regions.inside_any(first, strings)

    candidates: list[tuple[tuple[int, int], str, str, str]] = []  # (position, operator, what, mutated source)
    for name, (operator, what) in operators.OPERATORS.items():
        for edit in operator(tree, src):
            if keep(edit.start, edit.end):
                candidates.append((edit.start, name, what, src.apply(edit)))
    for found in generic.generic_mutants(source, keep):
        candidates.append((found.position, found.operator, generic.CHOSEN[found.operator], found.source))

    seen = {source}
    counts: Counter[tuple[str, str]] = Counter()
    stem = Path(module).stem
    order = {name: i for i, name in enumerate([*operators.OPERATORS, *generic.CHOSEN])}
    for position, name, what, mutated in sorted(candidates, key=lambda c: (order[c[1]], c[0])):
        if mutated in seen or not _compiles(mutated):
            continue
        seen.add(mutated)
        line, before, after = _changed(source, mutated)
        function = regions.function_at(functions, position[0])
        short = name.split("/")[-1]
        k = counts[(function, short)]
        counts[(function, short)] += 1
        _REFERENCE_TEXT[(module, hashlib.sha256(mutated.encode()).hexdigest())] = source
        yield Mutant(f"{stem}.{function}.{short}.{k}", module, function, line, name, what, before, after, mutated)


def all_mutants(package: Path, modules: list[str], cache: Path | None = None) -> list[Mutant]:
    """The mutants of every module (``<package>/<module>.py``), module by module,
    sorted by file and line. ``cache``: a folder where each module's mutants are kept,
    keyed by its text and the generator's own code (parsing once per mutant costs
    seconds per module; a rerun after a grader's change reuses them)."""
    found = []
    for module in modules:
        path = Path(package) / f"{module}.py"
        source = path.read_text(encoding="utf-8")
        found += _cached(path.name, source, cache) if cache else list(mutants_of_module(path.name, source))
    return sorted(found, key=lambda m: (modules.index(Path(m.module).stem), m.line, m.id))


def _fingerprint() -> str:
    """The generator's own code and cosmic-ray's version: a change to either makes new mutants."""
    from importlib.metadata import version
    digest = hashlib.sha256(version("cosmic-ray").encode())
    for name in ("generate.py", "generic.py", "operators.py", "regions.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def _cached(module: str, source: str, cache: Path) -> list[Mutant]:
    key = hashlib.sha256(f"{_fingerprint()}\0{module}\0{source}".encode()).hexdigest()[:24]
    path = Path(cache) / f"{Path(module).stem}-{key}.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        mutants = [Mutant(**row) for row in rows]
    except (OSError, ValueError, TypeError):
        mutants = list(mutants_of_module(module, source))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps([dataclasses.asdict(m) for m in mutants]), encoding="utf-8")
        os.replace(tmp, path)
    for m in mutants:
        _REFERENCE_TEXT[(m.module, hashlib.sha256(m.source.encode()).hexdigest())] = source
    return mutants


def _compiles(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def _changed(before: str, after: str) -> tuple[int, str, str]:
    """The first changed line (1-based) and the changed lines on each side."""
    a, b = before.splitlines(), after.splitlines()
    first = 0
    while first < min(len(a), len(b)) and a[first] == b[first]:
        first += 1
    last_a, last_b = len(a), len(b)
    while last_a > first and last_b > first and a[last_a - 1] == b[last_b - 1]:
        last_a, last_b = last_a - 1, last_b - 1
    return first + 1, "\n".join(a[first:last_a]), "\n".join(b[first:last_b])
