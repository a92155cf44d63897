"""autograder/staff/unpack.py on its own: what a careful server keeps of an uploaded
zip, and what it tells the student about the rest (no grading run)."""

import os
import stat
import zipfile

import pytest

from autograder.staff.unpack import UnpackError, unpack
from tests import fabricate


def write_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return path


def listing(folder):
    """Every path under ``folder``, relative, symlinks included (not followed)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        out += [os.path.relpath(os.path.join(dirpath, n), folder) for n in dirnames + filenames]
    return sorted(out)


def test_an_ordinary_zip_unpacks_whole(tmp_path):
    zip_path = write_zip(tmp_path / "s.zip", [("convnet/conv.py", b"x = 1\n"), ("convnet/", b""), ("notes.txt", b"hi")])
    assert unpack(zip_path, tmp_path / "out") == []
    assert (tmp_path / "out" / "convnet" / "conv.py").read_bytes() == b"x = 1\n"
    assert (tmp_path / "out" / "notes.txt").read_text() == "hi"


def test_paths_leaving_the_folder_are_skipped_and_named(tmp_path):
    box = tmp_path / "box"
    target = box / "out"
    target.mkdir(parents=True)
    notes = unpack(fabricate.zip_traversal(tmp_path), target)
    for name in fabricate.TRAVERSAL:
        assert f"skipped {name!r}: the path leaves the submission folder" in notes
    assert listing(box) == ["out", "out/convnet", "out/convnet/__init__.py", "out/convnet/conv.py",
                            "out/convnet/params.py", "out/convnet/shapes.py"]


def test_symbolic_links_are_skipped_never_created(tmp_path):
    notes = unpack(fabricate.zip_symlinks(tmp_path), tmp_path / "out")
    assert sorted(notes) == sorted(f"skipped {name!r}: symbolic links are not accepted" for name in fabricate.SYMLINKS)
    for path in listing(tmp_path / "out"):
        assert not stat.S_ISLNK(os.lstat(tmp_path / "out" / path).st_mode), path
    assert not (tmp_path / "out" / "convnet" / "pool.py").exists()


def test_names_that_are_not_utf8(tmp_path):
    """A name flagged UTF-8 that is not is skipped (the rest of the zip is kept); a name
    without the flag is cp437, as the zip format says."""
    notes = unpack(fabricate.zip_non_utf8(tmp_path), tmp_path / "out")
    assert len(notes) == 1 and "its name is not valid UTF-8" in notes[0] and "caf" in notes[0]
    assert (tmp_path / "out" / "convnet" / "conv.py").exists()
    assert b"r\xe9sum\xe9__.txt".decode("cp437") in os.listdir(tmp_path / "out")


def test_a_bomb_is_refused_by_the_bytes_really_written_and_leaves_the_folder_as_it_was(tmp_path):
    zip_path = fabricate.zip_bomb(tmp_path / "made", blocks=2)  # 32 MB of zeros
    target = tmp_path / "out"
    target.mkdir()
    (target / "kept.txt").write_text("there before")
    with pytest.raises(UnpackError, match=r"submission.zip unpacks to more than 8 MB; upload only your source files"):
        unpack(zip_path, target, max_bytes=8 * 2**20)
    assert listing(target) == ["kept.txt"]


def test_too_many_entries_or_not_a_zip_is_refused_whole(tmp_path):
    zip_path = write_zip(tmp_path / "many.zip", [(f"f{i}.py", b"") for i in range(12)])
    with pytest.raises(UnpackError, match="many.zip holds 12 entries; at most 10 are accepted"):
        unpack(zip_path, tmp_path / "out", max_entries=10)
    assert not (tmp_path / "out").exists()
    with pytest.raises(UnpackError, match="submission.zip is not a readable zip file"):
        unpack(fabricate.zip_not_a_zip(tmp_path), tmp_path / "out")


def test_names_the_filesystem_cannot_hold_and_duplicates_are_skipped(tmp_path):
    long_name = "a" * 256 + ".py"
    zip_path = tmp_path / "odd.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr(long_name, b"x")
        zf.writestr("conv.py", b"first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("conv.py", b"second")
    notes = unpack(zip_path, tmp_path / "out")
    assert f"skipped {long_name!r}: the path leaves the submission folder" in notes
    assert "skipped 'conv.py': the zip holds that file twice; the first copy is kept" in notes
    assert (tmp_path / "out" / "conv.py").read_bytes() == b"first"  # the second never costs the first
    assert not [n for n in notes if str(tmp_path) in n]  # no path of this machine's in what the student reads


def test_notes_carry_no_control_character(tmp_path):
    zip_path = write_zip(tmp_path / "s.zip", [("../\x1b[2Jevil.py", b"x")])
    [note] = unpack(zip_path, tmp_path / "out")
    assert "\x1b" not in note and "evil.py" in note
