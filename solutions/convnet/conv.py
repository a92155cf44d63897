"""Convolutional layer: zero padding, forward pass and backward pass.

Arrays are NCHW, float64:

- ``x``: input, shape ``(N, C, H, W)``
- ``w``: filters, shape ``(F, C, HH, WW)``; every filter spans the full input depth C
- ``b``: biases, shape ``(F,)``
- ``out``: output, shape ``(N, F, H', W')`` with
  ``H' = (H - HH + 2*pad)/stride + 1`` and ``W' = (W - WW + 2*pad)/stride + 1``

Like every deep-learning library, the layer computes a cross-correlation: the filter
is slid over the input as it is, not flipped.
"""

import numpy as np

from .shapes import conv_output_size


def zero_pad(x, pad):
    """Pad the two spatial axes of ``x`` with ``pad`` zeros on every side.

    Args:
        x: array of shape ``(N, C, H, W)``.
        pad: int ``>= 0``.

    Returns:
        A new array of shape ``(N, C, H + 2*pad, W + 2*pad)``; ``x`` is not modified.
    """
    # BEGIN SOLUTION
    x = _as_4d(x, "x")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"pad must be an int >= 0, got {pad!r}")
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=x.dtype)
    out[:, :, pad:pad + h, pad:pad + w] = x
    return out
    # END SOLUTION


def conv_forward(x, w, b, conv_param):
    """Forward pass of a convolutional layer.

    ``out[n, f, i, j] = b[f] + sum over c, di, dj of
    xp[n, c, i*stride + di, j*stride + dj] * w[f, c, di, dj]`` where ``xp`` is ``x``
    zero-padded by ``pad``.

    Args:
        x: input, shape ``(N, C, H, W)``.
        w: filters, shape ``(F, C, HH, WW)``.
        b: biases, shape ``(F,)``.
        conv_param: ``{"stride": S, "pad": P}``, ints with ``S >= 1``, ``P >= 0``.

    Returns:
        ``(out, cache)``: ``out`` of shape ``(N, F, H', W')``, and
        ``cache = (x, w, b, conv_param)``, exactly those four objects, so that the
        backward pass can be called with a cache built by hand.

    Raises:
        ValueError: when x and w disagree on C, b is not ``(F,)``, or the filter does
            not tile the padded input with this stride.
    """
    # BEGIN SOLUTION
    stride, pad, out_h, out_w = _geometry(x, w, b, conv_param)
    num_filters, _, hh, ww = w.shape
    xp = zero_pad(x, pad)
    out = np.empty((x.shape[0], num_filters, out_h, out_w), dtype=np.float64)
    for i in range(out_h):
        for j in range(out_w):
            window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            # (N, C, HH, WW) . (F, C, HH, WW) over C, HH, WW -> (N, F)
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    cache = (x, w, b, conv_param)
    return out, cache
    # END SOLUTION


def conv_backward(dout, cache):
    """Backward pass of a convolutional layer.

    Args:
        dout: upstream gradient, shape ``(N, F, H', W')``.
        cache: ``(x, w, b, conv_param)`` as returned by :func:`conv_forward`.

    Returns:
        ``(dx, dw, db)`` with the shapes of ``x`` ``(N, C, H, W)``, ``w``
        ``(F, C, HH, WW)`` and ``b`` ``(F,)``: the gradients of the loss, summed (not
        averaged) over the batch.
    """
    # BEGIN SOLUTION
    x, w, b, conv_param = cache
    stride, pad, out_h, out_w = _geometry(x, w, b, conv_param)
    dout = np.asarray(dout, dtype=np.float64)
    expected = (x.shape[0], w.shape[0], out_h, out_w)
    if dout.shape != expected:
        raise ValueError(f"dout has shape {dout.shape}, expected {expected}")
    _, _, hh, ww = w.shape
    xp = zero_pad(x, pad)
    dxp = np.zeros_like(xp, dtype=np.float64)
    dw = np.zeros(w.shape, dtype=np.float64)
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * stride, i * stride + hh)
            cols = slice(j * stride, j * stride + ww)
            g = dout[:, :, i, j]  # (N, F)
            # dw[f] += sum_n g[n, f] * window[n];  dx window[n] += sum_f g[n, f] * w[f]
            dw += np.tensordot(g, xp[:, :, rows, cols], axes=([0], [0]))
            dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))
    h, w_ = x.shape[2], x.shape[3]
    dx = dxp[:, :, pad:pad + h, pad:pad + w_]
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db
    # END SOLUTION


# BEGIN SOLUTION
def _as_4d(a, name):
    a = np.asarray(a)
    if a.ndim != 4:
        raise ValueError(f"{name} must have 4 dimensions (N, C, H, W), got shape {a.shape}")
    return a


def _geometry(x, w, b, conv_param):
    """Validate the arguments of a conv layer; return (stride, pad, H', W')."""
    x, w = _as_4d(x, "x"), _as_4d(w, "w")
    b = np.asarray(b)
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} channels but the filters w expect {w.shape[1]}: "
            "every filter must span the full input depth"
        )
    if b.shape != (w.shape[0],):
        raise ValueError(f"b must have shape ({w.shape[0]},), one bias per filter, got {b.shape}")
    try:
        stride, pad = conv_param["stride"], conv_param["pad"]
    except (KeyError, TypeError):
        raise ValueError(f"conv_param must be a dict with 'stride' and 'pad', got {conv_param!r}") from None
    out_h = conv_output_size(x.shape[2], w.shape[2], stride, pad)
    out_w = conv_output_size(x.shape[3], w.shape[3], stride, pad)
    return stride, pad, out_h, out_w
# END SOLUTION
