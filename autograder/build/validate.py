"""Check an assignment's folder before anything is built from it.

``assignment.yaml`` loading (:mod:`autograder.runtime.config`) checks the file on its own;
this checks it against the files it names, the mistakes that would otherwise show up
late (at the release check, with the cause in a log) or never (a solution shipped to
students):

- ``student/`` exists (the release's README and Makefile come from it), and holds no
  ``requirements.txt`` (generated from ``packages:``);
- ``modules:`` names exactly the reference's modules;
- every public function and class of the reference's modules has a solution region;
- every test of ``assignment.yaml`` is exactly one pytest function, in
  ``tests/public/`` when public and ``tests/hidden/`` otherwise, and every test
  function has an entry;
- every ``student.<name>`` the tests use is graded (defined in one of the modules)
  and, for the public tests that students run on their laptop, exported by the
  reference's ``__init__.py``;
- every ``tolerances["<name>"]`` the tests use is named under ``tolerances:``, and
  written out (the student release ships the ones its public tests use:
  :func:`public_tolerances`).

Each problem is a :class:`~autograder.runtime.config.ConfigError`: the file, the key or line,
the reason. :func:`check` raises them all at once as :class:`ValidationError`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from autograder.build.stubs import BEGIN, GIVEN, MarkerError, is_given, stub_source
from autograder.grade import reference
from autograder.runtime import archive, config
from autograder.runtime.packages import load_package


class ValidationError(config.ConfigError):
    """One or more problems; ``problems`` has each (file, key, reason)."""

    def __init__(self, problems: list[config.ConfigError]):
        self.problems = problems
        first = problems[0]
        super().__init__(first.path, first.key, first.reason)
        self.args = ("\n".join(str(p) for p in problems),)

    def __str__(self) -> str:
        return self.args[0]


def check(assignment: config.Assignment) -> None:
    """Raise :class:`ValidationError` listing every problem found, if any."""
    found = problems(assignment)
    if found:
        raise ValidationError(found)


def problems(assignment: config.Assignment) -> list[config.ConfigError]:
    found = list(_student_folder(assignment))
    ref_dir = assignment.reference
    if ref_dir is None:
        return found + [config.ConfigError(assignment.path, "reference", "is needed to build the releases")]
    module_problems = list(_modules(assignment, ref_dir))
    found += module_problems
    if not module_problems:
        found += list(_solution_regions(assignment, ref_dir))
    tests = _test_functions(assignment)
    found += list(_tests_match_yaml(assignment, tests))
    if not module_problems:
        found += list(_calls_are_graded(assignment, ref_dir))
    found += list(_tolerances_are_named(assignment))
    found += list(_data_files(assignment))
    found += list(_data_uses(assignment))
    if not module_problems:
        found += list(_given_names(assignment, ref_dir))
    found += list(_effects_ship(assignment))
    return found


def _given_names(a: config.Assignment, ref_dir: Path) -> Iterator[config.ConfigError]:
    """Every name of ``given:`` is a public function or class of the reference."""
    defined: dict[str, set[str]] = {}
    for module in a.modules:
        try:
            tree = ast.parse((ref_dir / f"{module}.py").read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, _DEFINITIONS):
                defined.setdefault(node.name, set()).add(module)
    for i, name in enumerate(a.given):
        module, _, short = name.rpartition(".")
        if short not in defined or (module and module not in defined[short]):
            yield config.ConfigError(a.path, f"given[{i}]", f"{name!r} is not a function or class of the reference")


def data_files(a: config.Assignment, entry: config.DataEntry) -> list[Path]:
    """The files of one ``data:`` entry, relative to the data folder (a folder gives
    every file under it, without build debris)."""
    path = a.data_folder / entry.path
    if path.is_dir():
        return [Path(entry.path) / rel for rel in archive.tree_files(path)]
    return [Path(entry.path)] if path.is_file() else []


def _data_uses(a: config.Assignment) -> Iterator[config.ConfigError]:
    """Every ``data_file("<path>")`` of the tests names a path of ``data:`` that ships
    where the test runs: a public test's to students (and the autograder), a hidden
    test's to the autograder."""
    for kind, path, tree in _test_trees(a):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "data_file"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                continue
            wanted = node.args[0].value
            entry = a.data_entry(wanted)
            where = f"line {node.lineno}"
            if entry is None:
                yield config.ConfigError(path, where, f"data_file({wanted!r}): not under data: in {a.path.name} "
                                         "(list the file or its folder there, with where it ships)")
            elif kind == "public" and not (entry.to_student and entry.to_autograder):
                yield config.ConfigError(path, where, f"data_file({wanted!r}) in a public test: {entry.path} ships "
                                         f"to the {entry.ship} only; a public test runs on both sides (ship: both)")
            elif kind == "hidden" and not entry.to_autograder:
                yield config.ConfigError(path, where, f"data_file({wanted!r}) in a hidden test: {entry.path} ships "
                                         "to students only (ship: both or autograder)")


