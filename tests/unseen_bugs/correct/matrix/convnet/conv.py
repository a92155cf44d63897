"""Convolutional layer: zero padding, forward pass and backward pass.

Arrays are NCHW, float64:

- ``x``: input, shape ``(N, C, H, W)``
- ``w``: filters, shape ``(F, C, HH, WW)``; every filter spans the full input depth C
- ``b``: biases, shape ``(F,)``
- ``out``: output, shape ``(N, F, H', W')`` with
  ``H' = (H - HH + 2*pad)/stride + 1`` and ``W' = (W - WW + 2*pad)/stride + 1``

Like every deep-learning library, the layer computes a cross-correlation: the filter
is slid over the input as it is, not flipped.

Convolution as matrix products: ``im2col`` gathers every receptive field of the padded
input as a column with integer index arrays (fancy indexing), so that the layer is
``W_row @ cols`` with ``W_row`` the filters as a ``(F, C*HH*WW)`` matrix. The backward
pass multiplies by the transposes and scatters the column gradients back with
``np.add.at`` (col2im), which adds up the contributions of overlapping fields.
"""

from numbers import Integral

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
    if not isinstance(pad, Integral) or pad < 0:
        raise ValueError(f"pad must be an integer >= 0, got {pad!r}")
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x must have two spatial axes (N, C, H, W), got shape {x.shape}")
    pad = int(pad)
    h, w = x.shape[-2:]
    # Row and column index, into the padded array, of every row and column of x.
    rows, cols = np.arange(h) + pad, np.arange(w) + pad
    padded = np.zeros(x.shape[:-2] + (h + 2 * pad, w + 2 * pad), dtype=x.dtype)
    padded[..., rows[:, None], cols[None, :]] = x
    return padded


def im2col_indices(channels, hh, ww, stride, out_h, out_w):
    """Index arrays ``(k, i, j)`` such that ``xp[:, k, i, j]`` is the ``(N, C*HH*WW, H'*W')``
    column matrix: row ``(c, di, dj)`` (C order) of column ``(oi, oj)`` (C order) holds
    ``xp[n, c, oi*stride + di, oj*stride + dj]``."""
    k = np.repeat(np.arange(channels), hh * ww)[:, None]            # (C*HH*WW, 1)
    di = np.tile(np.repeat(np.arange(hh), ww), channels)[:, None]    # (C*HH*WW, 1)
    dj = np.tile(np.arange(ww), hh * channels)[:, None]              # (C*HH*WW, 1)
    oi = stride * np.repeat(np.arange(out_h), out_w)[None, :]        # (1, H'*W')
    oj = stride * np.tile(np.arange(out_w), out_h)[None, :]          # (1, H'*W')
    return k, di + oi, dj + oj


def _conv_shapes(x_shape, w_shape, conv_param):
    if len(x_shape) != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x_shape}")
    if len(w_shape) != 4:
        raise ValueError(f"w must be (F, C, HH, WW), got shape {w_shape}")
    if x_shape[1] != w_shape[1]:
        raise ValueError(f"x has {x_shape[1]} channels and w has {w_shape[1]}: x.shape[1] must equal w.shape[1]")
    try:
        stride, pad = conv_param["stride"], conv_param["pad"]
    except (KeyError, TypeError):
        raise ValueError(f"conv_param must be {{'stride': S, 'pad': P}}, got {conv_param!r}") from None
    out_h = conv_output_size(x_shape[2], w_shape[2], stride=stride, pad=pad)
    out_w = conv_output_size(x_shape[3], w_shape[3], stride=stride, pad=pad)
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
    x_mat = np.asarray(x, dtype=np.float64)
    w_mat = np.asarray(w, dtype=np.float64)
    b_vec = np.asarray(b, dtype=np.float64)
    stride, pad, out_h, out_w = _conv_shapes(x_mat.shape, w_mat.shape, conv_param)
    n, c = x_mat.shape[:2]
    f, _, hh, ww = w_mat.shape
    if b_vec.shape != (f,):
        raise ValueError(f"b must be (F,) = ({f},), one bias per filter, got shape {b_vec.shape}")
    k, i, j = im2col_indices(c, hh, ww, stride, out_h, out_w)
    cols = zero_pad(x_mat, pad)[:, k, i, j]                   # (N, C*HH*WW, H'*W')
    # W_row @ cols_n for every image n at once: (F, C*HH*WW) x (N, C*HH*WW, H'*W') -> (F, N, H'*W')
    out = np.tensordot(w_mat.reshape(f, -1), cols, axes=([1], [1])) + b_vec[:, None, None]
    return np.ascontiguousarray(out.transpose(1, 0, 2)).reshape(n, f, out_h, out_w), (x, w, b, conv_param)


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
    x_mat = np.asarray(x, dtype=np.float64)
    w_mat = np.asarray(w, dtype=np.float64)
    stride, pad, out_h, out_w = _conv_shapes(x_mat.shape, w_mat.shape, conv_param)
    n, c, h, width = x_mat.shape
    f, _, hh, ww = w_mat.shape
    d_mat = np.asarray(dout, dtype=np.float64)
    if d_mat.shape != (n, f, out_h, out_w):
        raise ValueError(f"dout must have the output's shape {(n, f, out_h, out_w)}, got {d_mat.shape}")
    d_mat = d_mat.reshape(n, f, out_h * out_w)                    # (N, F, H'*W')

    k, i, j = im2col_indices(c, hh, ww, stride, out_h, out_w)
    cols = zero_pad(x_mat, pad)[:, k, i, j]                       # (N, C*HH*WW, H'*W')

    db = d_mat.sum(axis=(0, 2))
    # dW_row = sum over n of dout_n @ cols_n.T
    dw = np.tensordot(d_mat, cols, axes=([0, 2], [0, 2])).reshape(w_mat.shape)
    # dcols_n = W_row.T @ dout_n, then col2im: every entry goes back where it came from.
    dcols = np.tensordot(d_mat, w_mat.reshape(f, -1), axes=([1], [0])).transpose(0, 2, 1)  # (N, C*HH*WW, H'*W')
    dxp = np.zeros((n, c, h + 2 * pad, width + 2 * pad))
    np.add.at(dxp, (slice(None), k, i, j), dcols)
    return dxp[:, :, pad:pad + h, pad:pad + width].copy(), dw, db
