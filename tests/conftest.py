"""Shared fixtures for the project's own tests."""

from pathlib import Path

import pytest

from autograder.grade.reference import load_package

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def ref():
    """The reference convnet package from solutions/."""
    return load_package(ROOT / "solutions" / "convnet", "convnet_reference")


import json  # noqa: E402

import jsonschema  # noqa: E402

from autograder.runtime import config as config_mod  # noqa: E402
from autograder.staff import simulate  # noqa: E402
from autograder.grade.results import split_score  # noqa: E402
from autograder.build.autograder_zip import build_autograder  # noqa: E402

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
