"""What a loaded reference package exports (it is loaded by
:func:`autograder.runtime.packages.load_package`)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from types import ModuleType


def exports(package: ModuleType, modules: tuple[str, ...]) -> dict[str, str]:
    """``{name: module}`` for the public functions and classes defined in each module
    (a class is graded through its constructor and its instances' methods)."""
    found = {}
    for module in modules:
        mod = importlib.import_module(f"{package.__name__}.{module}")
        for name, obj in vars(mod).items():
            defined_here = (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == mod.__name__
            if defined_here and not name.startswith("_"):
                found[name] = module
    return found


def error_classes(package: ModuleType, exported: dict[str, str]) -> tuple[str, ...]:
    """The names of ``exported`` that are exception classes in the reference (the
    graders may name them: ``error=student.CardError``)."""
    return tuple(name for name, cls in _classes(package, exported) if issubclass(cls, BaseException))


def other_classes(package: ModuleType, exported: dict[str, str]) -> tuple[str, ...]:
    """The names of ``exported`` that are classes but not exceptions (``student.Card(5)``
    constructs one; ``isinstance(obj, student.Card)`` holds for what it made)."""
    return tuple(name for name, cls in _classes(package, exported) if not issubclass(cls, BaseException))


def _classes(package: ModuleType, exported: dict[str, str]) -> list[tuple[str, type]]:
    found = []
    for name, module in sorted(exported.items()):
        obj = getattr(importlib.import_module(f"{package.__name__}.{module}"), name, None)
        if inspect.isclass(obj):
            found.append((name, obj))
    return found
