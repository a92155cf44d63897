"""An export read as untrusted input (autograder/staff/intake.py, export.py): every
path inside the export, only regular files and folders, sizes and counts bounded
before a byte is copied, copying under a deadline. Each hostile case beside its honest
twin, with real FIFOs, symlinks, sockets and zips (no grading run: see
test_grade_all_hostile.py for the same through grade-all)."""

import json
import os
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

from autograder.staff import export, intake, simulate
from autograder.staff.unpack import UnpackError, unpack


def metadata(root: Path, keys: list[str]) -> None:
    lines = []
    for i, key in enumerate(keys):
        lines.append(f"{json.dumps(key)}:")  # YAML reads JSON's strings
        lines += ["  :submitters:", f"  - :name: N{i}", f"    :email: n{i}@example.edu"]
    (root / export.METADATA).write_text("\n".join(lines) + "\n")


def honest(folder: Path) -> Path:
    (folder / "convnet").mkdir(parents=True)
    (folder / "convnet" / "conv.py").write_text("x = 1\n")
    return folder


def quick(fn, *args, seconds=10.0):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it blocks."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as err:  # handed to the test
            box["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{getattr(fn, '__name__', fn)} blocked for {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


# -- metadata keys that leave the export ------------------------------------------------

@pytest.mark.parametrize("key", ["../../outside", "../outside", "/", "/dev", "/etc", "/dev/zero", "a/../../outside",
                                 "..", ".", "sub/inner", "..\\outside", ""])
def test_a_key_outside_the_export_is_refused_and_the_rest_read(tmp_path, key):
    outside = honest(tmp_path / "outside")  # a real folder the key could reach
    root = tmp_path / "a" / "export"
    honest(root / "submission_1")
    honest(root / "sub" / "inner")
    metadata(root, ["submission_1", key])
    found = quick(export.read_export, root, tmp_path / "work")
    refused = [s for s in found.submissions if s.refused]
    assert [s.refused for s in refused] == [intake.OUTSIDE_EXPORT], found.submissions
    twin, bad = next(s for s in found.submissions if s.id == "submission_1"), refused[0]
    assert not twin.refused
    assert twin.path == root / "submission_1" and twin.submitters[0].name == "N0"
    assert bad.path == Path(os.devnull) and bad.submitters[0].email == "n1@example.edu"
    assert "not a folder of the export" in bad.refused_why
    assert outside.is_dir() and not any(s.path == outside for s in found.submissions)


def test_special_entries_named_by_the_metadata_are_refused_without_blocking(tmp_path):
    root = tmp_path / "export"
    honest(root / "submission_ok")
    os.mkfifo(root / "submission_fifo")
    os.mkfifo(root / "submission_fifozip.zip")
    os.symlink(honest(tmp_path / "elsewhere"), root / "submission_link")
    os.symlink("/dev/zero", root / "submission_dev")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "submission_sock"))
    (root / "submission_text").write_text("a file, not a zip")
    keys = ["submission_ok", "submission_fifo", "submission_fifozip", "submission_link", "submission_dev",
            "submission_sock", "submission_text"]
    metadata(root, keys)
    try:
        found = quick(export.read_export, root, tmp_path / "work")
    finally:
        sock.close()
    codes = {s.id: s.refused for s in found.submissions}
    assert codes == {"submission_ok": "", **{k: intake.NOT_A_SUBMISSION for k in keys[1:]}}
    why = {s.id: s.refused_why for s in found.submissions}
    assert "a FIFO" in why["submission_fifo"] and "a symbolic link" in why["submission_link"]
    assert "a socket" in why["submission_sock"] and "not a zip" in why["submission_text"]


def test_a_folder_of_submissions_refuses_its_links_and_fifos_and_grades_the_rest(tmp_path):
    root = tmp_path / "class"
    honest(root / "alice")
    with zipfile.ZipFile(root / "bob.zip", "w") as zf:
        zf.writestr("convnet/conv.py", "x = 1\n")
    os.mkfifo(root / "carol.zip")
    os.symlink(honest(tmp_path / "secret"), root / "dave")
    found = quick(export.read_export, root, tmp_path / "work")
    assert {s.id: s.refused for s in found.submissions} == {
        "alice": "", "bob": "", "carol": intake.NOT_A_SUBMISSION, "dave": intake.NOT_A_SUBMISSION}


# -- the metadata file itself --------------------------------------------------------------

@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_metadata_that_is_not_a_regular_file_stops_with_a_message(tmp_path, kind):
    root = tmp_path / "export"
    honest(root / "submission_1")
    if kind == "symlink":
        (tmp_path / "elsewhere.yml").write_text("submission_1: {}\n")
        os.symlink(tmp_path / "elsewhere.yml", root / export.METADATA)
    else:
        os.mkfifo(root / export.METADATA)
    with pytest.raises(export.ExportError, match="not a regular file"):
        quick(export.read_export, root, tmp_path / "work")


