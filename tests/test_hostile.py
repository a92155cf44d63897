"""Broken and hostile submissions (tests/submissions/cases.yaml) through the real
``make grade`` path: the real autograder zip, setup.sh, run_autograder, sandbox user
and namespaces.

For every case: results.json exists and validates; the score is within the case's
bounds (never above what the honest part of the code earns); the student sees the
problem named; nothing hidden (grader code, reference code, the grader's paths or
environment) appears in anything the student sees; the autograder's source tree and
the grading venv are unchanged; no process of a sandbox user survives the run; the run
ends within its time budget (times how busy the machine is: conftest.slack). Scores are
those of the 100-point part (``Graded.score``: extra credit apart). Some cases are
graded twice: same results.json apart from ``execution_time`` and the leaderboard's
values (timings).

The cases run three at a time (each run has its own tree and its own sandbox user):
the ones that time out cost 5 to 15 s each, mostly waiting, which a third run fills.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

import pytest

from autograder.staff import simulate
from tests.conftest import ASSIGNMENT, ROOT, Graded, background_result, slack
from tests.container import docker_grade
from tests.submissions.cases import load_cases

FIRST = "syntax-error"  # graded first: its extra_data says which protections this machine gives
# HOSTILE_CASES=id,id... grades only those (and the first): for working on a few cases
_ONLY = {name for name in os.environ.get("HOSTILE_CASES", "").split(",") if name}
CASES = [c for c in load_cases() if not _ONLY or c.id in _ONLY | {FIRST}]
PARALLEL = 3
SANDBOX_USER_PREFIX = "grader-sandbox"
MODE_VARIABLE = "CONVNET_CONFINEMENT"  # "docker-like": under tests/docker_like.py (make test-docker-like)
# "docker": every case graded in a real container (make test-docker; tests/container/docker_grade.py)
REAL_DOCKER = os.environ.get(MODE_VARIABLE) == "docker"
NO_NAMESPACES = ("docker-like", "docker")  # the modes without namespaces: Gradescope's container
# The tests run after the other modules, with nothing else grading (conftest): the checks
# below look at every process and leftover of the sandbox users. First of those modules:
# the leftovers checked are the corpus's (test_batch's killed gradings leave theirs to be
# swept by the next grading, as they did when the corpus's runs came after them).
GRADES_ALONE = 1


# -- what a run leaves behind ---------------------------------------------------------

def tree_digest(folder: Path) -> str:
    """Names, modes and contents of every file under ``folder`` (symlinks not followed)."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames]):
            path = Path(dirpath) / name
            st = path.lstat()
            digest.update(f"{path.relative_to(folder)}\0{st.st_mode:o}\0".encode())
            if path.is_file() and not path.is_symlink():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def stat_digest(folder: Path) -> str:
    """Names, sizes, modes and mtimes under ``folder``: cheap, for a venv."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            st = os.lstat(os.path.join(dirpath, name))
            digest.update(f"{dirpath}/{name}\0{st.st_size}\0{st.st_mode:o}\0{st.st_mtime_ns}\0".encode())
    return digest.hexdigest()


_local = threading.local()


class Trace:
    """What one run_autograder did to its tree, seen from outside."""

    root: Path
    source_before = source_after = venv_before = venv_after = ""
    results_listing: list[str] = []


def _traced_run(real_run):
    def run(root, venv, *args, **kwargs):
        trace = getattr(_local, "trace", None)
        if trace is None:  # a grading of another module's, while the corpus runs in the background
            return real_run(root, venv, *args, **kwargs)
        trace.root = root
        trace.source_before, trace.venv_before = tree_digest(root / "source"), stat_digest(venv)
        try:
            return real_run(root, venv, *args, **kwargs)
        finally:
            trace.source_after, trace.venv_after = tree_digest(root / "source"), stat_digest(venv)
            trace.results_listing = sorted(os.listdir(root / "results"))

    return run


def sandbox_uids() -> set[int]:
    return {p.pw_uid for p in pwd.getpwall() if p.pw_name.startswith(SANDBOX_USER_PREFIX)}


def _proc(pid: int) -> tuple[set[int], int, str, str] | None:
    """(real, effective, saved and fs uids, ppid, state, command line) of a live
    process, or None. A setuid program is its starter's by its real uid."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            uids = next({int(v) for v in line.split()[1:5]} for line in f if line.startswith("Uid:"))
        return uids, int(fields[1]), fields[0], cmdline
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def survivors(grace: float = 3.0) -> list[str]:
    """Live processes of a sandbox user that no running grader owns (not zombies) and
    that are still there after ``grace`` seconds (times conftest.slack): a run ending at
    this moment (this suite's or another's on the machine) may still be killing its own.
    (Short: the next run to start sweeps what a run left, which must not hide a leak.)"""
    deadline = time.monotonic() + grace * slack()
    while (found := _survivors()) and time.monotonic() < deadline:
        time.sleep(0.5)
    return found


