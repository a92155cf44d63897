"""Read a class's submissions: Gradescope's "Export Submissions" download, or a plain
folder of submission folders and zips.

Gradescope's export is a zip (or the folder it unpacks to, often one folder down, e.g.
``assignment_123_export/``) holding ``submission_metadata.yml`` and one folder per
submission. The metadata maps each folder's name to Ruby-style symbol keys:

    submission_123456:
      :submitters:
      - :name: Ada Lovelace
        :sid: '1815'
        :email: ada@example.edu
      :created_at: 2024-03-01 22:13:45.123456000 -08:00
      :score: 85.0
      :status: processed
      :results: {score: 85.0, tests: [...], extra_data: {version: 1.0.0}}
      :history: [...]

Ruby-only tags that Gradescope has been seen to emit (``!ruby/object:BigDecimal
18:0.85e2``, ``!ruby/hash:...``) are read as plain numbers, mappings and strings; keys
lose their leading colon. Nothing here knows what is being graded.

The export is untrusted input (anyone may have edited it): the metadata is a regular
file of bounded size whose aliases cannot multiply it; each of its keys must name a
real folder or regular zip directly in the export (:func:`intake.locate`). An entry
that does not is kept as a :class:`Submission` with ``refused`` set (a reason code of
:data:`intake.CODES`) and ``path`` set to ``os.devnull``: the batch reports it and never grades it.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any

import yaml

from autograder.staff import intake
from autograder.staff.unpack import UnpackError, unpack

METADATA = "submission_metadata.yml"
# A whole class: far above one student's upload, still a bound on a hostile zip.
MAX_EXPORT_BYTES = 4 * 2**30
MAX_EXPORT_ENTRIES = 500_000
IGNORED = {"__MACOSX", ".DS_Store"}
MAX_METADATA_BYTES = 256 * 2**20  # a class of thousands with their histories is a few MB
MAX_METADATA_NODES = 2_000_000  # mappings and lists (an alias is the one it names)


class ExportError(ValueError):
    """The export cannot be read at all (no submissions, bad zip, bad metadata)."""


@dataclasses.dataclass(frozen=True)
class Submitter:
    name: str = ""
    email: str = ""
    sid: str = ""


@dataclasses.dataclass(frozen=True)
class Submission:
    """One submission to grade.

    ``id`` is unique in the export and safe as a file name (the folder's name, or a
    zip's name without ``.zip``); ``path`` is the folder or zip to grade. The rest
    comes from the metadata when there is one: ``recorded_score`` and
    ``recorded_version`` are what Gradescope recorded (its score, and the
    ``extra_data.version`` of its results), ``None``/``""`` when unknown.
    ``refused``: a reason code of :data:`intake.CODES` when the entry is not graded
    (``refused_why`` says why; ``path`` is then ``os.devnull``, which nothing grades)."""

    id: str
    path: Path
    submitters: tuple[Submitter, ...] = ()
    created_at: str = ""
    recorded_score: float | None = None
    recorded_version: str = ""
    refused: str = ""
    refused_why: str = ""


@dataclasses.dataclass(frozen=True)
class Export:
    submissions: list[Submission]
    metadata: Path | None  # the submission_metadata.yml read, if any
    notes: list[str]  # what was skipped or odd, for the TA


def read_export(source: Path, workdir: Path) -> Export:
    """The submissions in ``source`` (an export zip, an export folder, or a folder of
    submission folders and zips), sorted by id. A zip is unpacked into
    ``workdir/export`` (replacing what was there). Raises :class:`ExportError` when
    nothing can be graded."""
    source = Path(source)
    notes: list[str] = []
    if source.is_file():
        target = Path(workdir) / "export"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        try:
            # the TA named this file: a link to it is followed, what it holds is not trusted
            notes += unpack(source.resolve(), target, max_bytes=MAX_EXPORT_BYTES, max_entries=MAX_EXPORT_ENTRIES)
        except UnpackError as err:
            raise ExportError(str(err)) from None
        source = target
    if not source.is_dir():
        raise ExportError(f"{source} is neither a folder nor a zip")
    metadata = find_metadata(source)
    if metadata is not None:
        submissions = _from_metadata(metadata, notes)
    else:
        submissions = _from_folder(_single_child(source), notes)
    if not submissions:
        raise ExportError(f"no submissions found in {source}: expected {METADATA} and one folder per submission, "
                          "or a folder of submission folders or zips")
    return Export(sorted(submissions, key=lambda s: _natural(s.id)), metadata, notes)


def find_metadata(root: Path) -> Path | None:
    """``submission_metadata.yml`` at the top of ``root`` or one real folder down (a
    link to a folder is not followed). One that is there but not a regular file (a
    link, a FIFO, a device) is an :class:`ExportError`."""
    candidates = [root / METADATA] + sorted(
        p / METADATA for p in root.iterdir() if p.name not in IGNORED and _lstat_is(p, stat.S_ISDIR))
    for path in candidates:
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            raise ExportError(f"{path} is not a regular file (a link, a FIFO or a device): it is not read. "
                              "Use the export as Gradescope made it")
        return path
    return None


def load_metadata(path: Path) -> dict[str, dict[str, Any]]:
    """The metadata as plain data: ``{folder name: {"submitters": [...], ...}}``.
    Bounded: at most :data:`MAX_METADATA_BYTES` read, :data:`MAX_METADATA_NODES`
    values built (YAML aliases let a small file name a huge tree)."""
    try:
        with intake.open_regular(path) as file:
            raw = file.read(MAX_METADATA_BYTES + 1)
    except (OSError, intake.Refused) as err:
        raise ExportError(f"{path}: cannot be read ({err})") from None
    if len(raw) > MAX_METADATA_BYTES:
        raise ExportError(f"{path}: larger than {MAX_METADATA_BYTES // 2**20} MB; not a Gradescope export's metadata")
    try:
        data = yaml.load(raw.decode("utf-8", errors="replace"), Loader=_MetadataLoader)
        data = _plain_keys(data, [MAX_METADATA_NODES])
    except yaml.YAMLError as err:
        raise ExportError(f"{path}: not valid YAML ({err})") from None
    except RecursionError:
        raise ExportError(f"{path}: nested too deeply to be a Gradescope export's metadata") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ExportError(f"{path}: expected a mapping from submission folder names to their details")
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in data.items()}


def _from_metadata(path: Path, notes: list[str]) -> list[Submission]:
    root = path.parent
    entries = load_metadata(path)
    ids = _Ids()
    submissions = []
    for name, info in entries.items():
        try:
            folder = intake.locate(root, name)
        except intake.Refused as err:
            submissions.append(_submission(ids.take(name), Path(os.devnull), info, err))
            continue
        except FileNotFoundError:
            notes.append(f"{name}: in {METADATA} but not in the export; skipped")
            continue
        submissions.append(_submission(ids.take(name), folder, info))
    listed = set(entries)
    for child in _children(root):
        name = _name_of(child)
        if name not in listed and child.name not in listed:
            notes.append(f"{child.name}: not in {METADATA}; graded without names")
            submissions.append(_unlisted(ids.take(name), child))
    return submissions


def _from_folder(root: Path, notes: list[str]) -> list[Submission]:
    ids = _Ids()
    found = []
    for child in _children(root):
        found.append(_unlisted(ids.take(_name_of(child)), child))
    skipped = [p.name for p in sorted(root.iterdir()) if _lstat_is(p, stat.S_ISREG) and p.suffix.lower() != ".zip"
               and p.name not in IGNORED and not p.name.startswith(".")]
    if skipped and found:
        notes.append(f"not submissions (neither folders nor zips), skipped: {', '.join(skipped[:10])}")
    return found


def _unlisted(sub_id: str, path: Path) -> Submission:
    """A submission found in the folder itself: refused when it is a link, a FIFO, a
    device or a socket (:func:`intake.check_top`)."""
    try:
        intake.check_top(path)
    except intake.Refused as err:
        return Submission(sub_id, Path(os.devnull), refused=err.code, refused_why=str(err))
    return Submission(sub_id, path)


def _children(root: Path) -> list[Path]:
    """What directly in ``root`` may be a submission: real folders and ``.zip`` files,
    and anything that is neither a regular file nor a folder (links, FIFOs, devices,
    sockets: refused by :func:`_unlisted`, so that the report names them)."""
    return [p for p in sorted(root.iterdir())
            if p.name not in IGNORED and not p.name.startswith(".")
            and not (_lstat_is(p, stat.S_ISREG) and p.suffix.lower() != ".zip")]


def _name_of(child: Path) -> str:
    """A submission's name: a zip's (or what stands in its place) without ``.zip``."""
    return child.stem if child.suffix.lower() == ".zip" and not _lstat_is(child, stat.S_ISDIR) else child.name


def _lstat_is(path: Path, kind) -> bool:
    """Whether ``path`` itself (not followed) is of ``kind`` (``stat.S_ISDIR``...)."""
    try:
        return bool(kind(os.lstat(path).st_mode))
    except OSError:
        return False


def _single_child(root: Path) -> Path:
    """An export zip often wraps everything in one folder: look inside it, unless it
    is itself a submission (files at the top of ``root`` mean ``root`` is the class)."""
    children = _children(root)
    if len(children) == 1 and _lstat_is(children[0], stat.S_ISDIR) and not any(
            _lstat_is(p, stat.S_ISREG) for p in root.iterdir() if p.name not in IGNORED):
        inner = _children(children[0])
        if len(inner) > 1 and all(_lstat_is(p, stat.S_ISDIR) or p.suffix.lower() == ".zip" for p in inner):
            return children[0]
    return root


def _submission(sub_id: str, path: Path, info: dict[str, Any], refused: intake.Refused | None = None) -> Submission:
    submitters = tuple(
        Submitter(name=_text(s.get("name")), email=_text(s.get("email")), sid=_text(s.get("sid")))
        for s in info.get("submitters") or [] if isinstance(s, dict)
    )
    results = info.get("results")
    if not isinstance(results, dict):
        results = {}
    extra = results.get("extra_data")
    if not isinstance(extra, dict):
        extra = {}
    return Submission(sub_id, path, submitters, created_at=_text(info.get("created_at")),
                      recorded_score=_number(info.get("score", results.get("score"))),
                      recorded_version=_text(extra.get("version")),
                      refused=refused.code if refused else "", refused_why=str(refused) if refused else "")


class _Ids:
    """File-name-safe, unique ids: the folder's own name whenever it is already safe."""

    def __init__(self):
        self.taken: set[str] = set()

    def take(self, name: str) -> str:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "submission"
        candidate, n = base, 1
        while candidate.lower() in self.taken:
            n += 1
            candidate = f"{base}-{n}"
        self.taken.add(candidate.lower())
        return candidate


# libyaml's parser where PyYAML has it (many times faster on a class's metadata).
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _MetadataLoader(_SafeLoader):
    """Safe loading, with any tag (Ruby's included) read as the plain value it wraps."""


def _construct_tagged(loader: Any, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.ScalarNode), node  # yaml's third and last kind of node
    value = loader.construct_scalar(node)
    if "BigDecimal" in tag_suffix:  # Ruby's "18:0.85e2": precision, then the value
        try:
            return float(value.split(":", 1)[-1])
        except ValueError:
            return value
    return value


_MetadataLoader.add_multi_constructor("!", _construct_tagged)
_MetadataLoader.add_multi_constructor("tag:ruby.yaml.org,2002:", _construct_tagged)


def _plain_keys(value: Any, budget: list[int], done: dict[int, Any] | None = None) -> Any:
    """Ruby symbol keys (``:name``) become plain (``name``), all the way down. A value
    that YAML shares (an alias) stays shared: converted once (``done``, by identity),
    so aliases never multiply the work; each value converted spends one of
    ``budget[0]``: :class:`ExportError` when it runs out."""
    done = {} if done is None else done
    if not isinstance(value, (dict, list)):
        return value
    if id(value) in done:
        return done[id(value)]
    budget[0] -= 1
    if budget[0] < 0:
        raise ExportError(f"the metadata holds more than {MAX_METADATA_NODES} mappings and lists; "
                          "not a Gradescope export's metadata")
    if isinstance(value, dict):
        plain: Any = {}
        done[id(value)] = plain
        for k, v in value.items():
            plain[k[1:] if isinstance(k, str) and k.startswith(":") else k] = _plain_keys(v, budget, done)
    else:
        plain = []
        done[id(value)] = plain
        plain.extend(_plain_keys(v, budget, done) for v in value)
    return plain


def _text(value: Any) -> str:
    """A scalar as text; "" for anything else (a mapping or list where a name belongs
    is not a name, and may be an alias of something huge)."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)[:1000]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _natural(text: str) -> list:
    """Sort key: ``submission_9`` before ``submission_10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]