def test_metadata_aliases_cannot_multiply_it(tmp_path):
    """A billion values in a few lines: read in linear time, a name that is an alias of
    them is no name, and the honest entries read as usual."""
    root = tmp_path / "export"
    honest(root / "submission_1")
    honest(root / "submission_2")
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]  # 10**9 values
    lines += ["submission_1:", "  :submitters:", "  - :name: *a8", "    :email: *a8", "    :sid: '7'",
              "  :history: *a8", "submission_2:", "  :submitters:", "  - :name: Ada", "    :sid: '8'"]
    (root / export.METADATA).write_text("\n".join(lines) + "\n")
    found = quick(export.read_export, root, tmp_path / "work", seconds=30)
    people = {s.id: s.submitters[0] for s in found.submissions if s.id.startswith("submission")}
    assert people["submission_1"] == export.Submitter("", "", "7")
    assert people["submission_2"] == export.Submitter("Ada", "", "8")


def test_metadata_with_too_many_values_stops_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "MAX_METADATA_NODES", 1000)  # the mechanism; the real bound is 2 million
    root = tmp_path / "export"
    honest(root / "submission_1")
    (root / export.METADATA).write_text("submission_1: {}\nx: [" + "[], " * 1001 + "]\n")
    with pytest.raises(export.ExportError, match="more than 1000"):
        quick(export.read_export, root, tmp_path / "work")
    (root / export.METADATA).write_text("submission_1: {}\nx: [" + "[], " * 900 + "]\n")
    assert [s.id for s in export.read_export(root, tmp_path / "work").submissions] == ["submission_1"]


def test_metadata_nested_too_deeply_stops_with_a_message(tmp_path):
    root = tmp_path / "export"
    honest(root / "submission_1")
    (root / export.METADATA).write_text("submission_1: " + "[" * 1500 + "]" * 1500 + "\n")
    with pytest.raises(export.ExportError):
        quick(export.read_export, root, tmp_path / "work")


# -- what a submission folder holds ------------------------------------------------------

def _special(folder: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(folder / "convnet" / "pool.py")
    elif kind == "file symlink":
        os.symlink("/etc/passwd", folder / "convnet" / "pool.py")
    elif kind == "folder symlink":
        os.symlink("/etc", folder / "convnet" / "data")
    elif kind == "dangling symlink":
        os.symlink("/nonexistent/x", folder / "notes.txt")
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(folder / "convnet" / "s"))
        sock.close()
    elif kind == "device":
        os.mknod(folder / "zero", 0o600 | 0o020000, os.makedev(1, 5))  # /dev/zero's numbers


@pytest.mark.parametrize("kind", ["fifo", "file symlink", "folder symlink", "dangling symlink", "socket", "device"])
def test_a_folder_holding_anything_but_files_and_folders_is_refused_before_copying(tmp_path, kind):
    if kind == "device" and os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    sub = honest(tmp_path / "sub")
    (sub / "convnet" / "a.py").write_text("y = 2\n")
    _special(sub, kind)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(intake.Refused) as refused:
        quick(intake.copy_folder, sub, dest)
    assert refused.value.code == intake.SPECIAL_FILE
    assert "only regular files and folders" in str(refused.value)
    assert os.listdir(dest) == []  # nothing copied: the survey comes first


