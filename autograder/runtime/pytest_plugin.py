"""The pytest side of grading: maps test functions to the groups of assignment.yaml,
provides the ``student``, ``tolerance`` and ``tolerances`` fixtures, turns failures into short
messages, and scores.

Two ways in:

- ``pytest -p autograder.runtime.pytest_plugin --assignment grading.yaml`` (what students
  run): ``student`` is the package imported directly, and a points table is printed
  at the end.
- the trusted runner (``autograder.grade.runner``) registers a :class:`GradingPlugin` whose
  ``student`` is a sandbox proxy and reads the scores back from it.

Hints about known mistakes come from outside: the trusted runner passes ``diagnose``
(the catalogue matched by :mod:`autograder.grade.diagnose`); the student release has
no catalogue, so its public tests never diagnose. This module imports nothing of the
framework beyond ``autograder.runtime``.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest

from autograder.runtime import calls, characterise, outcomes, seeds
from autograder.runtime import config as config_mod
from autograder.runtime.datafiles import LocalFiles
from autograder.runtime.packages import load_module_file, load_package
from autograder.runtime.scoring import (
    CONFIDENT,
    CaseOutcome,
    GroupScore,
    Hint,
    characterisation,
    diagnoses,
    score_group,
)
from autograder.runtime.stopwatch import Stopwatch
from autograder.runtime.testkit import Evidence, GradingFailure, public_test, trusted_function


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder")
    group.addoption("--assignment", metavar="YAML", help="assignment.yaml giving each test its points")
    group.addoption(
        "--student-dir",
        metavar="DIR",
        help="directory holding the package to grade (default: the rootdir)",
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--assignment", default=None)
    if path is None or config.pluginmanager.has_plugin("autograder-grading"):
        return
    try:
        assignment = config_mod.load(path)
    except config_mod.ConfigError as err:
        raise pytest.UsageError(str(err)) from None
    student_dir = Path(config.getoption("--student-dir") or config.rootpath).resolve()
    reference = None
    if assignment.reference is not None:
        reference = lambda: load_package(assignment.reference, f"_reference_{assignment.package}")  # noqa: E731
    imported: list[Any] = []

    def student() -> Any:
        if not imported:  # once: a module that does not import is reported once, not per test
            imported.append(calls.direct(import_package(assignment.package, student_dir, assignment.modules)))
        return imported[0]

    config.pluginmanager.register(
        GradingPlugin(assignment, student, reference=reference, show_table=True,
                      import_problems=lambda: [p.message for p in getattr(imported[0] if imported else None,
                                                                      "import_problems", ())]),
        "autograder-grading",
    )


@dataclasses.dataclass(frozen=True)
class ImportProblem:
    """A module of the student's package that does not import: where and why."""

    module: str
    file: str
    line: int | None
    error: str

    @property
    def message(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.error}"


class PartialPackage:
    """The modules of a package that imported; any other name fails the test that
    needs it, naming the modules that did not import."""

    def __init__(self, name: str, modules: dict[str, Any], problems: list[ImportProblem]):
        self._name, self._modules, self.import_problems = name, modules, tuple(problems)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        for module in self._modules.values():
            if hasattr(module, attr):
                return getattr(module, attr)
        broken = "; ".join(p.message for p in self.import_problems)
        raise GradingFailure(f"{attr} is not available: {broken}. Fix it first: only the tests that need it fail.",
                             reason=outcomes.UNAVAILABLE)

    def __dir__(self) -> list[str]:
        return sorted({a for m in self._modules.values() for a in dir(m) if not a.startswith("_")})


def import_package(name: str, directory: Path, modules: tuple[str, ...] = ()) -> Any:
    """Import package ``name`` from ``directory`` (put first on sys.path). When it
    does not import and ``modules`` are given, import each of them on its own and
    return a :class:`PartialPackage` of those that do (as the sandbox does)."""
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    try:
        return importlib.import_module(name)
    except (Exception, SystemExit):  # a module calling sys.exit() at import is broken too
        if not modules:
            raise
    _forget(name)
    package = types.ModuleType(name)
    package.__path__ = [str(directory / name)]
    sys.modules[name] = package
    loaded: dict[str, Any] = {}
    problems: dict[tuple[str, int | None], ImportProblem] = {}
    for module in modules:
        try:
            loaded[module] = importlib.import_module(f"{name}.{module}")
        except (Exception, SystemExit) as exc:
            file, line = _where(exc, directory) or (f"{name}/{module}.py", None)
            error = f"{type(exc).__name__}: {exc.msg if isinstance(exc, SyntaxError) else exc}"[:300]
            problems.setdefault((file, line), ImportProblem(module, file, line, error))  # once per cause
    return PartialPackage(name, loaded, list(problems.values()))


