"""tests/fabricate.py: every submission the e2e tests grade is written as its catalogue
says (each edit applies exactly once to today's reference), without grading anything,
so that a change of the reference breaking a bug's edit fails here, in seconds."""

import os
import zipfile

import pytest

from tests import buggy, mistaken, realistic_bugs
from tests.fabricate import GRADED, KINDS, LAYOUTS, Variant, append, replace, write_export
from tests.submissions.cases import load_cases

CATALOGUE = ([(f"bug:{b.name}", b.variant) for b in buggy.BUGS]
             + [(f"mistake:{m.mistake}", m.variant) for m in mistaken.SUBMISSIONS]
             + [(f"realistic:{b.name}", b.variant) for b in realistic_bugs.BUGS]
             + [(f"kind:{k}", v) for k, v in KINDS.items()])


@pytest.mark.parametrize("variant", [v for _, v in CATALOGUE], ids=[n for n, _ in CATALOGUE])
def test_every_catalogued_submission_is_written(tmp_path, variant):
    written = variant.write(tmp_path / "upload")
    assert written == tmp_path / "upload"
    where = written / LAYOUTS.get(variant.layout, variant.layout)
    if variant.base != "none":
        assert {"shapes.py", "params.py", "conv.py", "pool.py"} <= set(os.listdir(where))


def test_every_hostile_case_is_written(tmp_path):
    """(The 1 GB bomb aside: writing it takes seconds; test_unpack writes a small one.)"""
    for case in (c for c in load_cases() if c.variant.zip != "bomb"):
        for c in [case] + ([case.honest_twin()] if case.twin is not None else []):
            upload = c.build(tmp_path / c.id, 4242)
            assert upload.exists(), c.id


def test_an_edit_must_apply_exactly_once(tmp_path):
    with pytest.raises(ValueError, match="occurs 0 times in conv.py"):
        Variant(edits=(replace("conv.py", "no such text", "x"),)).write(tmp_path / "a")
    with pytest.raises(ValueError, match=r"occurs \d+ times in conv.py, not once"):
        Variant(edits=(replace("conv.py", "    ", "x"),)).write(tmp_path / "b")


def test_modules_layouts_placeholders_and_zips(tmp_path):
    graded = Variant(modules=GRADED, layout="two-down", edits=(append("conv.py", "# {marker} {port}\n"),))
    folder = graded.write(tmp_path / "g", {"marker": "m-1", "port": "99"})
    package = folder / "a" / "b" / "convnet"
    assert sorted(os.listdir(package)) == sorted(f"{m}.py" for m in GRADED)  # no fast.py
    assert (package / "conv.py").read_text().endswith("# m-1 99\n")
    naive = Variant(base="naive", complete=True).write(tmp_path / "n")
    assert {"__init__.py", "fast.py"} <= set(os.listdir(naive / "convnet"))
    zipped = Variant(layout="flat", zipped=True).write(tmp_path / "z")
    assert zipped == tmp_path / "z.zip" and "conv.py" in zipfile.ZipFile(zipped).namelist()


def test_an_export_lists_its_submissions(tmp_path):
    expected = write_export(tmp_path, ["correct", "empty"], recorded={1: 50.0}, unlisted=["stubs"], missing=1)
    assert sorted(expected) == ["submission_100", "submission_101", "submission_800"]
    metadata = (tmp_path / "submission_metadata.yml").read_text()
    assert "submission_900:" in metadata and "submission_800" not in metadata
    assert (tmp_path / "submission_101" / "notes.txt").exists()
