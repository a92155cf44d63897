"""The trusted grading run: what ``run_autograder`` executes on Gradescope.

    python -m autograder.grade.runner --root /autograder [--python /opt/grader-venv/bin/python]

submission -> locate -> sandbox (student's process) -> graders (pytest, here, calling
the student through a proxy) -> results.json. The results file is written in a
``finally``, after every process of the sandbox user is gone, whatever happened.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import sys
import time
from pathlib import Path

import pytest

from autograder.grade import locate, reference
from autograder.grade.files import SandboxFiles
from autograder.grade.results import build_results, failure_results, split_score, write_results
from autograder.runtime import config, seeds
from autograder.runtime.packages import load_package
from autograder.runtime.pytest_plugin import GradingPlugin
from autograder.sandbox import cgroup, leftovers, messages, rundir
from autograder.sandbox.limits import kill_stray_processes, kill_user_processes, sandbox_identity
from autograder.sandbox.proxy import Sandbox, SandboxError, SandboxSpec, StudentProxy
from autograder.sandbox.stopwatch import SandboxStopwatch

ASSIGNMENT_YAML = Path("assignment") / "assignment.yaml"
# pytest plugins grading has no use for; the first two end the session with full
# garbage collections (a tenth of a second each with numpy loaded).
UNUSED_PLUGINS = ("-p", "no:unraisableexception", "-p", "no:threadexception", "-p", "no:doctest",
                  "-p", "no:junitxml", "-p", "no:pastebin")


def _catalogue_hints(assignment, ref, log):
    """The catalogue's hints, or None when the assignment has no catalogue (whose
    matching needs numpy, which an assignment without it does not install)."""
    if assignment.diagnoses is None:
        return None
    from autograder.grade import diagnose

    return diagnose.catalogue_hints(assignment, ref, log)


def grade(root: Path, python: str, *, log=print) -> dict:
    """Grade ``root/submission`` with the graders in ``root/source``; write and return
    ``root/results/results.json``."""
    started = time.monotonic()
    results_path = root / "results" / "results.json"
    results = None
    sandbox = None
    run = None
    identity = None
    meter = None
    clean_before = False  # the sandbox user owned nothing in the shared folders when the run began
    try:
        assignment = config.load(root / "source" / ASSIGNMENT_YAML)
        limits = assignment.sandbox
        identity = sandbox_identity()
        # What an earlier run that was killed left behind: its folder, and what its
        # sandbox user (perhaps ours now) kept in shared folders and SysV IPC.
        swept = rundir.sweep()
        cgroup.sweep()
        if identity.uid is not None:  # the dedicated user
            kill_stray_processes(identity)
            # The file walk only when the user's last run did not end with its own sweep.
            marked = leftovers.claim_clean(identity.uid)
            stale, clean_before = leftovers.sweep(identity.uid, files=not marked)
            if swept or any(stale.values()):
                log(f"swept before the run: {json.dumps({'run_folders': len(swept), **stale}, sort_keys=True)}")
        located = locate.locate(root / "submission", assignment.package, assignment.modules,
                                assignment.optional_modules)
        run = rundir.RunDir()
        run_dir = run.path
        package_parent = run_dir / "submission"
        package_parent.mkdir()
        os.chmod(package_parent, 0o755)
        copied = locate.copy_package(located, assignment.package, package_parent)
        # The hidden cases' seed: this submission's own (a regrade draws the same cases),
        # from its files and the graders' text, set before pytest collects the graders.
        seed = seeds.derive(copied.rglob("*.py"), copied, (root / "source" / "assignment" / "tests").rglob("*.py"))
        seeds.use(seed)

        if assignment.reference is None:  # build_autograder refuses this; a hand-made zip may not
            raise config.ConfigError(assignment.path, "reference", "the autograder needs the reference solutions")
        ref = load_package(assignment.reference, f"_reference_{assignment.package}")
        exported = reference.exports(ref, assignment.modules)
        spec = SandboxSpec(
            python=python, package=assignment.package, package_parent=package_parent,
            exports=exported, run_dir=run_dir, identity=identity,
            limits=limits, packages=tuple(assignment.packages.code), optional=tuple(assignment.optional_modules),
            error_classes=reference.error_classes(ref, exported),
            classes=reference.other_classes(ref, exported),
        )
        sandbox = Sandbox(spec, deadline=started + limits.total_budget_seconds, unavailable=located.missing)
        problems = located.problems()
        try:
            sandbox.start()
            problems += [_first_line(m) for m in sandbox.import_problems()]
            printed = sandbox.take_output()
            if printed:
                problems.append(messages.printed_at_import(printed))
        except SandboxError as err:
            problems.append(err.grading_message)
        log(f"sandbox protections: {json.dumps(sandbox.protections(), sort_keys=True)}")

        meter = _TestCpu()
        plugin = GradingPlugin(
            assignment, lambda: StudentProxy(sandbox), reference=lambda: ref,
            case_output=lambda item: sandbox.take_output(),
            stopwatch=lambda: SandboxStopwatch(identity, sandbox),
            diagnose=_catalogue_hints(assignment, ref, log),
            files=lambda: SandboxFiles(assignment, sandbox),
        )
        code = pytest.main([*_pytest_args(root / "source"), "--tb=line", "-o", "console_output_style=classic"],
                           plugins=[plugin, meter])
        log(f"pytest exit code: {code}")
        graders_failed = code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
        if graders_failed:
            log(f"GRADER ERROR: the graders' pytest session ended with {code!r}")
        missing_groups = [g.id for g in assignment.groups if g.id not in plugin.collected]
        if missing_groups:
            log(f"GRADER ERROR: tests in assignment.yaml that were not collected: {missing_groups}")
        results = build_results(
            assignment, plugin.scores(), execution_time=time.monotonic() - started, problems=problems,
            leaderboard=plugin.leaderboard_entries(), not_collected=set(missing_groups), graders_failed=graders_failed,
            extra_data={"version": assignment.version, "seed": seed,
                        "sandbox": {**_protections(identity), **sandbox.protections()},
                        "submission": _submission_facts(located, sandbox)},
        )
    except Exception as err:  # the grader's own failure: still a valid results.json
        log(f"GRADER ERROR: {type(err).__name__}: {err}")
        results = failure_results(messages.GRADER_FAILED, execution_time=time.monotonic() - started)
    finally:
        if sandbox is not None:
            live_cpu = (_live_cpu(identity), _reaped_cpu())
            sandbox.close()
            total = time.monotonic() - started
            log(f"timing: {total:.2f} s in all, {sandbox.student_seconds:.2f} s in the student's process "
                f"(starts and calls), {total - sandbox.student_seconds:.2f} s of grader overhead")
        if identity is not None:
            left = kill_user_processes(identity)
            if left:
                log(f"WARNING: {left} sandbox processes could not be killed")
            if identity.uid is not None:  # the dedicated user
                # A private file system had no shared folder in it: nothing to walk.
                walk = sandbox is None or not sandbox.protections().get("private_filesystem")
                removed, clean_after = leftovers.sweep(identity.uid, files=walk)
                if any(removed.values()):
                    log(f"removed what the student's code left behind: {json.dumps(removed, sort_keys=True)}")
                if not left and clean_after and (walk or clean_before):
                    leftovers.mark_clean(identity.uid)
        if run is not None:
            run.remove()
        if results is None:
            results = failure_results(messages.INTERRUPTED, execution_time=time.monotonic() - started)
        results["execution_time"] = round(time.monotonic() - started, 2)
        write_results(results_path, results)
        log(f"runner: {json.dumps({'peak_rss_mb': _peak_rss_mb()})}")
        if sandbox is not None:
            try:
                log(f"cpu: {json.dumps(_cpu_figures(live_cpu, sandbox, meter), sort_keys=True)}")
            except Exception as err:  # a figure for benchmarks only
                log(f"cpu: not measured ({type(err).__name__})")
    return results


def _pytest_args(source: Path) -> list[str]:
    """The graders' pytest session: the public then the hidden tests, no ini file."""
    tests = source / "assignment" / "tests"
    # --confcutdir: no conftest.py above the graders' folder is loaded (with -c
    # os.devnull, pytest would look as far up as /dev's parent).
    return [str(tests / "public"), str(tests / "hidden"), "-q", "-p", "no:cacheprovider", "--rootdir", str(tests),
            "--confcutdir", str(tests), "-c", os.devnull, *UNUSED_PLUGINS]


