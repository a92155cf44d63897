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


from itertools import product


class _ConvGeometry:
    """Shapes of a convolution, checked once, and the slices of each filter tap."""

    def __init__(self, x, w, b, conv_param):
        self.N, self.C, self.H, self.W = np.shape(x)
        self.F, c, self.HH, self.WW = np.shape(w)
        if c != self.C:
            raise ValueError(f"w expects {c} input channels, x has {self.C}")
        if np.shape(b) != (self.F,):
            raise ValueError(f"b has shape {np.shape(b)}, expected ({self.F},)")
        self.stride, self.pad = conv_param["stride"], conv_param["pad"]
        self.Ho = conv_output_size(self.H, self.HH, self.stride, self.pad)
        self.Wo = conv_output_size(self.W, self.WW, self.stride, self.pad)

    def taps(self):
        return product(range(self.HH), range(self.WW))

    def rows(self, di):
        return slice(di, di + self.stride * (self.Ho - 1) + 1, self.stride)

    def cols(self, dj):
        return slice(dj, dj + self.stride * (self.Wo - 1) + 1, self.stride)


def zero_pad(x, pad):
    """Pad the two spatial axes of ``x`` with ``pad`` zeros on every side.

    Args:
        x: array of shape ``(N, C, H, W)``.
        pad: int ``>= 0``.

    Returns:
        A new array of shape ``(N, C, H + 2*pad, W + 2*pad)``; ``x`` is not modified.
    """
    shape = list(np.shape(x))
    shape[2] += 2 * pad
    shape[3] += 2 * pad
    out = np.zeros(shape, dtype=np.result_type(x, np.float64))
    out[..., pad:-pad, pad:-pad] = x
    return out


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
    layer = _ConvGeometry(x, w, b, conv_param)
    xp = zero_pad(x, layer.pad)
    out = np.empty((layer.N, layer.F, layer.Ho, layer.Wo))
    out[...] = np.reshape(b, (1, -1, 1, 1))
    # shift and add: one tap (di, dj) of every filter at a time, channels by tensordot
    for di, dj in layer.taps():
        patch = xp[:, :, layer.rows(di), layer.cols(dj)]          # (N, C, Ho, Wo)
        out += np.tensordot(patch, w[:, :, di, dj], axes=([1], [1])).transpose(0, 3, 1, 2)
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
    x, w, b, conv_param = cache
    layer = _ConvGeometry(x, w, b, conv_param)
    xp = zero_pad(x, layer.pad)
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    db = np.einsum("nfhw->f", dout) * 1.0
    for di, dj in layer.taps():
        rows, cols = layer.rows(di), layer.cols(dj)
        patch = xp[:, :, rows, cols]                               # (N, C, Ho, Wo)
        dw[:, :, di, dj] = np.tensordot(dout, patch, axes=([0, 2, 3], [0, 2, 3]))
        dxp[:, :, rows, cols] += np.tensordot(dout, w[:, :, di, dj], axes=([1], [0])).transpose(0, 3, 1, 2)
    p = layer.pad
    return dxp[:, :, p:dxp.shape[2] - p, p:dxp.shape[3] - p].copy(), dw, db
