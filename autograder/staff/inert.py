"""Text that a submission or an export chose, made inert for the programs a TA opens
grade-all's outputs with.

Students choose their names, emails and ids on Gradescope, the names of their files and
of the exceptions their code raises; an export can be edited by anyone who had it. All
of that lands in ``scores.csv`` (a spreadsheet), ``report.md`` and the feedback files (a
markdown viewer, which renders HTML) and on the terminal. Each function here takes any
text and returns text that its program shows as the same letters and never acts on:

- :func:`csv_cell`: a spreadsheet cell that is never a formula;
- :func:`md_text`: markdown (inline, one line: a table cell, a list item) that renders
  as the letters given, with no link or image syntax, HTML, emphasis or table break (a
  bare web address may still be shown as a link by a viewer: never loaded);
- :func:`md_block`: many lines shown as they are (an indented code block).

Each one strips terminal control characters too (:func:`printable`).
"""

from __future__ import annotations

import re

from autograder.runtime.text import printable

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and
# CR, may drop them and read what follows as one): OWASP's list for CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Markdown's inline syntax, escaped with a backslash (CommonMark lets any ASCII
# punctuation be escaped). <, > and & become entities instead: no HTML, no entity.
# Only what acts mid-line: a line never starts with student text here (a table cell, or
# after a list item's own words), so ``#``, ``-``, ``+`` and ``1.`` stay plain.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]!|~"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"})


_INTRAWORD = re.compile(r"(?<=[A-Za-z0-9])\\_(?=[A-Za-z0-9])")


def csv_cell(text: object) -> str:
    """``text`` as a CSV cell no spreadsheet evaluates: one that starts (after any
    spaces) with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``, which
    spreadsheets show as text and hide. The csv module quotes commas, quotes and
    newlines. Only for text: write numbers as numbers."""
    value = printable(str(text))
    if value.lstrip(" ").startswith(FORMULA_STARTS) or value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def md_text(text: object, limit: int = 300) -> str:
    """``text`` on one line of markdown, shown as its letters: whitespace (newlines
    included) folded to single spaces, cut to ``limit`` characters, every character of
    markdown's syntax escaped, HTML's made entities."""
    folded = " ".join(printable(str(text)).split())
    if len(folded) > limit:
        folded = folded[:limit - 1] + "…"
    # "_" between letters or digits is never emphasis (CommonMark): submission_12 stays readable
    return _INTRAWORD.sub("_", folded.translate(_MARKDOWN))


def md_block(text: object, indent: str = "    ") -> str:
    """Many lines of ``text`` as a markdown indented code block (each line indented by
    four spaces: nothing inside it can end the block or be read as markdown or HTML).
    The caller leaves a blank line before it."""
    lines = printable(str(text)).expandtabs(4).splitlines() or [""]
    return "\n".join(indent + line if line.strip() else "" for line in lines)
