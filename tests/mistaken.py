"""One submission per mistake of the assignment's catalogue (assignment/diagnoses/):
the reference with that mistake written in, as a student would.

    python -m tests.mistaken    # grade them all; print the catalogue and the tests each fails

``unexplained`` lists the test groups a submission loses where its hint cannot
appear, each with the reason: the failing cases raised instead of returning a value
(nothing to compare), or the test checks a contract (inputs left unchanged) rather than
values. (On the autograder a gradient check differentiates the reference's forward
pass, so a forward mistake never costs a correct backward pass.)
"""

import concurrent.futures
import dataclasses
import sys
import tempfile
from pathlib import Path

from tests.fabricate import GRADED, ROOT, Variant, replace

RAISES = "the student's code raises on the failing cases"
CONTRACT = "a contract test: the inputs were changed in place, which no output shows"


@dataclasses.dataclass(frozen=True)
class Mistaken:
    mistake: str  # the catalogue id
    variant: Variant  # the reference with the mistake written in (``variant.write(folder)``)
    unexplained: dict = dataclasses.field(default_factory=dict)  # test id -> reason


def mistaken(mistake, *edits, **unexplained):
    """``edits``: (file, old text, new text), each old text occurring once. Without
    fast.py (the bonus), whose timing would cost every grading a second for nothing here."""
    return Mistaken(mistake, Variant(modules=GRADED, edits=tuple(replace(*e) for e in edits)), unexplained)


SUBMISSIONS = [
    # Its dx happens to be right on the public gradient check's case; its forward pass is not.
    mistaken("zero-pad-one-side", ("conv.py", "out[:, :, pad:pad + h, pad:pad + w] = x", "out[:, :, :h, :w] = x")),
    mistaken("padding-ignored",
             ("conv.py", "    stride, pad, out_h, out_w = _geometry(x, w, b, conv_param)\n    num_filters",
              '    stride, pad, out_h, out_w = _geometry(x, w, b, {**conv_param, "pad": 0})\n    num_filters'),
             test_conv_forward_contract=RAISES + " (the contract test compares no values)"),
    mistaken("bias-offset", ("conv.py", "axes=([1, 2, 3], [1, 2, 3])) + b", "axes=([1, 2, 3], [1, 2, 3]))")),
    mistaken("filter-flipped", ("conv.py", "np.tensordot(window, w, axes", "np.tensordot(window, w[:, :, ::-1, ::-1], axes")),
    mistaken("stride-one-axis",
             ("conv.py", "window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]",
              "window = xp[:, :, i * stride:i * stride + hh, j:j + ww]")),
    mistaken("values-misplaced",
             ("conv.py", "out = np.empty((x.shape[0], num_filters, out_h, out_w), dtype=np.float64)",
              "out = np.empty((x.shape[0], out_h, out_w, num_filters), dtype=np.float64)"),
             ("conv.py", "out[:, :, i, j] = np.tensordot", "out[:, i, j, :] = np.tensordot"),
             ("conv.py", "    cache = (x, w, b, conv_param)\n    return out, cache",
              "    cache = (x, w, b, conv_param)\n    return out.reshape(x.shape[0], num_filters, out_h, out_w), cache")),
    mistaken("dx-filter-rotated", ("conv.py", "dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))",
                                   "dxp[:, :, rows, cols] += np.tensordot(g, w[:, :, ::-1, ::-1], axes=([1], [0]))")),
    mistaken("dx-not-cropped", ("conv.py", "dx = dxp[:, :, pad:pad + h, pad:pad + w_]", "dx = dxp")),
    mistaken("dx-cropped-minus-pad",
             ("conv.py", "dx = dxp[:, :, pad:pad + h, pad:pad + w_]", "dx = dxp[:, :, pad:-pad, pad:-pad]")),
    mistaken("dx-cropped-at-corner", ("conv.py", "dx = dxp[:, :, pad:pad + h, pad:pad + w_]", "dx = dxp[:, :, :h, :w_]")),
    mistaken("stride-ignored-backward",
             ("conv.py", "rows = slice(i * stride, i * stride + hh)\n            cols = slice(j * stride, j * stride + ww)",
              "rows = slice(i, i + hh)\n            cols = slice(j, j + ww)")),
    mistaken("grads-batch-averaged",
             ("conv.py", "    db = dout.sum(axis=(0, 2, 3))\n    return dx, dw, db",
              "    db = dout.sum(axis=(0, 2, 3)) / x.shape[0]\n    return dx, dw / x.shape[0], db")),
    mistaken("grads-one-sample",
             ("conv.py", "dw += np.tensordot(g, xp[:, :, rows, cols], axes=([0], [0]))",
              "dw += np.tensordot(g[-1:], xp[-1:, :, rows, cols], axes=([0], [0]))"),
             ("conv.py", "db = dout.sum(axis=(0, 2, 3))", "db = dout[-1].sum(axis=(1, 2))")),
    mistaken("db-wrong-axes", ("conv.py", "db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=(1, 2, 3))")),
    mistaken("max-grad-whole-window",
             ("pool.py", "dx[nn, cc, i * stride + di, j * stride + dj] += dout[:, :, i, j]",
              "dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += dout[:, :, i, j, None, None]")),
    mistaken("max-pool-modifies-x",
             ("pool.py", "            first_max = window.reshape(n, c, ph * pw).argmax(axis=2)",
              "            window -= window.max(axis=(2, 3), keepdims=True)\n"
              "            first_max = window.reshape(n, c, ph * pw).argmax(axis=2)"),
             test_backward_contract=CONTRACT, test_backward_contract_hidden=CONTRACT),
    mistaken("avg-divisor",
             ("pool.py", "out[:, :, i, j] = window.mean(axis=(2, 3))", "out[:, :, i, j] = window.sum(axis=(2, 3)) / (ph * ph)"),
             ("pool.py", "share = dout / (ph * pw)", "share = dout / (ph * ph)")),
    mistaken("size-floored",
             ("shapes.py", "    span = n - f + 2 * pad\n    if span % stride:", "    span = n - f + 2 * pad\n    if False:"),
             ("shapes.py", "    span = n - f\n    if span % stride:", "    span = n - f\n    if False:")),
    mistaken("count-one-layer-only", ("params.py", 'return sum(row["params"] for row in network_summary(layers, input_shape))',
                                      'return network_summary(layers, input_shape)[-1]["params"]')),
    mistaken("count-skips-a-layer", ("params.py", "return sum(row[\"params\"] for row in network_summary(layers, input_shape))",
                                      "return sum(row[\"params\"] for row in network_summary(layers, input_shape)[1:])")),
    mistaken("conv-params-no-bias", ("params.py", "return f * f * d_in * k + (k if bias else 0)", "return f * f * d_in * k")),
    mistaken("width-from-height", ("params.py", "h, w = pool_output_size(h, f, s), pool_output_size(w, f, s)",
                                   "h, w = pool_output_size(h, f, s), pool_output_size(h, f, s)")),
    mistaken("conv-depth", ("params.py", "params, d = conv_params(f, d, k), k", "params = conv_params(f, d, k)")),
    mistaken("bias-count", ("params.py", "return f * f * d_in * k + (k if bias else 0)",
                            "return f * f * d_in * k + (1 if bias else 0)")),
    mistaken("fc-ignores-spatial-size", ("params.py", "params = fc_params(h * w * d, units)", "params = fc_params(d, units)")),
]