# A grader's process, of this checkout or of another one grading on the same machine
# (an older release's runner was autograder.runner; a batch's warm grader's forks show
# the server's command line).
RUNNER = re.compile(r"-m autograder\.(grade\.)?(runner|server)\b")


def _survivors() -> list[str]:
    """Live processes of a sandbox user that no running grader owns (not zombies)."""
    uids, found = sandbox_uids(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        info = _proc(int(entry))
        if info is None or not info[0] & uids or info[2] == "Z":
            continue
        ppid, owned = info[1], False
        for _ in range(64):  # up the tree: is a grader (autograder.grade.runner) above it?
            parent = _proc(ppid) if ppid > 1 else None
            if parent is None:
                break
            if RUNNER.search(parent[3]):
                owned = True
                break
            ppid = parent[1]
        if not owned:
            found.append(f"pid {entry}: {info[3][:200]}")
    return found


# -- a listener on 127.0.0.1 for the network case ---------------------------------------

class Listener:
    """Accepts connections on 127.0.0.1 (never any other address) and keeps what
    arrives."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(4096) or b"(connected, nothing sent)")
                except OSError:
                    self.received.append(b"(connected)")

    def close(self):
        self.sock.close()


# -- grading the corpus ------------------------------------------------------------------

class Outcome:
    def __init__(self, case, graded: Graded, trace: Trace, seconds: float, left: list[str], submission: Path,
                 slack: float = 1.0):
        self.case, self.graded, self.trace, self.seconds, self.left = case, graded, trace, seconds, left
        self.slack = slack  # how busy the machine was when the run ended (conftest.slack)
        self.submission = submission
        self.second: Graded | None = None
        self.twin: Graded | None = None


def _cost(case) -> int:
    """A rough rank of how long a case's grading holds its worker: the ones that wait
    for timeouts (and those graded twice) start first, so that the workers finish together."""
    waits = any("Timed out" in text for text in case.see)
    return (4 if waits else 1) * (2 if case.twice else 1)


@pytest.fixture(scope="module")
def corpus(autograder_zip, tmp_path_factory, request):
    """Every case graded; {"outcomes": {id: Outcome}, ...}: in the session's background
    (conftest), or here when it did not start."""
    found = background_result(__name__)
    if found is None:
        found = grade_corpus(autograder_zip, tmp_path_factory)
    print(found["summary"])
    yield found
    _print_table(request.config, found["outcomes"], found["skipped"], found["errors"])


def grade_corpus(autograder_zip, tmp_path_factory) -> dict:
    """Every case graded (in parallel, ``PARALLEL`` at a time). One pool for every run:
    the first case (whose protections decide which cases this machine can hold) beside
    the others, a case graded twice runs again as soon as its first run ends, and
    identical honest twins are graded once."""
    listener = Listener()
    outcomes: dict[str, Outcome] = {}
    twins: dict[str, Graded] = {}  # by the twin's variant (repr): cases may share one
    skipped: dict[str, str] = {}
    unprotected: dict[str, str] = {}  # docker-like mode: cases graded without the protections they need
    errors: dict[str, str] = {}
    killed: dict = {}  # test_a_killed_run_leaves_no_run_folder's run, graded here beside the others
    lock = threading.Lock()

    def grade_case(case, twin: bool = False):
        try:
            _grade_case(case.honest_twin() if twin else case, twin)
            if case.twice and not twin:
                _grade_case(case, False, again=True)
        except Exception as err:  # reported by the case's own test, not by all of them
            with lock:
                errors[case.id] = f"{type(err).__name__}: {err}"

    def _grade_case(case, twin: bool, again: bool = False):
        folder = tmp_path_factory.mktemp(case.id)
        submission = case.build(folder, listener.port)
        _local.trace = trace = Trace()
        started = time.monotonic()
        if REAL_DOCKER:
            results, log, notes = docker_grade.grade(autograder_zip, submission, folder / "results.json", trace=trace)
        else:
            results, log, notes = simulate.grade(autograder_zip, submission, folder / "results.json")
        seconds, load = time.monotonic() - started, slack() * _cpu_share()
        graded = Graded(results, log, notes)
        with lock:
            if twin:
                twins[repr(case.variant)] = graded
            elif again:
                outcomes[case.id].second = graded
            else:
                outcomes[case.id] = Outcome(case, graded, trace, seconds, survivors(), submission, load)

    def killed_run():
        try:
            killed.update(_killed_run(autograder_zip, tmp_path_factory.mktemp("killed")))
        except Exception as err:
            killed["error"] = f"{type(err).__name__}: {err}"

    real_run = simulate.run
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as mp, ThreadPoolExecutor(PARALLEL) as pool:
        mp.setattr(simulate, "run", _traced_run(real_run))
        first = next(c for c in CASES if c.id == FIRST)
        first_done = pool.submit(grade_case, first)
        jobs = [pool.submit(killed_run)]  # mostly waiting for its timeout: early, beside busy runs
        later = [c for c in CASES if c.needs]  # they wait for the first case's protections
        now = sorted((c for c in CASES if c.id != FIRST and not c.needs), key=lambda c: -_cost(c))
        jobs += [pool.submit(grade_case, case) for case in now]
        twin_of: dict[str, str] = {}
        for case in [first, *now]:
            if case.twin is not None and repr(case.honest_twin().variant) not in twin_of.values():
                jobs.append(pool.submit(grade_case, case, True))
            if case.twin is not None:
                twin_of[case.id] = repr(case.honest_twin().variant)
        first_done.result()
        protections = _machine_protections(outcomes, jobs, lock)
        for case in later:
            missing = [n for n in case.needs if not protections.get(n)]
            if missing and os.environ.get(MODE_VARIABLE) in NO_NAMESPACES:
                # graded anyway: what students face on Gradescope (an expected failure, shown in the table)
                unprotected[case.id] = f"Gradescope's container does not give the sandbox {', '.join(missing)}"
            elif missing:
                skipped[case.id] = f"this machine does not give the sandbox {', '.join(missing)}"
                continue
            jobs.append(pool.submit(grade_case, case))
            if case.twin is not None:
                twin_of[case.id] = repr(case.honest_twin().variant)
                jobs.append(pool.submit(grade_case, case, True))
        for job in jobs:
            job.result()
    listener.close()
    for case_id, key in twin_of.items():
        if case_id in outcomes and key in twins:
            outcomes[case_id].twin = twins[key]
    slowest = sorted(outcomes.values(), key=lambda o: -o.seconds)[:8]
    summary = (f"\ncorpus: {len(outcomes)} cases graded in {time.monotonic() - started:.1f} s, {PARALLEL} at a time; "
               f"protections: {json.dumps(protections, sort_keys=True)}\n"
               "slowest: " + ", ".join(f"{o.case.id} {o.seconds:.1f} s" for o in slowest))
    return {"outcomes": outcomes, "skipped": skipped, "errors": errors, "listener": listener,
            "protections": protections, "unprotected": unprotected, "killed": killed, "summary": summary}


def _cpu_share() -> float:
    """How many times slower than one core a grading runs: a real container has half
    a CPU (Gradescope's default), and a budget must not fail a grading for that."""
    return 1 / float(docker_grade.CPUS) if REAL_DOCKER else 1.0


def _protections_of(outcome) -> dict | None:
    extra = outcome.graded.results.get("extra_data") or {}
    return extra.get("sandbox") if isinstance(extra.get("sandbox"), dict) else None


def _machine_protections(outcomes: dict, jobs: list, lock) -> dict:
    """What the sandbox gives on this machine, as the first case's results.json records
    it. Should that grading have failed before its sandbox started (its own test then
    fails, with its log), the record of the next case graded: the protections are the
    machine's (the trusted side records them from the child's hello, before any of the
    student's code runs: a hostile case's record is as good), and one failed grading
    must not turn every case's test into an error."""
    with lock:
        found = _protections_of(outcomes[FIRST]) if FIRST in outcomes else None  # (not there: it raised)
    pending = list(jobs)
    while found is None and pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        pending = [job for job in pending if job not in done]
        with lock:
            found = next((p for p in map(_protections_of, outcomes.values()) if p is not None), None)
    if found is None:
        first = outcomes[FIRST].graded.log[-3000:] if FIRST in outcomes else "(it raised)"
        raise AssertionError(f"no case's results.json records its sandbox; the first case's log:\n{first}")
    return found


# Graded in the session's background (conftest), beside the modules that run meanwhile:
# their gradings are the graders' own (a sandbox process with no grader above it would be
# counted as left behind: tests/test_isolation.py, which starts them, runs once this is done).
BACKGROUND = grade_corpus


def _print_table(config, outcomes: dict, skipped: dict, errors: dict) -> None:
    """One line per case (id, score, bounds, seconds, verdict of its test), printed
    past pytest's capture once every case's test has run."""
    reports = {}
    for group in (config.pluginmanager.getplugin("terminalreporter").stats.get(key, [])
                   for key in ("passed", "failed", "skipped", "error", "xfailed", "xpassed")):
        for r in group:
            if getattr(r, "when", "") in ("setup", "call") and "::test_case[" in getattr(r, "nodeid", ""):
                reports[r.nodeid.split("::test_case[", 1)[1][:-1]] = r
    mode = os.environ.get(MODE_VARIABLE) or "plain"
    lines = [f"hostile corpus, mode {mode}:",
             f"{'case':<34} {'score':>6} {'bounds':>10} {'twin':>6} {'bonus':>5} {'board/twin':>10} {'MB':>4} "
             f"{'s/budget':>11}  verdict"]
    verdicts = []
    for case in CASES:
        outcome, report = outcomes.get(case.id), reports.get(case.id)
        verdict = "skipped" if case.id in skipped else "not run" if report is None else \
            "FAIL" if report.failed else report.outcome
        if report is not None and hasattr(report, "wasxfail"):  # docker-like: graded without what it needs
            verdict = "FAIL(xfail)" if report.skipped else "XPASS"
        verdicts.append(verdict)
        why = errors.get(case.id, "")
        if verdict.startswith("FAIL") and report is not None:
            why = next((line[2:].strip() for line in report.longreprtext.splitlines() if line.startswith("E ")), why)
        score = f"{outcome.graded.score:g}" if outcome else "-"
        took = f"{outcome.seconds:.1f}/{case.seconds:g}" if outcome else "-"
        twin = f"{outcome.twin.score:g}" if outcome and outcome.twin else ""
        bonus = f"{outcome.graded.bonus:g}" if outcome else ""
        board = ",".join(f"{e['value']:g}" for e in outcome.graded.results.get("leaderboard", [])) if outcome else ""
        if outcome and outcome.twin and outcome.twin.results.get("leaderboard"):  # the honest twin's, beside
            board += "/" + ",".join(f"{e['value']:g}" for e in outcome.twin.results["leaderboard"])
        peak = runner_peak_mb(outcome.graded.log) if outcome else None
        lines.append(f"{case.id:<34} {score:>6} {str(list(case.score)):>10} {twin:>6} {bonus:>5} {board:>10} "
                     f"{peak if peak is not None else '':>4} {took:>11}  {verdict}"
                     + (f"  {why[:120]}" if verdict.startswith("FAIL") else ""))
    failed = [v for v in verdicts if v.startswith("FAIL")]
    lines.append(f"{verdicts.count('passed')} passed, {len(failed)} failed ({failed.count('FAIL(xfail)')} expected), "
                 f"{verdicts.count('skipped')} skipped, of {len(CASES)} cases")
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines), flush=True)


