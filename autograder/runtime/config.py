"""Load and validate an assignment's ``assignment.yaml``.

The file is the single source of truth for what is graded: test groups with their
points, numbers, names, visibility and tolerances, and the sandbox limits. A bad file
stops everything with a :class:`ConfigError` naming the file, the key and the reason.

Tolerances are named, once, under ``tolerances:`` (``name: {rtol, atol[, step]}``); the
names are the assignment's, except ``default``: what a test's ``tolerance`` fixture is
unless its entry names another (``tolerance: <name>``). Tests take any other by name
from the ``tolerances`` fixture (a :class:`Tolerances`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
# The framework's own pins: the graders and the students' public tests run on them.
FRAMEWORK_REQUIREMENTS = Path(__file__).resolve().parent / "requirements-framework.txt"
PACKAGE_SECTIONS = ("code", "graders", "student")
_PACKAGE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+!-]*$")


class ConfigError(ValueError):
    """A problem in assignment.yaml: ``<file>: <key>: <reason>``."""

    def __init__(self, path: Path | str, key: str, reason: str):
        super().__init__(f"{path}: {key}: {reason}")
        self.path, self.key, self.reason = str(path), key, reason


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """How close two computed numbers must be: ``|actual - expected| <= atol + rtol *
    |expected|`` (numpy's ``isclose``); ``step``: the step of a numerical derivative
    compared with this tolerance (central differences), where it has one."""

    rtol: float
    atol: float
    step: float | None = None


DEFAULT_TOLERANCE_NAME = "default"  # a test's own tolerance unless its entry names another
DEFAULT_TOLERANCE = Tolerance(rtol=1e-7, atol=1e-9)  # float64 arithmetic done in another order


class UnknownTolerance(KeyError):
    """A test asked for a tolerance that assignment.yaml does not name."""

    def __str__(self) -> str:  # KeyError would quote the sentence
        return str(self.args[0])


class Tolerances(Mapping[str, Tolerance]):
    """The named tolerances of an assignment (``tolerances["numerical_gradient"]``);
    an unknown name raises :class:`UnknownTolerance` saying which names there are and
    in which file."""

    def __init__(self, named: Mapping[str, Tolerance], source: Path | str = "assignment.yaml"):
        self._named, self.source = dict(named), str(source)

    def __getitem__(self, name: str) -> Tolerance:
        try:
            return self._named[name]
        except KeyError:
            raise UnknownTolerance(f"no tolerance named {name!r} under tolerances: in {self.source} "
                                   f"(there: {', '.join(self._named)})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._named)

    def __len__(self) -> int:
        return len(self._named)

    def __repr__(self) -> str:
        return f"Tolerances({self._named!r})"


@dataclasses.dataclass(frozen=True)
class TestGroup:
    """One graded pytest test function (all its parametrized cases share its points)."""

    id: str  # the test function's name
    name: str  # what students see
    number: str  # Gradescope sort key, e.g. "3.2"
    points: float
    public: bool
    visibility: str
    part: str  # the part's name, for the points table
    tolerance: str = DEFAULT_TOLERANCE_NAME  # the name, under tolerances:, of its ``tolerance`` fixture
    extra_credit: bool = False  # points on top of total_points (results.json max_score 0)
    key: str = ""  # where it is in assignment.yaml, e.g. "parts[2].tests[0]" (for messages)


@dataclasses.dataclass(frozen=True)
class SandboxLimits:
    call_timeout_seconds: float = 5.0
    import_timeout_seconds: float = 10.0
    memory_mb: int = 512
    cpu_seconds: int = 60
    max_processes: int = 32
    max_file_mb: int = 16
    output_chars: int = 2000
    total_budget_seconds: float = 480.0


@dataclasses.dataclass(frozen=True)
class Packages:
    """Pinned packages (``{name: version}``) by who installs them:

    - ``code``: what the student's code may import; installed on the student's laptop
      and for the student's process on Gradescope.
    - ``graders``: what only the hidden graders use (Gradescope only).
    - ``student``: what only the student's laptop needs (Jupyter, plotting...).

    The framework's own pins (:data:`FRAMEWORK_REQUIREMENTS`) go to both sides."""

    code: dict[str, str] = dataclasses.field(default_factory=dict)
    graders: dict[str, str] = dataclasses.field(default_factory=dict)
    student: dict[str, str] = dataclasses.field(default_factory=dict)

    def grader_pins(self) -> dict[str, str]:
        return _sorted_pins({**framework_pins(), **self.code, **self.graders})

    def student_pins(self) -> dict[str, str]:
        return _sorted_pins({**framework_pins(), **self.code, **self.student})

    def uses(self, name: str) -> bool:
        """Whether the student's code (and so the sandbox) may use package ``name``."""
        return _normal(name) in {_normal(n) for n in self.code}


def framework_pins() -> dict[str, str]:
    """``{name: version}`` from the framework's requirements file."""
    return parse_pins(FRAMEWORK_REQUIREMENTS.read_text(encoding="utf-8"))


def parse_pins(text: str) -> dict[str, str]:
    """``{name: version}`` of a requirements file's ``name==version`` lines (any other
    requirement keeps its whole specifier as the version)."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        pins[name.strip()] = version.strip() if sep else line
    return pins


def requirements_text(pins: dict[str, str], header: str) -> str:
    return f"# {header}\n" + "".join(f"{name}=={version}\n" for name, version in pins.items())


def _sorted_pins(pins: dict[str, str]) -> dict[str, str]:
    return dict(sorted(pins.items(), key=lambda kv: _normal(kv[0])))


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


DATA_SHIPS = ("both", "student", "autograder")


@dataclasses.dataclass(frozen=True)
class DataEntry:
    """A file or folder of ``data:`` in assignment.yaml: ``path`` relative to the
    assignment's folder (posix), shipped to the student release, the autograder zip,
    or both (``ship``). Data shipped to the autograder only stays hidden from students."""

    path: str
    ship: str = "both"

    @property
    def to_student(self) -> bool:
        return self.ship in ("both", "student")

    @property
    def to_autograder(self) -> bool:
        return self.ship in ("both", "autograder")


@dataclasses.dataclass(frozen=True)
class Assignment:
    path: Path  # the assignment.yaml this came from
    name: str
    slug: str
    version: str
    package: str  # the package students complete
    reference: Path | None  # the reference package (absent from the student release)
    modules: tuple[str, ...]  # its modules, each a required file
    total_points: float
    groups: tuple[TestGroup, ...]
    sandbox: SandboxLimits
    diagnoses: Path | None = None  # catalogue of known mistakes (autograder only; see autograder.grade.diagnose)
    public_data: Path | None = None  # makes the public tests' data from the reference (build.public_data)
    contracts: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # inputs per function (build.contracts)
    effects: Path | None = None  # a public tests' module of mistakes known by their effect (runtime.effects)
    optional_modules: tuple[str, ...] = ()  # modules a submission may leave out (only their tests lose)
    packages: Packages = dataclasses.field(default_factory=Packages)
    tolerances: Tolerances = dataclasses.field(
        default_factory=lambda: Tolerances({DEFAULT_TOLERANCE_NAME: DEFAULT_TOLERANCE}))
    data: tuple[DataEntry, ...] = ()  # data files and folders (``data:``)
    given: tuple[str, ...] = ()  # public names shipped as they are (``given:``: "Name" or "module.Name")
    data_root: Path | None = None  # what data paths are relative to (default: the assignment's folder)

    @property
    def data_folder(self) -> Path:
        return self.data_root if self.data_root is not None else self.root

    def data_entry(self, path: str) -> DataEntry | None:
        """The entry of ``data:`` that holds ``path`` (the entry itself or a file in its folder)."""
        wanted = PurePosixPath(path)
        for entry in self.data:
            if wanted == PurePosixPath(entry.path) or PurePosixPath(entry.path) in wanted.parents:
                return entry
        return None

    @property
    def required_modules(self) -> tuple[str, ...]:
        return tuple(m for m in self.modules if m not in self.optional_modules)

    @property
    def root(self) -> Path:
        return self.path.parent

    def group(self, test_id: str) -> TestGroup | None:
        return next((g for g in self.groups if g.id == test_id), None)

    def tolerance_of(self, group: TestGroup) -> Tolerance:
        """The tolerance of ``group``'s ``tolerance`` fixture."""
        return self.tolerances[group.tolerance]

    def public_only(self, tolerances_used: Collection[str] = ()) -> dict[str, Any]:
        """The config as plain data with the hidden groups removed (for the student
        release: hidden group names must not reach students), and of the tolerances
        only ``default``, the public groups' own and ``tolerances_used`` (the names
        the public tests take from the ``tolerances`` fixture)."""
        return _to_yaml_data(self, lambda g: g.public, tolerances_used)


def load(path: Path | str) -> Assignment:
    """Read and validate ``path``; raise :class:`ConfigError` on the first problem."""
    path = Path(path).absolute()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "not found") from None
    except yaml.YAMLError as err:
        raise ConfigError(path, "(file)", f"not valid YAML: {err}") from None
    return _parse(path, raw)


