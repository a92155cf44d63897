"""Convolutional layer: zero padding, forward pass and backward pass.

Arrays are NCHW, float64:

- ``x``: input, shape ``(N, C, H, W)``
- ``w``: filters, shape ``(F, C, HH, WW)``; every filter spans the full input depth C
- ``b``: biases, shape ``(F,)``
- ``out``: output, shape ``(N, F, H', W')`` with
  ``H' = (H - HH + 2*pad)/stride + 1`` and ``W' = (W - WW + 2*pad)/stride + 1``

Like every deep-learning library, the layer computes a cross-correlation: the filter
is slid over the input as it is, not flipped.

Written as small pure functions: a filter "tap" ``(a, e)`` sees the strided slice of the
padded input that starts at row a, column e; the taps are stacked with ``np.stack`` and
contracted with the filters by ``np.einsum``. In the backward pass each tap's share of
the input gradient is dilated by the stride, moved into place with ``np.pad`` and the
shares are summed with ``functools.reduce``.
"""

from collections.abc import Mapping
from functools import reduce
from numbers import Integral
from operator import add

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
    if not (isinstance(pad, Integral) and pad >= 0):
        raise ValueError(f"pad must be an integer >= 0, got {pad!r}")
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x must have two spatial axes (N, C, H, W), got shape {x.shape}")
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(int(pad), int(pad))] * 2, mode="constant")


def floats(a):
    """``a`` as a float64 array (a view of it when it already is one: never written to)."""
    return np.asarray(a, dtype=np.float64)


def tap(a_padded, row, col, stride, out_h, out_w):
    """What filter tap ``(row, col)`` sees at every output position: ``(N, C, out_h, out_w)``."""
    return a_padded[:, :, row:row + stride * (out_h - 1) + 1:stride, col:col + stride * (out_w - 1) + 1:stride]


def positions(height, width):
    """The ``height x width`` positions of a window, in row-major order."""
    return [(row, col) for row in range(height) for col in range(width)]


def taps(a_padded, height, width, stride, out_h, out_w):
    """Every tap of a ``height x width`` window, stacked: ``(N, C, height*width, out_h, out_w)``."""
    return np.stack([tap(a_padded, row, col, stride, out_h, out_w) for row, col in positions(height, width)],
                    axis=2)


def dilate(block, stride):
    """``block`` (N, C, h, w) with ``stride - 1`` zeros between neighbouring entries."""
    n, c, h, w = block.shape
    spread = np.zeros((n, c, (h - 1) * stride + 1, (w - 1) * stride + 1))
    spread[:, :, ::stride, ::stride] = block
    return spread


def place(block, row, col, stride, height, width):
    """A ``(N, C, height, width)`` array of zeros holding ``block`` (the gradients of one
    tap, ``(N, C, H', W')``) at rows ``row + stride*i`` and columns ``col + stride*j``."""
    spread = dilate(block, stride)
    return np.pad(spread, ((0, 0), (0, 0), (row, height - row - spread.shape[2]),
                           (col, width - col - spread.shape[3])))


def conv_geometry(x_shape, w_shape, b_shape, conv_param):
    """``(stride, pad, H', W')`` once x, w and b are checked to fit together."""
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ValueError(f"x must be (N, C, H, W) and w (F, C, HH, WW), got shapes {x_shape} and {w_shape}")
    if x_shape[1] != w_shape[1]:
        raise ValueError(f"x has C = {x_shape[1]} channels, w has {w_shape[1]}: they must agree")
    if b_shape is not None and tuple(b_shape) != (w_shape[0],):
        raise ValueError(f"b must have shape (F,) = ({w_shape[0]},), one bias per filter, got {tuple(b_shape)}")
    if not isinstance(conv_param, Mapping) or not {"stride", "pad"} <= conv_param.keys():
        raise ValueError(f"conv_param must be {{'stride': S, 'pad': P}}, got {conv_param!r}")
    stride, pad = conv_param["stride"], conv_param["pad"]
    sizes = [conv_output_size(n, f, stride, pad) for n, f in zip(x_shape[2:], w_shape[2:])]
    return (int(stride), int(pad), *sizes)


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
    xa, wa, ba = floats(x), floats(w), floats(b)
    stride, pad, out_h, out_w = conv_geometry(xa.shape, wa.shape, ba.shape, conv_param)
    f, c, hh, ww = wa.shape
    stacked = taps(zero_pad(xa, pad), hh, ww, stride, out_h, out_w)
    out = np.einsum("nckij,fck->nfij", stacked, wa.reshape(f, c, hh * ww), optimize=True)
    return out + ba[None, :, None, None], (x, w, b, conv_param)


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
    x, w, _, conv_param = cache
    xa, wa, da = floats(x), floats(w), floats(dout)
    stride, pad, out_h, out_w = conv_geometry(xa.shape, wa.shape, None, conv_param)
    n, c, h, width = xa.shape
    f, _, hh, ww = wa.shape
    if da.shape != (n, f, out_h, out_w):
        raise ValueError(f"dout must have the output's shape {(n, f, out_h, out_w)}, got {da.shape}")

    db = da.sum(axis=(0, 2, 3))
    stacked = taps(zero_pad(xa, pad), hh, ww, stride, out_h, out_w)
    dw = np.einsum("nfij,nckij->fck", da, stacked, optimize=True).reshape(wa.shape)

    def share(row, col):
        """Gradient of the padded input through tap (row, col) alone."""
        block = np.einsum("nfij,fc->ncij", da, wa[:, :, row, col], optimize=True)
        return place(block, row, col, stride, h + 2 * pad, width + 2 * pad)

    dxp = reduce(add, (share(row, col) for row, col in positions(hh, ww)))
    return dxp[:, :, pad:pad + h, pad:pad + width].copy(), dw, db
