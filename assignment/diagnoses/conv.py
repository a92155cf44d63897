"""Mistakes in zero_pad, conv_forward and conv_backward.

The variants that change how the layer walks over its input are written out in full
with the small helpers below (a loop per output pixel, like a student's); the others
call the reference with one input or one output changed.
"""

import numpy as np

from autograder.grade.diagnose import Mistake


def pad_spatial(x, pad, *, one_side=False):
    """``x`` zero-padded on both spatial axes; ``one_side``: all ``2 * pad`` zeros
    after the image (``"before"``: all of them before it)."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + 2 * pad, w + 2 * pad))
    at = 2 * pad if one_side == "before" else 0 if one_side else pad
    out[:, :, at:at + h, at:at + w] = x
    return out


def out_size(n, f, stride, pad, *, floor=False):
    """``(n - f + 2*pad)/stride + 1``; ValueError when the filter does not fit
    (unless ``floor``: then rounded down, as long as the filter is not too big)."""
    span = n - f + 2 * pad
    if span < 0 or (span % stride and not floor):
        raise ValueError("does not fit")
    return span // stride + 1


def forward(x, w, b, conv_param, *, one_side=False, column_step=None, row_step=None, floor=False):
    """A plain conv_forward; ``column_step`` (``row_step``) replaces the stride along
    the columns (rows)."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, hh, ww = w.shape
    out_h = out_size(x.shape[2], hh, stride, pad, floor=floor)
    out_w = out_size(x.shape[3], ww, stride, pad, floor=floor)
    step_w = stride if column_step is None else column_step
    step_h = stride if row_step is None else row_step
    xp = pad_spatial(x, pad, one_side=one_side)
    out = np.empty((x.shape[0], w.shape[0], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = xp[:, :, i * step_h:i * step_h + hh, j * step_w:j * step_w + ww]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


SIDES = (True, "before")  # where one_side puts all the zeros: after the image, or before it


def crop_middle(dxp, pad, h, w):
    return dxp[:, :, pad:pad + h, pad:pad + w]


def backward(dout, cache, *, one_side=False, strided=True, crop=crop_middle):
    """A plain conv_backward: ``strided=False`` walks the windows with step 1, ``crop``
    turns the gradient of the padded input into dx."""
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    step = stride if strided else 1
    _, _, hh, ww = w.shape
    xp = pad_spatial(x, pad, one_side=one_side)
    dxp, dw = np.zeros_like(xp), np.zeros(w.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * step, i * step + hh), slice(j * step, j * step + ww)
            g = dout[:, :, i, j]
            dw += np.tensordot(g, xp[:, :, rows, cols], axes=([0], [0]))
            dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))
    return crop(dxp, pad, x.shape[2], x.shape[3]), dw, dout.sum(axis=(0, 2, 3))


