"""Turn reference solutions into student stubs.

A solution region is the lines between a ``# BEGIN SOLUTION`` line and the matching
``# END SOLUTION`` line. Inside a function the region becomes one
``raise NotImplementedError(...)`` naming the function, at the marker's indentation;
at module level (helpers the student writes themselves) it is dropped. Signatures,
docstrings and everything outside the markers are kept verbatim.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.runtime.outcomes import not_implemented

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")


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
    """Name of the innermost ``def`` above, indented less than the marker."""
    if not indent:
        return None
    for line in reversed(lines):
        match = _DEF.match(line)
        if match and len(match.group(1)) < len(indent):
            return match.group(2)
    return None


def _squeeze_blank_lines(text: str) -> str:
    """Dropping module-level regions can leave runs of blank lines; keep at most two
    (PEP 8) and end with exactly one newline."""
    return re.sub(r"\n{4,}", "\n\n\n", text).rstrip("\n") + "\n"
