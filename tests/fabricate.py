"""Every submission the project's tests grade, fabricated one way: a :class:`Variant`
(a base package, where it sits in the upload, edits to its files) written by
:meth:`Variant.write`. The catalogues are data built on it: ``tests/buggy.py`` (bugs
with the tests they must cost), ``tests/mistaken.py`` (one submission per mistake of
the diagnoses catalogue), ``tests/realistic_bugs.py`` (bugs written from the lecture)
and ``tests/submissions/cases.yaml`` (broken and hostile uploads). The kinds of a
synthetic class (:data:`KINDS`) and Gradescope's export layout (:func:`write_export`)
are here too, and the zips that no well-behaved tool would write (entries that leave
the folder, symbolic links, bombs, names that are not UTF-8), byte by byte.

Nothing binary is committed: everything is built at run time from the reference, the
student release (stubs) and ``tests/naive`` (an independent all-loops solution).
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import stat
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "convnet"
REFERENCE = ROOT / "solutions" / PACKAGE
BASES: dict[str, Path | None] = {
    "reference": REFERENCE,
    "stubs": ROOT / "student_template" / PACKAGE,
    "naive": ROOT / "tests" / "naive" / PACKAGE,  # no __init__.py nor fast.py of its own
    "none": None,  # an upload without the package
    # Correct packages written by others from the student release alone (tests/unseen_bugs/correct/).
    **{f"unseen-{style}": ROOT / "tests" / "unseen_bugs" / "correct" / style / PACKAGE
       for style in ("loops", "vectorised", "unusual", "strided", "functional", "matrix")},
}
# The graded modules, without fast.py (the bonus) and __init__.py: what a Variant with
# ``modules=GRADED`` copies (the hostile corpus: the bonus only where a case writes it).
GRADED = ("__init__", "shapes", "params", "conv", "pool")
# Where the package's files sit in the upload, by name (or any relative folder).
LAYOUTS = {"package": PACKAGE, "flat": ".", "one-down": f"hw/{PACKAGE}", "two-down": f"a/b/{PACKAGE}"}

Edit = Mapping[str, Any]  # {file, append | prepend | content | replace: [old, new] | rename | symlink | delete}


def replace(file: str, old: str, new: str) -> dict[str, Any]:
    """The edit replacing ``old`` (which must occur exactly once) by ``new`` in ``file``."""
    return {"file": file, "replace": [old, new]}


def append(file: str, text: str) -> dict[str, Any]:
    return {"file": file, "append": text}


@dataclasses.dataclass(frozen=True)
class Variant:
    """One submission, as data.

    ``base``: a key of :data:`BASES`, or a package's folder; ``layout``: a key of :data:`LAYOUTS` or a relative
    folder; ``edits``: applied in order to the package's files (placeholders ``{port}``,
    ``{marker}``, ``{big}`` in the new text, see :meth:`write`); ``modules``: which of the
    base's modules to copy (None: every ``.py``; ``__init__``/``fast`` of the reference
    fill in for a base that lacks them when ``complete``); ``extra``: ``(name, text)``
    files at the top of the upload; ``bytes_name``: add a file whose name is not UTF-8;
    ``zipped``: return a zip of all that (``<folder>.zip``) instead of the folder;
    ``zip``: a key of :data:`ZIPS`, a hand-made zip instead of all the above."""

    base: str = "reference"
    layout: str = "package"
    edits: tuple[Edit, ...] = ()
    modules: tuple[str, ...] | None = None
    complete: bool = False
    extra: tuple[tuple[str, str], ...] = ()
    bytes_name: bool = False
    zipped: bool = False  # upload the written folder as a zip of it (made by the project's own zip writer)
    zip: str | None = None

    def but(self, *edits: Edit, **changes: Any) -> Variant:
        """This variant with more ``edits`` and some fields changed."""
        return dataclasses.replace(self, edits=self.edits + edits, **changes)

    def write(self, folder: Path, values: Mapping[str, str] | None = None) -> Path:
        """Write the upload into ``folder`` (created; the package's place in it must not
        exist yet); return what to grade: ``folder``, or the zip for a ``zip`` variant.
        ``values`` fill the placeholders of the edits' new text."""
        folder = Path(folder)
        if self.zip:
            return ZIPS[self.zip](folder)
        package = folder / LAYOUTS.get(self.layout, self.layout)
        package.mkdir(parents=True, exist_ok=True)
        base = BASES[self.base] if self.base in BASES else Path(self.base)
        if base is not None:
            names = [p.stem for p in sorted(base.glob("*.py"))] if self.modules is None else list(self.modules)
            for module in names:
                shutil.copyfile(base / f"{module}.py", package / f"{module}.py")
            if self.complete:
                for module in ("__init__", "fast"):
                    if not (package / f"{module}.py").exists():
                        shutil.copyfile(REFERENCE / f"{module}.py", package / f"{module}.py")
        for edit in self.edits:
            _apply(package, edit, values or {})
        for name, text in self.extra:
            (folder / name).write_text(text)
        if self.bytes_name:
            # A name that is not UTF-8 (a Latin-1 "é"), as an old zip tool leaves it.
            with open(os.path.join(os.fsencode(folder), b"notes-caf\xe9.txt"), "wb") as f:
                f.write(b"not graded\n")
        if self.zipped:
            from autograder.runtime import archive

            return archive.write_zip(folder, folder.with_name(folder.name + ".zip"))
        return folder


