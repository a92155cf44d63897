"""The reviewed list of equivalent mutants: ``mutants-equivalent.yaml`` beside an
assignment's ``assignment.yaml``.

A mutant is equivalent when no input the docstrings allow tells it from the
reference (``int(a // b)`` and ``int(a / b)`` where ``b`` divides ``a``); it is left
out of the score. Each entry names the mutant by its id, says why, and quotes the
mutated line, so an entry whose mutant changed (the reference was edited) is
reported as stale rather than silently excusing another mutant::

    - id: shapes.conv_output_size.ReplaceBinaryOperator_FloorDiv_Div.0
      after: "    return int(span / stride + 1)"
      reason: span is a multiple of stride here (checked just above), so / and // agree
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

FILE_NAME = "mutants-equivalent.yaml"


class EquivalentsError(ValueError):
    """The reviewed file is malformed (its path, the entry and the reason are in the message)."""


@dataclasses.dataclass(frozen=True)
class Equivalent:
    id: str
    reason: str
    after: str | None  # the mutated line(s) as reviewed; None: not quoted


def load(path: Path) -> dict[str, Equivalent]:
    """The entries of ``path`` by id; an empty dict when the file does not exist."""
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise EquivalentsError(f"{path}: not valid YAML: {err}") from None
    if raw is None:  # an empty file: nothing reviewed yet
        return {}
    if not isinstance(raw, list):
        raise EquivalentsError(f"{path}: must be a list of entries (- id: ..., reason: ...)")
    found: dict[str, Equivalent] = {}
    for i, entry in enumerate(raw):
        where = f"{path}: entry {i + 1}"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise EquivalentsError(f"{where}: needs an id (the mutant's id in the report)")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise EquivalentsError(f"{where} ({entry['id']}): needs a reason: why no allowed input tells it apart")
        after = entry.get("after")
        if after is not None and not isinstance(after, str):
            raise EquivalentsError(f"{where} ({entry['id']}): after must be the mutated line, as a string")
        if entry["id"] in found:
            raise EquivalentsError(f"{where}: {entry['id']} is listed twice")
        found[entry["id"]] = Equivalent(entry["id"], reason.strip(), after)
    return found


def matches(entry: Equivalent, after: str) -> bool:
    """Whether the reviewed entry still describes the mutant (its mutated line unchanged)."""
    return entry.after is None or entry.after.strip() == after.strip()
