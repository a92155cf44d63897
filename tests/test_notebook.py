"""The student notebook: built by otter assign at `make student`, free of solutions, and
runnable headless from top to bottom with the reference (every check passes) and with
the stubs (every check says "not implemented", nothing crashes)."""

import ast
import json
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder.build import notebook
from autograder.build.stubs import BEGIN, END
from autograder.runtime import config
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e  # runs the notebook

ASSIGNMENT = config.load(ROOT / "assignment" / "assignment.yaml")
MASTER = ROOT / "assignment" / "notebook" / "convnet.ipynb"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A student release built by the command `make student` runs, into a temp dir."""
    out = tmp_path_factory.mktemp("release") / "student"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder.build.student_release",
            "--assignment",
            str(ASSIGNMENT.path),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def cells(path):
    """The notebook's cells, each source as one string (Jupyter may store a list of lines)."""
    found = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in found:
        cell["source"] = "".join(cell["source"])
    return found


def solution_lines():
    """Every substantial line of the reference's solution regions, and of the master
    notebook's solution lines."""
    lines = set()
    for path in sorted((ROOT / "solutions" / "convnet").glob("*.py")):
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
            elif inside and len(line.strip()) > 30 and not line.strip().startswith(("#", '"')):
                lines.add(line.strip())
    for cell in cells(MASTER):
        for line in cell["source"].splitlines():
            if line.rstrip().endswith("# SOLUTION"):
                lines.add(line.split("# SOLUTION")[0].strip())
    return lines


def test_master_notebook_is_found_and_has_a_solution_to_strip():
    assert notebook.find_master(ROOT / "assignment") == MASTER
    assert any("# SOLUTION" in c["source"] for c in cells(MASTER))


def test_student_notebook_has_no_solution_code(release):
    student_nb = release / "convnet.ipynb"
    text = "\n".join(c["source"] for c in cells(student_nb))
    for marker in (
        "BEGIN SOLUTION",
        "END SOLUTION",
        "# SOLUTION",
        "BEGIN TESTS",
        "BEGIN QUESTION",
        "ASSIGNMENT CONFIG",
    ):
        assert marker not in text
    assert "horizontal_edge = ..." in text  # the notebook exercise, stripped by otter
    secrets = solution_lines()
    assert len(secrets) > 20
    for path in [student_nb, *sorted((release / "checks").glob("*.py"))]:
        content = path.read_text(encoding="utf-8")
        leaked = [line for line in secrets if line in content]
        assert not leaked, f"{path.name} contains solution lines: {leaked[:3]}"


def test_student_notebook_is_clean_and_points_otter_at_checks(release):
    for cell in cells(release / "convnet.ipynb"):
        assert set(cell["metadata"]) <= {"tags", "deletable", "editable"}
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    assert not (release / "tests" / "params.py").exists()  # otter's files stay out of pytest's folder


