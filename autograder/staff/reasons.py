"""The sentence for each reason code that grade-all's outputs show beside the code.

Codes are facts (:mod:`autograder.runtime.outcomes` for a case, :data:`intake.CODES`
for an export's entry that was not graded, the batch's own statuses); the sentences
are for people and may be reworded freely. Every code has one (a test checks it), so
a new code cannot reach scores.csv without words.
"""

from __future__ import annotations

from autograder.runtime import outcomes
from autograder.staff import intake

SENTENCES: dict[str, str] = {
    # a case that ran
    outcomes.PASSED: "passed",
    outcomes.FAILED: "a check found a wrong value (shape, dtype, values or a contract)",
    outcomes.ERROR: "the student's code raised an exception",
    outcomes.NOT_IMPLEMENTED: "the function is still the stub (NotImplementedError)",
    outcomes.EXITED: "the student's code called sys.exit() or os._exit()",
    # the student's process could not answer
    outcomes.TIMEOUT: "the student's code ran past its time limit",
    outcomes.CRASHED: "the student's process crashed or stopped answering",
    outcomes.MEMORY: "the student's code went over the memory limit",
    outcomes.CPU_TIME: "the student's code went over the CPU-time limit",
    outcomes.FILE_TOO_LARGE: "the student's code wrote a file over the size limit",
    outcomes.DISK_FULL: "the student's code filled the space its files may use",
    outcomes.OUTPUT_TOO_LARGE: "the student's code sent back more data than a reply may hold",
    outcomes.UNREADABLE: "the student's process sent back something that is not a valid reply",
    outcomes.HANDLE_LOST: "an object the call needed died with an earlier process",
    # the student's code could not be called
    outcomes.UNAVAILABLE: "the module is missing or does not import, or the function is not in it",
    outcomes.SKIPPED_AFTER_TIMEOUTS: "not called again: the function timed out too often",
    outcomes.SKIPPED_AFTER_CRASHES: "not called again: the function ended the process too often",
    outcomes.BUDGET: "the submission's total time budget ran out",
    # nothing of the student's
    outcomes.NOT_RUN: "the test's cases never ran",
    outcomes.GRADER_ERROR: "the graders themselves failed (not the student's fault)",
    # an export's entry that was not graded
    intake.OUTSIDE_EXPORT: "the export's metadata names a path outside the export; not graded",
    intake.NOT_A_SUBMISSION: "the export's entry is neither a real folder nor a regular zip; not graded",
    intake.SPECIAL_FILE: "the submission holds a symbolic link, FIFO, device or socket; not graded",
    intake.TOO_LARGE: "the submission is larger than a submission may be; not graded",
    intake.TOO_MANY_FILES: "the submission holds more files than a submission may; not graded",
}

# What a batch's own statuses mean (``timeout`` here is the whole grading's, not a case's).
STATUSES: dict[str, str] = {
    "error": "the grading itself crashed; rerun the batch to retry",
    "timeout": "the whole grading ran past --timeout; rerun the batch to retry",
    "not graded": "no grading of it finished yet; rerun the batch",
}


def status_sentence(status: str) -> str:
    """The sentence for a batch status of a submission that was not graded."""
    return STATUSES.get(status, "not graded")


def sentence(code: str) -> str:
    """The sentence for ``code``; an unknown code (from a newer results.json) is said
    to be one."""
    return SENTENCES.get(code, "a reason this version of grade-all does not know")