def _parse(path: Path, raw: Any) -> Assignment:
    r = _Reader(path)
    top = r.mapping(raw, "(top level)")
    r.only(top, "(top level)", {"name", "slug", "version", "package", "modules", "optional_modules", "reference",
                                "diagnoses", "total_points", "defaults", "sandbox", "parts", "packages",
                                "tolerances", "data", "data_root", "given", "public_data", "contracts", "effects"})
    defaults = r.mapping(top.get("defaults", {}), "defaults")
    if "tolerance" in defaults:
        r.fail("defaults.tolerance", "tolerances are named under the top-level tolerances: (the one every "
               f"test gets unless it names another is {DEFAULT_TOLERANCE_NAME}: {{rtol: ..., atol: ...}})")
    r.only(defaults, "defaults", {"visibility"})
    default_vis = r.mapping(defaults.get("visibility", {}), "defaults.visibility")
    vis_public = r.choice(default_vis.get("public", "visible"), "defaults.visibility.public", VISIBILITIES)
    vis_hidden = r.choice(default_vis.get("hidden", "after_published"), "defaults.visibility.hidden", VISIBILITIES)
    tolerances = _tolerances(r, top.get("tolerances", {}))

    groups: list[TestGroup] = []
    parts = r.sequence(top.get("parts"), "parts")
    for pi, part_raw in enumerate(parts):
        pkey = f"parts[{pi}]"
        part = r.mapping(part_raw, pkey)
        part_name = r.string(part.get("name"), f"{pkey}.name")
        part_number = r.string(str(part.get("number", pi + 1)), f"{pkey}.number")
        for ti, test_raw in enumerate(r.sequence(part.get("tests"), f"{pkey}.tests")):
            tkey = f"{pkey}.tests[{ti}]"
            test = r.mapping(test_raw, tkey)
            r.only(test, tkey, {"id", "name", "number", "points", "public", "visibility", "tolerance", "extra_credit"})
            test_id = r.identifier(test.get("id"), f"{tkey}.id")
            if any(g.id == test_id for g in groups):
                raise ConfigError(path, f"{tkey}.id", f"duplicate test id {test_id!r}")
            public = r.boolean(test.get("public", False), f"{tkey}.public")
            extra = r.boolean(test.get("extra_credit", False), f"{tkey}.extra_credit")
            if extra and public:
                r.fail(f"{tkey}.extra_credit",
                       "an extra-credit test cannot be public (it is graded on Gradescope only)")
            tol = r.tolerance_name(test.get("tolerance", DEFAULT_TOLERANCE_NAME), f"{tkey}.tolerance", tolerances)
            groups.append(
                TestGroup(
                    id=test_id,
                    name=r.string(test.get("name"), f"{tkey}.name"),
                    number=r.string(str(test.get("number", f"{part_number}.{ti + 1}")), f"{tkey}.number"),
                    points=r.number(test.get("points"), f"{tkey}.points", minimum=0),
                    public=public,
                    visibility=r.choice(
                        test.get("visibility", vis_public if public else vis_hidden), f"{tkey}.visibility", VISIBILITIES
                    ),
                    part=part_name,
                    tolerance=tol,
                    extra_credit=extra,
                    key=tkey,
                )
            )

    total = r.number(top.get("total_points"), "total_points", minimum=0)
    earned = sum(g.points for g in groups if not g.extra_credit)
    if not math.isclose(earned, total, abs_tol=1e-9):
        raise ConfigError(path, "total_points",
                          f"is {total:g} but the tests' points add up to {earned:g} (extra credit aside)")

    modules = tuple(r.identifier(m, f"modules[{i}]") for i, m in enumerate(r.sequence(top.get("modules"), "modules")))
    optional = top.get("optional_modules", [])
    if not isinstance(optional, list):
        r.fail("optional_modules", f"must be a list, got {_kind(optional)}")
    for i, m in enumerate(optional):
        if r.identifier(m, f"optional_modules[{i}]") not in modules:
            r.fail(f"optional_modules[{i}]", f"{m!r} is not one of modules ({', '.join(modules)})")
    if optional and len(set(optional)) == len(modules):
        r.fail("optional_modules", "at least one module must be required")

    sandbox_raw = r.mapping(top.get("sandbox", {}), "sandbox")
    defaults_limits = SandboxLimits()
    r.only(sandbox_raw, "sandbox", {f.name for f in dataclasses.fields(SandboxLimits)})
    sandbox = SandboxLimits(**{k: type(getattr(defaults_limits, k))(r.number(v, f"sandbox.{k}", minimum=0))
                               for k, v in sandbox_raw.items()})

    return Assignment(
        path=path,
        name=r.string(top.get("name"), "name"),
        slug=r.identifier(top.get("slug"), "slug"),
        version=r.string(str(top.get("version", "")) or None, "version"),
        package=r.identifier(top.get("package"), "package"),
        reference=_reference(r, path, top.get("reference")),
        modules=modules,
        optional_modules=tuple(optional),
        total_points=total,
        groups=tuple(groups),
        sandbox=sandbox,
        diagnoses=_package(r, path, top.get("diagnoses"), "diagnoses"),
        public_data=_package(r, path, top.get("public_data"), "public_data"),
        contracts=r.mapping(top.get("contracts", {}), "contracts"),
        effects=_module_file(r, path, top.get("effects"), "effects"),
        packages=_packages(r, top.get("packages", {})),
        tolerances=tolerances,
        data=_data(r, top.get("data", [])),
        given=_given(r, top.get("given", []), modules),
        data_root=(path.parent / r.string(top["data_root"], "data_root")).resolve() if "data_root" in top else None,
    )


