"""The fixtures the grading plugin gives every test, as module-level functions (pytest
10 refuses session-scoped fixtures defined as a plugin object's methods): each asks the
session's :class:`~autograder.runtime.pytest_plugin.GradingPlugin` (in ``config.stash``)
for its value. Registered by the plugin; test files never import this module.

| fixture | scope | value |
| --- | --- | --- |
| ``student`` | session | the student's package (on Gradescope, a proxy to it in the sandbox) |
| ``reference`` | session | the reference package (skips the test in the student release) |
| ``oracle`` | session | ``oracle(student, name, *checks)``: the function expected values come from |
| ``tolerance`` | test | the test's own tolerance (``default`` unless its entry names one) |
| ``tolerances`` | session | every named tolerance: ``tolerances["numerical_gradient"]`` |
| ``stopwatch`` | session | fair timing of the student's calls against the trusted side's |
| ``leaderboard`` | session | ``leaderboard(name, value, order="desc")`` |
| ``grading_seed`` | session | this grading's seed for random cases (see ``autograder.runtime.seeds``) |
| ``data_file`` | session | ``data_file("data/stops.csv")``: a data file's path the student's code opens |
| ``shared_folder`` | test | a folder the test writes and the student's code reads |
"""

from __future__ import annotations

from typing import Any

import pytest

PLUGIN = pytest.StashKey[Any]()


def _plugin(request: pytest.FixtureRequest) -> Any:
    return request.config.stash[PLUGIN]


@pytest.fixture(scope="session")
def student(request: pytest.FixtureRequest) -> Any:
    """The package under test (a module, or a proxy to one in a sandbox)."""
    return _plugin(request).student()


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest) -> Any:
    """The reference package (trusted; never the student's code)."""
    return _plugin(request).reference()


@pytest.fixture(scope="session")
def oracle(request: pytest.FixtureRequest) -> Any:
    """``oracle(student, name, *checks)``: see GradingPlugin.oracle."""
    return _plugin(request).oracle()


@pytest.fixture(scope="session")
def tolerances(request: pytest.FixtureRequest) -> Any:
    """Every named tolerance of assignment.yaml."""
    return _plugin(request).tolerances()


@pytest.fixture(scope="session")
def stopwatch(request: pytest.FixtureRequest) -> Any:
    """Fair timing (see :mod:`autograder.runtime.stopwatch`)."""
    return _plugin(request).stopwatch()


@pytest.fixture(scope="session")
def leaderboard(request: pytest.FixtureRequest) -> Any:
    """``leaderboard(name, value, order="desc")``."""
    return _plugin(request).leaderboard()


@pytest.fixture(scope="session")
def grading_seed(request: pytest.FixtureRequest) -> int:
    """This grading's seed for random cases drawn inside a test: the submission's own on
    Gradescope (recorded in results.json's ``extra_data.seed``), 0 on a laptop."""
    return int(_plugin(request).grading_seed())


@pytest.fixture(scope="session")
def data_file(request: pytest.FixtureRequest) -> Any:
    """``data_file(path) -> str``: the path of a file or folder of ``data:`` (relative to
    assignment.yaml's folder) as the student's code opens it."""
    return _plugin(request).files().data_file


@pytest.fixture
def shared_folder(request: pytest.FixtureRequest) -> Any:
    """A :class:`~autograder.runtime.datafiles.SharedFolder` of this test's own."""
    return _plugin(request).files().shared_folder()