def _forget(name: str) -> None:
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]


def _where(exc: BaseException, directory: Path) -> tuple[str, int | None] | None:
    """(file relative to ``directory``, line) of the student's code that raised."""
    if isinstance(exc, SyntaxError) and exc.filename:
        file, line = exc.filename, exc.lineno
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(str(directory))]
        if not frames:
            return None
        file, line = frames[-1].filename, frames[-1].lineno
    try:
        return Path(file).resolve().relative_to(directory.resolve()).as_posix(), line
    except ValueError:  # outside the student's folder
        return None


class GradingPlugin:
    """Scores a pytest session against an assignment's test groups."""

    def __init__(
        self,
        assignment: config_mod.Assignment,
        student_factory: Callable[[], Any],
        *,
        reference: Callable[[], Any] | None = None,
        show_table: bool = False,
        failure_message: Callable[[BaseException], str] | None = None,
        case_output: Callable[[pytest.Item], str] | None = None,
        diagnose: Callable[[Evidence], tuple[Hint, ...]] | None = None,
        stopwatch: Callable[[], Any] | None = None,
        import_problems: Callable[[], list[str]] | None = None,
        files: Callable[[], Any] | None = None,
    ):
        """``diagnose`` maps a failed check's evidence to hints (none when not given)."""
        self.assignment = assignment
        self._student_factory = student_factory
        self._reference_factory = reference
        self._show_table = show_table
        self._failure_message = failure_message or failure_text
        self._case_output = case_output or (lambda item: "")
        self._diagnose = diagnose
        self._effect_list: list | None = None
        self._stopwatch = stopwatch or Stopwatch
        self._import_problems = import_problems or (lambda: [])
        self._files_factory = files
        self._files: Any = None
        self._outcomes: dict[str, list[CaseOutcome]] = {}
        self.collected: set[str] = set()
        self._leaderboard: dict[str, dict] = {}

    # -- fixtures -----------------------------------------------------------------
    # The values of the fixtures of autograder.runtime.fixtures (module-level functions
    # there: pytest 10 refuses session-scoped fixtures that are a plugin's methods).
    # Session-scoped where they hold no per-test state: set up once, not once per case
    # (a grading has hundreds); ``tolerance`` is the calling test's own.

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        from autograder.runtime import fixtures

        config.stash[fixtures.PLUGIN] = self
        if not config.pluginmanager.is_registered(fixtures):
            config.pluginmanager.register(fixtures, "autograder-fixtures")

    def files(self) -> Any:
        """Where the ``data_file`` and ``shared_folder`` fixtures put their files
        (:mod:`autograder.runtime.datafiles`): the student's process's view of them."""
        if self._files is None:
            self._files = self._files_factory() if self._files_factory else LocalFiles(self.assignment)
        return self._files

    def student(self) -> Any:
        """The package under test (a module, or a proxy to one in a sandbox)."""
        return self._student_factory()

    def reference(self) -> Any:
        """The reference package (trusted; never the student's code)."""
        if self._reference_factory is None:
            pytest.skip("this test needs the reference solutions, which are not shipped with the student release")
        return self._reference_factory()

    def oracle(self) -> Callable[..., Callable[..., Any]]:
        """``oracle(student, name, *checks)``: the function to compute expected values
        with (a gradient check's forward pass): the reference's where it is at hand,
        else the student's own once ``checks`` (callables taking the student) pass."""
        reference = self._reference_factory() if self._reference_factory is not None else None
        return lambda student, name, *checks: trusted_function(student, reference, name, checks)

    @pytest.fixture
    def tolerance(self, request: pytest.FixtureRequest) -> config_mod.Tolerance:
        """The calling test's own tolerance: ``default`` of assignment.yaml's
        ``tolerances:``, unless the test's entry names another."""
        return self.assignment.tolerance_of(self.group_of(request.node))

    def tolerances(self) -> config_mod.Tolerances:
        """Every named tolerance of assignment.yaml (``tolerances["numerical_gradient"]``);
        an unknown name fails the test saying which names there are."""
        return self.assignment.tolerances

    def stopwatch(self) -> Any:
        """Times the trusted side's calls with the student's code stopped, and the
        student's by the worse of wall and CPU time (see :mod:`autograder.runtime.stopwatch`)."""
        return self._stopwatch()

    def grading_seed(self) -> int:
        """This grading's seed for random cases drawn inside a test (see
        :mod:`autograder.runtime.seeds`: the submission's own on Gradescope, 0 on a laptop)."""
        return seeds.grading_seed()

    def leaderboard(self) -> Callable[..., None]:
        """``leaderboard(name, value, order="desc")`` records an entry of Gradescope's
        leaderboard (the last value recorded under a name wins)."""

        def record(name: str, value: float, order: str = "desc") -> None:
            if order not in ("asc", "desc"):
                raise ValueError(f"leaderboard order must be 'asc' or 'desc', got {order!r}")
            if not isinstance(name, str) or not name:
                raise ValueError("a leaderboard entry needs a name")
            value = float(value)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"leaderboard value must be finite, got {value!r}")
            self._leaderboard[name] = {"name": name, "value": value, "order": order}

        return record

    def leaderboard_entries(self) -> list[dict]:
        """The recorded entries, in the order of their first recording."""
        return [dict(e) for e in self._leaderboard.values()]

    # -- hooks --------------------------------------------------------------------

    def group_of(self, item: pytest.Item) -> config_mod.TestGroup:
        test_id = getattr(item, "originalname", item.name)
        group = self.assignment.group(test_id)
        if group is None:
            raise pytest.UsageError(
                f"{item.nodeid}: test {test_id!r} has no entry in {self.assignment.path}; "
                "add it under parts[...].tests with its points"
            )
        return group

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.collected.add(self.group_of(item).id)
        # Extra credit last: its time never comes out of the graded part's budget.
        items[:] = sorted(items, key=lambda item: self.group_of(item).extra_credit)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        """A public test's checks show its expected values (students have its file)."""
        with public_test(self.group_of(item).public):
            return (yield)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
        """A failure the student's code caused is reported by its sentence, not a
        traceback wall, and without the cost of formatting one (for each of hundreds
        of failing cases). Anything else (a grader's own error) gets pytest's report."""
        phase: Literal["setup", "call"]
        if call.when == "setup" or call.when == "call":
            phase = call.when
        else:
            return None
        if call.excinfo is None or not _worded(call.excinfo.value):
            return None
        sections = [(f"Captured {key} {when}", content) for when, key, content in item._report_sections]
        # Its lines after the first indented: the sentence carries the student's words
        # (a message, a traceback), which must not pass for a line of the grader's log.
        text = self._failure_message(call.excinfo.value).replace("\n", "\n    ")
        return pytest.TestReport(item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
                                 text, phase, sections, call.duration,
                                 call.start, call.stop, user_properties=item.user_properties)

    @pytest.hookimpl(wrapper=True, specname="pytest_runtest_makereport")
    def pytest_runtest_makereport_record(self, item: pytest.Item, call: pytest.CallInfo):
        """Each case's outcome, as data, for its group's score."""
        report = yield
        if report.when == "call" or (report.when == "setup" and report.failed):
            passed = report.passed
            message, replayed = "", ""
            hints: tuple[Hint, ...] = ()
            reason = outcomes.PASSED if passed else outcomes.FAILED
            if not passed and call.excinfo is not None:
                message = self._failure_message(call.excinfo.value)
                reason = outcomes.reason_of(call.excinfo.value)
                evidence = getattr(call.excinfo.value, "evidence", None)
                if isinstance(evidence, Evidence):
                    replayed, hints = evidence.replay.function, self._hints(evidence)
            case = item.callspec.id if hasattr(item, "callspec") else ""
            group = self.group_of(item)
            params = dict(item.callspec.params) if hasattr(item, "callspec") else {}
            declared = getattr(getattr(item, "module", None), "CASE_FEATURES", None)
            features, size, inputs = _case_facts(params, shown=group.public and not passed, declared=declared)
            self._outcomes.setdefault(group.id, []).append(
                CaseOutcome(case, passed, message, self._case_output(item), replayed, hints, features, size, inputs,
                            reason)
            )
        return report

    def _hints(self, evidence: Evidence) -> tuple[Hint, ...]:
        """The catalogue's hints (``diagnose``, Gradescope only), else those of the
        assignment's effects (``effects:``, everywhere): a replay that gives the
        student's value names the mistake more precisely than an effect it shows."""
        found: list[Hint] = []
        try:
            if self._diagnose is not None:
                found += self._diagnose(evidence)
            effects = self._effects()
            if effects and not found:
                from autograder.runtime import effects as effects_mod

                found += effects_mod.hints(effects, evidence)
        except Exception:  # a hint is a bonus: it must never cost the case its report
            pass
        return tuple({h.id: h for h in found}.values())

    def _effects(self) -> list:
        """The assignment's mistakes known by their effect (none without ``effects:``, or
        when the module does not load: grade without them rather than not at all)."""
        if self._effect_list is None:
            self._effect_list = []
            if self.assignment.effects is not None:
                try:
                    module = load_module_file(self.assignment.effects, f"_effects_{self.assignment.slug}")
                    self._effect_list = list(module.EFFECTS)
                except Exception as err:
                    print(f"GRADER WARNING: no effects from {self.assignment.effects}: {type(err).__name__}: {err}",
                          file=sys.stderr)
        return self._effect_list

    def scores(self) -> list[GroupScore]:
        """One score per group of the assignment, in config order."""
        return [score_group(g, self._outcomes.get(g.id, [])) for g in self.assignment.groups]

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if isinstance(self._files, LocalFiles):
            self._files.close()
        # After pytest's own summary, so the points are the last thing students see.
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        ran = [s for s in self.scores() if s.group.id in self.collected]
        if self._show_table and reporter is not None:
            for line in self._summary_lines(ran):
                reporter.write_line(line)
        if self._show_table and reporter is not None and ran:
            title = "Public tests" if all(s.group.public for s in ran) else "Tests"
            for line in points_table(ran, title):
                reporter.write_line(line)
        if self._show_table and reporter is not None:
            for e in self._leaderboard.values():
                reporter.write_line(f"Leaderboard: {e['name']} = {e['value']:g}")


    def _summary_lines(self, ran: list[GroupScore]) -> list[str]:
        """The modules that did not import, then what separates the failing cases
        of each test from its passing ones."""
        lines = []
        problems = self._import_problems()
        if problems:
            lines += ["", "Your code does not import everywhere; only the tests that need it fail:"]
            lines += [f"  {p}" for p in problems]
        hinted = diagnoses(ran)  # the effects' hints on a laptop; the catalogue's too where it runs
        notes = [(s, hinted.get(s.group.id, []) + _unless_explained(hinted.get(s.group.id, []), s, ran))
                 for s in ran if s.failed_cases]
        notes = [(s, n) for s, n in notes if n]
        if notes:
            lines += ["", "About the failing cases:"]
            for s, found in notes:
                lines.append(f"  {s.group.number} {s.group.name}:")
                lines += ["    " + line.replace("\n", "\n    ") for line in found]
        return lines