def compile_tests(source: Path) -> int:
    """Write pytest's bytecode of the graders (their asserts rewritten) beside them,
    by collecting them as a grading does. setup.sh runs this once: a grading runs
    with ``-B``, under which pytest reads that bytecode but never writes it."""
    return pytest.main([*_pytest_args(source), "--collect-only"])


class _TestCpu:
    """CPU seconds of this process inside the test functions (the graders' own work,
    with the trusted side's share of the sandbox's calls)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        cpu = time.process_time()
        try:
            return (yield)
        finally:
            self.seconds += time.process_time() - cpu


def _reaped_cpu() -> float:
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return reaped.ru_utime + reaped.ru_stime


def _live_cpu(identity) -> float:
    """CPU seconds of the student's live processes (the stopwatch's sum, without what
    this process has already reaped)."""
    if identity is None:
        return 0.0
    try:  # a figure: it must never keep results.json from being written
        return SandboxStopwatch(identity).cpu_seconds() - _reaped_cpu()
    except Exception:
        return 0.0


def _cpu_figures(live_cpu: tuple[float, float], sandbox, meter: _TestCpu | None) -> dict:
    """CPU seconds of this run, for benchmarks (``bench_grade``): ``runner`` (this
    process), ``children`` (what it started and reaped before the end: the isolation's
    first start in an isolation that failed, ...), ``student_process`` (the student's processes at the end, measured
    while alive, or as reaped when more: killed inside a namespace, they are not always
    reaped with their times; ``student_unreaped``: the part that no rusage of an ancestor
    counts), ``student_code`` (in the student's imports and
    calls, as its process reports: untrusted, a figure only) and ``graders`` (in the
    test functions, outside the sandbox's calls: expected values, the bonus's reference
    timing)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    live, reaped_before = live_cpu
    graders = (meter.seconds if meter is not None else 0.0) - sandbox.trusted_cpu
    return {name: round(value, 3) for name, value in {
        "runner": own.ru_utime + own.ru_stime, "children": reaped_before,
        "student_process": max(live, _reaped_cpu() - reaped_before),
        "student_unreaped": max(live - (_reaped_cpu() - reaped_before), 0.0),
        "student_code": sandbox.reported_cpu, "graders": max(graders, 0.0),
    }.items()}


