"""Mistakes recognised by their effect on the output or the gradient, whatever code made them.

Each says what is wrong with your value as a fact ("dx is wrong only where pooling
windows overlap", "every average is off by the same factor") and then its usual cause,
so that it holds for every way of writing the mistake. Named by ``effects:`` in the
assignment's yaml; the grading plugin checks a failed case against them, on your
machine as on Gradescope (see autograder/runtime/effects.py).
"""

import dataclasses
import re

import numpy as np

from autograder.runtime import effects as fx
from autograder.runtime.effects import Effect


def coverage(shape, height, width, stride, pad=0):
    """How many windows cover each position of an input of ``shape`` (N, C, H, W):
    ``height x width`` windows stepping by ``stride`` over it padded by ``pad``."""
    h, w = shape[2] + 2 * pad, shape[3] + 2 * pad
    count = np.zeros((h, w), dtype=int)
    for i in range((h - height) // stride + 1):
        for j in range((w - width) // stride + 1):
            count[i * stride:i * stride + height, j * stride:j * stride + width] += 1
    return count[pad:pad + shape[2], pad:pad + shape[3]]


def pool_overlap(e):
    """The positions of x that more than one pooling window covers."""
    _, (x, p) = e.replay.args
    return coverage(np.shape(x), p["pool_height"], p["pool_width"], p["stride"]) >= 2


def conv_overlap(e):
    """The positions of x that more than one filter window covers."""
    _, (x, w, _, p) = e.replay.args
    return coverage(np.shape(x), np.shape(w)[2], np.shape(w)[3], p["stride"], p["pad"]) >= 2


def near_padding(e):
    """The output positions whose window reaches into the zero padding."""
    x, w, _, p = e.replay.args
    s, pad = p["stride"], p["pad"]
    h, wd = np.shape(x)[2], np.shape(x)[3]
    hh, ww = np.shape(w)[2], np.shape(w)[3]
    out_h, out_w = e.expected.shape[2], e.expected.shape[3]
    rows = np.array([i * s < pad or i * s + hh > pad + h for i in range(out_h)])
    cols = np.array([j * s < pad or j * s + ww > pad + wd for j in range(out_w)])
    return rows[:, None] | cols[None, :]


def misplaced_before_bias(e):
    """conv_forward's out, less each filter's bias, holds the right values at other
    positions: the windows' sums placed wrong (a reshape that should have been a
    transpose), the bias added where it belongs."""
    _, _, b, _ = e.replay.args
    bias = np.asarray(b, dtype=np.float64).reshape(1, -1, 1, 1)
    actual, expected = fx.pair(e)  # float64 arrays of one shape, or not this effect's to say
    return fx.rearranged(dataclasses.replace(e, actual=actual - bias, expected=expected - bias))


def pad_border(e):
    """The positions of zero_pad's result outside x."""
    x, pad = e.replay.args
    h, w = np.shape(x)[2], np.shape(x)[3]
    inside = np.zeros((h + 2 * pad, w + 2 * pad), dtype=bool)
    inside[pad:pad + h, pad:pad + w] = True
    return ~inside


def wrong_across(e, mask):
    """Wrong only where ``mask`` holds, and at half of those positions or more: the
    whole of a part of the value (an image, a channel, a row) is wrong, not a few
    positions that happen to lie there."""
    mask = np.broadcast_to(mask, np.shape(e.expected))
    return fx.only_where(e, mask) and 2 * int(fx.wrong(e).sum()) >= int(mask.sum())


def later_images(e):
    """Every image of the batch but the first (axis 0 of NCHW)."""
    return (np.arange(np.shape(e.expected)[0]) > 0)[:, None, None, None]


def later_channels(e):
    """Every channel (or filter) but the first (axis 1 of NCHW)."""
    return (np.arange(np.shape(e.expected)[1]) > 0)[None, :, None, None]


def last_row_or_column(e):
    """The last row and the last column of an NCHW value."""
    h, w = np.shape(e.expected)[2], np.shape(e.expected)[3]
    return ((np.arange(h) == h - 1)[:, None] | (np.arange(w) == w - 1)[None, :])[None, None]


def negative_windows(e):
    """The positions of a max pool's value that belong to a window whose values are all
    negative: the output positions themselves (forward), or the positions of x such a
    window covers (backward)."""
    if e.replay.function.startswith("max_pool_forward"):
        return np.asarray(e.expected) < 0
    _, (x, p) = e.replay.args
    ph, pw, s = p["pool_height"], p["pool_width"], p["stride"]
    mask = np.zeros(np.shape(x), dtype=bool)
    for i in range((np.shape(x)[2] - ph) // s + 1):
        for j in range((np.shape(x)[3] - pw) // s + 1):
            window = (slice(None), slice(None), slice(i * s, i * s + ph), slice(j * s, j * s + pw))
            mask[window] |= (np.max(np.asarray(x)[window], axis=(2, 3)) < 0)[:, :, None, None]
    return mask


def dx_only(effect):
    """``effect`` for a backward pass's dx (the first gradient, or the only one)."""
    return lambda e: e.replay.part in ((), (0,)) and effect(e)


def batch_factor(e):
    """dw or db divided by the batch size."""
    dout = e.replay.args[0]
    return e.replay.part in ((1,), (2,)) and fx.scaled(e, 1 / np.shape(dout)[0])


def last_position_only(e):
    """dw or db is the contribution of the last output position alone (of the last
    sample, or of every sample): '=' where '+=' adds up the positions. Whatever order
    the loops nest in, their last iteration is the last position of the last sample."""
    if e.replay.part not in ((1,), (2,)) or not fx.wrong(e).any():
        return False
    actual, _ = fx.pair(e)  # float64, of the expected shape
    dout, cache = e.replay.args
    x, w, _, p = cache[:4]
    dout, x = np.asarray(dout, dtype=np.float64), np.asarray(x, dtype=np.float64)
    s, pad = p["stride"], p["pad"]
    if dout.shape[2] * dout.shape[3] < 2:
        return False  # one position: nothing to add up
    i, j = dout.shape[2] - 1, dout.shape[3] - 1
    upstream = dout[:, :, i, j]  # (N, F): the last position's
    if e.replay.part == (2,):
        terms = upstream
    else:
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        window = xp[:, :, i * s:i * s + np.shape(w)[2], j * s:j * s + np.shape(w)[3]]  # (N, C, HH, WW)
        terms = upstream[:, :, None, None, None] * window[:, None]  # (N, F, C, HH, WW)
    return any(fx.close(actual, c, e).all() for c in (terms[-1], terms.sum(axis=0)))


def _effects():
    overlap_advice = ("Where windows overlap, a position of x gets a share of the gradient from each window "
                      "that covers it: add them up (dx[...] += ...), do not overwrite (dx[...] = ...).")
    return [
        Effect(
            "bias-offset",
            "out is off by the same amount at every position of each filter's map: the bias term is wrong",
            "Every output value of filter f gets + b[f] exactly once, whatever the window and the sample "
            "(not b summed, not another filter's bias).",
            {"conv_forward": lambda e: fx.offset_per(e, axis=1)},
        ),
        Effect(
            "padding-border",
            "out is wrong only where the filter's window reaches into the zero padding",
            "The padded input has pad rows and columns of zeros on every side of x, and x in the middle: "
            "check what your zero_pad returns, and that conv_forward pads by conv_param['pad'].",
            {"conv_forward": lambda e: fx.only_where(e, near_padding(e))},
        ),
        Effect(
            "pad-border-values",
            "the result is wrong only outside x: the border does not hold zeros",
            "Every position of the border, pad deep on each side of both spatial axes, holds 0; x itself "
            "sits unchanged in the middle.",
            {"zero_pad": lambda e: fx.only_where(e, pad_border(e))},
        ),
        Effect(
            "values-misplaced",
            "the output holds exactly the right values (each filter's bias aside), at the wrong positions",
            "Arrays here are NCHW: (sample, channel or filter, row, column). Check the order in which you "
            "fill the output and every reshape or transpose (reshape never moves axes).",
            # Forward values only: in a backward pass, gradients at other positions come as
            # often from windows placed wrong (their step) as from an axis order.
            {**{name: fx.rearranged for name in ("max_pool_forward", "avg_pool_forward", "zero_pad")},
             "conv_forward": lambda e: fx.rearranged(e) or misplaced_before_bias(e)},
        ),
        Effect(
            "avg-divisor",
            "every average is off by the same factor: the divisor is not the window's area",
            "The mean of a window divides its sum by its pool_height * pool_width values (not by the stride, "
            "not by one side squared); in the backward pass each position gets 1 / (pool_height * pool_width) "
            "of its window's gradient.",
            {"avg_pool_forward": fx.scaled, "avg_pool_backward": fx.scaled},
        ),
        Effect(
            "overlap-overwritten",
            "dx is wrong only at positions that several windows cover (windows overlap when the stride is "
            "smaller than the window)",
            overlap_advice,
            {"max_pool_backward": lambda e: fx.only_where(e, pool_overlap(e)),
                     "avg_pool_backward": lambda e: fx.only_where(e, pool_overlap(e)),
                     "conv_backward": dx_only(lambda e: fx.only_where(e, conv_overlap(e)))},
        ),
        Effect(
            "max-grad-misplaced",
            "each channel of dx receives the right total gradient, at the wrong positions",
            "A window's gradient goes to the position of its maximum in that same window: search the "
            "window the forward pass pooled (its corner at row i*stride, column j*stride; cutting x into "
            "blocks takes a reshape to (N, C, Ho, PH, Wo, PW) and a transpose to (N, C, Ho, Wo, PH, PW), "
            "a reshape alone mixes windows), then turn the index k of the flattened window back into "
            "row k // pool_width, column k % pool_width, offset by the window's corner.",
            # not where overlapping windows or all-negative windows explain it (a sum
            # overwritten; a running maximum started at 0 that keeps the first position)
            {"max_pool_backward": lambda e: fx.same_totals(e, (2, 3)) and not fx.only_where(
                e, pool_overlap(e)) and not fx.only_where(e, negative_windows(e))},
        ),
        Effect(
            "grads-last-position",
            "dw or db holds the contribution of the last output position only",
            "Every output position of every sample adds its share to dw and db: accumulate with "
            "dw[...] += ... (and db[...] += ...), never overwrite with =.",
            {"conv_backward": last_position_only},
        ),
        Effect(
            "grads-batch-averaged",
            "a gradient of the shared parameters (dw or db) is the right one divided by the batch size N",
            "Every sample adds its gradient to the shared weights: sum over the batch, without dividing "
            "by N (see the docstring of conv_backward).",
            {"conv_backward": batch_factor},
        ),
        Effect(
            "gradient-zero",
            "the gradient is zero everywhere",
            "Nothing reaches it: check that your loop adds each window's contribution to it and that you "
            "return the array you filled.",
            {name: fx.all_zero for name in ("conv_backward", "max_pool_backward", "avg_pool_backward")},
        ),
        Effect(
            "int-as-float",
            "the value is right, but a float where an int is expected",
            "A true division (/) always gives a float, even when it is exact (10 / 2 is 5.0): divide with // "
            "once you have checked that the division is exact, or convert with int(...).",
            {fx.ANY: fx.right_value_wrong_type},
        ),
        Effect(
            "axes-in-another-order",
            "the array holds the right values with its axes in another order (another shape)",
            "A transpose, a reshape or an einsum's output subscripts put the axes in another order: out and dx "
            "are (N, C, H, W) like x, dw is (F, C, HH, WW) like w, db is (F,).",
            {fx.ANY: fx.axes_permuted},
        ),
        Effect(
            "conv-weights-without-depth",
            "each filter is counted as f x f weights: the input's depth d_in is left out",
            "A filter spans the whole depth of its input: f x f x d_in weights (plus its bias).",
            {"conv_params": lambda e: _conv_count(e, lambda f, d, k, bias: f * f * k + k * bias)},
            exact=True,
        ),
        Effect(
            "bias-default-off",
            "with bias left out, the count leaves out the biases: the default must be bias=True",
            "A layer has a bias per filter (or per unit) unless the caller says bias=False: give the "
            "parameter the default True.",
            {"fc_params": lambda e: "bias" not in e.replay.kwargs and _short_by(e, e.replay.args[1]),
             "conv_params": lambda e: "bias" not in e.replay.kwargs and _short_by(e, e.replay.args[2])},
        ),
        Effect(
            "pool-size-ignores-window",
            "the pooling output size does not depend on the window size f: it is n // stride",
            "(n - f) / stride + 1 windows fit: n // stride is right only when the window equals the stride.",
            {"pool_output_size": lambda e: fx.number(e.actual) and e.actual != e.expected
             and _args(e, 3)[0] // _args(e, 3)[2] == e.actual},
        ),
        Effect(
            "window-larger-than-input",
            "a window larger than the input gives a size instead of a ValueError",
            "When f > n (after padding) no window fits: raise ValueError saying so, before any arithmetic.",
            {"pool_output_size": lambda e: e.expected is None and fx.number(e.actual)
             and _args(e, 3)[1] > _args(e, 3)[0],
             "conv_output_size": lambda e: e.expected is None and fx.number(e.actual)
             and _args(e, 4)[1] > _args(e, 4)[0] + 2 * _args(e, 4)[3]},
        ),
        Effect(
            "first-image-only",
            "the values are right for the first image of the batch and wrong for the others",
            "Each image n of the batch is computed from x[n] alone (and its gradient from dout[n]): check the "
            "batch index in every loop and slice; a fixed 0 there, or a sum, mean or maximum over the batch "
            "axis, gives this.",
            {name: dx_only(lambda e: wrong_across(e, later_images(e))) for name in NCHW_VALUES},
        ),
        Effect(
            "first-channel-only",
            "the values are right for the first channel (or filter) and wrong for the others",
            "Axis 1 of NCHW is the channel (the filter, in a convolution's output): check that index in every "
            "loop, slice and sum; each channel is pooled on its own, each filter f has its own w[f] and b[f].",
            {name: dx_only(lambda e: wrong_across(e, later_channels(e))) for name in NCHW_VALUES},
        ),
        Effect(
            "last-row-or-column",
            "the values are right except in the last row or the last column",
            "There are (H - HH + 2*pad) // stride + 1 output rows in a convolution, (H - PH) // stride + 1 in "
            "pooling (the same with the widths), and the window of output (i, j) starts at (i*stride, "
            "j*stride) and spans the whole filter or pool size: check where your ranges and slices end.",
            # a range or slice that ends early loses values; the right totals at other
            # positions (a max pool's gradient put in the wrong place) are another mistake
            {name: dx_only(lambda e: wrong_across(e, last_row_or_column(e)) and not fx.same_totals(e, (2, 3)))
             for name in NCHW_VALUES},
        ),
        Effect(
            "max-of-negative-windows",
            "the values are wrong only for pooling windows whose values are all negative",
            "A window's maximum may be negative: start the running maximum (or the search for the argmax) "
            "from the window's first value or from -inf, never from 0.",
            {"max_pool_forward": lambda e: wrong_across(e, negative_windows(e)),
             "max_pool_backward": lambda e: fx.only_where(e, negative_windows(e))},
        ),
        Effect(
            "receptive-field-ignores-pool",
            "the receptive field does not grow with the pooling window: it is kernel + 1 whatever the pool, "
            "right for a 2x2 pool only",
            RECEPTIVE_ADVICE,
            {"receptive_field": lambda e: _receptive(e, lambda pool, kernel: kernel + 1)}, exact=True,
        ),
        Effect(
            "receptive-field-product",
            "the receptive field is pool x kernel, as if neighbouring outputs of the convolution saw "
            "separate input pixels",
            RECEPTIVE_ADVICE,
            {"receptive_field": lambda e: _receptive(e, lambda pool, kernel: pool * kernel)}, exact=True,
        ),
        Effect(
            "receptive-field-one-over",
            "the receptive field is one pixel too large",
            RECEPTIVE_ADVICE,
            {"receptive_field": lambda e: _receptive(e, lambda pool, kernel: e.expected + 1)}, exact=True,
        ),
        Effect(
            "receptive-field-one-under",
            "the receptive field is one pixel too small",
            RECEPTIVE_ADVICE,
            {"receptive_field": lambda e: _receptive(e, lambda pool, kernel: e.expected - 1)}, exact=True,
        ),
        Effect(
            "size-one-short",
            "the output size is one less than it should be",
            "Once the first window is placed, (n + 2*pad - f) / stride more positions fit (no pad in pooling): "
            "the size is that plus 1 (the + 1 counts the first position; a range that stops one short, or "
            "n - f - 1, loses one).",
            {"conv_output_size": lambda e: _off_by(e, -1), "pool_output_size": lambda e: _off_by(e, -1)}, exact=True,
        ),
        Effect(
            "size-one-over",
            "the output size is one more than it should be",
            "Once the first window is placed, (n + 2*pad - f) / stride more positions fit (no pad in pooling): "
            "the size is that plus 1 (counting the first position again, or rounding up, is one too many).",
            {"conv_output_size": lambda e: _off_by(e, 1), "pool_output_size": lambda e: _off_by(e, 1)}, exact=True,
        ),
        Effect(
            "layer-counted-from-one",
            "the error message names the layer after the one at fault: the layers are counted from 1",
            "Count the layers from 0, as Python's indices do (enumerate(layers) starts at 0): "
            "\"layer 2 (pool): \" is the third layer.",
            {"network_summary": lambda e: _message_layer(e, 1)},
        ),
        Effect(
            "message-without-layer",
            "the error's message does not start with \"layer i (type): \"",
            "Every ValueError of network_summary names the layer at fault, including the errors that "
            "conv_output_size or pool_output_size raise for it and a missing key (a KeyError): catch them "
            "for that layer and raise ValueError(f\"layer {i} ({type}): {reason}\") from them.",
            {"network_summary": lambda e: _message_layer(e, None)},
        ),
        Effect(
            "mismatch-accepted",
            "conv_forward returns an output for inputs that do not fit together (x and w disagree on the "
            "channels, or b is not one bias per filter) instead of raising ValueError",
            "Check the shapes before computing: x.shape[1] must equal w.shape[1], and b must have shape (F,); "
            "raise ValueError saying which does not fit.",
            {"conv_forward": lambda e: e.expected is None and e.actual is not None and _mismatched(*e.replay.args)},
        ),
    ]


RECEPTIVE_ADVICE = ("A pool x pool window covers pool neighbouring outputs of the convolution. With stride 1, the "
                    "first sees kernel input pixels and each of the other pool - 1 adds one new pixel (neighbours "
                    "share kernel - 1): pool + kernel - 1 in all.")


def _receptive(e, mistaken):
    """receptive_field's value is what ``mistaken(pool, kernel)`` gives, and wrong."""
    given = {**dict(zip(("pool", "kernel"), e.replay.args, strict=False)), **e.replay.kwargs}
    pool, kernel = given.get("pool"), given.get("kernel")
    return fx.number(e.actual) and fx.number(e.expected) and e.actual != e.expected \
        and e.actual == mistaken(pool, kernel)


def _conv_count(e, mistaken):
    """conv_params's count is what ``mistaken(f, d_in, k, bias)`` gives, and wrong."""
    names = ("f", "d_in", "k", "bias")
    given = {**dict(zip(names, e.replay.args, strict=False)), **e.replay.kwargs}  # bias may be left out
    given.setdefault("bias", True)
    f, d, k, bias = (given[n] for n in names)
    return fx.number(e.actual) and e.actual != e.expected and e.actual == mistaken(f, d, k, bool(bias))


def _off_by(e, amount):
    """A whole number (a size, a count) that is the expected one plus ``amount``."""
    return fx.number(e.actual) and fx.number(e.expected) and e.actual == e.expected + amount


def _message_layer(e, shift):
    """A network_summary error message (``part`` "message") that names layer i + ``shift``
    where "layer i (type): " was expected; with ``shift`` None, one that names no layer."""
    if e.replay.part != ("message",) or not isinstance(e.actual, str) or not isinstance(e.expected, str):
        return False
    expected = re.match(r"layer (\d+) (\(\w+\): )", e.expected)
    if expected is None:
        return False
    if shift is None:
        return re.match(r"\s*layer \d+", e.actual) is None
    index, kind = int(expected.group(1)), expected.group(2)
    return e.actual.startswith(f"layer {index + shift} {kind}")


def _mismatched(x, w, b, conv_param):
    """Whether conv_forward's arguments disagree on the channels or the number of biases."""
    return np.shape(x)[1] != np.shape(w)[1] or np.shape(b) != (np.shape(w)[0],)


def _short_by(e, amount):
    """The count is the expected one minus ``amount`` (not 0)."""
    return amount != 0 and _off_by(e, -amount)


def _args(e, count):
    """The call's first ``count`` positional values, keywords and defaults of the
    output-size functions filled in (stride 1, pad 0)."""
    names = ("n", "f", "stride", "pad")[:count]
    given = dict(zip(names, e.replay.args, strict=False)) | dict(e.replay.kwargs)
    return [given.get(name, {"stride": 1, "pad": 0}.get(name)) for name in names]


def _with_fast_versions(effects):
    """Each effect also for the fast versions of its functions (fast.py): they take the
    same arguments and must return the same values, so they show the same effects."""
    return [dataclasses.replace(e, shows={**e.shows, **{f"{name}_fast": check for name, check in e.shows.items()
                                                         if name in FAST}}) for e in effects]


# The graded values that are NCHW arrays: the forward passes' outputs, zero_pad's, dx.
NCHW_VALUES = ("conv_forward", "max_pool_forward", "avg_pool_forward", "zero_pad", "conv_backward",
               "max_pool_backward", "avg_pool_backward")
FAST = ("conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward", "avg_pool_forward",
        "avg_pool_backward")
EFFECTS = _with_fast_versions(_effects())
