"""Convolutional layer: zero padding, forward pass and backward pass.

Arrays are NCHW, float64:

- ``x``: input, shape ``(N, C, H, W)``
- ``w``: filters, shape ``(F, C, HH, WW)``; every filter spans the full input depth C
- ``b``: biases, shape ``(F,)``
- ``out``: output, shape ``(N, F, H', W')`` with
  ``H' = (H - HH + 2*pad)/stride + 1`` and ``W' = (W - WW + 2*pad)/stride + 1``

Like every deep-learning library, the layer computes a cross-correlation: the filter
is slid over the input as it is, not flipped.

This version never loops: the receptive fields are a read-only
``numpy.lib.stride_tricks.as_strided`` view of the padded input, contracted with the
filters by ``np.tensordot``. The gradient of the input is the "full" correlation of
the stride-dilated upstream gradient with the flipped filters, computed the same way.
"""

from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .shapes import conv_output_size


def zero_pad(x, pad):
    """Pad the two spatial axes of ``x`` with ``pad`` zeros on every side.

    Args:
        x: array of shape ``(N, C, H, W)``.
        pad: int ``>= 0``.

    Returns:
        A new array of shape ``(N, C, H + 2*pad, W + 2*pad)``; ``x`` is not modified.
    """
    if not isinstance(pad, Integral) or pad < 0:
        raise ValueError(f"pad must be an integer >= 0, got {pad!r}")
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x must have two spatial axes (N, C, H, W), got shape {x.shape}")
    pad = int(pad)
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (h + 2 * pad, w + 2 * pad), dtype=x.dtype)
    out[..., pad:pad + h, pad:pad + w] = x
    return out


def _windows(a, hh, ww, stride, out_h, out_w):
    """Read-only view ``(N, C, out_h, out_w, hh, ww)`` of the ``hh x ww`` windows of
    ``a`` (N, C, H, W) whose corners step by ``stride``: no copy."""
    sn, sc, sh, sw = a.strides
    return as_strided(a, shape=a.shape[:2] + (out_h, out_w, hh, ww),
                      strides=(sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def _param(conv_param, key):
    try:
        return conv_param[key]
    except (KeyError, TypeError):
        raise ValueError(f"conv_param must hold {key!r}, got {conv_param!r}") from None


def _geometry(x_shape, w_shape, conv_param):
    """``(stride, pad, H', W')`` after checking that x and w fit together."""
    if len(x_shape) != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x_shape}")
    if len(w_shape) != 4:
        raise ValueError(f"w must be (F, C, HH, WW), got shape {w_shape}")
    if x_shape[1] != w_shape[1]:
        raise ValueError(f"x has {x_shape[1]} channels but the filters w span {w_shape[1]}: "
                         "x.shape[1] must equal w.shape[1]")
    stride, pad = _param(conv_param, "stride"), _param(conv_param, "pad")
    out_h = conv_output_size(x_shape[2], w_shape[2], stride, pad)
    out_w = conv_output_size(x_shape[3], w_shape[3], stride, pad)
    return int(stride), int(pad), out_h, out_w


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
    xa = np.asarray(x, dtype=np.float64)
    wa = np.asarray(w, dtype=np.float64)
    ba = np.asarray(b, dtype=np.float64)
    stride, pad, out_h, out_w = _geometry(xa.shape, wa.shape, conv_param)
    if ba.shape != (wa.shape[0],):
        raise ValueError(f"b must hold one bias per filter, shape ({wa.shape[0]},), got shape {ba.shape}")
    xp = zero_pad(xa, pad)
    fields = _windows(xp, wa.shape[2], wa.shape[3], stride, out_h, out_w)
    # (N, C, H', W', HH, WW) . (F, C, HH, WW) over C, HH, WW -> (N, H', W', F)
    out = np.tensordot(fields, wa, axes=([1, 4, 5], [1, 2, 3]))
    out += ba
    out = np.ascontiguousarray(out.transpose(0, 3, 1, 2))
    return out, (x, w, b, conv_param)


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
    x, w, b, conv_param = cache[:4]
    xa = np.asarray(x, dtype=np.float64)
    wa = np.asarray(w, dtype=np.float64)
    da = np.asarray(dout, dtype=np.float64)
    stride, pad, out_h, out_w = _geometry(xa.shape, wa.shape, conv_param)
    n, c, h, wd = xa.shape
    f, _, hh, ww = wa.shape
    if da.shape != (n, f, out_h, out_w):
        raise ValueError(f"dout must have the output's shape {(n, f, out_h, out_w)}, got {da.shape}")

    db = da.sum(axis=(0, 2, 3))

    xp = zero_pad(xa, pad)
    fields = _windows(xp, hh, ww, stride, out_h, out_w)
    # (N, F, H', W') . (N, C, H', W', HH, WW) over N, H', W' -> (F, C, HH, WW)
    dw = np.tensordot(da, fields, axes=([0, 2, 3], [0, 2, 3]))

    # dxp[n, c, y, x] = sum over f, a, b of dilated(dout)[n, f, y - a, x - b] * w[f, c, a, b]:
    # spread dout to every stride-th position, frame it with HH-1 / WW-1 zeros, and
    # correlate with the flipped filters; only the rows and columns of x are needed.
    hp, wp = h + 2 * pad, wd + 2 * pad
    spread = np.zeros((n, f, hp + hh - 1, wp + ww - 1))
    spread[:, :, hh - 1:hh - 1 + stride * out_h:stride, ww - 1:ww - 1 + stride * out_w:stride] = da
    inner = spread[:, :, pad:pad + h + hh - 1, pad:pad + wd + ww - 1]
    flipped = wa[:, :, ::-1, ::-1]
    # (N, F, H, W, HH, WW) . (F, C, HH, WW) over F, HH, WW -> (N, H, W, C)
    dx = np.tensordot(_windows(inner, hh, ww, 1, h, wd), flipped, axes=([1, 4, 5], [0, 2, 3]))
    dx = np.ascontiguousarray(dx.transpose(0, 3, 1, 2))
    return dx, dw, db