def published_view(graded: Graded) -> str:
    """Everything the student sees once grades are published: the summary, every
    test's name and output, and what ``make grade`` says about the upload itself."""
    results = graded.results
    parts = [results["output"]] + [t["name"] + "\n" + t.get("output", "") for t in results["tests"]]
    return "\n".join(parts + list(graded.notes))


def secrets_for(submission: Path) -> list[str]:
    """Text the student must never see: lines of the hidden graders, of the reference's
    solution regions and of the Gradescope scripts, less the lines of the submission
    itself (a copy of the reference may quote its own code)."""
    own: set[str] = set()
    for path in submission.rglob("*.py") if submission.is_dir() else []:
        if path.is_file() and not path.is_symlink():
            own |= {line.strip() for line in path.read_text(errors="replace").splitlines()}
    lines: set[str] = set()
    for path in (ROOT / "assignment" / "tests" / "hidden").glob("*.py"):
        lines |= {line.strip() for line in path.read_text().splitlines() if len(line.strip()) > 30}
    for name in ("run_autograder", "setup.sh"):
        text = (ROOT / "autograder" / "grade" / "gradescope" / name).read_text()
        lines |= {line.strip() for line in text.splitlines() if len(line.strip()) > 30 and not line.startswith("#")}
    for path in (ROOT / "solutions" / "convnet").glob("*.py"):
        inside = False
        for line in path.read_text().splitlines():
            if "# BEGIN SOLUTION" in line:
                inside = True
            elif "# END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) > 25:
                lines.add(line.strip())
    return sorted(lines - own)


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(corpus, case, request):
    if case.id in corpus["skipped"]:
        pytest.skip(corpus["skipped"][case.id])
    if case.id in corpus["unprotected"]:
        request.applymarker(pytest.mark.xfail(reason=corpus["unprotected"][case.id], strict=False))
    assert case.id not in corpus["errors"], f"grading failed: {corpus['errors'][case.id]}"
    outcome: Outcome = corpus["outcomes"][case.id]
    graded, results = outcome.graded, outcome.graded.results
    seen = published_view(graded)
    where = f"\n--- student sees ---\n{seen[:4000]}\n--- log ---\n{graded.log[-3000:]}"

    low, high = case.score
    assert low <= graded.score <= high, f"score {graded.score} not in [{low}, {high}]{where}"
    for text in case.see:
        assert text in seen, f"the student should see {text!r}{where}"
    lost = graded.lost()
    assert set(case.lost) <= lost, f"should lose {sorted(set(case.lost) - lost)}{where}"

    leaked = [line for line in secrets_for(outcome.submission) if line in seen]
    assert not leaked, f"hidden text shown to the student: {leaked[:5]}{where}"
    assert str(outcome.trace.root) not in seen, "the grader's own path was shown to the student"
    assert "Traceback (most recent call last)" not in seen, where

    assert outcome.trace.source_before == outcome.trace.source_after, "the autograder's source tree changed"
    assert outcome.trace.venv_before == outcome.trace.venv_after, "the grading venv changed"
    assert outcome.trace.results_listing == ["results.json"], outcome.trace.results_listing
    assert not outcome.left, f"sandbox processes outlived the run: {outcome.left}"
    budget = case.seconds * outcome.slack  # a stuck run, not a busy machine
    assert outcome.seconds <= budget, f"took {outcome.seconds:.1f} s, budget {case.seconds:g} s x {outcome.slack:.1f}"
    assert results["execution_time"] <= ASSIGNMENT.sandbox.total_budget_seconds
    assert "GRADER ERROR" not in graded.log, graded.log[-3000:]
    assert "GRADER DIED" not in graded.log, f"the grader itself was killed: {graded.log[-3000:]}"
    forbidden = [c for c in json.dumps(results, ensure_ascii=False) if ord(c) < 32 and c not in "\n\t"]
    assert not forbidden, f"control characters reached results.json: {sorted(set(forbidden))!r}"

    low, high = case.bonus
    assert low <= graded.bonus <= high, f"bonus {graded.bonus} not in [{low}, {high}]{where}"
    board = [entry["value"] for entry in results.get("leaderboard", [])]
    assert all(value <= case.leaderboard_max for value in board), f"leaderboard {board} above {case.leaderboard_max}"
    peak = runner_peak_mb(graded.log)
    assert peak is not None and peak <= case.runner_mb, f"the runner peaked at {peak} MB, budget {case.runner_mb:g}"
    if case.twin is not None:
        twin = outcome.twin
        assert twin is not None, "the honest twin was not graded"
        assert graded.score <= twin.score and graded.bonus <= twin.bonus, (
            f"the attack earned more than its honest twin: {graded.score}+{graded.bonus} > {twin.score}+{twin.bonus}"
            f"{where}")

    if case.twice:
        # The leaderboard holds a measured speedup: its value is a timing, like execution_time.
        again = dict(outcome.second.results, execution_time=0, leaderboard=_names(outcome.second.results))
        first = dict(results, execution_time=0, leaderboard=_names(results))
        assert again == first, f"two runs of the same submission differ: {_differences(first, again)}"


