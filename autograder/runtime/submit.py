"""Package a submission: exactly the package files the graders expect, checked first.

    python -m autograder.runtime.submit [--assignment tests/grading.yaml] [--out submission.zip]
                                [--include NOTEBOOK.ipynb ...]

The zip holds ``<package>/__init__.py`` and ``<package>/<module>.py`` for every module
the assignment lists (an optional module only when its file is there), plus any
``--include`` files at its root, always the same bytes for the same files. It is not
written when a required file is missing or when those files, alone in a fresh
interpreter, do not import: what would fail on the grader fails here, with the reason.
Functions that still raise ``NotImplementedError`` are listed as a warning; the zip is
written anyway.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from autograder.runtime import archive, config

IMPORT_TIMEOUT_SECONDS = 60.0
TRACEBACK_LINES = 12  # the tail of an import error shown to the student


class SubmissionError(Exception):
    """The submission cannot be built; the message says why and what to do."""


def required_files(assignment: config.Assignment) -> list[str]:
    """The package's files, relative to the submission root, ``__init__.py`` first
    (the optional modules are not among them)."""
    package = assignment.package
    return [f"{package}/__init__.py"] + [f"{package}/{module}.py" for module in assignment.required_modules]


def optional_files(assignment: config.Assignment, root: Path) -> list[str]:
    """The optional modules' files present under ``root`` (they are submitted too)."""
    package = assignment.package
    return [f"{package}/{m}.py" for m in assignment.optional_modules if (Path(root) / package / f"{m}.py").is_file()]


def unimplemented_functions(source: str) -> list[str]:
    """Names of the top-level functions (and methods, as ``Class.method``) of a module's
    ``source`` whose body still raises ``NotImplementedError``."""
    found = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _raises_not_implemented(node):
                found.append(prefix + node.name)

    visit(ast.parse(source).body, "")
    return found


def import_error(root: Path, modules: list[str], timeout: float = IMPORT_TIMEOUT_SECONDS) -> str | None:
    """Import ``modules`` from ``root`` in a fresh interpreter; return the end of the
    traceback if that fails (or times out), ``None`` if it works."""
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)  # only the submitted files, not whatever is around them
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, *modules],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"importing took more than {timeout:g} s: does a module run long computations when imported?"
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return "\n".join(lines[-TRACEBACK_LINES:]) or f"the interpreter exited with status {done.returncode}"


def build_submission(
    assignment: config.Assignment,
    root: Path,
    out: Path,
    *,
    include: Sequence[str] = (),
    warn=print,
) -> Path:
    """Check the package under ``root`` and write ``out``; return ``out``.

    ``include`` names extra files (relative to ``root``) to put at the zip's root.
    Warnings (unimplemented functions) go to ``warn``.

    Raises:
        SubmissionError: a required or included file is missing, or the package does
            not import on its own; ``out`` is then left as it was.
    """
    root = Path(root)
    files = required_files(assignment)
    missing = [f for f in files + list(include) if not (root / f).is_file()]
    if missing:
        raise SubmissionError(
            f"missing {', '.join(missing)} under {root.resolve()}: the graders need "
            f"{', '.join(files)}, with exactly these names"
        )

    optional = optional_files(assignment, root)
    files += optional
    with tempfile.TemporaryDirectory(prefix="submission-") as tmp:
        staging = Path(tmp)
        for rel in files:
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / rel, staging / rel)
        modules = [assignment.package] + [f"{assignment.package}.{Path(rel).stem}" for rel in files[1:]]
        error = import_error(staging, modules)
        if error is not None:
            raise SubmissionError(
                f"{assignment.package}/ does not import on its own, so it would score 0. Only "
                f"{', '.join(files)} are submitted: keep all your code in them.\n{error}"
            )
        for rel in files:
            try:
                todo = unimplemented_functions((staging / rel).read_text(encoding="utf-8"))
            except SyntaxError:  # unreachable after a successful import; kept for safety
                todo = []
            if todo and rel in optional:
                warn(f"note: {rel} is optional (extra credit) and still has {', '.join(todo)} to write: "
                     "that costs only its extra credit")
            elif todo:
                warn(f"warning: {rel}: still not implemented (these score 0): {', '.join(todo)}")
        for rel in include:
            shutil.copyfile(root / rel, staging / Path(rel).name)
        return archive.write_zip(staging, Path(out))


def _raises_not_implemented(function: ast.AST) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def submit(
    grading: str | Path = "tests/grading.yaml",
    *,
    root: str | Path = ".",
    out: str | Path = "submission.zip",
    include: Sequence[str] = (),
) -> Path:
    """What ``make submit`` and a notebook's last cell run: :func:`build_submission`
    with the release's config, printing warnings and the zip's contents.

    On a refusal an old ``out`` is deleted (so that it cannot be uploaded by mistake)
    and :class:`SubmissionError` is raised.
    """
    out = Path(out)
    try:
        build_submission(config.load(grading), Path(root), out, include=list(include))
    except SubmissionError:
        out.unlink(missing_ok=True)
        raise
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    print(f"wrote {out} ({len(names)} files: {', '.join(names)}); upload it to Gradescope")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", type=Path, default=Path("tests/grading.yaml"),
                        help="the release's grading.yaml")
    parser.add_argument("--root", type=Path, default=Path("."), help="folder holding the package (default: .)")
    parser.add_argument("--out", type=Path, default=Path("submission.zip"))
    parser.add_argument("--include", action="append", default=[], metavar="FILE",
                        help="an extra file for the zip's root")
    args = parser.parse_args(argv)
    try:
        submit(args.assignment, root=args.root, out=args.out, include=args.include)
    except (config.ConfigError, SubmissionError) as err:
        print(f"error: {err}\nNo submission was written.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
