"""The exceptions a grader sees when it calls the student's code through the sandbox.

Both carry ``grading_message`` (the sentence the student reads) and ``reason`` (its
:mod:`~autograder.runtime.outcomes` code), from a :class:`~autograder.sandbox.messages.Message`.
"""

from __future__ import annotations

import builtins

from autograder.runtime import outcomes
from autograder.sandbox.messages import Message


class SandboxError(Exception):
    """The student's process could not answer (crash, timeout, import error...)."""

    def __init__(self, message: Message):
        super().__init__(message.text)
        self.grading_message = message.text
        self.reason = message.reason


class StudentError(Exception):
    """The student's code raised; subclasses also derive from the matching builtin
    exception so that ``pytest.raises(ValueError)`` works across the boundary."""

    grading_message = ""
    remote_type = ""
    reason = outcomes.ERROR


_ERROR_CLASSES: dict[str, type] = {}


def student_error_class(bases: list[str]) -> type:
    """The :class:`StudentError` subclass for the first builtin exception of ``bases``."""
    for name in bases:
        builtin = getattr(builtins, name, None)
        if isinstance(builtin, type) and issubclass(builtin, Exception) and builtin is not Exception:
            if name not in _ERROR_CLASSES:
                _ERROR_CLASSES[name] = type(f"Student{name}", (StudentError, builtin), {})
            return _ERROR_CLASSES[name]
    return StudentError
