"""The layout is the architecture: each folder of autograder/ may import only the
folders below it (README, "Architecture"). Read from the sources with ast, so a new
import that breaks the direction of the data flow fails here, not in a student's
release."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK = ROOT / "autograder"
# role -> the roles it may import (besides itself)
ALLOWED = {
    "runtime": set(),  # runs alone on a student's laptop
    "sandbox": {"runtime"},
    "grade": {"runtime", "sandbox"},
    "staff": {"runtime", "sandbox", "grade"},
    "build": {"runtime", "grade", "staff"},  # the release check grades through make grade's path
}


def imported_roles(path: Path) -> set[str]:
    """The roles of autograder/ that one module imports (absolute or relative)."""
    role = path.relative_to(FRAMEWORK).parts[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside its own role (the folders are one level deep or two)
                names = [f"autograder.{role}"]
            elif node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "autograder" and len(parts) > 1 and parts[1] in ALLOWED:
                found.add(parts[1])
    return found - {role}


MODULES = sorted(p for p in FRAMEWORK.rglob("*.py") if p.parent != FRAMEWORK)


def test_every_module_has_a_role():
    assert sorted(p.name for p in FRAMEWORK.glob("*.py")) == ["__init__.py"]
    assert {p.relative_to(FRAMEWORK).parts[0] for p in MODULES} == set(ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=[p.relative_to(FRAMEWORK).as_posix() for p in MODULES])
def test_imports_follow_the_data_flow(path):
    role = path.relative_to(FRAMEWORK).parts[0]
    assert imported_roles(path) <= ALLOWED[role], f"{role} may import only {sorted(ALLOWED[role])}"
