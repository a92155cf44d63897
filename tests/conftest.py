"""Shared fixtures for the project's own tests. Tests that grade through the real
run_autograder (the sandbox, a Gradescope-like tree), or otherwise run for seconds
(pytest in a student release, a release build), are marked ``e2e``: by hand, and
automatically every test using ``grade``, ``gradings`` or ``autograder_zip``. ``make test-fast`` leaves
them out."""

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest

from autograder.build.autograder_zip import build_autograder
from autograder.grade.results import split_score
from autograder.runtime import config as config_mod
from autograder.runtime.packages import load_package
from autograder.staff import simulate
from tests.fabricate import ROOT, Variant

pytest_plugins = ["pytester"]  # tests/test_pytest_plugin.py runs pytest inside pytest

E2E_FIXTURES = {"grade", "gradings", "autograder_zip"}


def pytest_collection_modifyitems(items):
    """Mark ``e2e`` every test that grades through the fixtures (directly or through
    another fixture): such a test cannot forget the marker."""
    for item in items:
        if E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


def slack() -> float:
    """How much slower than quiet this machine is now (1 when its load is at most one
    runnable process per core): the factor on a wall-clock budget that tells a stuck run
    (waiting for a timeout it should not wait for) from a busy machine. A budget, never a
    speed: no test measures how fast anything is."""
    return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))


@pytest.fixture(scope="session")
def ref():
    """The reference convnet package from solutions/."""
    return load_package(ROOT / "solutions" / "convnet", "convnet_reference")


SCHEMA = json.loads((ROOT / "autograder" / "grade" / "results_schema.json").read_text())
ASSIGNMENT = config_mod.load(ROOT / "assignment" / "assignment.yaml")
BONUS_POINTS = sum(g.points for g in ASSIGNMENT.groups if g.extra_credit)  # on top of total_points
# Tests whose points are a measured speed: the project's tests never depend on how fast
# this machine is at the moment, so they compare everything but these.
TIMED = {g.number: g for g in ASSIGNMENT.groups if g.id == "test_fast_speedup"}
TIMED_POINTS = sum(g.points for g in TIMED.values())


@pytest.fixture(scope="session")
def autograder_zip(tmp_path_factory):
    """dist/autograder.zip built fresh from this checkout."""
    return build_autograder(ASSIGNMENT, tmp_path_factory.mktemp("dist") / "autograder.zip")


class Graded:
    """A results.json (already validated against the schema), with lookups by test id."""

    def __init__(self, results: dict, log: str, notes: list[str]):
        jsonschema.validate(results, SCHEMA)
        self.results, self.log, self.notes = results, log, notes
        numbers = {g.number: g.id for g in ASSIGNMENT.groups}
        self.by_id = {numbers[t["number"]]: t for t in results["tests"]}

    @property
    def score(self) -> float:
        """The part out of ``total_points``: results.json's score less the extra credit."""
        return split_score(self.results)[0]

    @property
    def bonus(self) -> float:
        """The extra credit earned (its tests have max_score 0 and add on top)."""
        return split_score(self.results)[1]

    def lost(self) -> set[str]:
        return {i for i, t in self.by_id.items() if t["score"] < t["max_score"]}

    def student_text(self) -> str:
        """Everything a student can see before grades are published."""
        visible = [t for t in self.results["tests"] if t.get("visibility", "visible") == "visible"]
        return "\n".join([self.results["output"]] + [t["name"] + "\n" + t.get("output", "") for t in visible])


@pytest.fixture(scope="session")
def grade(autograder_zip, tmp_path_factory):
    """grade(submission folder or zip) -> Graded, through the real run_autograder."""

    def run(submission):
        out = tmp_path_factory.mktemp("results") / "results.json"
        results, log, notes = simulate.grade(autograder_zip, submission, out)
        return Graded(results, log, notes)

    return run


class Gradings:
    """Each distinct submission (a :class:`tests.fabricate.Variant`) graded once per
    session through the real run_autograder, whichever tests ask for it, and the ones a
    test module needs graded ``WORKERS`` at a time: a grading is mostly one busy
    process, with waits (timeouts, process start-up) that a third run fills."""

    WORKERS = 3

    def __init__(self, grade, tmp_path_factory):
        self._grade, self._tmp = grade, tmp_path_factory
        self._done: dict[str, Graded] = {}
        self._lock = threading.Lock()

    def __call__(self, variant: Variant) -> Graded:
        return self.many([variant])[0]

    def many(self, variants: list[Variant]) -> list[Graded]:
        """Graded, in the order of ``variants``; those not graded yet, concurrently."""
        with self._lock:
            todo = list(dict.fromkeys(repr(v) for v in variants if repr(v) not in self._done))
        by_key = {repr(v): v for v in variants}

        def one(key):
            folder = self._tmp.mktemp("submission")
            graded = self._grade(by_key[key].write(folder / "upload"))
            with self._lock:
                self._done[key] = graded

        with ThreadPoolExecutor(self.WORKERS) as pool:
            list(pool.map(one, todo))
        return [self._done[repr(v)] for v in variants]


@pytest.fixture(scope="session")
def gradings(grade, tmp_path_factory) -> Gradings:
    return Gradings(grade, tmp_path_factory)
