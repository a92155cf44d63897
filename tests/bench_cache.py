"""The bonus's timing does not depend on what a correct fast.py keeps in its cache: the
reference's fast kernels plus eight copies of the im2col columns, kept in the cache
from the forward pass, against the same code rebuilding them in the backward pass
(the same work), each graded through the real path (the autograder zip, the sandbox).

    .venv/bin/python -m tests.bench_cache

Prints each one's leaderboard value (the measured speedup) and bonus points. A figure,
not a test (timings are never asserted). Measured on this 2-core machine: 39x kept
against 39x rebuilt (10x against 40x while forget() could not release a cache handle
returned inside a tuple: the caches piled up in the student's process).
"""
import tempfile
from pathlib import Path

from autograder.build.autograder_zip import build_autograder
from autograder.staff import simulate
from tests.conftest import ASSIGNMENT
from tests.fabricate import Variant

KEEP = '''
import numpy as _np
_plain_forward, _plain_backward = conv_forward_fast, conv_backward_fast


def _columns(x, w, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    xp = _np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = _np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::s, ::s]
    return _np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3)).reshape(w.shape[1] * w.shape[2] * w.shape[3], -1)


def conv_forward_fast(x, w, b, conv_param):
    out, cache = _plain_forward(x, w, b, conv_param)
    return out, cache + ({KEEP_COLS},)


def conv_backward_fast(dout, cache):
    x, w, b, conv_param = cache[:4]
    cols = cache[4] if cache[4] is not None else _columns(x, w, conv_param)
    _np.dot(cols, cols[:1].T)  # uses the columns (the same work either way)
    return _plain_backward(dout, (x, w, b, conv_param))
'''


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    zip_path = build_autograder(ASSIGNMENT, tmp / "autograder.zip")
    for name, keep in (("keeps columns", "_np.tile(_columns(x, w, conv_param), (8, 1))"), ("rebuilds", "None")):
        code = KEEP.replace("{KEEP_COLS}", keep)
        if keep == "None":
            code = code.replace("cols = cache[4] if cache[4] is not None else _columns(x, w, conv_param)",
                                "cols = _np.tile(_columns(x, w, conv_param), (8, 1))")
        variant = Variant(base="reference", edits=({"file": "fast.py", "append": code},))
        folder = tmp / name.replace(" ", "-")
        folder.mkdir()
        sub = variant.write(folder / "submission", {})
        results, log, _ = simulate.grade(zip_path, sub, folder / "results.json")
        print(f"{name:>14}: leaderboard {[e['value'] for e in results.get('leaderboard', [])]}, bonus tests",
              [t["score"] for t in results["tests"] if "onus" in t["name"]])


if __name__ == "__main__":
    main()
