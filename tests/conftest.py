"""Shared fixtures for the project's own tests."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_package(path: Path, alias: str):
    """Import the package at ``path`` under the module name ``alias`` (so the
    reference and a stub set, both called ``convnet``, can live side by side)."""
    if alias in sys.modules:
        return sys.modules[alias]
    spec = importlib.util.spec_from_file_location(alias, path / "__init__.py", submodule_search_locations=[str(path)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ref():
    """The reference convnet package from solutions/."""
    return load_package(ROOT / "solutions" / "convnet", "convnet_reference")
