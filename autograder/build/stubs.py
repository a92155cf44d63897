"""Turn reference solutions into student stubs.

A solution region is the lines between a ``# BEGIN SOLUTION`` line and the matching
``# END SOLUTION`` line. Inside a function the region becomes one
``raise NotImplementedError(...)`` naming the function, at the marker's indentation;
at module level (helpers the student writes themselves) it is dropped, and in a class
body (outside a method) it becomes ``pass``, so that a region of comments or a class
left empty stays valid Python. Signatures, docstrings and everything outside the
markers are kept verbatim.

Code shipped to students as it is (a class they must use, a helper, a constant) has no
region: mark a public function or class with a ``# GIVEN`` comment on the line above
it (or its decorators) or at the end of its ``def``/``class`` line, and the release
check accepts it (:func:`is_given`).
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.runtime.outcomes import not_implemented

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
GIVEN = "# GIVEN"
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")
_SCOPE = re.compile(r"^(\s*)(?:(?:async\s+)?def|class)\s+(\w+)")


class MarkerError(ValueError):
    """Unbalanced or nested solution markers: ``<file>:<line>: <reason>``."""

    def __init__(self, filename: str, line: int | None, reason: str):
        super().__init__(f"{filename}:{line}: {reason}")
        self.filename, self.line, self.reason = filename, line, reason


def stub_source(source: str, filename: str = "<source>") -> str:
    """Return ``source`` with every solution region replaced; raise MarkerError on
    unbalanced or nested markers, or when the result is not valid Python."""
    out: list[str] = []
    begin_line = None  # 1-based line of the open BEGIN marker
    for lineno, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin_line is not None:
                raise MarkerError(filename, lineno, f"nested {BEGIN} (the one on line {begin_line} is still open)")
            begin_line = lineno
            indent = line[: len(line) - len(line.lstrip())]
            function = _enclosing_function(out, indent)
            if function:
                out.append(
                    f'{indent}raise NotImplementedError("{not_implemented(function)}: '
                    'write your code here (see the docstring above)")\n'
                )
            elif indent:  # a class body's region: what stays must still be a block
                out.append(f"{indent}pass\n")
        elif marker == END:
            if begin_line is None:
                raise MarkerError(filename, lineno, f"{END} without a matching {BEGIN}")
            begin_line = None
        elif begin_line is None:
            out.append(line)
    if begin_line is not None:
        raise MarkerError(filename, begin_line, f"{BEGIN} is never closed by {END}")
    stubbed = _squeeze_blank_lines("".join(out))
    try:
        compile(stubbed, filename, "exec")
    except SyntaxError as err:
        raise MarkerError(filename, err.lineno, f"the stubbed file is not valid Python: {err.msg}") from None
    return stubbed


def stub_file(src: Path, dst: Path) -> None:
    """Write the stubbed version of ``src`` to ``dst``."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(stub_source(src.read_text(encoding="utf-8"), str(src)), encoding="utf-8")


def _enclosing_function(lines: list[str], indent: str) -> str | None:
    """Name of the innermost ``def`` above, indented less than the marker; None when
    the innermost such scope is a class (a region in a class body, not in a method)."""
    if not indent:
        return None
    for line in reversed(lines):
        match = _SCOPE.match(line)
        if match and len(match.group(1)) < len(indent):
            return match.group(2) if _DEF.match(line) else None
    return None


def is_given(lines: list[str], first_line: int, def_line: int) -> bool:
    """Whether the definition spanning from ``first_line`` (its first decorator, 1-based)
    to its ``def``/``class`` line ``def_line`` is marked ``# GIVEN``: on the line above
    it (blank lines and other comments between allowed) or at the end of that line."""
    if lines[def_line - 1].rstrip().endswith(GIVEN):
        return True
    for line in reversed(lines[:first_line - 1]):
        text = line.strip()
        if text == GIVEN or text.startswith(GIVEN + ":") or text.startswith(GIVEN + " "):
            return True
        if text and not text.startswith("#"):
            return False
    return False


def _squeeze_blank_lines(text: str) -> str:
    """Dropping module-level regions can leave runs of blank lines; keep at most two
    (PEP 8) and end with exactly one newline."""
    return re.sub(r"\n{4,}", "\n\n\n", text).rstrip("\n") + "\n"
