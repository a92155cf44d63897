"""The student notebook: ``otter assign`` on the master notebook, made reproducible.

An assignment may hold one master notebook in ``<assignment>/notebook/*.ipynb``, in
otter-assign format, with exception-based checks (``tests: {files: true, ok_format:
false}``) and its own init cell creating ``otter.Notebook(..., tests_dir="checks")``.
:func:`assign_notebook` runs otter assign (offline: no PDFs, no autograder zip, no test
run) and puts into the release:

- the student notebook, with outputs, execution counts and volatile metadata removed
  and cell ids derived from the cells' content, so that two builds give the same bytes;
- otter's check files in ``checks/`` (not ``tests/``, which holds the pytest tests:
  otter would try to load those as checks);
- any other file otter wrote for students, except under the package folder, which
  only the stub generator writes.

The result is checked: no solution marker, no hidden check, and the notebook points
otter at ``checks/``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.runtime import archive

CHECKS_DIR = "checks"
MASTER_DIR = "notebook"
SOLUTION_MARKERS = re.compile(
    r"#\s*(BEGIN|END) SOLUTION|#\s*SOLUTION\b|#\s*(BEGIN|END) (TESTS|QUESTION)|ASSIGNMENT CONFIG")
KEPT_CELL_METADATA = ("tags", "deletable", "editable")


class NotebookError(ValueError):
    """The master notebook or otter's output is not fit for a student release."""


def find_master(assignment_root: Path) -> Path | None:
    """The assignment's master notebook, or ``None`` when it has none."""
    folder = Path(assignment_root) / MASTER_DIR
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if len(found) > 1:
        raise NotebookError(f"{folder}: one master notebook expected, found {[p.name for p in found]}")
    return found[0] if found else None


def assign_notebook(master: Path, out: Path, *, package: str) -> list[Path]:
    """Run otter assign on ``master`` and write the student side into ``out``;
    return the files written, relative to ``out``."""
    with tempfile.TemporaryDirectory(prefix="otter-assign-") as tmp:
        result = Path(tmp) / "result"
        done = subprocess.run(
            [sys.executable, "-m", "otter", "assign", "--no-pdfs", "--no-run-tests", str(master), str(result)],
            capture_output=True,
            text=True,
        )
        student = result / "student"
        if done.returncode != 0 or not (student / master.name).is_file():
            raise NotebookError(f"otter assign failed on {master}:\n{(done.stdout + done.stderr)[-3000:]}")

        written = []
        for rel in archive.tree_files(student):
            if rel.parts[0] == package:
                continue  # the package comes from the stub generator only
            dst = Path(CHECKS_DIR, *rel.parts[1:]) if rel.parts[0] == "tests" else rel
            (out / dst).parent.mkdir(parents=True, exist_ok=True)
            if rel == Path(master.name):
                notebook = normalize(json.loads((student / rel).read_text(encoding="utf-8")))
                (out / dst).write_text(dumps(notebook), encoding="utf-8")
            else:
                shutil.copyfile(student / rel, out / dst)
            written.append(dst)
    check_student_side(out, written, master.name)
    return written


def normalize(notebook: dict) -> dict:
    """The notebook without outputs, execution counts or volatile metadata, with cell
    ids that depend only on the cells' type, source and position among equal cells."""
    seen: dict[str, int] = {}
    for cell in notebook["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        cell["source"] = source
        cell["metadata"] = {k: cell["metadata"][k] for k in KEPT_CELL_METADATA if k in cell.get("metadata", {})}
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        if not cell.get("attachments"):
            cell.pop("attachments", None)
        digest = hashlib.sha256(f"{cell['cell_type']}\0{source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell["id"] = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
    metadata = notebook.get("metadata", {})
    notebook["metadata"] = {k: metadata[k] for k in ("kernelspec", "language_info") if k in metadata}
    notebook["metadata"].get("language_info", {}).pop("version", None)
    notebook["nbformat"], notebook["nbformat_minor"] = 4, max(notebook.get("nbformat_minor", 5), 5)
    return notebook


def dumps(notebook: dict) -> str:
    """The notebook as Jupyter writes it (1-space indent, sorted keys, trailing newline)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def check_student_side(out: Path, written: list[Path], notebook_name: str) -> None:
    """Raise :class:`NotebookError` when a written file carries a solution or otter
    marker or a hidden check, or when the notebook does not use ``checks/``."""
    for rel in written:
        text = (out / rel).read_text(encoding="utf-8", errors="replace")
        marker = SOLUTION_MARKERS.search(text)
        if marker:
            raise NotebookError(f"{rel}: still contains {marker.group(0)!r} after otter assign")
        if rel.parts[0] == CHECKS_DIR and re.search(r"hidden\s*=\s*True", text):
            raise NotebookError(f"{rel}: a hidden check would reach students; hidden tests belong to the graders")
    cells = json.loads((out / notebook_name).read_text(encoding="utf-8"))["cells"]
    if not any(f'tests_dir="{CHECKS_DIR}"' in cell["source"] for cell in cells if cell["cell_type"] == "code"):
        raise NotebookError(
            f'{notebook_name}: its init cell must create otter.Notebook(..., tests_dir="{CHECKS_DIR}") '
            f"(the checks are put in {CHECKS_DIR}/, beside the pytest tests/)"
        )
