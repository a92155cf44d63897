"""Correct implementations of every style, as data: each must get full marks and no hint,
on Gradescope's path and locally (tests/test_correct_styles.py; make bench-feedback).

Six were written by people who saw only the student release (tests/unseen_bugs/correct:
plain loops, sliding windows and einsum, an unusual style with its own tie-breaking,
as_strided windows, a functional style, convolution as index-array matrix products); one
is tests/naive (all loops, written apart from the reference); the others are the
reference written another way, each within what the docstrings allow.
"""

from __future__ import annotations

import dataclasses

from tests.fabricate import Variant, append, replace


@dataclasses.dataclass(frozen=True)
class Style:
    name: str
    variant: Variant
    fast: bool  # holds a fast.py whose bonus correctness test must pass


VECTORISED = Variant(
    edits=(
        append("conv.py", "\n\nfrom .fast import conv_backward_fast as conv_backward, "
                          "conv_forward_fast as conv_forward  # noqa\n"),
        append("pool.py",
               "\n\nfrom .fast import (  # noqa\n    avg_pool_backward_fast as avg_pool_backward,\n"
               "    avg_pool_forward_fast as avg_pool_forward,\n    max_pool_backward_fast as max_pool_backward,\n"
               "    max_pool_forward_fast as max_pool_forward,\n)\n"),
    )
)

STYLES = [
    Style("naive-loops", Variant(base="naive", complete=True), fast=False),  # the reference's fast.py beside it
    Style("vectorised-reference", VECTORISED, fast=True),
    Style("unseen-loops", Variant(base="unseen-loops"), fast=True),
    Style("unseen-sliding-windows-einsum", Variant(base="unseen-vectorised"), fast=True),
    Style("unseen-unusual", Variant(base="unseen-unusual"), fast=True),
    Style("unseen-strided", Variant(base="unseen-strided"), fast=True),  # as_strided, extras in the fast caches
    Style("unseen-functional", Variant(base="unseen-functional"), fast=True),  # ties to the last maximum in pool.py
    Style("unseen-matrix", Variant(base="unseen-matrix"), fast=True),  # im2col by index arrays, np.add.at
    # The window's maximum found on a float32 copy: the values the graders pass are far
    # apart, so the position is the same; the gradient itself stays float64.
    Style("float32-argmax", Variant(edits=(replace(
        "pool.py", "first_max = window.reshape(n, c, ph * pw).argmax(axis=2)",
        "first_max = window.astype(np.float32).reshape(n, c, ph * pw).argmax(axis=2)"),)), fast=True),
    # The share of average pooling's gradient as a float32 1/(PH*PW): within the tolerance.
    Style("float32-share", Variant(edits=(replace(
        "pool.py", "share = dout / (ph * pw)", "share = dout * np.float32(1 / (ph * pw))"),)), fast=True),
    # Ties go to the last maximum in row-major order: the docstring allows it, the graders
    # never depend on ties.
    Style("last-max-on-ties", Variant(edits=(replace(
        "pool.py", "first_max = window.reshape(n, c, ph * pw).argmax(axis=2)",
        "first_max = ph * pw - 1 - window.reshape(n, c, ph * pw)[:, :, ::-1].argmax(axis=2)"),)), fast=True),
    # The fast forward pass keeps more in its cache ("whatever your backward needs").
    Style("fast-extra-cache", Variant(edits=(replace(
        "fast.py", "    return out.reshape(n, f, out_h, out_w), (x, w, b, conv_param)",
        "    return out.reshape(n, f, out_h, out_w), (x, w, b, conv_param, {'note': 'extra'}, np.zeros(3))"),)),
          fast=True),
    # Inputs copied and checked before use, in float64 explicitly.
    Style("defensive-copies", Variant(edits=(replace(
        "pool.py", "    x, pool_param = cache\n    ph, pw, stride, out_h, out_w = _geometry(x, pool_param)\n"
                   "    dout = _check_dout(dout, x.shape[:2] + (out_h, out_w))\n    dx = np.zeros(x.shape, "
                   "dtype=np.float64)\n    share",
        "    x, pool_param = cache\n    x = np.array(x, dtype=np.float64, copy=True)\n    dout = np.array(dout, "
        "dtype=np.float64, copy=True)\n    ph, pw, stride, out_h, out_w = _geometry(x, pool_param)\n"
        "    dout = _check_dout(dout, x.shape[:2] + (out_h, out_w))\n    dx = np.zeros(x.shape, "
        "dtype=np.float64)\n    share"),)), fast=True),
]
