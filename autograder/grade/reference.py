"""Load a reference package under a private name, and list what it exports."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType


def load_package(path: Path, alias: str) -> ModuleType:
    """Import the package at ``path`` as ``alias``, so that it can sit beside a
    student's package of the same name."""
    if alias in sys.modules:
        return sys.modules[alias]
    spec = importlib.util.spec_from_file_location(alias, path / "__init__.py", submodule_search_locations=[str(path)])
    if spec is None or spec.loader is None:  # never for a .py path, whether or not the file exists
        raise ImportError(f"{path}: cannot be imported as a Python package")
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


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