def _peak_rss_mb() -> int:
    """This process's peak resident memory, in MB (ru_maxrss is in KB on Linux)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _submission_facts(located, sandbox) -> dict:
    """What was wrong with the submission's files, as data (for the class report)."""
    missing = [m for m in located.missing if m not in located.left_out]
    broken = {m: str(e.get("type", "Exception"))[:100] for m, e in sorted(sandbox.import_errors.items())
              if m not in located.missing}
    return {"found": located.folder is not None, "missing": missing, "import_errors": broken}


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else text


def _protections(identity) -> dict:
    return {
        "user": "dedicated unprivileged user" if identity and identity.dedicated else "same user (not root)",
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade one submission, Gradescope style.")
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--python", default=sys.executable, help="interpreter for the student's process")
    parser.add_argument("--compile-tests", type=Path, metavar="SOURCE",
                        help="only write pytest's bytecode of SOURCE's graders (setup.sh), then exit")
    args = parser.parse_args(argv)
    if args.compile_tests is not None:
        return int(compile_tests(args.compile_tests.resolve()))
    # A TERM or HUP (a batch stopping, a terminal closing) unwinds through grade's
    # finally: the student's processes killed, the run folder removed, results written.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupted)
    results = grade(args.root.resolve(), args.python)
    graded, bonus = split_score(results)
    print(f"score: {graded:g} (graded part)" + (f" + {bonus:g} extra credit" if bonus else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
