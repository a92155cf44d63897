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
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from autograder.staff.unpack import UnpackError, unpack

METADATA = "submission_metadata.yml"
# A whole class: far above one student's upload, still a bound on a hostile zip.
MAX_EXPORT_BYTES = 4 * 2**30
MAX_EXPORT_ENTRIES = 500_000
IGNORED = {"__MACOSX", ".DS_Store"}


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
    ``extra_data.version`` of its results), ``None``/``""`` when unknown."""

    id: str
    path: Path
    submitters: tuple[Submitter, ...] = ()
    created_at: str = ""
    recorded_score: float | None = None
    recorded_version: str = ""


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
            notes += unpack(source, target, max_bytes=MAX_EXPORT_BYTES, max_entries=MAX_EXPORT_ENTRIES)
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
    """``submission_metadata.yml`` at the top of ``root`` or one folder down."""
    if (root / METADATA).is_file():
        return root / METADATA
    found = sorted(p for p in root.glob(f"*/{METADATA}") if p.parent.name not in IGNORED)
    return found[0] if found else None


def load_metadata(path: Path) -> dict[str, dict[str, Any]]:
    """The metadata as plain data: ``{folder name: {"submitters": [...], ...}}``."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8", errors="replace"), Loader=_MetadataLoader)
    except yaml.YAMLError as err:
        raise ExportError(f"{path}: not valid YAML ({err})") from None
    data = _plain_keys(data)
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
        folder = root / name
        if not folder.is_dir() and (root / f"{name}.zip").is_file():
            folder = root / f"{name}.zip"
        if not folder.exists():
            notes.append(f"{name}: in {METADATA} but not in the export; skipped")
            continue
        submissions.append(_submission(ids.take(name), folder, info))
    listed = set(entries)
    for child in _children(root):
        name = child.stem if child.is_file() else child.name
        if name not in listed and child.name not in listed:
            notes.append(f"{child.name}: not in {METADATA}; graded without names")
            submissions.append(Submission(ids.take(name), child))
    return submissions


def _from_folder(root: Path, notes: list[str]) -> list[Submission]:
    ids = _Ids()
    found = []
    for child in _children(root):
        found.append(Submission(ids.take(child.stem if child.is_file() else child.name), child))
    skipped = [p.name for p in sorted(root.iterdir()) if p.is_file() and p.suffix.lower() != ".zip"
               and p.name not in IGNORED and not p.name.startswith(".")]
    if skipped and found:
        notes.append(f"not submissions (neither folders nor zips), skipped: {', '.join(skipped[:10])}")
    return found


def _children(root: Path) -> list[Path]:
    """Submission folders and zips directly in ``root``."""
    return [p for p in sorted(root.iterdir())
            if p.name not in IGNORED and not p.name.startswith(".") and not p.is_symlink()
            and (p.is_dir() or (p.is_file() and p.suffix.lower() == ".zip"))]


def _single_child(root: Path) -> Path:
    """An export zip often wraps everything in one folder: look inside it, unless it
    is itself a submission (files at the top of ``root`` mean ``root`` is the class)."""
    children = _children(root)
    if len(children) == 1 and children[0].is_dir() and not any(p.is_file() for p in root.iterdir()
                                                                if p.name not in IGNORED):
        inner = _children(children[0])
        if len(inner) > 1 and all(p.is_dir() or p.suffix.lower() == ".zip" for p in inner):
            return children[0]
    return root


def _submission(sub_id: str, path: Path, info: dict[str, Any]) -> Submission:
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
                      recorded_version=_text(extra.get("version")))


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


class _MetadataLoader(yaml.SafeLoader):
    """Safe loading, with any tag (Ruby's included) read as the plain value it wraps."""


def _construct_tagged(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
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


def _plain_keys(value: Any) -> Any:
    """Ruby symbol keys (``:name``) become plain (``name``), all the way down."""
    if isinstance(value, dict):
        return {(k[1:] if isinstance(k, str) and k.startswith(":") else k): _plain_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_keys(v) for v in value]
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


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