def _given(r: _Reader, value, modules: tuple[str, ...]) -> tuple[str, ...]:
    """``given:``: names of the reference shipped to students as they are, ``Name``
    (in any module) or ``module.Name``."""
    names = []
    for i, item in enumerate(r.sequence(value, "given") if value else []):
        text = r.string(item, f"given[{i}]")
        parts = text.split(".")
        if len(parts) > 2 or not all(part.isidentifier() for part in parts):
            r.fail(f"given[{i}]", f"{text!r} must be a name or module.name (e.g. CardError or card.CardError)")
        if len(parts) == 2 and parts[0] not in modules:
            r.fail(f"given[{i}]", f"{parts[0]!r} is not one of modules ({', '.join(modules)})")
        names.append(text)
    return tuple(names)


def _data(r: _Reader, value) -> tuple[DataEntry, ...]:
    """``data:``: a list of paths, or of ``{path: ..., ship: both|student|autograder}``."""
    entries: list[DataEntry] = []
    for i, item in enumerate(r.sequence(value, "data") if value else []):
        key = f"data[{i}]"
        if isinstance(item, str):
            item = {"path": item}
        item = r.mapping(item, key)
        r.only(item, key, {"path", "ship"})
        raw = r.string(item.get("path"), f"{key}.path").rstrip("/")
        rel = PurePosixPath(raw)
        if rel.is_absolute() or ".." in rel.parts or raw in ("", ".") or "\\" in raw:
            r.fail(f"{key}.path", f"{raw!r} must be a relative path inside the assignment's folder (no '..')")
        ship = r.choice(item.get("ship", "both"), f"{key}.ship", DATA_SHIPS)
        if any(e.path == rel.as_posix() for e in entries):
            r.fail(f"{key}.path", f"{raw!r} is listed twice")
        entries.append(DataEntry(rel.as_posix(), ship))
    return tuple(entries)


