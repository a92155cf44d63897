"""Generated mutants as a catalogue of mistakes (:class:`~autograder.grade.diagnose.Mistake`),
for any assignment, without a hand-written list.

``make mutants-catalogue`` (:mod:`autograder.staff.mutants.catalogue`) writes the
mutants the graders kill into a JSON file beside the assignment's catalogue
(``mutants.json`` in its ``diagnoses:`` folder, shipped in autograder.zip with it):
each entry is one module of the reference with one change, the graded functions that
change reaches, and the mistake in words. :func:`mistakes` turns them into Mistakes
whose variants are those functions of the mutated module, executed inside the
reference's package (its relative imports reach the reference's other modules), so
the trusted side replays them exactly as it replays a hand-written variant.

An assignment's catalogue opts in with one line in its ``catalogue(reference)``::

    return [*hand_written(reference), *mutant_catalogue.mistakes(reference, Path(__file__).parent / "mutants.json")]

Correct code is never named: :class:`~autograder.grade.diagnose.Diagnoser` drops every
match the reference's own output also gives, and only mutants whose output differs
from the reference's on the graders' inputs (killed ones) are written.
"""

from __future__ import annotations

import hashlib
import json
import types
from pathlib import Path
from typing import Any

from autograder.grade.diagnose import Mistake

ADVICE = "Compare that part of your code with the docstring's formula, on a small case you can work out by hand."


def mistakes(reference: types.ModuleType, path: Path) -> list[Mistake]:
    """The Mistakes of the generated catalogue at ``path`` (none when it does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    entries = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for entry in entries:
        module = _mutated_module(reference, entry)
        variants = {name: getattr(module, name) for name in entry["functions"]
                    if callable(getattr(module, name, None)) and callable(getattr(reference, name, None))}
        if variants:
            found.append(Mistake(f"mutant:{entry['id']}", f"{entry['what']} (in {entry['function']})",
                                 entry.get("advice") or ADVICE, variants))
    return found


def _mutated_module(reference: types.ModuleType, entry: dict[str, Any]) -> types.ModuleType:
    """The module of ``entry`` run from its mutated source as a sibling of the
    reference's modules: ``from .shapes import ...`` gets the reference's."""
    stem = Path(entry["module"]).stem
    tag = hashlib.sha256(entry["id"].encode()).hexdigest()[:12]
    module = types.ModuleType(f"{reference.__name__}._mutant_{stem}_{tag}")
    module.__package__ = reference.__name__
    module.__file__ = f"<mutant {entry['id']}>"
    exec(compile(entry["source"], module.__file__, "exec"), module.__dict__)  # the reference, one change: trusted
    return module