def runner_peak_mb(log: str) -> float | None:
    """The trusted runner's peak memory, from its log line ``runner: {...}``."""
    for line in reversed(log.splitlines()):
        if line.startswith("runner: "):
            return float(json.loads(line[len("runner: "):])["peak_rss_mb"])
    return None


def _differences(a, b, path="") -> list[str]:
    """Where two JSON values differ: ``["extra_data.sandbox.landlock: True != False", ...]``."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in _differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {str(a)[:200]!r} != {str(b)[:200]!r}"]


def _names(results: dict) -> list:
    """The leaderboard without its values."""
    return [{k: v for k, v in entry.items() if k != "value"} for entry in results.get("leaderboard", [])]


@pytest.mark.e2e
def test_nothing_reached_the_network(corpus):
    if not corpus["protections"].get("no_network"):
        pytest.skip("neither a network namespace nor our seccomp filter on this machine")
    assert corpus["listener"].received == []


@pytest.mark.e2e
def test_no_sandbox_process_is_left(corpus):
    assert survivors() == []


@pytest.mark.e2e
def test_nothing_is_left_behind(corpus):
    """No SysV IPC object and no file in the shared folders belongs to a sandbox user,
    and no run folder outlived its run."""
    from autograder.sandbox import rundir
    from autograder.sandbox.leftovers import owned_files, sysv_objects

    for uid in sandbox_uids():
        assert sysv_objects(uid) == [], f"SysV IPC objects of uid {uid} outlived the runs"
        # (grader-run-*: the run folders of releases before the locked ones, perhaps still in use)
        runs = str(rundir.base()) + "/"  # live runs' folders: checked just below, by their locks
        left = [p for p in owned_files(uid) if "/grader-run-" not in p and not p.startswith(runs)]
        assert left == [], f"files of uid {uid} outlived the runs: {left[:5]}"
    assert rundir.stale() == [], "run folders outlived their runs"


def _killed_run(autograder_zip, folder: Path) -> dict:
    """A grading killed at its timeout (one job of the corpus's pool, beside the other
    runs): what it raised, and the run folders and sandbox processes left just after."""
    from autograder.sandbox import rundir
    from tests.fabricate import GRADED, Variant
    from tests.submissions.cases import Case

    case = Case(id="killed", variant=Variant(modules=GRADED, edits=({"file": "shapes.py", "prepend": (
        "import time as _time\n_time.sleep(0.5)\nwhile True:\n    _time.sleep(1)  # {marker}\n")},)), score=(0, 0))
    submission = case.build(folder, 0)
    _local.trace = Trace()
    try:
        if REAL_DOCKER:
            docker_grade.grade(autograder_zip, submission, folder / "results.json", timeout=8)
        else:
            simulate.grade(autograder_zip, submission, folder / "results.json", timeout=8)
        raised = None
    except simulate.GradingTimeout as err:
        raised = err
    left = rundir.stale()  # (live runs of other gradings on this machine hold theirs)
    return {"raised": raised, "stale": left, "survivors": survivors()}


@pytest.mark.e2e
def test_a_killed_run_leaves_no_run_folder(corpus):
    """A grading killed at its timeout cannot clean up itself: whoever killed it sweeps
    its run folder (the submission in it) and what its sandbox user left."""
    killed = corpus["killed"]
    assert "error" not in killed, killed.get("error")
    assert isinstance(killed["raised"], simulate.GradingTimeout), "the grading was not stopped at its timeout"
    assert killed["stale"] == [], f"run folders outlived the killed run: {killed['stale']}"
    assert killed["survivors"] == []


@pytest.mark.e2e
def test_protections_are_recorded(corpus):
    """As root where namespaces work (here, CI), every protection is on; elsewhere
    the record says which are missing and why."""
    protections = corpus["protections"]
    assert {"unprivileged_user", "resource_limits", "isolation", "private_filesystem", "network_namespace",
            "pid_namespace"} <= set(protections)
    if os.environ.get(MODE_VARIABLE) in NO_NAMESPACES:  # Gradescope's container: what students really face
        assert protections["isolation"] == "none", protections
        assert not (protections["private_filesystem"] or protections["network_namespace"]
                    or protections["pid_namespace"]), protections
        assert protections["unprivileged_user"] and protections["resource_limits"], protections
        assert "Operation not permitted" in protections.get("isolation_note", ""), protections
    elif os.geteuid() == 0 and _namespaces_work():
        assert protections["unprivileged_user"] and protections["private_filesystem"], protections
        assert protections["network_namespace"] and protections["pid_namespace"], protections
    else:
        assert protections["private_filesystem"] or protections.get("isolation_note"), protections


def _namespaces_work() -> bool:
    import shutil
    import subprocess

    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    done = subprocess.run([unshare, "--mount", "--pid", "--net", "--fork", "true"], capture_output=True)
    return done.returncode == 0


def test_the_corpus_covers_the_issue():
    """At least 30 cases, and the zips that no tool would write are built here."""
    cases = load_cases()
    assert len(cases) >= 30
    zips = {c.variant.zip for c in cases if c.variant.zip}
    assert {"traversal", "symlinks", "bomb", "non_utf8", "empty", "notebook_only"} <= zips


# -- channels between gradings: a writer graded before a reader ---------------------------

CHANNEL_WRITER = '''
import ctypes as _ctypes
import os as _os

_libc = _ctypes.CDLL(None, use_errno=True)
_TOKEN = b"token-{marker}"
_said = []


def _note(name, ok):
    _said.append(f"{name}=" + ("ok" if ok else f"errno{_ctypes.get_errno()}"))


_mq = _libc.mq_open(b"/convnet-channel", _os.O_CREAT | _os.O_RDWR, 0o666, None)
_note("mq_open", _mq >= 0)
if _mq >= 0:
    _note("mq_send", _libc.mq_send(_mq, _TOKEN, len(_TOKEN), 0) == 0)
_msq = _libc.msgget(0x5EED, 0o1000 | 0o666)
_note("msgget", _msq >= 0)
if _msq >= 0:
    _buf = _ctypes.create_string_buffer(8 + 64)
    _ctypes.memmove(_buf, (1).to_bytes(8, "little") + _TOKEN, 8 + len(_TOKEN))
    _note("msgsnd", _libc.msgsnd(_msq, _buf, len(_TOKEN), 0o4000) == 0)
_libc.shmat.restype = _ctypes.c_void_p
_shm = _libc.shmget(0x5EED, 4096, 0o1000 | 0o666)
_note("shmget", _shm >= 0)
if _shm >= 0:
    _at = _libc.shmat(_shm, None, 0)
    if _at not in (None, 2**64 - 1):
        _ctypes.memmove(_at, _TOKEN, len(_TOKEN))
_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue", "/sandbox/scratch",
            _os.environ.get("HOME", "/"))
for _folder in _FOLDERS:
    try:
        with open(_os.path.join(_folder, "convnet-channel"), "wb") as _f:
            _f.write(_TOKEN)
        _said.append(f"file {_folder}=ok")
    except OSError as _err:
        _said.append(f"file {_folder}=errno{_err.errno}")
print("writer:", " ".join(_said))
'''

CHANNEL_READER = '''
import ctypes as _ctypes
import errno as _errno
import os as _os

_libc = _ctypes.CDLL(None, use_errno=True)
_seen = []  # channel=what the reader learnt: "nothing" (absent, or refused alike for all), else what
_UNKNOWN = (_errno.ENOENT, _errno.EPERM, _errno.ENOSYS)


def _learnt(name, value):
    err = _ctypes.get_errno()
    _seen.append(f"{name}=" + ("nothing" if value < 0 and err in _UNKNOWN else f"exists(errno{err})" if value < 0
                               else "exists"))
    return value


_mq = _learnt("mq", _libc.mq_open(b"/convnet-channel", _os.O_RDONLY | _os.O_NONBLOCK, 0, None))
if _mq >= 0:
    _buf = _ctypes.create_string_buffer(8192)
    _n = _libc.mq_receive(_mq, _buf, 8192, None)
    _seen.append("mq_data=" + (_buf.raw[:_n].decode(errors="replace") if _n > 0 else ""))
_msq = _learnt("msq", _libc.msgget(0x5EED, 0))
if _msq >= 0:
    _buf = _ctypes.create_string_buffer(8 + 64)
    _n = _libc.msgrcv(_msq, _buf, 64, 0, 0o4000)
    _seen.append("msq_data=" + (_buf.raw[8:8 + _n].decode(errors="replace") if _n > 0 else ""))
_shm = _learnt("shm", _libc.shmget(0x5EED, 0, 0))
if _shm >= 0:
    _libc.shmat.restype = _ctypes.c_void_p
    _at = _libc.shmat(_shm, None, 0o10000)
    if _at not in (None, 2**64 - 1):
        _seen.append("shm_data=" + _ctypes.string_at(_at, 64).split(b"\\0")[0].decode(errors="replace"))
_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue", "/sandbox/scratch",
            _os.environ.get("HOME", "/"))
for _folder in _FOLDERS:
    try:
        with open(_os.path.join(_folder, "convnet-channel"), "rb") as _f:
            _seen.append(f"file {_folder}=exists:" + _f.read(64).decode(errors="replace"))
    except OSError as _err:
        _seen.append(f"file {_folder}=" + ("nothing" if _err.errno == _errno.ENOENT else f"exists(errno{_err.errno})"))
print("reader:", " ".join(_seen))
'''


@pytest.mark.e2e
def test_no_channel_between_gradings(corpus, autograder_zip, tmp_path_factory):
    """A submission that leaves a token in every kind of IPC object and shared folder it
    can reach (POSIX message queues, SysV message queues and shared memory, files in the
    world-writable folders and its own scratch) is graded; then another submission looks
    for each of them: it must learn nothing, not even that one exists (an EACCES where
    another gets ENOENT is a bit). Two real gradings, one after the other."""
    from tests.fabricate import GRADED, Variant
    from tests.submissions.cases import Case

    seen = {}
    for role, code in (("writer", CHANNEL_WRITER), ("reader", CHANNEL_READER)):
        case = Case(id=f"channel-{role}", variant=Variant(modules=GRADED, edits=(
            {"file": "shapes.py", "prepend": code.replace("{marker}", "between-gradings")},)), score=(0, 100))
        folder = tmp_path_factory.mktemp(case.id)
        results, log, notes = simulate.grade(autograder_zip, case.build(folder, 0), folder / "results.json")
        seen[role] = published_view(Graded(results, log, notes))
        assert f"{role}:" in seen[role], f"the {role} did not run:\n{seen[role][:3000]}\n{log[-3000:]}"
    reader = next(line for line in seen["reader"].splitlines() if "reader:" in line)
    assert "token-between-gradings" not in seen["reader"], f"the reader read the writer's token: {reader}"
    assert "exists" not in reader, f"the reader learnt that the writer's objects exist: {reader}"