def _tolerances(r: _Reader, value) -> Tolerances:
    """``tolerances:`` -> :class:`Tolerances`, with ``default`` the framework's
    :data:`DEFAULT_TOLERANCE` unless the file gives it."""
    named = {DEFAULT_TOLERANCE_NAME: DEFAULT_TOLERANCE}
    for name, raw in r.mapping(value if value is not None else {}, "tolerances").items():
        key = f"tolerances.{name}"
        r.identifier(name, key)
        tol = r.mapping(raw, key)
        r.only(tol, key, {"rtol", "atol", "step"})
        step = tol.get("step")
        if step is not None and r.number(step, f"{key}.step", minimum=0) == 0:
            r.fail(f"{key}.step", "must be > 0 (the step of a numerical derivative)")
        named[name] = Tolerance(
            rtol=float(r.number(tol.get("rtol"), f"{key}.rtol", 0)),
            atol=float(r.number(tol.get("atol"), f"{key}.atol", 0)),
            step=None if step is None else float(step),
        )
    return Tolerances(named, r.path)


def _packages(r: _Reader, value) -> Packages:
    """``packages:`` -> :class:`Packages`; a name pinned twice (in two sections, or
    against the framework's own pins) with different versions stops the build."""
    raw = r.mapping(value, "packages")
    r.only(raw, "packages", set(PACKAGE_SECTIONS))
    seen = {_normal(n): (v, "the framework's own pins") for n, v in framework_pins().items()}
    sections = {}
    for section in PACKAGE_SECTIONS:
        pins = {}
        for name, version in r.mapping(raw.get(section) or {}, f"packages.{section}").items():
            key = f"packages.{section}.{name}"
            if not isinstance(name, str) or not _PACKAGE_NAME.match(name):
                r.fail(key, f"must be a package name, got {name!r}")
            if not isinstance(version, str) or not _VERSION.match(version):
                r.fail(key, f"must be an exact version as a quoted string (\"1.2.3\"), got {version!r}")
            other = seen.get(_normal(name))
            if other and other[0] != version:
                r.fail(key, f"pins {name}=={version}, but {other[1]} pin {name}=={other[0]}: "
                            "one version for both sides")
            seen[_normal(name)] = (version, f"packages.{section}")
            pins[name] = version
        sections[section] = pins
    return Packages(**sections)


