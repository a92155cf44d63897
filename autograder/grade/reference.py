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