def mistakes(ref):
    def flipped(x, w, b, conv_param):
        return ref.conv_forward(x, w[:, :, ::-1, ::-1].copy(), b, conv_param)

    def unpadded(x, w, b, conv_param):
        return ref.conv_forward(x, w, b, {**conv_param, "pad": 0})

    def last_sample(dout, cache):
        x, w, b, conv_param = cache
        dx = ref.conv_backward(dout, cache)[0]
        _, dw, db = ref.conv_backward(dout[-1:], (x[-1:], w, b, conv_param))
        return dx, dw, db

    def dx_rotated(dout, cache):
        x, w, b, conv_param = cache
        dx = ref.conv_backward(dout, (x, w[:, :, ::-1, ::-1].copy(), b, conv_param))[0]
        return dx, *ref.conv_backward(dout, cache)[1:]

    def db_wrong_axes(dout, cache):
        dx, dw, _ = ref.conv_backward(dout, cache)
        return dx, dw, dout.sum(axis=(1, 2, 3))

    return [
        Mistake(
            "zero-pad-one-side",
            "zero_pad puts all the zeros on one side of the image",
            "Put pad zeros before and pad zeros after the image on each spatial axis: x belongs at "
            "rows pad to pad+H-1 and columns pad to pad+W-1 of the result. conv_forward and conv_backward "
            "inherit the mistake through zero_pad.",
            {  # the whole family: all the zeros after the image, or all before it
                "zero_pad": tuple(lambda x, pad, s=side: pad_spatial(x, pad, one_side=s) for side in SIDES),
                "conv_forward": tuple(lambda x, w, b, p, s=side: forward(x, w, b, p, one_side=s) for side in SIDES),
                "conv_backward": tuple(lambda dout, cache, s=side: backward(dout, cache, one_side=s) for side in SIDES),
            },
        ),
        Mistake(
            "padding-ignored",
            "conv_forward ignores the padding",
            "Zero-pad x by conv_param['pad'] (with your zero_pad) before sliding the filter over it; "
            "the output is then (H - HH + 2*pad)/stride + 1 high.",
            {"conv_forward": unpadded},
        ),
        Mistake(
            "filter-flipped",
            "the filter is flipped (a true convolution)",
            "Deep-learning 'convolution' is a cross-correlation: multiply each window by w as it is, "
            "without flipping it (see the docstring of conv.py).",
            {"conv_forward": flipped},
        ),
        Mistake(
            "dx-filter-rotated",
            "dx is what each filter rotated by 180 degrees gives: a flip missing, or one too many",
            "Each output position sends dout[n, f, i, j] * w[f] back to the window it read: tap (a, b) of "
            "the filter goes to input position (i*stride + a, j*stride + b), with no flip. (Written as a "
            "correlation of the padded dout with the filter, dx needs the filter rotated; written as "
            "sending each window's gradient back, it needs none: do one or the other.)",
            {"conv_backward": dx_rotated},
        ),
        Mistake(
            "stride-one-axis",
            "the stride is used along one spatial axis but not along the other",
            "Window (i, j) starts at row i*stride and at column j*stride: step by the stride on both "
            "spatial axes.",
            {"conv_forward": (lambda x, w, b, p: forward(x, w, b, p, column_step=1),
                              lambda x, w, b, p: forward(x, w, b, p, row_step=1))},
        ),
        Mistake(
            "dx-not-cropped",
            "dx is not cropped back to the size of x",
            "The backward pass works on the padded input; dx is the part of that gradient that lies "
            "over x: rows pad to pad+H-1 and columns pad to pad+W-1.",
            {"conv_backward": lambda dout, cache: backward(dout, cache, crop=lambda d, p, h, w: d)},
        ),
        Mistake(
            "dx-cropped-minus-pad",
            "dx is cropped with pad:-pad, which is empty when pad is 0",
            "a[0:-0] is a[0:0], an empty slice. Crop with pad:pad+H and pad:pad+W instead.",
            {"conv_backward": lambda dout, cache: backward(dout, cache, crop=lambda d, p, h, w: d[:, :, p:-p, p:-p])},
        ),
        Mistake(
            "dx-cropped-at-corner",
            "dx is cropped from the corner of the padded gradient",
            "x sits in the middle of the padded input, pad rows and pad columns in: crop rows pad to "
            "pad+H-1 and columns pad to pad+W-1.",
            {"conv_backward": lambda dout, cache: backward(dout, cache, crop=lambda d, p, h, w: d[:, :, :h, :w])},
        ),
        Mistake(
            "stride-ignored-backward",
            "the backward pass ignores the stride",
            "In the backward pass, window (i, j) must be the one the forward pass used: it starts at "
            "row i*stride and column j*stride.",
            {"conv_backward": lambda dout, cache: backward(dout, cache, strided=False)},
        ),
        Mistake(
            "grads-one-sample",
            "dw and db hold the gradient of one sample only",
            "Every sample of the batch contributes to dw and db: accumulate over all N samples (+=), "
            "do not overwrite (=) in a loop over the batch.",
            {"conv_backward": last_sample},
        ),
        Mistake(
            "db-wrong-axes",
            "db is summed over the wrong axes",
            "db has one entry per filter: sum dout over the batch and both spatial axes, axis=(0, 2, 3).",
            {"conv_backward": db_wrong_axes},
        ),
    ]
