"""Why a case ended as it did: one reason code per condition the framework recognises.

A code is a short lowercase string (it is written into results.json as it is, so it
never changes meaning once released). It is set where the condition is detected (the
sandbox's supervisor, locate, the pytest plugin) as a ``reason`` attribute of the
exception or outcome, and read wherever the condition matters (the report of a batch,
the count of timeouts per function): nothing is inferred from the wording of a
message, which may change freely.

This module ships to students (the pytest plugin uses it on their laptops), so it
needs nothing but the standard library.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

# -- a case that ran ------------------------------------------------------------------
PASSED = "passed"
FAILED = "failed"  # a check said the value is wrong (shape, dtype, values, a contract)
ERROR = "error"  # the student's code raised an exception
NOT_IMPLEMENTED = "not_implemented"  # the student's code raised NotImplementedError (a stub)
EXITED = "exited"  # sys.exit() or os._exit(), in a call or in the process

# -- the student's process could not answer ------------------------------------------
TIMEOUT = "timeout"  # over the per-call (or import) timeout
CRASHED = "crashed"  # killed by a signal, stopped answering
MEMORY = "memory"  # over the memory limit (the group's, or a MemoryError)
CPU_TIME = "cpu_time"  # over the CPU-time limit (SIGXCPU)
FILE_TOO_LARGE = "file_too_large"  # wrote a file over the per-file limit
DISK_FULL = "disk_full"  # filled the space its files may use
OUTPUT_TOO_LARGE = "output_too_large"  # sent back more data than a reply (or the run) may hold
UNREADABLE = "unreadable"  # sent back something that is not a valid reply
HANDLE_LOST = "handle_lost"  # an object the call needs died with an earlier process

# -- the student's code could not be called ---------------------------------------------
UNAVAILABLE = "unavailable"  # its module is missing or does not import, or the function is not in it
SKIPPED_AFTER_TIMEOUTS = "skipped_after_timeouts"  # the function timed out too often: not called again
SKIPPED_AFTER_CRASHES = "skipped_after_crashes"  # the function ended the process too often: the same
BUDGET = "budget"  # the submission's total time budget ran out

# -- nothing of the student's ------------------------------------------------------------
NOT_RUN = "not_run"  # the test's cases never ran
GRADER_ERROR = "grader_error"  # the trusted side itself failed

ALL = (PASSED, FAILED, ERROR, NOT_IMPLEMENTED, EXITED, TIMEOUT, CRASHED, MEMORY, CPU_TIME, FILE_TOO_LARGE,
       DISK_FULL, OUTPUT_TOO_LARGE, UNREADABLE, HANDLE_LOST, UNAVAILABLE, SKIPPED_AFTER_TIMEOUTS,
       SKIPPED_AFTER_CRASHES, BUDGET, NOT_RUN, GRADER_ERROR)

# The codes that mean the student's code ran too long: what a class report lists as
# "timed out in some tests".
TIMED_OUT = (TIMEOUT, SKIPPED_AFTER_TIMEOUTS)

NOT_IMPLEMENTED_GENERIC = "not implemented yet"
NOT_IMPLEMENTED_WORDS = f"is {NOT_IMPLEMENTED_GENERIC}"


def not_implemented(function: str) -> str:
    """The one sentence for a function that is still a stub: the stubs raise it (with
    advice after a colon), the sandbox and the plugin show it."""
    return f"{function} {NOT_IMPLEMENTED_WORDS}"


def not_implemented_text(raised: str) -> str:
    """What a failed case says for a ``NotImplementedError`` whose message is
    ``raised``: the stub's own sentence without its advice after the colon, or, for
    one the student wrote, the generic sentence with their message."""
    if NOT_IMPLEMENTED_WORDS in raised:
        return raised.split(":")[0]
    return f"{NOT_IMPLEMENTED_GENERIC} ({raised})" if raised else NOT_IMPLEMENTED_GENERIC


def reason_of(exc: BaseException, default: str = ERROR) -> str:
    """The reason code an exception carries (``exc.reason``), else what its type says
    (``NotImplementedError``; an ``AssertionError``: a grader's plain ``assert``
    failed), else ``default``."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason in ALL:
        return reason
    if isinstance(exc, NotImplementedError):
        return NOT_IMPLEMENTED
    if isinstance(exc, AssertionError):
        return FAILED
    return default


def tally(reasons: Iterable[str]) -> dict[str, int]:
    """``{code: cases}``, in the order of :data:`ALL` (stable in results.json)."""
    counts = Counter(reasons)
    return {code: counts[code] for code in ALL if counts[code]}


def main_reason(reasons: Iterable[str]) -> str:
    """One code for a test from its cases' codes: :data:`PASSED` when every case
    passed, :data:`NOT_RUN` when none ran, else the most frequent code of the failing
    cases (the earliest of those tied)."""
    reasons = list(reasons)
    if not reasons:
        return NOT_RUN
    failing = [r for r in reasons if r != PASSED]
    if not failing:
        return PASSED
    counts = Counter(failing)
    return max(failing, key=lambda r: (counts[r], -failing.index(r)))
