"""Control characters from the submission never reach results.json, the report, the
logs or a terminal (autograder.runtime.text.printable and where it is applied)."""

import contextlib
import io
import json
import re
import shutil
import zipfile
from types import SimpleNamespace

import pytest

from autograder.grade import locate
from autograder.grade.results import write_results
from autograder.runtime.config import SandboxLimits
from autograder.runtime.text import printable
from autograder.sandbox import messages, proxy
from autograder.staff import batch, simulate, unpack
from tests.conftest import ROOT, Graded

# Written out independently of the implementation: C0 but tab and newline, DEL, C1,
# bidirectional embeddings/overrides and isolates.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strings(value):
    """Every string (keys too) in plain JSON data."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def clean(text):
    return not FORBIDDEN.search(text)


# -- the function ---------------------------------------------------------------------

@pytest.mark.parametrize("dirty, shown", [
    ("\x1b[1A\x1b[2Kscore 1/1", "[1A[2Kscore 1/1"),  # CSI cursor up, erase line
    ("0/1\rfake 1/1", "0/1fake 1/1"),  # carriage return
    ("\x1b]0;new title\x07text", "]0;new titletext"),  # OSC 0 window title, BEL
    ("\x1b]52;c;cm0gLXJmIH4=\x1b\\text", "]52;c;cm0gLXJmIH4=\\text"),  # OSC 52 clipboard, ST
    ("a\x00b\x08c\x0bd\x0ce\x1cf\x1fg", "abcdefg"),  # other C0 controls
    ("del\x7fete", "delete"),  # DEL
    ("\x9b2Kc1 \x9d0;t\x9c \x85nel \x80\x9f", "2Kc1 0;t nel "),  # C1: CSI, OSC, ST, NEL, ends
    ("\u202ecba\u202c \u202aL\u202bR\u202d", "cba LR"),  # bidi embeddings and overrides
    ("\u2066iso\u2069 \u2067r\u2068f", "iso rf"),  # bidi isolates
])
def test_printable_removes_each_kind_of_control(dirty, shown):
    assert printable(dirty) == shown


def test_printable_keeps_newline_tab_and_every_other_character():
    text = "line 1\n\tline 2 caf\u00e9 \u4e2d\u6587 \u03c0\u22481 \U0001f600 \u00a0nbsp \u200bzw \u2028 \u200f mark"
    assert printable(text) == text
    assert printable("") == ""
    assert printable("lone \udce9 surrogate") == "lone \udce9 surrogate"  # a non-UTF-8 file name


# -- where it is applied --------------------------------------------------------------

DIRTY = "\x1b[2K\rvisible\x1b]52;c;eA==\x07\x9b1A\u202eend"


def test_results_json_holds_no_control_character(tmp_path):
    results = {"score": 1.0, "output": DIRTY, "tests": [{"name": DIRTY, "output": DIRTY, "score": 0}],
               "extra_data": {DIRTY: [DIRTY, 1, None, (DIRTY,)]}}
    write_results(tmp_path / "results.json", results)
    text = (tmp_path / "results.json").read_text(encoding="utf-8")
    assert clean(text) and "\\u001b" not in text.lower()
    assert all(clean(s) for s in strings(json.loads(text)))
    assert json.loads(text)["output"] == printable(DIRTY)
    assert results["output"] == DIRTY  # the caller's dict is left alone


def test_proxy_messages_from_the_students_process():
    reply = {"type": "Bad\x1b[31mError", "message": DIRTY, "traceback": f'  File "conv.py", line 3\n    {DIRTY}'}
    limits = SandboxLimits()
    for said in (messages.raised("conv_forward", reply, limits), messages.import_failed("conv\x1b[2K", reply)):
        message = said.text
        assert clean(message) and "visible" in message and "Bad[31mError" in message
    box = proxy.Sandbox.__new__(proxy.Sandbox)  # only its output buffer
    box._output, box.spec = [], SimpleNamespace(limits=SandboxLimits(output_chars=2000))
    box._collect_output({"stdout": DIRTY})
    assert box.take_output() == printable(DIRTY)


def test_file_names_reported_by_locate_and_unpack(tmp_path):
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "notes\x1b]0;t\x07\u202e.txt").write_text("x")
    (odd / "Conv\x1c(1).py").write_text("x")  # \x1c is whitespace to the near-miss rule
    located = locate.locate(odd, "convnet", ("conv",))
    assert located.folder is None and all(clean(p) for p in located.problems())
    assert "notes]0;t.txt" in located.problems()[0] and "found Conv(1).py" in " ".join(located.problems())

    archive = tmp_path / "sub\x1b[2K.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../\x1b[1Aup\x9b2K.py", "x")
        zf.writestr("ok\x1b]0;t\x07.py", "x")
    notes = unpack.unpack(archive, tmp_path / "out")
    assert notes and all(clean(n) for n in notes)
    archive.write_bytes(b"not a zip")
    with pytest.raises(unpack.UnpackError) as err:
        unpack.unpack(archive, tmp_path / "out")
    assert clean(str(err.value)) and "sub[2K.zip" in str(err.value)


def test_terminal_output_of_simulate_and_batch():
    results = {"score": 0, "output": DIRTY,
               "tests": [{"number": "1", "name": DIRTY, "score": 0, "max_score": 1, "status": "failed",
                          "output": DIRTY}]}
    shown = simulate.student_view(results, instructor=True)
    assert clean(shown) and "visible" in shown
    stream = io.StringIO()
    batch.Progress(1, stream=stream, tty=False)(batch.Outcome("7", "error", 1.0, DIRTY))
    assert clean(stream.getvalue()) and "visible" in stream.getvalue()


# -- end to end: a submission that tries it all ---------------------------------------

# Raw control characters in a comment of the raising line: the traceback shows it.
RAW = "\x1b[1A\x1b[2K\u202e\x9b2K"
STUDENT_CODE = r'''

_real_same_padding = same_padding


def same_padding(f):
    print("\x1b[1A\x1b[2K\r    3 same_padding and receptive_field      1/1")
    print("\x1b]0;window title\x07\x1b]52;c;ZWNobyBvd25lZA==\x07clipboard written")
    print("\x9b2Kcsi\x9b1A \u202eright to left\u202c \u2066isolate\u2069 bell\x07 del\x7f end of prints")
    return _real_same_padding(f) + (1 if f == 3 else 0)  # wrong on one case: its output is shown


def receptive_field(pool, kernel):
    error = type("Sneaky\x1b[32mError", (ValueError,), {})
    raise error("\x1b[2K\rbad kernel size\x1b]0;title\x07\x9b1A\u202e, try again")  # RAW
'''.replace("RAW", RAW)
ODD_FOLDER = "work\x1b]0;t\x07\x1b[2K\u202e\x9bdir"


@pytest.fixture(scope="module")
def injected(autograder_zip, tmp_path_factory):
    """The reference in a folder whose name holds control characters, printing and
    raising them; pool.py is missing, so the folder's name is reported. Graded through
    ``python -m autograder.staff.simulate`` (what ``make grade`` runs): (results, printed)."""
    folder = tmp_path_factory.mktemp("injection")
    package = folder / "submission" / ODD_FOLDER / "convnet"
    shutil.copytree(ROOT / "solutions" / "convnet", package)
    (package / "pool.py").rename(package / "pool\x1b[1A\x9b2K.py.bak")
    (package / "shapes.py").write_text((package / "shapes.py").read_text() + STUDENT_CODE)
    out = folder / "results.json"
    capture = io.StringIO()
    with contextlib.redirect_stdout(capture), contextlib.redirect_stderr(capture):
        code = simulate.main(["--autograder", str(autograder_zip), "--submission", str(folder / "submission"),
                              "--results", str(out), "--instructor", "--log"])
    assert code == 0, capture.getvalue()[-3000:]
    return out, capture.getvalue()


@pytest.mark.e2e
def test_injection_reaches_neither_results_nor_terminal(injected):
    out, printed = injected
    text = out.read_text(encoding="utf-8")
    results = json.loads(text)
    Graded(results, "", [])  # valid against the schema
    assert clean(text) and all(clean(s) for s in strings(results)), [s for s in strings(results) if not clean(s)]
    assert clean(printed), [line for line in printed.splitlines() if not clean(line)]


@pytest.mark.e2e
def test_injection_keeps_the_visible_text(injected):
    out, printed = injected
    results = json.loads(out.read_text(encoding="utf-8"))
    everything = "\n".join(strings(results))
    for visible in ("same_padding and receptive_field      1/1", "window title", "clipboard written",
                    "right to left", "isolate", "end of prints", "Sneaky[32mError", "bad kernel size", "# [1A[2K2K",
                    ", try again", "work]0;t[2Kdir/convnet/", "pool.py is missing"):
        assert visible in everything, visible
        assert visible in printed, visible
    tests = {t["name"]: t for t in results["tests"]}
    fake = tests["same_padding and receptive_field"]
    assert fake["score"] < fake["max_score"]  # the fake "1/1" did not become one
