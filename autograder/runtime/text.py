"""Text from the submission made safe to store and to show on a terminal.

Whatever the student's code prints or raises, and the names of the files it ships,
end up in results.json, the class report, the grader's log and a TA's terminal. A
control character in there can move the cursor, erase lines, set the window title,
write to the clipboard (OSC 52) or reorder what is shown (bidirectional overrides),
so that a "0/1" line reads "1/1". :func:`printable` removes them, and nothing else.
"""

from __future__ import annotations

# C0 controls except tab and newline, DEL, C1 controls (U+009B is a one-character
# CSI), and the bidirectional embeddings, overrides and isolates.
_REMOVED = dict.fromkeys(
    [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def printable(text: str) -> str:
    """``text`` without control characters other than newline and tab; every other
    character (any language, symbols, emoji) is kept as it is."""
    return text.translate(_REMOVED)