def _fill(text: str, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text.replace("{big}", "# a precomputed table\n" * 150_000)


def _apply(package: Path, edit: Edit, values: Mapping[str, str]) -> None:
    path = package / edit["file"]
    if "append" in edit:
        path.write_text(path.read_text() + _fill(edit["append"], values))
    elif "prepend" in edit:
        path.write_text(_fill(edit["prepend"], values) + path.read_text())
    elif "content" in edit:
        path.write_text(_fill(edit["content"], values))
    elif "replace" in edit:
        old, new = edit["replace"]
        text = path.read_text()
        if text.count(old) != 1:
            raise ValueError(f"{old!r} occurs {text.count(old)} times in {path.name}, not once")
        path.write_text(text.replace(old, _fill(new, values)))
    elif "rename" in edit:
        path.rename(package / edit["rename"])
    elif "symlink" in edit:
        path.unlink()
        path.symlink_to(edit["symlink"])
    elif edit.get("delete"):
        path.unlink()
    else:
        raise ValueError(f"unknown edit {dict(edit)}")


# -- a synthetic class -------------------------------------------------------------------

FORGER = '''
import json as _json, os as _os
for _folder in ("/autograder/results", _os.path.join(_os.environ.get("AUTOGRADER_ROOT", "/nonexistent"), "results"),
                _os.path.join(_os.getcwd(), "..", "results")):
    try:
        with open(_os.path.join(_folder, "results.json"), "w") as _f:
            _json.dump({"score": 100, "tests": []}, _f)
    except OSError:
        pass
'''

# The kinds of a synthetic class (batch tests and benchmarks), and ``bug:<name>`` for
# each bug of tests/buggy.py (see :func:`kind`).
KINDS: dict[str, Variant] = {
    "correct": Variant(),
    "flat": Variant(layout="flat"),
    "nested": Variant(layout="one-down"),
    "forger": Variant(edits=(append("shapes.py", FORGER),)),  # correct, but writes a perfect results.json at import
    "stubs": Variant(base="stubs"),
    "empty": Variant(base="none", layout=".", extra=(("notes.txt", "I could not finish in time.\n"),)),
    "syntax": Variant(layout="flat", edits=(append("pool.py", "\ndef broken(:\n"),)),
    "loop": Variant(edits=(replace("pool.py", '    """Forward pass of average pooling',
                                   '    while True:\n        pass\n    """x'),)),  # avg_pool_forward never returns
}


def kind(name: str) -> Variant:
    """The variant of a kind of :data:`KINDS`, or of ``bug:<name>`` (tests/buggy.py)."""
    if name.startswith("bug:"):
        from tests.buggy import BUGS

        return next(b.variant for b in BUGS if b.name == name[4:])
    return KINDS[name]


def write_submission(name: str, folder: Path) -> Path:
    """A submission of kind ``name`` in ``folder`` (created); returns ``folder``."""
    return kind(name).write(folder)


def student(n: int) -> dict:
    return {"name": f"Student {n:03d}", "email": f"student{n:03d}@example.edu", "sid": f"{9000 + n}"}


def write_export(root: Path, kinds: list[str], *, recorded: dict[int, float] | None = None,
                 unlisted: list[str] = (), missing: int = 0) -> dict[str, dict]:
    """Gradescope's export layout in ``root``: submission ``i`` of kind ``kinds[i]`` in
    ``submission_<100+i>/``, submitted by :func:`student` ``(i)``; ``recorded[i]`` is the
    score Gradescope recorded. ``unlisted`` kinds get folders that the metadata does not
    list; ``missing`` entries are listed without a folder. Returns {id: {"kind", "who"}}."""
    recorded = recorded or {}
    lines, expected = [], {}
    for i, name in enumerate(kinds):
        sub_id = f"submission_{100 + i}"
        write_submission(name, root / sub_id)
        who = student(i)
        expected[sub_id] = {"kind": name, "who": who}
        lines += [f"{sub_id}:", "  :submitters:", f"  - :name: {who['name']}", f"    :sid: '{who['sid']}'",
                  f"    :email: {who['email']}", f"  :created_at: 2026-02-{1 + i % 28:02d} 22:13:45.123456000 -08:00",
                  "  :status: processed"]
        if i in recorded:
            # Ruby writes BigDecimal scores with a tag: the reader must cope.
            score = recorded[i]
            lines.append(f"  :score: !ruby/object:BigDecimal 18:{score / 100:.4f}e2" if i % 2 else f"  :score: {score}")
            lines += ["  :results:", f"    score: {score}", "    extra_data:", "      version: 0.9.0", "    tests: []"]
        lines.append("  :history: []")
    for j in range(missing):
        lines += [f"submission_{900 + j}:", "  :submitters:", f"  - :name: Gone {j}", "    :sid: '1'", "  :history: []"]
    for j, name in enumerate(unlisted):
        sub_id = f"submission_{800 + j}"
        write_submission(name, root / sub_id)
        expected[sub_id] = {"kind": name, "who": None}
    (root / "submission_metadata.yml").write_text("\n".join(lines) + "\n")
    return expected


# -- zips that no well-behaved tool would write -------------------------------------------

def _reference_files(skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    return {f"{PACKAGE}/{m}.py": (REFERENCE / f"{m}.py").read_bytes() for m in GRADED if m not in skip}


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


# What zip_traversal's entries try to reach, outside the folder they unpack into.
TRAVERSAL = ("../../source/autograder/grade/runner.py", "convnet/../../../source/run_autograder",
             "/autograder/results/results.json", "..\\..\\source\\solutions\\convnet\\pool.py", "convnet/../../pool.py")


def zip_traversal(folder: Path) -> Path:
    """The reference without pool.py, and entries whose paths leave the folder."""
    evil = b"raise SystemExit('the grader was replaced')\n"
    contents = [evil, b"echo hacked\n", b'{"score": 100}', evil, (REFERENCE / "pool.py").read_bytes()]
    entries = list(_reference_files(skip=("pool",)).items()) + list(zip(TRAVERSAL, contents, strict=True))
    return _write_zip(folder / "submission.zip", entries)


SYMLINKS = {"convnet/pool.py": "../../source/solutions/convnet/pool.py", "results.json": "../results/results.json",
            "etc": "/etc"}


def zip_symlinks(folder: Path) -> Path:
    """The reference without pool.py, and symbolic links (:data:`SYMLINKS`) in its place."""
    entries: list[tuple[zipfile.ZipInfo | str, bytes]] = list(_reference_files(skip=("pool",)).items())
    for name, target in SYMLINKS.items():
        info = zipfile.ZipInfo(name)
        info.create_system = 3  # Unix: the mode below is honoured
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        entries.append((info, target.encode()))
    return _write_zip(folder / "submission.zip", entries)


def zip_bomb(folder: Path, blocks: int = 64) -> Path:
    """The reference and a file of ``blocks`` x 16 MB of zeros (1 GB by default) in about
    1/1000 of that (no header lies about the size)."""
    path = folder / "submission.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    block = b"\0" * 2**24
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in _reference_files().items():
            zf.writestr(name, data)
        with zf.open("convnet/weights.bin", "w", force_zip64=True) as f:
            for _ in range(blocks):
                f.write(block)
    return path


def zip_non_utf8(folder: Path) -> Path:
    """Entries flagged UTF-8 whose names are not (``convnet/caf\\xff\\xfe-notes.txt``),
    and one from a tool that wrote Latin-1 without the flag (``r\\xe9sum\\xe9__.txt``,
    read as cp437, as zip readers must)."""
    buffer = io.BytesIO()
    entries = [*_reference_files().items(), ("convnet/caf\u00e9-notes.txt", b"x\n"), ("r\u00e9sum\u00e9.txt", b"y\n")]
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


ZIPS: dict[str, Callable[[Path], Path]] = {
    "empty": zip_empty, "notebook_only": zip_notebook_only, "not_a_zip": zip_not_a_zip, "traversal": zip_traversal,
    "symlinks": zip_symlinks, "bomb": zip_bomb, "non_utf8": zip_non_utf8,
}
