"""The exceptions a grader sees when it calls the student's code through the sandbox.

Both carry ``grading_message`` (the sentence the student reads) and ``reason`` (its
:mod:`~autograder.runtime.outcomes` code), from a :class:`~autograder.sandbox.messages.Message`.

The student's exceptions arrive as real types (:class:`StudentTypes`): the child sends
each class's name, module and bases as plain data (never code), and the trusted side
builds a class of the same name and hierarchy, so that ``except student.CardError``,
``isinstance`` and ``except RuntimeError`` (for a ``CardError(RuntimeError)``) work as
on a laptop, and every message names the student's own types. Each is also a
:class:`StudentError`, which is how the framework tells the student's error from its own.
"""

from __future__ import annotations

import builtins
from typing import Any

from autograder.runtime import outcomes
from autograder.runtime.text import printable
from autograder.sandbox.messages import Message

MAX_CLASSES = 16  # classes of one hierarchy the child describes (its MRO outside builtins)
MAX_BASES = 8
MAX_TYPES = 1000  # classes built for one run: past it, a class reads as its builtin base


class SandboxError(Exception):
    """The student's process could not answer (crash, timeout, import error...)."""

    def __init__(self, message: Message):
        super().__init__(message.text)
        self.grading_message = message.text
        self.reason = message.reason


class StudentError(Exception):
    """The student's code raised. Every class the sandbox builds for a student's
    exception derives from this one and from the builtins of its hierarchy, so that
    ``pytest.raises(ValueError)`` works across the boundary. ``remote_type`` is the
    student's class name (also the class's own ``__name__``)."""

    grading_message = ""
    remote_type = ""
    reason = outcomes.ERROR


_MIRRORS: dict[str, type] = {}


def builtin_mirror(name: str) -> type:
    """The class standing for builtin exception ``name`` raised by the student: named
    ``name`` (module ``builtins``, so it reads as on a laptop), a :class:`StudentError`
    and, for a subclass of Exception, that builtin too. A name that is not a builtin
    exception, or one that must never propagate in the grader (SystemExit,
    KeyboardInterrupt, BaseException itself), is a plain StudentError of that name."""
    if name not in _MIRRORS:
        builtin = getattr(builtins, name, None)
        bases: tuple[type, ...] = (StudentError,)
        # An exception group is built from a list of exceptions, never from a message:
        # its mirror is a plain StudentError of its name (Python 3.11 and later).
        groups = getattr(builtins, "BaseExceptionGroup", ())
        if (isinstance(builtin, type) and issubclass(builtin, Exception) and builtin is not Exception
                and not issubclass(builtin, groups)):
            bases = (StudentError, builtin)
        _MIRRORS[name] = type(name, bases, {"__module__": "builtins", "__qualname__": name})
    return _MIRRORS[name]


def student_error_class(bases: list[str]) -> type:
    """The mirror of the first builtin exception of ``bases`` (an MRO's builtin names)."""
    for name in bases:
        builtin = getattr(builtins, name, None)
        if isinstance(builtin, type) and issubclass(builtin, BaseException):
            return builtin_mirror(name)
    return builtin_mirror("Exception")


class StudentTypes:
    """The classes of one submission, built once from their descriptions and reused
    for the whole run (across restarts of the student's process), so that a class
    named by a grader is the very class of the exception raised later.

    A description (untrusted, from the child) is a list of dicts, the class first,
    then the rest of its MRO outside builtins: ``{"key", "name", "module", "bases"}``,
    ``bases`` the keys of its direct bases (a builtin's key is its name)."""

    def __init__(self) -> None:
        self._built: dict[str, type] = {}

    def build(self, chain: Any) -> type | None:
        """The class of ``chain[0]``, or None when ``chain`` is not a description."""
        if not isinstance(chain, list) or not chain:
            return None
        described: dict[str, dict] = {}
        for entry in chain[:MAX_CLASSES]:
            if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                described.setdefault(entry["key"][:300], entry)
        first = chain[0].get("key") if isinstance(chain[0], dict) else None
        if not isinstance(first, str):
            return None
        return self._class(first[:300], described, set())

    def _class(self, key: str, described: dict[str, dict], seen: set[str]) -> type:
        if key in self._built:
            return self._built[key]
        entry = described.get(key)
        if entry is None or key in seen:  # a builtin, or a class the description left out
            return builtin_mirror(key if key.isidentifier() else "Exception")
        if len(self._built) >= MAX_TYPES:  # a submission making classes without end
            return builtin_mirror("Exception")
        seen.add(key)
        bases = []
        raw = entry.get("bases")
        for base in (raw if isinstance(raw, list) else [])[:MAX_BASES]:
            if isinstance(base, str) and base != "object":
                built = self._class(base[:300], described, seen)
                if built not in bases:
                    bases.append(built)
        name = _identifier(entry.get("name"), "StudentClass")
        namespace = {"__module__": _dotted(entry.get("module")), "__qualname__": name}
        cls = None
        for candidate in (tuple(bases), tuple(bases[:1])):  # an impossible MRO keeps its first base
            try:
                cls = type(name, candidate, namespace)
                break
            except TypeError:
                continue
        if cls is None:
            cls = type(name, (StudentError,), namespace)
        self._built[key] = cls
        return cls


def _identifier(value: Any, default: str) -> str:
    text = printable(str(value))[:100] if isinstance(value, str) else ""
    return text if text.isidentifier() else default


def _dotted(value: Any) -> str:
    text = printable(str(value))[:200] if isinstance(value, str) else ""
    return text if text and all(part.isidentifier() for part in text.split(".")) else "student"
