"""How graders call the student's code: always on the student's own copies.

The ``student`` fixture is a :class:`DirectStudent` on a laptop (the package imported
in-process) or a sandbox proxy on Gradescope; both behave the same way:

- every array, list, tuple and dict handed to a student function is a fresh copy, so
  a function that changes its inputs in place can never change the arrays a grader
  computes its expected values, numerical gradients or later calls from;
- each call records which of its arguments the student's code changed in place, so
  that a contract test can say so (:func:`changed_inputs`, and
  ``testkit.check_unchanged``). Changing an input can only cost that test;
- and which of them its result shares memory with (:func:`aliased_inputs`, and
  ``testkit.check_new_array``): returning an argument where a new array is promised.

Objects the student's code returned (a cache, an instance) are passed back as they
are: they are the student's own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

Path = tuple  # a path into [args, kwargs]: (0, index, ...) or (1, name, ...)


def own_copy(value: Any) -> Any:
    """``value`` with every ndarray copied and every list, tuple and dict rebuilt;
    anything else (numbers, strings, the student's own objects) as it is."""
    np = _numpy()
    if np is not None and isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [own_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(own_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: own_copy(v) for k, v in value.items()}
    if isinstance(value, (set, bytearray)):
        return type(value)(value)
    return value


MAX_DEPTH = 32  # as the sandbox's protocol: no argument or result of a graded call is deeper


def array_leaves(value: Any, path: tuple = (), seen: set[int] | None = None) -> Iterator[tuple[tuple, Any]]:
    """``(path, array)`` for every ndarray in nested lists, tuples and dicts: each
    container once, no deeper than :data:`MAX_DEPTH` (a student's result may hold itself)."""
    np = _numpy()
    seen = set() if seen is None else seen
    if np is not None and isinstance(value, np.ndarray):
        yield path, value
    elif isinstance(value, (list, tuple, dict)) and len(path) <= MAX_DEPTH and id(value) not in seen:
        seen.add(id(value))
        for k, v in (value.items() if isinstance(value, dict) else enumerate(value)):
            yield from array_leaves(v, (*path, k), seen)


def changed_paths(original: Any, given: Any) -> tuple[Path, ...]:
    """Paths of the arrays of ``given`` (the student's copy of ``original``, after the
    call) that differ from ``original``'s."""
    np = _numpy()
    if np is None:
        return ()
    before = dict(array_leaves(original))
    changed = []
    for path, array in array_leaves(given):
        old = before.get(path)
        if old is None or array.shape != old.shape or not np.array_equal(array, old, equal_nan=True):
            changed.append(path)
    return tuple(changed)


def aliased_paths(given: Any, result: Any) -> tuple[Path, ...]:
    """Paths of the arrays of ``given`` (the student's copies of the arguments) that an
    array of ``result`` shares memory with: an argument returned as it is, or a view."""
    np = _numpy()
    if np is None:
        return ()
    try:
        returned = list(itertools.islice((array for _, array in array_leaves(result)), 64))
        return tuple(path for path, array in array_leaves(given)
                     if any(np.may_share_memory(r, array) for r in returned))
    except Exception:  # a result's own code (a dict's items) failed: not this check's to say
        return ()


def aliased_inputs(student: Any) -> tuple[Path, ...]:
    """Paths (into ``[args, kwargs]``) of the arguments that the last call's result made
    through ``student`` shares memory with; ``()`` when none or nothing was recorded."""
    return tuple(getattr(student, "_last_aliased", ()))


def changed_inputs(student: Any) -> tuple[Path, ...]:
    """Paths (into ``[args, kwargs]``) of the arguments that the last call made through
    ``student`` changed in place; ``()`` when none did or nothing was recorded."""
    return tuple(getattr(student, "_last_changed", ()))


class DirectStudent:
    """The student's package imported in this process, called on copies."""

    def __init__(self, package: Any):
        self._package = package
        self._last_changed: tuple[Path, ...] = ()
        self._last_aliased: tuple[Path, ...] = ()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._package, name)
        if not callable(value) or isinstance(value, type):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            given = own_copy([list(args), dict(kwargs)])
            self._last_changed = self._last_aliased = ()
            try:
                result = value(*given[0], **given[1])
                self._last_aliased = aliased_paths(given, result)
                return result
            finally:
                self._last_changed = changed_paths([list(args), dict(kwargs)], given)

        call.__name__ = name
        call.__doc__ = value.__doc__
        return call

    def __dir__(self) -> list[str]:
        return dir(self._package)


def direct(package: Any) -> Any:
    """``package`` wrapped in a :class:`DirectStudent` (once)."""
    return package if isinstance(package, DirectStudent) or hasattr(package, "_sandbox") else DirectStudent(package)


def _numpy() -> Any:
    """numpy when the assignment's code has loaded it (the framework never needs it)."""
    import sys

    return sys.modules.get("numpy")
