"""autograder/grade/locate.py on its own: where the student's modules are found in an
upload, what is said about the ones that are not, and what is copied (no grading run)."""

import os

import pytest

from autograder.grade import locate

MODULES = ("shapes", "conv", "pool")


def files(root, *names, text="x = 1\n"):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize("where", ["convnet", ".", "hw", "hw/convnet"])
def test_the_modules_are_found_at_the_top_or_one_folder_down(tmp_path, where):
    files(tmp_path, *(f"{where}/{m}.py" for m in MODULES))
    found = locate.locate(tmp_path, "convnet", MODULES)
    assert found.folder == (tmp_path if where == "." else tmp_path / where)
    assert sorted(found.found) == sorted(MODULES) and found.missing == {} and found.problems() == []


def test_two_folders_down_is_not_searched_and_the_student_is_told_what_was_seen(tmp_path):
    files(tmp_path, *(f"a/b/convnet/{m}.py" for m in MODULES), "notebook.ipynb")
    found = locate.locate(tmp_path, "convnet", MODULES, optional=("pool",))
    assert found.folder is None and found.found == {}
    [message, notebook] = found.problems()  # the same message for every module: said once
    assert message.startswith("None of the expected files (shapes.py, conv.py) were found: upload them in a folder "
                              "named convnet/ or on their own, at the top of the submission or one folder down.")
    assert message.endswith("Your submission contains: notebook.ipynb, a/b/convnet/conv.py, a/b/convnet/pool.py, "
                            "a/b/convnet/shapes.py.")
    assert notebook == "notebooks (.ipynb) are not graded: upload the .py files of your convnet/ folder"


def test_an_empty_upload(tmp_path):
    found = locate.locate(tmp_path, "convnet", MODULES)
    assert found.problems()[0].endswith("Your submission is empty.")
    assert found.summary("convnet") == found.problems()[0]


def test_the_folder_with_most_modules_wins_then_the_shallowest_then_the_package(tmp_path):
    files(tmp_path, "old/shapes.py", "new/shapes.py", "new/conv.py")
    assert locate.locate(tmp_path, "convnet", MODULES).folder == tmp_path / "new"
    files(tmp_path, "shapes.py", "conv.py")
    assert locate.locate(tmp_path, "convnet", MODULES).folder == tmp_path  # as many, but shallower
    files(tmp_path, "convnet/shapes.py", "convnet/conv.py")
    assert locate.locate(tmp_path, "convnet", MODULES).folder == tmp_path  # the top still shallower
    other = tmp_path / "other"
    files(other, "zzz/shapes.py", "convnet/shapes.py")
    assert locate.locate(other, "convnet", MODULES).folder == other / "convnet"  # same depth: the package's name


def test_a_missing_module_says_where_it_was_looked_for_and_near_misses_are_named(tmp_path):
    files(tmp_path, "convnet/shapes.py", "convnet/Conv.py", "convnet/pool (1).py", "convnet/pool-copy.py")
    found = locate.locate(tmp_path, "convnet", MODULES)
    assert found.missing["conv"] == "conv.py is missing: it was looked for in convnet/, next to shapes.py."
    assert sorted(found.notes) == ["found Conv.py: rename it to conv.py", "found pool (1).py: rename it to pool.py",
                                   "found pool-copy.py: rename it to pool.py"]
    assert found.problems()[:2] == [found.missing["conv"], found.missing["pool"]]
    assert found.summary("convnet").startswith("conv.py is missing")


def test_symbolic_links_and_large_files_are_not_used(tmp_path):
    files(tmp_path, "shapes.py", "elsewhere.py")
    (tmp_path / "conv.py").symlink_to(tmp_path / "elsewhere.py")
    with open(tmp_path / "pool.py", "wb") as f:
        f.truncate(locate.MAX_FILE_BYTES + 1)
    found = locate.locate(tmp_path, "convnet", MODULES)
    assert found.missing["conv"] == "conv.py is a symbolic link, which is not accepted: upload the file itself."
    assert found.missing["pool"].startswith("pool.py is larger than 2 MB, so it was not graded")
    assert "next to shapes.py" not in found.missing["conv"]


def test_skipped_folders_are_never_chosen(tmp_path):
    files(tmp_path, *(f"__MACOSX/{m}.py" for m in MODULES), *(f".ipynb_checkpoints/{m}.py" for m in MODULES), "conv.py")
    assert locate.locate(tmp_path, "convnet", MODULES).folder == tmp_path


def test_an_optional_module_left_out_is_no_problem_but_a_broken_one_is(tmp_path):
    files(tmp_path, "shapes.py", "conv.py")
    found = locate.locate(tmp_path, "convnet", ("shapes", "conv", "fast"), optional=("fast",))
    assert found.left_out == ("fast",) and found.problems() == []
    assert found.missing["fast"].startswith("fast.py was not submitted: it is optional")


def test_copy_package_copies_regular_python_files_only_with_an_empty_init(tmp_path):
    upload = files(tmp_path / "upload", "shapes.py", "conv.py", "helpers.py", "notes.txt")
    (upload / "__init__.py").write_text("raise ImportError('broken')\n")
    (upload / "linked.py").symlink_to(upload / "shapes.py")
    with open(upload / "huge.py", "wb") as f:
        f.truncate(locate.MAX_FILE_BYTES + 1)
    target = locate.copy_package(locate.locate(upload, "convnet", MODULES), "convnet", tmp_path / "dest")
    assert target == tmp_path / "dest" / "convnet"
    assert sorted(os.listdir(target)) == ["__init__.py", "conv.py", "helpers.py", "shapes.py"]
    assert (target / "__init__.py").read_text() == ""
    assert {oct(os.stat(p).st_mode & 0o777) for p in target.iterdir()} == {"0o644"}
    assert oct(os.stat(target).st_mode & 0o777) == "0o755"


def test_nothing_found_copies_an_empty_package(tmp_path):
    target = locate.copy_package(locate.locate(tmp_path, "convnet", MODULES), "convnet", tmp_path / "dest")
    assert os.listdir(target) == ["__init__.py"]


def test_a_zip_inside_the_submission_is_named(tmp_path):
    (tmp_path / "submission.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    found = locate.locate(tmp_path, "convnet", MODULES)
    assert found.folder is None
    assert any(p.startswith("submission.zip is a zip inside your submission, and a zip inside is not opened")
               for p in found.problems())
