"""Import a package from a folder under a private name (the reference beside a
student's package of the same name)."""

from __future__ import annotations

import importlib.util
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


def load_module_file(path: Path, alias: str) -> ModuleType:
    """Import the single file ``path`` as the module ``alias`` (once)."""
    if alias in sys.modules:
        return sys.modules[alias]
    spec = importlib.util.spec_from_file_location(alias, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[alias]
        raise
    return module
