"""A synthetic class for batch-grading tests and the batch benchmark: submissions of
known kinds laid out as Gradescope's "Export Submissions" (``submission_metadata.yml``
with Ruby-style keys, one ``submission_<n>/`` folder each) or as a plain folder.

Kinds: ``correct`` (the reference as a ``convnet/`` package), ``flat`` (the reference's
files at the top), ``nested`` (``hw/convnet/``), ``forger`` (correct, but tries to
write a perfect results.json at import), ``stubs``, ``empty``, ``syntax`` (a syntax
error in pool.py), ``loop`` (an infinite loop in avg_pool_forward) and
``bug:<name>`` for each bug of :mod:`tests.buggy`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.buggy import BUGS

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "solutions" / "convnet"
STUBS = ROOT / "student_template" / "convnet"
BUG_BY_NAME = {b.name: b for b in BUGS}

FORGER = '''
import json as _json, os as _os
for _folder in ("/autograder/results", _os.path.join(_os.environ.get("AUTOGRADER_ROOT", "/nonexistent"), "results"),
                _os.path.join(_os.getcwd(), "..", "results")):
    try:
        with open(_os.path.join(_folder, "results.json"), "w") as _f:
            _json.dump({"score": 100, "tests": []}, _f)
    except OSError:
        pass
'''


def write_submission(kind: str, folder: Path) -> Path:
    """A submission of ``kind`` in ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind.startswith("bug:"):
        return BUG_BY_NAME[kind[4:]].write(folder)
    if kind in ("correct", "forger", "loop"):
        shutil.copytree(REFERENCE, folder / "convnet", ignore=shutil.ignore_patterns("__pycache__"))
        package = folder / "convnet"
        if kind == "forger":
            (package / "shapes.py").write_text((package / "shapes.py").read_text() + FORGER)
        if kind == "loop":
            text = (package / "pool.py").read_text()
            marker = '    """Forward pass of average pooling'
            assert text.count(marker) == 1
            (package / "pool.py").write_text(text.replace(marker, '    while True:\n        pass\n    """x', 1))
    elif kind in ("flat", "syntax"):
        for module in REFERENCE.glob("*.py"):
            shutil.copy(module, folder / module.name)
        if kind == "syntax":
            (folder / "pool.py").write_text((folder / "pool.py").read_text() + "\ndef broken(:\n")
    elif kind == "nested":
        shutil.copytree(REFERENCE, folder / "hw" / "convnet", ignore=shutil.ignore_patterns("__pycache__"))
    elif kind == "stubs":
        shutil.copytree(STUBS, folder / "convnet", ignore=shutil.ignore_patterns("__pycache__"))
    elif kind == "empty":
        (folder / "notes.txt").write_text("I could not finish in time.\n")
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return folder


def student(n: int) -> dict:
    return {"name": f"Student {n:03d}", "email": f"student{n:03d}@example.edu", "sid": f"{9000 + n}"}


def write_export(root: Path, kinds: list[str], *, recorded: dict[int, float] | None = None,
                 unlisted: list[str] = (), missing: int = 0) -> dict[str, dict]:
    """Gradescope's export layout in ``root``: submission ``i`` of kind ``kinds[i]`` in
    ``submission_<100+i>/``, submitted by :func:`student` ``(i)``; ``recorded[i]`` is the
    score Gradescope recorded. ``unlisted`` kinds get folders that the metadata does not
    list; ``missing`` entries are listed without a folder. Returns {id: {"kind", "who"}}."""
    recorded = recorded or {}
    lines, expected = [], {}
    for i, kind in enumerate(kinds):
        name = f"submission_{100 + i}"
        write_submission(kind, root / name)
        who = student(i)
        expected[name] = {"kind": kind, "who": who}
        lines += [f"{name}:", "  :submitters:", f"  - :name: {who['name']}", f"    :sid: '{who['sid']}'",
                  f"    :email: {who['email']}", f"  :created_at: 2026-02-{1 + i % 28:02d} 22:13:45.123456000 -08:00",
                  "  :status: processed"]
        if i in recorded:
            # Ruby writes BigDecimal scores with a tag: the reader must cope.
            score = recorded[i]
            lines.append(f"  :score: !ruby/object:BigDecimal 18:{score / 100:.4f}e2" if i % 2 else f"  :score: {score}")
            lines += ["  :results:", f"    score: {score}", "    extra_data:", "      version: 0.9.0", "    tests: []"]
        lines.append("  :history: []")
    for j in range(missing):
        lines += [f"submission_{900 + j}:", "  :submitters:", f"  - :name: Gone {j}", "    :sid: '1'", "  :history: []"]
    for j, kind in enumerate(unlisted):
        name = f"submission_{800 + j}"
        write_submission(kind, root / name)
        expected[name] = {"kind": kind, "who": None}
    (root / "submission_metadata.yml").write_text("\n".join(lines) + "\n")
    return expected
