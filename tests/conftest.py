"""Shared fixtures for the project's own tests. Tests that grade through the real
run_autograder (the sandbox, a Gradescope-like tree), or otherwise run for seconds
(pytest in a student release, a release build), are marked ``e2e``: by hand, and
automatically every test using ``grade``, ``gradings``, ``autograder_zip`` or a student
release (``student_release``, ``student_release_again``). ``make test-fast`` leaves them out."""

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest

from autograder.build.autograder_zip import build_autograder
from autograder.build.student_release import build_student
from autograder.grade.results import split_score
from autograder.runtime import config as config_mod
from autograder.runtime.packages import load_package
from autograder.staff import simulate
from tests import session_state
from tests.fabricate import ROOT, Variant

pytest_plugins = ["pytester"]  # tests/test_pytest_plugin.py runs pytest inside pytest

E2E_FIXTURES = {"grade", "gradings", "autograder_zip", "student_release", "student_release_again"}


def pytest_collection_modifyitems(items):
    """Mark ``e2e`` every test that grades through the fixtures (directly or through
    another fixture): such a test cannot forget the marker.

    Then order the modules (each kept whole, in its own order): first those that read
    nothing of the session's :class:`Gradings` (which grades in the background
    meanwhile, see :func:`pytest_collection_finish`), then those that declare
    ``GRADINGS``, last those that declare ``GRADES_ALONE`` (their checks look at every
    process and leftover of the sandbox users, or of this session: nothing else may
    be grading then), in the order of its value."""
    for item in items:
        if E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)

    def rank(item) -> tuple[int, int]:
        module = getattr(item, "module", None)
        alone = int(getattr(module, "GRADES_ALONE", 0))
        return (2, alone) if alone else (1 if getattr(module, "GRADINGS", None) else 0, 0)

    items.sort(key=rank)


# What the selected end-to-end tests' modules grade through ``gradings`` (their
# ``GRADINGS``), found once the selection is known, and graded from then on in the
# background, while the tests that need none of them run.
# (In tests/session_state.py: this file is loaded twice, as pytest's conftest and as the
# tests' tests.conftest, and both must see the one background.)
_PLANNED: list[Variant] = session_state.PLANNED
_SHARED: dict = session_state.SHARED  # the autograder zip and Gradings, made once (by a fixture or the background)
_SHARED_LOCK = session_state.LOCK


def pytest_collection_finish(session):
    """Start the background: the selected modules' ``GRADINGS``, then (one after the
    other) what a module's ``BACKGROUND(autograder_zip, tmp_path_factory)`` computes,
    such as the hostile corpus, for its fixture to pick up (:func:`background_result`)."""
    planned: dict[str, Variant] = {}
    modules = list(dict.fromkeys(item.module for item in session.items
                                 if item.get_closest_marker("e2e") and getattr(item, "module", None) is not None))
    for module in modules:
        for variant in getattr(module, "GRADINGS", ()):
            planned.setdefault(repr(variant), variant)
    _PLANNED[:] = planned.values()
    jobs = [(module.__name__, module.BACKGROUND) for module in modules if hasattr(module, "BACKGROUND")]
    factory = getattr(session.config, "_tmp_path_factory", None)  # what the tmp_path_factory fixture returns
    if (_PLANNED or jobs) and factory is not None and not session.config.option.collectonly:
        _SHARED["results"] = {}
        thread = threading.Thread(target=_background, args=(factory, jobs), name="gradings", daemon=True)
        _SHARED["thread"] = thread
        thread.start()


def _background(factory, jobs) -> None:
    if _PLANNED:
        _session_gradings(factory).prefetch()
    for name, compute in jobs:
        try:
            _SHARED["results"][name] = (compute(_session_zip(factory), factory), None)
        except BaseException as err:  # raised by the module's fixture
            _SHARED["results"][name] = (None, err)


def background_result(module_name: str):
    """What the module's ``BACKGROUND`` computed this session (once it is done), or None
    when it was not started (the module then computes it itself)."""
    quiet()
    found = _SHARED.get("results", {}).get(module_name)
    if found is None:
        return None
    result, err = found
    if err is not None:
        raise err
    return result