def _reference(r: _Reader, path: Path, value) -> Path | None:
    return _package(r, path, value, "reference")


def _module_file(r: _Reader, path: Path, value, key: str) -> Path | None:
    """A Python file given relative to assignment.yaml, or None when absent."""
    if value is None:
        return None
    file = (path.parent / r.string(value, key)).resolve()
    if file.suffix != ".py" or not file.is_file():
        r.fail(key, f"{file} is not a Python file")
    return file


def _package(r: _Reader, path: Path, value, key: str) -> Path | None:
    """A package folder given relative to assignment.yaml, or None when absent."""
    if value is None:
        return None
    folder = (path.parent / r.string(value, key)).resolve()
    if not (folder / "__init__.py").is_file():
        r.fail(key, f"{folder} is not a package (no __init__.py)")
    return folder


class _Reader:
    """Typed accessors that raise ConfigError(file, key, reason)."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, reason: str):
        raise ConfigError(self.path, key, reason)

    def mapping(self, value, key) -> dict:
        if not isinstance(value, dict):
            self.fail(key, f"must be a mapping, got {_kind(value)}")
        return value

    def sequence(self, value, key) -> list:
        if not isinstance(value, list) or not value:
            self.fail(key, f"must be a non-empty list, got {_kind(value)}")
        return value

    def string(self, value, key) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be a non-empty string, got {_kind(value)}")
        return value

    def identifier(self, value, key) -> str:
        if not isinstance(value, str) or not value.isidentifier():
            self.fail(key, f"must be a Python identifier, got {value!r}")
        return value

    def boolean(self, value, key) -> bool:
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, got {value!r}")
        return value

    def number(self, value, key, minimum=None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(key, f"must be a number, got {value!r}")
        if minimum is not None and value < minimum:
            self.fail(key, f"must be >= {minimum}, got {value!r}")
        return value

    def choice(self, value, key, allowed) -> str:
        if value not in allowed:
            self.fail(key, f"must be one of {', '.join(allowed)}; got {value!r}")
        return value

    def only(self, mapping, key, allowed):
        unknown = sorted(set(mapping) - set(allowed))
        if unknown:
            self.fail(unknown[0] if key == "(top level)" else f"{key}.{unknown[0]}",
                      f"unknown key; allowed: {', '.join(sorted(allowed))}")

    def tolerance_name(self, value, key, named: Mapping[str, Tolerance]) -> str:
        if isinstance(value, dict):
            self.fail(key, "must name a tolerance of the top-level tolerances: (the numbers are written there, "
                           f"once), got a mapping {value!r}"[:200])
        if not isinstance(value, str) or value not in named:
            self.fail(key, f"must be one of the names under tolerances: ({', '.join(named)}); got {value!r}")
        return value


def _kind(value) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]


def _to_yaml_data(a: Assignment, keep, tolerances_used: Collection[str]) -> dict[str, Any]:
    parts: dict[str, list] = {}
    numbers: dict[str, str] = {}
    for g in a.groups:
        if keep(g):
            parts.setdefault(g.part, []).append(g)
            numbers.setdefault(g.part, g.number.split(".")[0])
    wanted = {DEFAULT_TOLERANCE_NAME, *tolerances_used, *(g.tolerance for gs in parts.values() for g in gs)}
    return {
        "name": a.name,
        "slug": a.slug,
        "version": a.version,
        "package": a.package,
        "modules": list(a.modules),
        **({"optional_modules": list(a.optional_modules)} if a.optional_modules else {}),
        **({"packages": {"code": dict(a.packages.code)}} if a.packages.code else {}),
        **({"data": [{"path": e.path, "ship": "student"} for e in a.data if e.to_student]}
           if any(e.to_student for e in a.data) else {}),
        **({"effects": a.effects.name} if a.effects else {}),  # beside the public tests, in the release's tests/
        "total_points": sum(g.points for gs in parts.values() for g in gs if not g.extra_credit),
        "tolerances": {name: {k: v for k, v in dataclasses.asdict(tol).items() if v is not None}
                       for name, tol in a.tolerances.items() if name in wanted},
        "parts": [
            {
                "name": part,
                "number": numbers[part],
                "tests": [
                    {
                        "id": g.id,
                        "name": g.name,
                        "number": g.number,
                        "points": g.points,
                        "public": g.public,
                        "visibility": g.visibility,
                        **({"tolerance": g.tolerance} if g.tolerance != DEFAULT_TOLERANCE_NAME else {}),
                        **({"extra_credit": True} if g.extra_credit else {}),
                    }
                    for g in gs
                ],
            }
            for part, gs in parts.items()
        ],
    }
