"""Every sentence a student can read from the sandbox, locate and the runner.

A sentence about a condition comes as a :class:`Message`: the words and, beside them,
the :mod:`~autograder.runtime.outcomes` code of the condition, so that nothing
downstream ever reads the words to find out what happened (reword freely). The
modules that detect a condition pick the function here; none writes its own words.
"""

from __future__ import annotations

import dataclasses
import signal
from typing import TYPE_CHECKING

from autograder.runtime import outcomes
from autograder.runtime.text import printable

if TYPE_CHECKING:
    from autograder.runtime.config import SandboxLimits


@dataclasses.dataclass(frozen=True)
class Message:
    """What the student reads (``text``) and why, as a code (``reason``)."""

    text: str
    reason: str


# -- the supervisor: calls not made ---------------------------------------------------------

def skipped_after_timeouts(function: str, times: int) -> Message:
    return Message(f"Not run: {function} already timed out {times} times on small inputs (an infinite loop or a "
                   "sleep?), so its remaining tests were skipped to save time.", outcomes.SKIPPED_AFTER_TIMEOUTS)


def skipped_after_crashes(function: str, times: int) -> Message:
    return Message(f"Not run: {function} ended your code's process {times} times, so its remaining tests were "
                   "skipped to save time (the other functions are still graded).", outcomes.SKIPPED_AFTER_CRASHES)


def budget_spent() -> Message:
    return Message("Not run: grading stopped because the time budget for your submission ran out.", outcomes.BUDGET)


def too_many_restarts(restarts: int) -> Message:
    return Message(f"your code's process died {restarts} times; the remaining calls were not made.",
                   outcomes.CRASHED)


def broken_at_start(cause: Message) -> Message:
    """Every later call fails with this, for the reason the start failed."""
    return Message(f"{cause.text} Every test that needs your code fails until this is fixed.", cause.reason)


def handle_lost() -> Message:
    return Message("this call needs an object (such as a cache) that your code returned earlier, but your code's "
                   "process has restarted since, so it was lost.", outcomes.HANDLE_LOST)


def unavailable(why: str) -> Message:
    """A module :mod:`autograder.grade.locate` could not use (``why`` is its sentence)."""
    return Message(why, outcomes.UNAVAILABLE)


# -- the supervisor: what the process did ------------------------------------------------

def timed_out(timeout: float, doing: str) -> Message:
    return Message(f"Timed out after {timeout:g} s while {doing}: an infinite loop, a sleep, or code far too slow "
                   "for these small inputs? The process was stopped.", outcomes.TIMEOUT)


def stopped_answering(doing: str) -> Message:
    return Message(f"your code's process stopped answering while {doing}.", outcomes.CRASHED)


def over_memory(memory_mb: int, doing: str) -> Message:
    return Message(f"Your code's processes used more than their {memory_mb} MB of memory in all (every process it "
                   f"starts counts) while {doing}, so they were stopped.", outcomes.MEMORY)


def container_out_of_memory(doing: str) -> Message:
    """The kernel killed the student's process because the whole container ran out of
    memory (no group of the sandbox's own to count it in)."""
    return Message(f"Your code's processes together used more memory than the container has while {doing} (every "
                   "process your code starts counts), so the system stopped them.", outcomes.MEMORY)


def over_disk(scratch_mb: int, doing: str) -> Message:
    return Message(f"Your code wrote more than {scratch_mb} MB of files in all while {doing} (the limit of its "
                   "folder), so it was stopped and its files were removed.", outcomes.DISK_FULL)