def _data_files(a: config.Assignment) -> Iterator[config.ConfigError]:
    """Every ``data:`` entry exists inside the assignment's folder, and none is (or is
    in) the reference, whose solutions must never ship as data."""
    for i, entry in enumerate(a.data):
        path = (a.data_folder / entry.path).resolve()
        if not path.exists():
            yield config.ConfigError(a.path, f"data[{i}].path",
                                     f"{entry.path!r}: no such file or folder in {a.data_folder}")
        elif not path.is_relative_to(a.data_folder.resolve()):
            yield config.ConfigError(a.path, f"data[{i}].path", f"{entry.path!r} leads outside {a.data_folder}")
        elif a.reference is not None and (path == a.reference or a.reference in path.parents
                                          or path in a.reference.parents):
            yield config.ConfigError(a.path, f"data[{i}].path", f"{entry.path!r} holds the reference solutions")


def _effects_ship(a: config.Assignment) -> Iterator[config.ConfigError]:
    """``effects:`` names a module of the public tests: it ships with them, so that a
    student's run gives the same hints as Gradescope."""
    public = (a.root / "tests" / "public").resolve()
    if a.effects is not None and a.effects.parent != public:
        yield config.ConfigError(a.path, "effects", f"{a.effects} must sit in {public} (it ships with the public "
                                 "tests), beside them, not in a folder of its own")


def _student_folder(a: config.Assignment) -> Iterator[config.ConfigError]:
    folder = a.root / "student"
    if not folder.is_dir():
        yield config.ConfigError(folder, "(folder)", "missing: it holds the student release's README.md and Makefile "
                                 "(`make new-assignment` writes a starting point)")
    elif (folder / "requirements.txt").exists():
        yield config.ConfigError(folder / "requirements.txt", "(file)", "is generated from packages: in "
                                 f"{a.path.name}; remove this file and pin the packages there")


def _modules(a: config.Assignment, ref_dir: Path) -> Iterator[config.ConfigError]:
    """``ref_dir``: ``a.reference``, known to be set."""
    files = {p.stem for p in ref_dir.glob("*.py") if p.name != "__init__.py"}
    for i, module in enumerate(a.modules):
        if module not in files:
            near = ", ".join(sorted(files)) or "none"
            yield config.ConfigError(a.path, f"modules[{i}]", f"{module!r} has no file {ref_dir / (module + '.py')} "
                                     f"(the reference's modules: {near})")
    for extra in sorted(files - set(a.modules)):
        yield config.ConfigError(a.path, "modules", f"{ref_dir / (extra + '.py')} is not listed: add {extra!r} "
                                 "to modules (students submit only the listed modules)")


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _solution_regions(a: config.Assignment, ref_dir: Path) -> Iterator[config.ConfigError]:
    """``ref_dir``: ``a.reference``, known to be set."""
    for module in a.modules:
        path = ref_dir / f"{module}.py"
        source = path.read_text(encoding="utf-8")
        try:
            stub_source(source, str(path))
        except MarkerError as err:
            yield config.ConfigError(path, f"line {err.line}", err.reason)
            continue
        try:
            tree = ast.parse(source, str(path))
        except SyntaxError as err:
            yield config.ConfigError(path, f"line {err.lineno}", f"not valid Python: {err.msg}")
            continue
        lines = source.splitlines()
        for node in tree.body:
            if isinstance(node, _DEFINITIONS) and not node.name.startswith("_"):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if is_given(lines, first, node.lineno) or {node.name, f"{module}.{node.name}"} & set(a.given):
                    continue
                body = lines[node.lineno - 1:node.end_lineno]
                if not any(line.strip() == BEGIN for line in body):
                    kind = "class" if isinstance(node, ast.ClassDef) else "function"
                    yield config.ConfigError(path, f"line {node.lineno}", f"{kind} {node.name} has no {BEGIN} region: "
                                             "its code would reach students as it is (mark the part they write; "
                                             f"put a {GIVEN} comment above it, or list it under given:, if it "
                                             "ships as it is; or rename it _"
                                             + node.name + " if it is a private helper)")


class _TestFunction:
    def __init__(self, name: str, path: Path, line: int, kind: str):
        self.name, self.path, self.line, self.kind = name, path, line, kind


