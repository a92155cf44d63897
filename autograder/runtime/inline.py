"""Inline checks: run one public pytest test function outside pytest.

A notebook check (an otter exception-based test) calls
``run_public_test(package, "test_zero_pad_small")``: the case itself is defined once, in
the public pytest file, and runs here exactly as pytest would run it, once per
``@pytest.mark.parametrize`` case, with the ``student``, ``tolerance``, ``tolerances``,
``oracle``, ``data_file`` and ``shared_folder`` arguments filled in from the release's
``grading.yaml``. Only those fixtures and ``parametrize`` marks are supported, which is
all the public tests use.

:func:`skip_unimplemented` lets a notebook cell that calls a stub print one line
instead of a traceback, so that a notebook runs to the end before everything is
written.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from autograder.runtime import calls, characterise, config, outcomes
from autograder.runtime.datafiles import LocalFiles
from autograder.runtime.testkit import GradingFailure, public_test, trusted_function

FIXTURES = ("student", "tolerance", "tolerances", "oracle", "data_file", "shared_folder")
MAX_SHOWN = 3  # failing cases quoted in one message


def run_public_test(
    student: Any, test_id: str, *, tests_dir: str | Path = "tests", grading: str | Path | None = None
) -> int:
    """Run the public test function ``test_id`` on ``student`` and return how many
    cases passed.

    ``test_id`` is looked up in ``tests_dir/test_*.py``; ``grading`` (default
    ``tests_dir/grading.yaml``) must have a group for it, which gives the tolerances,
    the name and the points shown. Relative paths are taken from the current
    directory (a notebook's own folder).

    Raises:
        NotImplementedError: when every failing case failed because a function is
            still a stub (the message names the functions).
        GradingFailure: when a case failed otherwise; the message has the group's
            number, name and points, how many cases failed, and the first failures.
        LookupError: when ``test_id`` is in no test module or not in ``grading``.
    """
    tests_dir = Path(tests_dir)
    assignment = config.load(Path(grading) if grading else tests_dir / "grading.yaml")
    group = assignment.group(test_id)
    if group is None:
        raise LookupError(f"{test_id!r} has no entry in {assignment.path}")
    test = find_test(tests_dir, test_id)
    files = LocalFiles(assignment)
    fixtures = {
        "student": calls.direct(student),
        "tolerance": assignment.tolerance_of(group),
        "tolerances": assignment.tolerances,
        "oracle": lambda student, name, *checks: trusted_function(student, None, name, checks),
        "data_file": files.data_file,
    }

    failures: list[tuple[str, BaseException]] = []
    cases = list(parametrized_cases(test))
    outcomes = []
    declared = getattr(sys.modules.get(test.__module__), "CASE_FEATURES", None)
    for case_id, params in cases:
        kwargs = {name: files.shared_folder() if name == "shared_folder" else fixtures[name]
                  for name in _fixture_names(test, params)}
        try:
            with public_test():  # only public tests run here
                test(**kwargs, **params)
            outcomes.append((characterise.case_features(params, declared), True))
        except Exception as exc:  # a failing case, whatever the student's code raised
            failures.append((case_id, exc))
            outcomes.append((characterise.case_features(params, declared), False))
    files.close()  # the shared folders' temporary files
    if not failures:
        return len(cases)
    _draw_first_comparison(failures)

    head = f"{group.number} {group.name} ({_points(group.points)}): "
    head += f"{len(failures)} of {len(cases)} cases failed" if len(cases) > 1 else "failed"
    lines = [head] + characterise.wording(characterise.separators(outcomes))
    for case_id, failure in failures[:MAX_SHOWN]:
        label = f"[{case_id}] " if case_id else ""
        lines.append(f"- {label}{describe_failure(failure)}")
    if len(failures) > MAX_SHOWN:
        lines.append(f"- ... and {len(failures) - MAX_SHOWN} more")
    message = "\n".join(lines)
    if all(isinstance(failure, NotImplementedError) for _, failure in failures):
        raise NotImplementedError(message)
    raise GradingFailure(message)


def _draw_first_comparison(failures: list[tuple[str, BaseException]]) -> None:
    """In a notebook (matplotlib loaded), the student's array beside the expected one
    for the first failing case that compared values: public cases only run here."""
    if "matplotlib.pyplot" not in sys.modules:
        return
    for case_id, exc in failures:
        comparison = getattr(exc, "comparison", None)
        if comparison is not None:
            actual, expected, rtol, atol = comparison
            label = f"[{case_id}] " if case_id else ""
            try:
                from autograder.runtime.pictures import show_comparison

                call = str(exc).split("): ")[0] + ")" if "): " in str(exc) else ""
                show_comparison(actual, expected, label + call, rtol, atol)
            except Exception:  # a picture is a bonus: the message below says it all
                pass
            return


def find_test(tests_dir: Path, test_id: str) -> Callable[..., Any]:
    """The function ``test_id`` from the first ``tests_dir/test_*.py`` defining it."""
    for path in sorted(Path(tests_dir).glob("test_*.py")):
        test = getattr(_load_module(path), test_id, None)
        if callable(test):
            return test
    raise LookupError(f"no test function {test_id!r} in {tests_dir}/test_*.py")


def parametrized_cases(test: Callable[..., Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(case id, arguments)`` for every combination of the test's
    ``@pytest.mark.parametrize`` marks; a single ``("", {})`` when it has none."""
    axes = []
    for mark in getattr(test, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names = mark.args[0] if mark.args else mark.kwargs["argnames"]
        values = mark.args[1] if len(mark.args) > 1 else mark.kwargs["argvalues"]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        ids = mark.kwargs.get("ids")
        axis = []
        for i, value in enumerate(values):
            if hasattr(value, "marks") and hasattr(value, "values"):  # pytest.param(...)
                explicit_id, row = value.id, tuple(value.values)
            else:
                explicit_id, row = None, (value,) if len(names) == 1 else tuple(value)
            case_id = explicit_id or (ids[i] if isinstance(ids, (list, tuple)) else _case_id(row))
            axis.append((case_id, dict(zip(names, row, strict=True))))  # pytest requires a value per name
        axes.append(axis)
    if not axes:
        yield "", {}
        return
    # pytestmark holds the mark closest to the function first, as pytest's ids do.
    for combo in itertools.product(*axes):
        params: dict[str, Any] = {}
        for _, p in combo:
            params.update(p)
        yield "-".join(case_id for case_id, _ in combo), params


def describe_failure(exc: BaseException) -> str:
    """One line for a failed case: a grader's own sentence, the stub's "... is not
    implemented yet", or the exception with where it was raised in the student's
    code."""
    if isinstance(exc, GradingFailure):
        return str(exc)
    if isinstance(exc, NotImplementedError):
        return outcomes.not_implemented_text(str(exc))
    where = _student_frame(exc)
    return f"{type(exc).__name__}: {exc}" + (f" ({where})" if where else "")


@contextlib.contextmanager
def skip_unimplemented() -> Iterator[None]:
    """Run the ``with`` block; when it fails because of the student's code, print one
    line saying which function and why instead of a traceback, so that the notebook
    runs to the end whatever state the code is in:

    - a stub: "Skipped: conv_forward is not implemented yet. Write it, ...";
    - an exception raised in the student's files: its type, message, file and line;
    - an exception in the notebook's own code (a picture of a wrongly shaped result):
      the student's functions the failing line called, and the error, with a pointer
      to the checks, which say what differs."""
    try:
        yield
    except NotImplementedError as exc:
        print(f"Skipped: {describe_failure(exc)}. Write it, then run this cell again.")
    except Exception as exc:  # the student's code, or what it returned, broke the cell
        where = _student_frame(exc)
        if where:
            print(f"Skipped: your code raised {type(exc).__name__}: {exc} ({where}). Fix it, then run this cell "
                  "again.")
            return
        called = _student_calls(exc)
        which = f" with what {', '.join(called)} returned" if called else ""
        print(f"Skipped: this cell could not go on{which} ({type(exc).__name__}: {exc}). Check "
              f"{'its' if len(called) == 1 else 'their'} shape and dtype: the checks below say what differs.")


_CALL = re.compile(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*\(")


def _student_calls(exc: BaseException) -> list[str]:
    """The student's functions called on the line of the cell that failed (the
    outermost frame of the traceback, the cell's own): ``package.function(`` where
    ``package`` is a module loaded from under the current directory."""
    ours = {Path(__file__).resolve(), Path(contextlib.__file__).resolve()}
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() not in ours]
    line = frames[0].line if frames else ""
    here = Path.cwd().resolve()
    found = []
    for module, function in _CALL.findall(line or ""):
        loaded = sys.modules.get(module)
        origin = getattr(loaded, "__file__", None)
        if origin and here in Path(origin).resolve().parents and function not in found:
            found.append(function)
    return found


def _fixture_names(test: Callable[..., Any], params: dict[str, Any]) -> list[str]:
    code = test.__code__
    names = [n for n in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount] if n not in params]
    unknown = [n for n in names if n not in FIXTURES]
    if unknown:
        raise TypeError(f"{test.__name__} needs fixtures {unknown}; inline checks provide only {list(FIXTURES)}")
    return names


def _load_module(path: Path) -> Any:
    """Import a test file by path, once, under a name no package can clash with."""
    name = f"_inline_public_tests.{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # never for a .py path, whether or not the file exists
        raise ImportError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _case_id(row: Any) -> str:
    parts = []
    for i, value in enumerate(row):
        simple = isinstance(value, (int, float, str, bool)) or value is None
        parts.append(str(value) if simple else f"arg{i}")
    return "-".join(parts)


def _points(points: float) -> str:
    text = f"{points:g}"
    return f"{text} point" if text == "1" else f"{text} points"


def _student_frame(exc: BaseException) -> str:
    """``"convnet/conv.py, line 57, in conv_forward"`` for the innermost frame of the
    traceback that is in a package under the current directory, outside the framework
    and the tests (the student's code), or ``""``."""
    here = Path.cwd().resolve()
    skipped = [Path(__file__).resolve().parent, Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        outside = (here not in path.parents or any(s == path or s in path.parents for s in skipped)
                   or not (path.parent / "__init__.py").is_file())  # the student's code is a package
        if outside or path.name.startswith("test_") or "site-packages" in path.parts:
            continue
        found = f"{path.relative_to(here).as_posix()}, line {frame.lineno}, in {frame.name}"
    return found