def killed(sig: int, doing: str, limits: SandboxLimits) -> Message:
    """The process ended by signal ``sig``."""
    known: dict[int, tuple[str, str]] = {
        signal.SIGXCPU: (f"used more than its {limits.cpu_seconds} s of CPU time", outcomes.CPU_TIME),
        signal.SIGXFSZ: (f"wrote a file larger than {limits.max_file_mb} MB", outcomes.FILE_TOO_LARGE),
        signal.SIGKILL: ("was killed (out of memory, or over a limit)", outcomes.CRASHED),
        signal.SIGSEGV: (f"crashed (segmentation fault; often running out of the {limits.memory_mb} MB of memory)",
                         outcomes.CRASHED),
    }
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
    what, reason = known.get(sig, (f"was killed by signal {name}", outcomes.CRASHED))
    return Message(f"Your code's process {what} while {doing}.", reason)


def exited(code: int, doing: str) -> Message:
    if code == 0:
        return Message(f"Your code's process exited (exit code 0) while {doing}: do not call sys.exit() or "
                       "os._exit() in your code.", outcomes.EXITED)
    return Message(f"Your code's process stopped with exit code {code} while {doing}: sys.exit() or os._exit() "
                   "with a code, or your code broke Python itself (did it replace a builtin or a library "
                   "function?).", outcomes.EXITED)


def unreadable(doing: str, detail: str, too_large: bool) -> Message:
    """A reply that could not be read (``too_large``: over a limit of what replies may hold)."""
    return Message(f"while {doing}, your code's process sent something unreadable ({detail}).",
                   outcomes.OUTPUT_TOO_LARGE if too_large else outcomes.UNREADABLE)


def unexpected_reply(doing: str) -> Message:
    return Message(f"your code's process sent an unexpected reply while {doing}.", outcomes.UNREADABLE)


# -- the supervisor: what the student's code raised or lacked ----------------------------

def not_found(function: str, module: str) -> Message:
    return Message(f"{function} was not found in {printable(module)}.py: keep the function's name and signature "
                   "exactly as in the starter code.", outcomes.UNAVAILABLE)


def raised(function: str, reply: dict, limits: SandboxLimits) -> Message:
    """The student's ``function`` raised; ``reply`` is the child's description of the
    exception (``type``, ``bases``, ``message``, ``traceback``; untrusted)."""
    kind = printable(str(reply.get("type", "Exception")))[:100]
    message = printable(str(reply.get("message", "")))[:1000]
    bases = reply.get("bases", [])
    if not isinstance(bases, list):
        bases = []
    # The first of Python's own classes in its MRO says what it is: the student's class
    # may carry any name (a ``class SystemExit(ValueError)`` is a ValueError).
    builtin = str(bases[0]) if bases else kind
    if "NotImplementedError" in bases:
        return Message(outcomes.not_implemented(function), outcomes.NOT_IMPLEMENTED)
    if builtin == "SystemExit":
        return Message(f"{function} called sys.exit(): do not exit from inside your functions.", outcomes.EXITED)
    if builtin == "MemoryError":
        return Message(f"{function} ran out of memory (MemoryError).", outcomes.MEMORY)
    text, reason = f"{function} raised {kind}: {message}", outcomes.ERROR
    if message.startswith("[Errno 27]"):  # EFBIG: Python ignores SIGXFSZ, so the write fails instead
        text = f"{function} tried to write a file larger than {limits.max_file_mb} MB, the limit ({kind}: {message})"
        reason = outcomes.FILE_TOO_LARGE
    elif message.startswith("[Errno 28]"):  # ENOSPC: the private scratch folder is full
        text = f"{function} filled all the disk space its files may use ({kind}: {message})"
        reason = outcomes.DISK_FULL
    if kind == "TypeError" and function in message and ("argument" in message or "keyword" in message):
        text += f" (keep {function}'s parameters as in the starter code: the graders call it that way)"
    tb = printable(str(reply.get("traceback", "")))[:2000]
    return Message(f"{text}\n{tb}" if tb else text, reason)