def _test_functions(a: config.Assignment) -> list[_TestFunction]:
    """Module-level ``test_*`` functions of the files pytest collects (``test_*.py``
    and ``*_test.py``) in ``tests/public/`` and ``tests/hidden/``."""
    found = []
    for kind in ("public", "hidden"):
        folder = a.root / "tests" / kind
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            if not (path.name.startswith("test_") or path.stem.endswith("_test")):
                continue
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            except SyntaxError:
                continue  # pytest reports it, with the line
            found += [_TestFunction(node.name, path, node.lineno, kind) for node in tree.body
                      if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")]
    return found


def _tests_match_yaml(a: config.Assignment, tests: list[_TestFunction]) -> Iterator[config.ConfigError]:
    by_name: dict[str, list[_TestFunction]] = {}
    for t in tests:
        by_name.setdefault(t.name, []).append(t)
    for group in a.groups:
        where = group.key or group.id
        kind = "public" if group.public else "hidden"
        found = by_name.get(group.id, [])
        if not found:
            yield config.ConfigError(a.path, f"{where}.id", f"no pytest function {group.id} in "
                                     f"{a.root / 'tests' / kind}/ (public: {str(group.public).lower()})")
        elif len(found) > 1:
            yield config.ConfigError(a.path, f"{where}.id", f"{group.id} is defined {len(found)} times: "
                                     + ", ".join(f"{t.path}:{t.line}" for t in found))
        elif found[0].kind != kind:
            t = found[0]
            yield config.ConfigError(a.path, f"{where}.public", f"{group.id} is in tests/{t.kind}/ ({t.path}:{t.line}) "
                                     f"but the entry makes it {kind}: move the test or fix public:")
    for t in tests:
        if a.group(t.name) is None:
            yield config.ConfigError(t.path, f"line {t.line}", f"test {t.name} has no entry in {a.path}: add it under "
                                     "parts[...].tests with its points (or rename it if it is a helper)")


class _ToleranceUse:
    """``tolerances[<name>]`` at ``path:line`` of a test file; ``name`` None when the
    key is not a string written out."""

    def __init__(self, name: str | None, path: Path, line: int, kind: str):
        self.name, self.path, self.line, self.kind = name, path, line, kind


def _tolerance_uses(a: config.Assignment) -> Iterator[_ToleranceUse]:
    """Every subscript of a name ``tolerances`` (the fixture) in the Python files of
    ``tests/public/`` and ``tests/hidden/``."""
    for kind, path, tree in _test_trees(a):
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "tolerances":
                key = node.slice
                name = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
                yield _ToleranceUse(name, path, node.lineno, kind)


def _test_trees(a: config.Assignment) -> Iterator[tuple[str, Path, ast.Module]]:
    """``(kind, path, tree)`` of every Python file in ``tests/public/`` and
    ``tests/hidden/`` that parses (pytest reports the others, with the line)."""
    for kind in ("public", "hidden"):
        folder = a.root / "tests" / kind
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            try:
                yield kind, path, ast.parse(path.read_text(encoding="utf-8"), str(path))
            except SyntaxError:
                continue


def public_tolerances(a: config.Assignment) -> set[str]:
    """The names of the tolerances the public tests take from the ``tolerances``
    fixture: what the student release's grading.yaml must hold besides ``default``."""
    return {u.name for u in _tolerance_uses(a) if u.kind == "public" and u.name is not None}


def _tolerances_are_named(a: config.Assignment) -> Iterator[config.ConfigError]:
    for use in _tolerance_uses(a):
        if use.name is None:
            yield config.ConfigError(use.path, f"line {use.line}", "takes a tolerance by a computed name: write it out "
                                     "(tolerances[\"numerical_gradient\"]) so that the build can check it and ship it "
                                     "with the public tests")
        elif use.name not in a.tolerances:
            yield config.ConfigError(use.path, f"line {use.line}", f"uses tolerances[{use.name!r}], which is not named "
                                     f"under tolerances: in {a.path} (there: {', '.join(a.tolerances)})")


def _calls_are_graded(a: config.Assignment, ref_dir: Path) -> Iterator[config.ConfigError]:
    """``student.<name>`` in the tests: graded, and exported where students run them.
    ``ref_dir``: ``a.reference``, known to be set."""
    ref = load_package(ref_dir, f"_validate_{a.package}_{abs(hash(str(ref_dir)))}")
    graded = reference.exports(ref, a.modules)
    for kind, path, tree in _test_trees(a):
        seen = set()
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "student") or node.attr in seen:
                continue
            seen.add(node.attr)
            if node.attr not in graded:
                yield config.ConfigError(path, f"line {node.lineno}",
                                         f"calls student.{node.attr}, which no module of modules "
                                         f"({', '.join(a.modules)}) defines as a public function or class")
            elif kind == "public" and not hasattr(ref, node.attr):
                yield config.ConfigError(path, f"line {node.lineno}", f"calls student.{node.attr}, which "
                                         f"{ref_dir / '__init__.py'} does not export: students' own runs of "
                                         f"this test would fail (add `from .{graded[node.attr]} import "
                                         f"{node.attr}` there)")
