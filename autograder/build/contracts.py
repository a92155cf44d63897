"""The release's check that every graded case stays inside the documented contract.

A student is graded only on inputs their docstrings promise ("Arrays are NCHW, float64").
An assignment declares that promise per function under ``contracts:`` in
assignment.yaml, per parameter, in a small vocabulary:

    contracts:
      max_pool_forward:
        x: {array: float64, ndim: 4}
        pool_param: {dict: {pool_height: {int: [1, null]}, stride: {int: [1, null]}}}
      max_pool_backward:
        cache: {tuple: [{array: float64, ndim: 4}, {dict: {}}]}

- ``{array: <dtype>, ndim: <n>}``: a numpy array of that dtype (and number of axes);
- ``{int: [<min>, <max>]}``: an int (not a bool) within the bounds (``null``: none);
- ``{number: [<min>, <max>]}``: an int or a float within the bounds;
- ``{dict: {<key>: <spec>}}``: a dict holding at least those keys, each as its spec;
- ``{tuple: [<spec>, ...]}``: a tuple of exactly those items;
- ``{any: true}``: anything.

:func:`violations` runs every public and hidden test of a staged autograder tree, in a
fresh interpreter, with the reference standing in for the student, records every call
a test makes to a graded function and checks its arguments against the contract.
``make release`` fails on any violation, naming the test, the call and what breaks it.

    python -m autograder.build.contracts --assignment <staged assignment.yaml>
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autograder.runtime import config

KINDS = ("array", "int", "number", "dict", "tuple", "any")


def spec_problems(assignment: config.Assignment, reference: Any) -> list[str]:
    """What is wrong with the declared contracts themselves (an unknown function or
    parameter, a spec outside the vocabulary)."""
    out = []
    for function, params in assignment.contracts.items():
        fn = getattr(reference, str(function), None)
        if not callable(fn):
            out.append(f"contracts.{function}: not a function of the reference")
            continue
        if not isinstance(params, Mapping):
            out.append(f"contracts.{function}: must map each parameter to its spec")
            continue
        names = set(inspect.signature(fn).parameters)
        for name, spec in params.items():
            if name not in names:
                known = ", ".join(sorted(names))
                out.append(f"contracts.{function}.{name}: {function} has no such parameter ({known})")
            out += [f"contracts.{function}.{name}{p}" for p in _spec_problems(spec)]
    return out


def _spec_problems(spec: Any, where: str = "") -> list[str]:
    if not isinstance(spec, Mapping) or not any(k in spec for k in KINDS):
        return [f"{where}: a spec is one of {{{', '.join(f'{k}: ...' for k in KINDS)}}}, got {spec!r}"]
    if "dict" in spec:
        return [p for key, item in (spec["dict"] or {}).items() for p in _spec_problems(item, f"{where}.{key}")]
    if "tuple" in spec:
        return [p for i, item in enumerate(spec["tuple"] or []) for p in _spec_problems(item, f"{where}[{i}]")]
    return []


def breaks(value: Any, spec: Mapping[str, Any], where: str) -> list[str]:
    """How ``value`` (named ``where``) breaks ``spec``: one sentence per problem."""
    np = sys.modules.get("numpy")
    if "any" in spec:
        return []
    if "array" in spec:
        if np is None or not isinstance(value, np.ndarray):
            return [f"{where} is a {type(value).__name__}, the contract says an array of {spec['array']}"]
        out = []
        if str(value.dtype) != str(spec["array"]):
            out.append(f"{where} has dtype {value.dtype}, the contract says {spec['array']}")
        if "ndim" in spec and value.ndim != spec["ndim"]:
            out.append(f"{where} has {value.ndim} axes, the contract says {spec['ndim']}")
        return out
    if "int" in spec or "number" in spec:
        kind = "int" if "int" in spec else "number"
        allowed = (int,) if kind == "int" else (int, float)
        if np is not None and isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, allowed):
            return [f"{where} is a {type(value).__name__}, the contract says an {kind}"]
        low, high = (list(spec[kind] or []) + [None, None])[:2]
        if (low is not None and value < low) or (high is not None and value > high):
            return [f"{where} is {value!r}, outside the contract's [{low}, {high}]"]
        return []
    if "dict" in spec:
        if not isinstance(value, dict):
            return [f"{where} is a {type(value).__name__}, the contract says a dict"]
        out = []
        for key, item in (spec["dict"] or {}).items():
            if key not in value:
                out.append(f"{where} has no {key!r}, which the contract requires")
            else:
                out += breaks(value[key], item, f"{where}[{key!r}]")
        return out
    if "tuple" in spec:
        items = spec["tuple"] or []
        if not isinstance(value, tuple) or len(value) != len(items):
            return [f"{where} is not a tuple of {len(items)} items, as the contract says"]
        return [p for i, (v, s) in enumerate(zip(value, items, strict=True)) for p in breaks(v, s, f"{where}[{i}]")]
    return []


def call_breaks(assignment: config.Assignment, reference: Any, function: str, args: tuple,
                kwargs: Mapping[str, Any]) -> list[str]:
    """How one call breaks its function's contract (nothing when none is declared)."""
    params = assignment.contracts.get(function)
    if not params:
        return []
    try:
        bound = inspect.signature(getattr(reference, function)).bind(*args, **kwargs)
    except TypeError as err:
        return [f"the call does not fit {function}'s signature: {err}"]
    return [p for name, spec in params.items() if name in bound.arguments
            for p in breaks(bound.arguments[name], spec, name)]


