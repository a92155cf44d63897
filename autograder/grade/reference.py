"""Load a reference package under a private name, and list what it exports."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from types import ModuleType

from autograder.runtime.packages import load_package

__all__ = ["exports", "load_package"]


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