def import_failed(module: str, reply: dict, packages: tuple[str, ...] = ()) -> Message:
    """``module`` of the student's package did not import; ``reply`` as for :func:`raised`."""
    module = printable(module)
    kind = printable(str(reply.get("type", "Exception")))[:100]
    message = printable(str(reply.get("message", "")))[:1000]
    tb = printable(str(reply.get("traceback", "")))[:2000]
    if kind == "ModuleNotFoundError":
        hint = (f" Only the standard library and {', '.join(packages)} are available to your code." if packages
                else " Only the standard library is available to your code.")
    elif kind == "SyntaxError":
        hint = " Fix the syntax error (run the public tests locally first)."
    else:
        hint = ""
    text = f"{module}.py could not be imported: {kind}: {message}.{hint}"
    return Message(f"{text}\n{tb}" if tb else text, outcomes.UNAVAILABLE)


# -- what the student's code printed (no condition: only words) ---------------------------

def output_dropped(characters: int) -> str:
    return f"\n[... {characters} more characters of output not shown]\n"


def output_cut(limit: int) -> str:
    return f"\n[... output cut at {limit} characters]"


# -- locate: the submission's files (the sandbox raises them with :func:`unavailable`) -------

def nothing_found(wanted: str, package: str, seen: str) -> str:
    where = f"a folder named {package}/ or on their own, at the top of the submission or one folder down"
    return (f"None of the expected files ({wanted}) were found: upload them in {where}. "
            + (f"Your submission contains: {seen}." if seen else "Your submission is empty."))


def notebooks_not_graded(package: str) -> str:
    return f"notebooks (.ipynb) are not graded: upload the .py files of your {package}/ folder"


def zip_not_unpacked(name: str, package: str) -> str:
    return (f"{name} is a zip inside your submission, and a zip inside is not opened: upload {name} itself "
            f"(not the folder holding it), or the .py files of your {package}/ folder")


def optional_not_submitted(name: str) -> str:
    return f"{name} was not submitted: {OPTIONAL}"


OPTIONAL = "it is optional, and only the tests that need it score 0."


def optional_not_implemented(function: str, module: str) -> Message:
    """A function of an optional module (the bonus) still raises NotImplementedError:
    said as a module left out is (the module is optional), with the stub's reason code."""
    return Message(f"{outcomes.not_implemented(function)} in {printable(module)}.py: {OPTIONAL}",
                   outcomes.NOT_IMPLEMENTED)


def symbolic_link(name: str) -> str:
    return f"{name} is a symbolic link, which is not accepted: upload the file itself."


def file_too_large(name: str, limit_mb: int) -> str:
    return (f"{name} is larger than {limit_mb} MB, so it was not graded: keep data and generated tables out of "
            "your code.")


def file_missing(name: str, shown: str, next_to: list[str]) -> str:
    return f"{name} is missing: it was looked for in {shown}, next to {', '.join(next_to)}."


def near_miss(found: str, module: str) -> str:
    return f"found {printable(found)}: rename it to {module}.py"


NO_FILES = "no files were found"


# -- the runner -----------------------------------------------------------------------------

def printed_at_import(printed: str) -> str:
    return "your code printed this while being imported (remove stray prints):\n" + printed


GRADER_FAILED = ("The autograder could not grade this submission because of a problem on the course's side. "
                 "This is not a grade of your work: nobody has been told automatically, so please tell your "
                 "course staff (the details are in the autograder's log, which they can see).")
INTERRUPTED = "The autograder was interrupted."


def grader_died(exit_code: int) -> str:
    """The grader's own process ended (``exit_code`` as os.waitstatus_to_exitcode
    gives it: minus the signal) before writing results: said as run_autograder's
    fallback says it."""
    if exit_code < 0:
        name = signal.Signals(-exit_code).name if -exit_code in signal.Signals._value2member_map_ else -exit_code
        why = f"The autograder was stopped (signal {name}) before it could grade your submission"
    else:
        why = f"The autograder failed (it stopped with exit status {exit_code}) before it could grade your submission"
    return (f"{why}. This is not a grade of your work: nobody has been told automatically, so please tell your "
            "course staff (they can see the details in the autograder log) and resubmit or ask them to rerun it.")
