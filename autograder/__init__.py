"""convnet-grader: a generic framework for auto-graded Python assignments.

Nothing in this package knows what the assignment is about: the assignment lives in
``assignment/`` (config, graders) and ``solutions/`` (reference package).
"""

# The public API of test files is ``autograder.testkit`` (checks, Replay, describe,
# GradingFailure, ...); fixtures come by name from the grading plugin. What the
# graders' toolkit is made of lives in ``autograder.runtime``, and may move: every
# ``autograder.<name>`` of the runtime (``autograder.testkit``, ``autograder.pytest_plugin``,
# ``autograder.submit``, as earlier releases laid them out) is that module itself, so
# that test files, pytest.ini files and Makefiles written for an earlier release keep
# working. This file imports nothing: it only resolves those names when imported.
import importlib.abc as _abc
import importlib.machinery as _machinery
import importlib.util as _util
import sys as _sys


class _RuntimeAlias(_abc.MetaPathFinder, _abc.Loader):
    """``autograder.<name>`` -> ``autograder.runtime.<name>`` (the same module object)."""

    def find_spec(self, fullname, path=None, target=None):
        prefix, _, name = fullname.partition(".")
        if prefix != __name__ or not name or "." in name or name == "runtime":
            return None
        real = _util.find_spec(f"{__name__}.runtime.{name}")
        if real is None:
            return None
        return _machinery.ModuleSpec(fullname, self, origin=real.origin)

    def create_module(self, spec):
        return _import_runtime(spec.name)

    def exec_module(self, module):
        pass  # the runtime's module, run once under its own name

    def get_code(self, fullname):  # python -m autograder.submit
        real = _util.find_spec(_runtime_name(fullname))
        get_code = getattr(getattr(real, "loader", None), "get_code", None)
        return get_code(real.name) if real is not None and get_code is not None else None


def _runtime_name(fullname):
    return f"{__name__}.runtime.{fullname.partition('.')[2]}"


def _import_runtime(fullname):
    import importlib

    return importlib.import_module(_runtime_name(fullname))


if not any(isinstance(f, _RuntimeAlias) for f in _sys.meta_path):
    _sys.meta_path.append(_RuntimeAlias())
