"""Shared fixtures for the project's own tests."""

from pathlib import Path

import pytest

from autograder.reference import load_package

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def ref():
    """The reference convnet package from solutions/."""
    return load_package(ROOT / "solutions" / "convnet", "convnet_reference")
