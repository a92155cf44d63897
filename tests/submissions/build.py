"""Turn the cases of ``cases.yaml`` into submissions on disk (folders or zips).

Everything is built at run time from the reference, the student release and the
case's own code: no binary is committed, and the zips that no well-behaved tool would
write (entries that leave the folder, symbolic links, bombs, names that are not UTF-8)
are written byte by byte here.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CASES_YAML = Path(__file__).resolve().parent / "cases.yaml"
PACKAGE = "convnet"
MODULES = ("__init__", "shapes", "params", "conv", "pool")  # fast.py (the bonus) only where a case writes it
BASES = {"reference": ROOT / "solutions" / PACKAGE, "stubs": ROOT / "student_template" / PACKAGE}


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    base: str
    edit: tuple[dict, ...]
    layout: str
    zip: str | None
    extra: dict[str, str]
    extra_bytes_names: bool
    score: tuple[float, float]
    see: tuple[str, ...]
    lost: tuple[str, ...]
    seconds: float
    needs: tuple[str, ...]
    twice: bool
    twin: tuple[dict, ...] | None = None  # the honest twin's edits: the case may never score more
    bonus: tuple[float, float] = (0, float("inf"))  # extra credit earned
    leaderboard_max: float = float("inf")  # no leaderboard value above this
    runner_mb: float = float("inf")  # the trusted runner's peak memory

    def honest_twin(self) -> "Case":
        """The same submission without the attack (``twin``'s edits instead of ``edit``)."""
        return dataclasses.replace(self, id=f"{self.id}~twin", edit=self.twin or (), twin=None, twice=False)

    @property
    def marker(self) -> str:
        """A word unique to the case, in the command line of what the case spawns."""
        return "hostile-" + self.id

    def build(self, folder: Path, port: int) -> Path:
        """Write the submission under ``folder``; return the folder or zip to grade."""
        values = {"port": str(port), "marker": self.marker}
        if self.zip:
            return ZIPS[self.zip](folder)
        sub = folder / "submission"
        sub.mkdir(parents=True)
        package = {"package": sub / PACKAGE, "flat": sub, "nested": sub / "a" / "b" / PACKAGE}[self.layout]
        package.mkdir(parents=True, exist_ok=True)
        if self.base != "none":
            for module in MODULES:
                shutil.copyfile(BASES[self.base] / f"{module}.py", package / f"{module}.py")
        for step in self.edit:
            _apply(package, step, values)
        for name, text in self.extra.items():
            (sub / name).write_text(text)
        if self.extra_bytes_names:
            # A name that is not UTF-8 (a Latin-1 "é"), as an old zip tool leaves it.
            with open(os.path.join(os.fsencode(sub), b"notes-caf\xe9.txt"), "wb") as f:
                f.write(b"not graded\n")
        return sub


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text.replace("{big}", "# a precomputed table\n" * 150_000)


def _apply(package: Path, step: dict[str, Any], values: dict[str, str]) -> None:
    path = package / step["file"]
    if "append" in step:
        path.write_text(path.read_text() + _fill(step["append"], values))
    elif "prepend" in step:
        path.write_text(_fill(step["prepend"], values) + path.read_text())
    elif "content" in step:
        path.write_text(_fill(step["content"], values))
    elif "replace" in step:
        old, new = step["replace"]
        text = path.read_text()
        assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
        path.write_text(text.replace(old, _fill(new, values)))
    elif "rename" in step:
        path.rename(package / step["rename"])
    elif "symlink" in step:
        path.unlink()
        path.symlink_to(step["symlink"])
    elif step.get("delete"):
        path.unlink()
    else:
        raise ValueError(f"unknown edit {step}")


def load_cases() -> list[Case]:
    raw = yaml.safe_load(CASES_YAML.read_text())["cases"]
    cases = []
    for entry in raw:
        expect = entry.get("expect", {})
        cases.append(Case(
            id=entry["id"], base=entry.get("base", "none"), edit=tuple(entry.get("edit", [])),
            layout=entry.get("layout", "package"), zip=entry.get("zip"), extra=dict(entry.get("extra", {})),
            extra_bytes_names=bool(entry.get("extra_bytes_names")),
            score=tuple(expect["score"]), see=tuple(expect.get("see", [])), lost=tuple(expect.get("lost", [])),
            seconds=float(expect.get("seconds", 60)), needs=tuple(entry.get("needs", [])),
            twice=bool(entry.get("twice")), twin=tuple(entry["twin"]) if "twin" in entry else None,
            bonus=tuple(expect.get("bonus", (0, float("inf")))),
            leaderboard_max=float(expect.get("leaderboard_max", float("inf"))),
            runner_mb=float(expect.get("runner_mb", float("inf"))),
        ))
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


# -- zips ---------------------------------------------------------------------------

def _reference_files(skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    return {f"{PACKAGE}/{m}.py": (BASES["reference"] / f"{m}.py").read_bytes() for m in MODULES if m not in skip}


def _write_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def zip_empty(folder: Path) -> Path:
    return _write_zip(folder / "submission.zip", [])


def zip_notebook_only(folder: Path) -> Path:
    notebook = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
    return _write_zip(folder / "submission.zip", [("convnet.ipynb", notebook)])


def zip_not_a_zip(folder: Path) -> Path:
    path = folder / "submission.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is a PDF of my notebook, promise\n")
    return path


def zip_traversal(folder: Path) -> Path:
    entries = list(_reference_files(skip=("pool",)).items())
    evil = b"raise SystemExit('the grader was replaced')\n"
    entries += [
        ("../../source/autograder/grade/runner.py", evil),
        ("convnet/../../../source/run_autograder", b"echo hacked\n"),
        ("/autograder/results/results.json", b'{"score": 100}'),
        ("..\\..\\source\\solutions\\convnet\\pool.py", evil),
        ("convnet/../../pool.py", (BASES["reference"] / "pool.py").read_bytes()),
    ]
    return _write_zip(folder / "submission.zip", entries)


def zip_symlinks(folder: Path) -> Path:
    entries: list[tuple[zipfile.ZipInfo | str, bytes]] = list(_reference_files(skip=("pool",)).items())
    for name, target in (("convnet/pool.py", "../../source/solutions/convnet/pool.py"),
                         ("results.json", "../results/results.json"), ("etc", "/etc")):
        info = zipfile.ZipInfo(name)
        info.create_system = 3  # Unix: the mode below is honoured
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        entries.append((info, target.encode()))
    return _write_zip(folder / "submission.zip", entries)


def zip_bomb(folder: Path) -> Path:
    """A 1 GB file of zeros in about 1 MB of zip (no header lies about the size)."""
    path = folder / "submission.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    block = b"\0" * 2**24
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in _reference_files().items():
            zf.writestr(name, data)
        with zf.open("convnet/weights.bin", "w", force_zip64=True) as f:
            for _ in range(64):
                f.write(block)
    return path


def zip_non_utf8(folder: Path) -> Path:
    """Entries flagged UTF-8 whose names are not, and one from a tool that wrote
    Latin-1 without the flag (read as cp437, as zip readers must)."""
    buffer = io.BytesIO()
    entries = list(_reference_files().items()) + [("convnet/caf\u00e9-notes.txt", b"x\n"), ("r\u00e9sum\u00e9.txt", b"y\n")]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    data = buffer.getvalue()
    # "é" is 2 bytes in UTF-8: same length as the 2 invalid bytes put in its place
    data = data.replace("caf\u00e9".encode(), b"caf\xff\xfe")
    # clear the UTF-8 flag of the second name and write it in Latin-1 (+ padding)
    data = data.replace("r\u00e9sum\u00e9.txt".encode(), b"r\xe9sum\xe9__.txt")
    data = _clear_utf8_flag(data, b"r\xe9sum\xe9__.txt")
    path = folder / "submission.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _clear_utf8_flag(data: bytes, name: bytes) -> bytes:
    """Clear general-purpose bit 11 in the local and central headers of ``name``."""
    out = bytearray(data)
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (at := out.find(signature, start)) >= 0:
            if out[at + name_at: at + name_at + len(name)] == name:
                flags = int.from_bytes(out[at + flag_at: at + flag_at + 2], "little") & ~0x800
                out[at + flag_at: at + flag_at + 2] = flags.to_bytes(2, "little")
            start = at + 4
    return bytes(out)


ZIPS = {
    "empty": zip_empty, "notebook_only": zip_notebook_only, "not_a_zip": zip_not_a_zip, "traversal": zip_traversal,
    "symlinks": zip_symlinks, "bomb": zip_bomb, "non_utf8": zip_non_utf8,
}