def pytest_sessionfinish(session):
    """A session cut short (-x, Ctrl-C) leaves no grading running behind it."""
    thread = _SHARED.get("thread")
    if thread is not None and thread.is_alive():
        simulate.stop_all()
        thread.join(timeout=60)


def quiet() -> None:
    """Return once the background is done (for the ``GRADES_ALONE`` modules)."""
    thread = _SHARED.get("thread")
    if thread is not None:
        thread.join()


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
    return _session_zip(tmp_path_factory)


def _session_zip(factory):
    with _SHARED_LOCK:
        if "zip" not in _SHARED:
            _SHARED["zip"] = build_autograder(ASSIGNMENT, factory.mktemp("dist") / "autograder.zip")
        return _SHARED["zip"]


@pytest.fixture(scope="session")
def student_release(tmp_path_factory):
    """The student release (what ``make student`` writes), built once from this checkout.
    Read it, never change it: a test that edits one works on a copy."""
    return build_student(ASSIGNMENT, tmp_path_factory.mktemp("release") / "student")


@pytest.fixture(scope="session")
def student_release_again(tmp_path_factory):
    """A second build of the student release, apart from the first: the tests of
    reproducible builds compare the two."""
    return build_student(ASSIGNMENT, tmp_path_factory.mktemp("release-again") / "student")


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
    return _grader(autograder_zip, tmp_path_factory)


def _grader(autograder_zip, factory):
    def run(submission):
        out = factory.mktemp("results") / "results.json"
        results, log, notes = simulate.grade(autograder_zip, submission, out)
        return Graded(results, log, notes)

    return run


class Gradings:
    """Each distinct submission (a :class:`tests.fabricate.Variant`) graded once per
    session through the real run_autograder, whichever tests ask for it, ``WORKERS`` at
    a time: a grading is mostly one busy process, with waits (timeouts, process
    start-up) that a third run fills.

    A test module declares the submissions it grades here in ``GRADINGS``: those of
    every selected module are graded in one pool (the ones that wait for timeouts
    first, beside busy runs), in the background from the start of the session
    (:func:`pytest_collection_finish`); a call waits for that first."""

    WORKERS = 3

    def __init__(self, grade, tmp_path_factory, planned: list[Variant] = ()):
        self._grade, self._tmp = grade, tmp_path_factory
        self._done: dict[str, Graded] = {}
        self._failed: dict[str, BaseException] = {}
        self._planned = list(planned)
        self._lock = threading.Lock()
        self._prefetching = threading.Lock()

    def __call__(self, variant: Variant) -> Graded:
        return self.many([variant])[0]

    def many(self, variants: list[Variant]) -> list[Graded]:
        """Graded, in the order of ``variants``; those not graded yet, concurrently
        (the ones no module declared, such as copies meant to run together, apart)."""
        self.prefetch()
        self._grade_all(variants)
        for v in variants:
            if repr(v) in self._failed:
                raise self._failed[repr(v)]
        return [self._done[repr(v)] for v in variants]

    def prefetch(self) -> None:
        """Grade what the selected modules declared (once; a second caller waits for it)."""
        with self._prefetching:
            with self._lock:
                planned, self._planned = self._planned, []
            self._grade_all(planned)

    def _grade_all(self, variants: list[Variant]) -> None:
        with self._lock:
            todo = {repr(v): v for v in variants if repr(v) not in self._done and repr(v) not in self._failed}
        # Those that wait for timeouts first: the others fill the time.
        order = sorted(todo, key=lambda key: not ("while True" in key or "sleep(" in key))

        def one(key):
            try:
                folder = self._tmp.mktemp("submission")
                graded = self._grade(todo[key].write(folder / "upload"))
            except Exception as err:  # raised to the tests that ask for this one only
                with self._lock:
                    self._failed[key] = err
                return
            with self._lock:
                self._done[key] = graded

        with ThreadPoolExecutor(self.WORKERS) as pool:
            list(pool.map(one, order))


@pytest.fixture(scope="session")
def gradings(grade, tmp_path_factory) -> Gradings:
    return _session_gradings(tmp_path_factory)


def _session_gradings(factory) -> Gradings:
    zip_path = _session_zip(factory)
    with _SHARED_LOCK:
        if "gradings" not in _SHARED:
            _SHARED["gradings"] = Gradings(_grader(zip_path, factory), factory, _PLANNED)
        return _SHARED["gradings"]