def test_the_honest_twin_is_copied_whole_with_modes_and_times(tmp_path):
    sub = honest(tmp_path / "sub")
    (sub / "convnet" / "deep" / "er").mkdir(parents=True)
    (sub / "convnet" / "deep" / "er" / "data.bin").write_bytes(os.urandom(300_000))
    (sub / "run.sh").write_text("echo hi\n")
    os.chmod(sub / "run.sh", 0o755)
    os.utime(sub / "run.sh", ns=(1_000_000_000, 1_500_000_000_000_000_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    intake.copy_folder(sub, dest)
    for path in sub.rglob("*"):
        twin = dest / path.relative_to(sub)
        assert twin.is_dir() == path.is_dir()
        if path.is_file():
            assert twin.read_bytes() == path.read_bytes()
    assert os.stat(dest / "run.sh").st_mode & 0o777 == 0o755
    assert os.stat(dest / "run.sh").st_mtime_ns == 1_500_000_000_000_000_000


def test_sizes_and_counts_are_bounded_before_copying(tmp_path):
    big = honest(tmp_path / "big")
    with open(big / "huge.bin", "wb") as f:
        f.truncate(intake.MAX_BYTES + 1)  # sparse: costs nothing to make, would cost to copy
    many = honest(tmp_path / "many")
    for i in range(60):
        (many / f"f{i}").write_text("x")
    for sub, code, limit in ((big, intake.TOO_LARGE, {}), (many, intake.TOO_MANY_FILES, {"max_entries": 50})):
        dest = tmp_path / f"dest-{sub.name}"
        dest.mkdir()
        with pytest.raises(intake.Refused) as refused:
            intake.copy_folder(sub, dest, **limit)
        assert refused.value.code == code and os.listdir(dest) == []
    (tmp_path / "dest-ok").mkdir()
    intake.copy_folder(many, tmp_path / "dest-ok", max_entries=70)  # the twin within its bound


def test_copying_stops_at_the_deadline(tmp_path):
    sub = honest(tmp_path / "sub")
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(intake.CopyTimeout):
        intake.copy_folder(sub, dest, deadline=time.monotonic() - 1)
    intake.copy_folder(sub, dest, deadline=time.monotonic() + 60)
    assert (dest / "convnet" / "conv.py").read_text() == "x = 1\n"


def test_a_fifo_swapped_in_after_the_survey_neither_blocks_nor_passes(tmp_path, monkeypatch):
    sub = honest(tmp_path / "sub")
    real_survey = intake.survey

    def survey_then_swap(*args, **kwargs):
        found = real_survey(*args, **kwargs)
        os.unlink(sub / "convnet" / "conv.py")
        os.mkfifo(sub / "convnet" / "conv.py")
        return found

    monkeypatch.setattr(intake, "survey", survey_then_swap)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(intake.Refused, match="FIFO") as refused:
        quick(intake.copy_folder, sub, dest)
    assert refused.value.code == intake.SPECIAL_FILE


# -- zips ------------------------------------------------------------------------------

def test_a_zip_that_is_a_fifo_or_a_link_is_refused_and_a_real_one_unpacks(tmp_path):
    real = tmp_path / "real.zip"
    with zipfile.ZipFile(real, "w") as zf:
        zf.writestr("convnet/conv.py", "x = 1\n")
    os.mkfifo(tmp_path / "fifo.zip")
    os.symlink(real, tmp_path / "link.zip")
    for name in ("fifo.zip", "link.zip"):
        with pytest.raises(intake.Refused) as refused:
            quick(intake.check_top, tmp_path / name)
        assert refused.value.code == intake.NOT_A_SUBMISSION
    with pytest.raises(intake.Refused):
        quick(unpack, tmp_path / "fifo.zip", tmp_path / "out")  # even called directly: no blocking open
    (tmp_path / "out").mkdir()
    assert unpack(real, tmp_path / "out") == [] and (tmp_path / "out" / "convnet" / "conv.py").is_file()


def test_unpacking_stops_at_the_deadline_and_leaves_nothing(tmp_path):
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("convnet/conv.py", "x = 1\n" * 50_000)
    (tmp_path / "out").mkdir()
    with pytest.raises(intake.CopyTimeout):
        unpack(path, tmp_path / "out", deadline=time.monotonic() - 1)
    assert os.listdir(tmp_path / "out") == []
    assert unpack(path, tmp_path / "out", deadline=time.monotonic() + 60) == []


def test_a_zip_larger_than_it_may_unpack_to_is_refused_unread(tmp_path):
    path = tmp_path / "big.zip"
    with open(path, "wb") as f:
        f.truncate(5 * 2**20)  # sparse: reading it would take the time
    with pytest.raises(UnpackError, match="big.zip is 5 MB; at most 1 MB"):
        unpack(path, tmp_path / "out", max_bytes=2**20)


def test_a_students_links_reach_the_grader_as_links_and_an_exports_are_refused(tmp_path):
    """make grade copies a link in an upload as the same link, never followed (the
    grader tells the student, as on Gradescope: see the corpus's symlinks-in-folder);
    a batch refuses an export's entry holding one before grading it."""
    sub = honest(tmp_path / "sub")
    os.symlink("/etc/passwd", sub / "convnet" / "pool.py")
    dest = tmp_path / "dest"
    dest.mkdir()
    intake.copy_folder(sub, dest, links=True)
    assert os.readlink(dest / "convnet" / "pool.py") == "/etc/passwd"
    assert (dest / "convnet" / "conv.py").read_text() == "x = 1\n"
    with pytest.raises(intake.Refused) as refused:
        intake.check_submission(sub)
    assert refused.value.code == intake.SPECIAL_FILE
    os.unlink(sub / "convnet" / "pool.py")
    intake.check_submission(sub)  # the honest twin


def test_the_tree_is_removed_when_a_submission_is_refused(tmp_path):
    sub = honest(tmp_path / "sub")
    os.mkfifo(sub / "pipe")
    home = tmp_path / "home"
    image = tmp_path / "image"
    image.mkdir()
    with pytest.raises(intake.Refused):
        quick(simulate.build_tree, Path("unused.zip"), sub, home, image)
    assert os.listdir(home / "runs") == []