def graded_functions(package: Any, modules: tuple[str, ...]) -> Any:
    """Every public function and class of ``package``'s modules as attributes of one
    namespace (as the ``student`` fixture offers them), the package's own first."""
    import importlib
    import types

    from autograder.grade.reference import exports

    found = {name: getattr(importlib.import_module(f"{package.__name__}.{module}"), name)
             for name, module in exports(package, modules).items()}
    found.update({n: v for n, v in vars(package).items() if not n.startswith("_")})
    return types.SimpleNamespace(**found)


def violations(staged_yaml: Path, *, timeout: float = 900) -> list[str]:
    """Every contract violation of the staged autograder tree's tests (see the module's
    docstring), each ``test id: function(...): problem``; a run that fails says so."""
    run = subprocess.run([sys.executable, "-m", "autograder.build.contracts", "--assignment", str(staged_yaml)],
                         capture_output=True, text=True, timeout=timeout)
    try:
        return json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return [f"the contract check did not run (exit {run.returncode}): {(run.stderr or run.stdout)[-800:]}"]


def _record(staged_yaml: Path) -> list[str]:
    """In this process: the tests of the staged tree on the reference, every call checked."""
    import pytest

    from autograder.runtime.calls import DirectStudent
    from autograder.runtime.packages import load_package
    from autograder.runtime.pytest_plugin import GradingPlugin
    from autograder.runtime.testkit import describe

    assignment = config.load(staged_yaml)
    if assignment.reference is None:
        return ["the staged assignment has no reference"]
    reference = graded_functions(load_package(assignment.reference, f"_contract_reference_{assignment.package}"),
                                 assignment.modules)
    found = spec_problems(assignment, reference)
    if found:
        return found
    current = {"test": ""}

    class Recorder(DirectStudent):
        """The reference as the student, every call checked against the contract."""

        def __getattr__(self, name: str) -> Any:
            value = super().__getattr__(name)
            if not callable(value) or isinstance(value, type) or name not in assignment.contracts:
                return value

            def call(*args: Any, **kwargs: Any) -> Any:
                for problem in call_breaks(assignment, reference, name, args, kwargs):
                    found.append(f"{current['test']}: {describe(name, *args, **kwargs)}: {problem}")
                return value(*args, **kwargs)

            return call

    class Where:
        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_setup(self, item: pytest.Item) -> None:
            current["test"] = item.nodeid

    tests = assignment.root / "tests"
    plugin = GradingPlugin(assignment, lambda: Recorder(reference), reference=lambda: reference)
    code = pytest.main([str(tests / "public"), str(tests / "hidden"), "-q", "-p", "no:cacheprovider",
                        "--rootdir", str(tests), "--confcutdir", str(tests), "-c", os.devnull],
                       plugins=[plugin, Where()])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        found.append(f"the tests did not run on the reference (pytest exit code {code!r})")
    return sorted(set(found))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", type=Path, required=True, help="a staged autograder tree's assignment.yaml")
    args = parser.parse_args(argv)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # pytest's report is not the answer
        found = _record(args.assignment)
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