def _unless_explained(diagnosis: list[str], score: GroupScore, ran: list[GroupScore]) -> list[str]:
    """The characterisation of ``score``'s failing cases, unless a confident diagnosis
    explains them already (see :func:`autograder.runtime.scoring.feedback`)."""
    if any(line.startswith(CONFIDENT) for line in diagnosis):
        return []
    return characterisation(score, ran)


def _case_facts(params: dict, *, shown: bool, declared: Any = None) -> tuple[tuple, int, str]:
    """A case's features (``declared``: its test module's ``CASE_FEATURES``, see
    :mod:`autograder.runtime.characterise`), size and (``shown``: a public case) its
    inputs written out (when there is more to them than one plain value, which its id
    says already)."""
    try:
        features = tuple(characterise.case_features(params, declared).items())
        shown = shown and (len(params) > 1 or characterise.case_size(params) > 1)
        return features, characterise.case_size(params), characterise.describe_inputs(params) if shown else ""
    except Exception:  # a description is a bonus: it must never cost the case its report
        return (), 0, ""


def _worded(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure with its own sentence for the student (a check that
    failed, a stub, the sandbox's word on the student's process)."""
    return isinstance(exc, (GradingFailure, NotImplementedError)) or hasattr(exc, "grading_message")


def failure_text(exc: BaseException) -> str:
    """One or two sentences for a failed case."""
    if hasattr(exc, "grading_message"):
        return exc.grading_message
    if isinstance(exc, GradingFailure):
        return str(exc)
    if isinstance(exc, NotImplementedError):
        return outcomes.not_implemented_text(str(exc))
    return f"{type(exc).__name__}: {exc}"[:500]


def points_table(scores: list[GroupScore], title: str) -> list[str]:
    """Rows per part, then the total line: ``Public tests: 14/30 points``. Extra
    credit adds to the points earned, never to the maximum."""
    parts: dict[str, list[float]] = {}
    for s in scores:
        got_max = parts.setdefault(s.group.part, [0.0, 0.0])
        got_max[0] += s.score
        got_max[1] += 0 if s.group.extra_credit else s.group.points
    width = max([len(p) for p in parts] + [4])
    lines = ["", f"{'Part':<{width}}  Points"]
    lines += [f"{part:<{width}}  {_num(got)}/{_num(top)}" for part, (got, top) in parts.items()]
    got, top = sum(v[0] for v in parts.values()), sum(v[1] for v in parts.values())
    lines.append(f"{title}: {_num(got)}/{_num(top)} points")
    return lines


def _num(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) > 1e-9 else str(int(round(x)))