def grade_all(grade, folder: Path, submissions=SUBMISSIONS, workers: int = 2) -> dict:
    """``{mistake id: grade(submission folder)}``, two at a time (each grading run is
    mostly one busy process: the machine's two cores stay busy)."""
    paths = [s.variant.write(folder / s.mistake) for s in submissions]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return dict(zip((s.mistake for s in submissions), pool.map(grade, paths), strict=True))


def main() -> int:
    from autograder.build.autograder_zip import build_autograder
    from autograder.grade.diagnose import load_catalogue
    from autograder.runtime import config
    from autograder.runtime.packages import load_package
    from autograder.staff import simulate

    assignment = config.load(ROOT / "assignment" / "assignment.yaml")
    ids = {g.number: g for g in assignment.groups}
    catalogue = load_catalogue(assignment.diagnoses, load_package(assignment.reference, "_reference"), "_catalogue")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        zip_path = build_autograder(assignment, tmp / "autograder.zip")
        results = grade_all(lambda path: simulate.grade(zip_path, path, path.parent / "results.json")[0], tmp)
    print("| mistake | hint: most likely ... | functions | hidden tests it fails | public tests it fails |")
    print("| --- | --- | --- | --- | --- |")
    for m in catalogue:
        lost = [ids[t["number"]] for t in results[m.id]["tests"] if t["score"] < t["max_score"]]
        hinted = {ids[t["number"]].id for t in results[m.id]["tests"] if m.what in t["output"]}

        def names(groups, hinted=hinted):
            return ", ".join(g.id + ("" if g.id in hinted else " (no hint)") for g in groups) or "-"

        print(f"| {m.id} | {m.what} | {', '.join(m.variants)} | {names(g for g in lost if not g.public)} "
              f"| {names(g for g in lost if g.public)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
