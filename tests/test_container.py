"""Gradescope's real container (``make test-docker``, CONVNET_CONFINEMENT=docker): the
reference and the stubs within Gradescope's defaults, what happens when the student's
processes fill the container's memory, the grader's own death, and a grading on the
host beside a container whose sandbox user has the host's uid.

Skipped unless CONVNET_CONFINEMENT=docker (the target starts nothing itself: a Docker
daemon must answer, tests/container/dockerd.sh). The hostile corpus is graded in the
container by tests/test_hostile.py in the same mode. The figures (seconds, peak memory)
are printed, never asserted: ``make bench-docker`` measures them.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import threading
from pathlib import Path

import pytest

from autograder.runtime import outcomes
from autograder.staff import simulate
from tests.conftest import ROOT, Graded
from tests.container import docker_grade
from tests.submissions.cases import load_cases

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.environ.get("CONVNET_CONFINEMENT") != "docker",
                       reason="the real container's tests run under make test-docker (CONVNET_CONFINEMENT=docker)"),
]
CASES = {case.id: case for case in load_cases()}
GRADED_MB = 768  # Gradescope's default container


@pytest.fixture(scope="module")
def image(autograder_zip):
    why = docker_grade.available()
    if why:
        pytest.fail(f"make test-docker needs a Docker daemon: {why} (tests/container/dockerd.sh start)")
    return docker_grade.graded_image(autograder_zip)


def _case(case_id: str, folder: Path) -> Path:
    return CASES[case_id].build(folder, 0)


def _reasons(results: dict) -> set[str]:
    return {t.get("extra_data", {}).get("reason", "") for t in results["tests"]}


def test_reference_and_stubs_within_gradescopes_defaults(image, autograder_zip):
    reference, _ = docker_grade.grade_in_container(autograder_zip, ROOT / "solutions" / "convnet")
    stubs, _ = docker_grade.grade_in_container(autograder_zip, ROOT / "student_template" / "convnet")
    print(f"\nreference: {reference.seconds:.1f} s, peak {reference.peak_mb} MB; "
          f"stubs: {stubs.seconds:.1f} s, peak {stubs.peak_mb} MB")
    assert Graded(reference.results, reference.log, []).score == 100, reference.log[-3000:]
    assert Graded(stubs.results, stubs.log, []).score == 0, stubs.log[-3000:]
    for run in (reference, stubs):
        assert run.peak_mb is not None and run.peak_mb < GRADED_MB, run.log[-500:]
        assert run.changed == [], run.changed
        protections = run.results["extra_data"]["sandbox"]
        assert protections["isolation"] == "none" and protections["oom_killer_first"], protections


def test_processes_filling_the_container_lose_their_test_not_the_grader(image, autograder_zip, tmp_path):
    """Processes each under the per-process limit fill the container during one call:
    the kernel kills a student's process (never the grader), the call's test says so
    with the reason ``memory``, and the rest is graded."""
    run, _ = docker_grade.grade_in_container(autograder_zip, _case("fill-the-container-in-a-call", tmp_path))
    graded = Graded(run.results, run.log, [])
    print(f"\nfill in a call: {graded.score} in {run.seconds:.1f} s, peak {run.peak_mb} MB")
    assert "GRADER DIED" not in run.log and "runner: " in run.log, run.log[-3000:]
    assert outcomes.MEMORY in _reasons(run.results), run.results["tests"]
    said = "\n".join(t.get("output", "") for t in run.results["tests"])
    assert "together used more memory than the container has" in said
    assert 0 < graded.score < 100, run.results["output"]  # only the tests that call same_padding lost


def test_the_grader_killed_for_memory_says_so(image, autograder_zip):
    """A container too small for the grader itself: the kernel kills it, and the fallback
    results.json says so in words, claims nobody was told, and the log has the details."""
    run, _ = docker_grade.grade_in_container(autograder_zip, ROOT / "solutions" / "convnet", memory="24m")
    output = run.results["output"]
    assert run.results["score"] == 0 and run.results["tests"] == [], output
    assert "ran out of memory" in output and "nobody has been told" in output, output
    assert run.results["extra_data"]["grader_failure"] is True
    assert "GRADER DIED" in run.log and "out of memory" in run.log, run.log[-2000:]


def test_a_host_grading_never_reaches_a_containers_students(image, autograder_zip, tmp_path):
    """Gradings on the host that kill and sweep their sandbox user's processes (a fork
    bomb holding every process its uid may have, a background process, a process that
    kills everything it may, one that ignores SIGTERM) run while the container grades the
    reference: no call of the container's may be killed or refused a process. (With the
    host's uid in the container, the host's fork bomb kept the container's student from
    starting at all: RLIMIT_NPROC counts a uid's processes across the kernel. Each
    grading in a container draws its own uid; tests/test_kill_scope.py kills beside
    processes of the very same uid.)"""
    found: dict = {}

    def host_gradings():
        for case_id in ("fork-bomb", "background-process", "kill-everything", "ignores-sigterm"):
            folder = tmp_path / case_id
            folder.mkdir()
            results, log, _ = simulate.grade(autograder_zip, _case(case_id, folder), folder / "results.json")
            found[case_id] = "GRADER ERROR" not in log

    thread = threading.Thread(target=host_gradings)
    thread.start()
    runs = []
    while thread.is_alive() or not runs:  # container gradings for as long as the host grades
        run, _ = docker_grade.grade_in_container(autograder_zip, ROOT / "solutions" / "convnet")
        runs.append(run)
    thread.join()
    assert all(found.values()) and len(found) == 4, found
    for run in runs:
        # A kill from the host would read "Your code's process was killed" (reason crashed),
        # a refused process "Resource temporarily unavailable"; a loaded machine may still
        # time a call out, which is not what this checks.
        hurt = [t["output"] for t in run.results["tests"]
                if outcomes.CRASHED in t.get("extra_data", {}).get("cases", {}) or "was killed" in t["output"]
                or "temporarily unavailable" in t["output"]]
        assert not hurt, hurt
        assert "temporarily unavailable" not in run.results["output"], run.results["output"]
        assert "GRADER ERROR" not in run.log and "GRADER DIED" not in run.log, run.log[-2000:]
    print(f"\n{len(runs)} container gradings beside 4 host gradings")


def test_each_grading_draws_its_own_sandbox_uid(image):
    """setup.sh draws the image's sandbox uid at random, far above the system's, and
    run_autograder draws another for each grading (the image's is shared by its containers)."""
    inside = int(docker_grade.docker("run", "--rm", "--network", "none", image, "id", "-u", "grader-sandbox").stdout)
    assert inside >= 200000 and inside not in {p.pw_uid for p in pwd.getpwall()}
    draw = "/autograder/run_autograder >/dev/null 2>&1; id -u grader-sandbox"
    drawn = {int(docker_grade.docker("run", "--rm", "--network", "none", image, "bash", "-c", draw).stdout)
             for _ in range(3)}
    assert len(drawn) == 3 and inside not in drawn and min(drawn) >= 200000, drawn


def test_daemon_runs_no_bridge():
    """The daemon was started with no network of its own: only none and host exist."""
    names = docker_grade.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert "bridge" not in names, names
    assert subprocess.run(["ip", "link", "show", "docker0"], capture_output=True).returncode != 0