def test_checks_call_every_public_test_and_nothing_hidden(release):
    public = {g.id for g in ASSIGNMENT.groups if g.public}
    hidden = {g.id for g in ASSIGNMENT.groups if not g.public}
    called = []
    for path in sorted((release / "checks").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "OK_FORMAT = False" in source and "hidden=True" not in source
        tree = ast.parse(source)
        called += [
            node.args[1].value
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "run_public_test"
        ]
    assert sorted(called) == sorted(public)  # each public test exactly once
    assert not hidden & set(called)
    text = (release / "convnet.ipynb").read_text(encoding="utf-8")
    assert not [h for h in hidden if h in text]


def execute(release, tmp_path, package):
    """Run the notebook headless in a copy of the release with ``package`` as convnet/;
    return (code cells of the executed notebook, the copy's path)."""
    work = tmp_path / "release"
    shutil.copytree(release, work)
    if package is not None:
        shutil.rmtree(work / "convnet")
        shutil.copytree(package, work / "convnet")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--output",
            "executed.ipynb",
            "--ExecutePreprocessor.timeout=300",
            "convnet.ipynb",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    executed = [c for c in cells(work / "executed.ipynb") if c["cell_type"] == "code"]
    return executed, work


def text_of(cell):
    parts = []
    for output in cell["outputs"]:
        if output["output_type"] == "stream":
            parts.append("".join(output["text"]))
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append("".join(output["data"].get("text/plain", "")))
        elif output["output_type"] == "error":
            parts.append(f"ERROR {output['ename']}: {output['evalue']}")
    return "\n".join(parts)


def check_cells(executed, work):
    """The ``grader.check("...")`` cells: one per check file."""
    found = [c for c in executed if re.fullmatch(r'grader\.check\("\w+"\)', c["source"].strip())]
    assert len(found) == len(list((work / "checks").glob("*.py"))) > 0
    return found


def test_notebook_runs_with_the_reference_and_every_check_passes(release, tmp_path):
    executed, work = execute(release, tmp_path, ROOT / "solutions" / "convnet")
    assert not [c["source"][:60] for c in executed if any(o["output_type"] == "error" for o in c["outputs"])]
    for cell in check_cells(executed, work):
        assert "All test cases passed!" in text_of(cell), text_of(cell)
    everything = "\n".join(text_of(c) for c in executed)
    assert "Skipped" not in everything and "not implemented" not in everything
    assert "102,764,544 of the 138,357,544 parameters: 74.3%" in everything
    figures = sum("image/png" in o.get("data", {}) for c in executed for o in c["outputs"])
    assert figures >= 14
    with zipfile.ZipFile(work / "submission.zip") as zf:
        assert sorted(zf.namelist()) == ["convnet.ipynb"] + sorted(
            f"convnet/{m}.py" for m in ("__init__", *ASSIGNMENT.modules)
        )


def test_notebook_runs_to_the_end_with_the_stubs(release, tmp_path):
    executed, work = execute(release, tmp_path, None)
    assert not [c["source"][:60] for c in executed if any(o["output_type"] == "error" for o in c["outputs"])]
    for cell in check_cells(executed, work):
        out = text_of(cell)
        assert "not implemented yet" in out and "passed!" not in out, out
    everything = "\n".join(text_of(c) for c in executed)
    assert "Skipped: conv_forward is not implemented yet" in everything
    assert "still not implemented" in everything  # the export warns
    assert (work / "submission.zip").is_file()


BUGS = {  # appended to the reference's modules: the names students see, with buggy bodies
    "conv.py": "\n\n_zero_pad = zero_pad\n\n\ndef zero_pad(x, pad):\n    return _zero_pad(x, pad).reshape(len(x), -1)\n"
               "\n\ndef conv_forward(x, w, b, conv_param):\n    return [][1]\n",
    "pool.py": "\n\n_max_pool_forward = max_pool_forward\n\n\ndef max_pool_forward(x, pool_param):\n"
               "    out, cache = _max_pool_forward(x, pool_param)\n    return out.astype(np.int64), cache\n",
}


def test_notebook_runs_to_the_end_with_buggy_code_and_names_the_function(release, tmp_path):
    """Wrong shapes, wrong dtypes and exceptions: every cell runs, and the ones that
    cannot show a result say which function of the student's to look at."""
    package = tmp_path / "buggy" / "convnet"
    shutil.copytree(ROOT / "solutions" / "convnet", package)
    for name, tail in BUGS.items():
        (package / name).write_text((package / name).read_text() + tail)
    executed, work = execute(release, tmp_path, package)
    assert not [c["source"][:60] for c in executed if any(o["output_type"] == "error" for o in c["outputs"])]
    everything = "\n".join(text_of(c) for c in executed)
    assert "Skipped: this cell could not go on with what zero_pad returned" in everything, everything[-3000:]
    assert "Skipped: your code raised IndexError: list index out of range (convnet/conv.py, line" in everything
    assert (work / "submission.zip").is_file()
