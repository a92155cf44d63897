"""Fast convolution and pooling (bonus): the layers of conv.py and pool.py, vectorized.

Every function here has the signature of its loop version and returns the same
values, up to float rounding: ``conv_forward_fast`` matches ``conv_forward``, and so
on. Arrays are NCHW float64:

- ``x``: input, shape ``(N, C, H, W)``
- ``w``: filters, shape ``(F, C, HH, WW)``; ``b``: biases, shape ``(F,)``
- conv output ``(N, F, H', W')`` with ``H' = (H - HH + 2*pad)/stride + 1``, and the same
  for ``W'``; pool output ``(N, C, H', W')`` with ``H' = (H - PH)/stride + 1``.

Rules of the bonus: pure numpy (no loops over output pixels in Python, no compiled
extensions), the same errors as the loop versions for geometry that does not fit, and
inputs never modified. A forward pass returns ``(out, cache)``; the graders hand that
same cache back to your backward pass, so it may hold whatever your backward needs.

Hints: a convolution is one matrix product once every receptive field is laid out as
a column ("im2col"): ``numpy.lib.stride_tricks`` builds those columns as a view without
copying. The backward pass of im2col ("col2im") only needs a loop over the ``HH * WW``
filter taps, never over pixels. Pooling windows that tile the input exactly
(``stride == PH == PW``) are a ``reshape`` away.

This version is self-contained and functional: the columns are the filter taps
stacked by ``np.stack`` (a comprehension over the HH*WW taps, not over pixels), one
``np.tensordot`` makes the output, and col2im is a ``reduce`` over the taps. Every
cache is what the loop versions keep: ``(x, w, b, conv_param)`` and ``(x, pool_param)``.
Max pooling sends a window's gradient to its *first* maximum in row-major order.
"""

from collections.abc import Mapping
from functools import reduce
from operator import add

import numpy as np

# Output sizes, for the code below (which may do without them).
from .shapes import conv_output_size, pool_output_size  # noqa: F401


def _as_float(a):
    return np.asarray(a, dtype=np.float64)


def _grid(height, width):
    return [(row, col) for row in range(height) for col in range(width)]


def _columns(a, height, width, stride, out_h, out_w):
    """im2col: ``(N, C, height*width, out_h, out_w)``, the taps of every window."""
    return np.stack([a[:, :, row:row + stride * (out_h - 1) + 1:stride, col:col + stride * (out_w - 1) + 1:stride]
                     for row, col in _grid(height, width)], axis=2)


def _col2im(columns, shape, height, width, stride):
    """Adjoint of :func:`_columns`: every tap's ``(N, C, out_h, out_w)`` block added back
    into a zero array of ``shape`` at its strided rows and columns."""
    out_h, out_w = columns.shape[3:]

    def placed(k, row, col):
        block = np.zeros(shape)
        block[:, :, row:row + stride * (out_h - 1) + 1:stride, col:col + stride * (out_w - 1) + 1:stride] = \
            columns[:, :, k]
        return block

    return reduce(add, (placed(k, row, col) for k, (row, col) in enumerate(_grid(height, width))))


def _conv_setup(x, w, conv_param, b=None):
    xa, wa = _as_float(x), _as_float(w)
    if xa.ndim != 4 or wa.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W) and w (F, C, HH, WW), got shapes {xa.shape} and {wa.shape}")
    if xa.shape[1] != wa.shape[1]:
        raise ValueError(f"x has C = {xa.shape[1]} channels, w has {wa.shape[1]}: they must agree")
    if b is not None and np.shape(b) != (wa.shape[0],):
        raise ValueError(f"b must have shape (F,) = ({wa.shape[0]},), one bias per filter, got {np.shape(b)}")
    if not isinstance(conv_param, Mapping) or not {"stride", "pad"} <= conv_param.keys():
        raise ValueError(f"conv_param must be {{'stride': S, 'pad': P}}, got {conv_param!r}")
    stride, pad = conv_param["stride"], conv_param["pad"]
    out_h, out_w = (conv_output_size(n, f, stride, pad) for n, f in zip(xa.shape[2:], wa.shape[2:]))
    stride, pad = int(stride), int(pad)
    xp = np.pad(xa, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    return xa, wa, xp, stride, pad, out_h, out_w


def conv_forward_fast(x, w, b, conv_param):
    """Forward pass of a convolutional layer, as :func:`convnet.conv.conv_forward`.

    Args:
        x: input, shape ``(N, C, H, W)``.
        w: filters, shape ``(F, C, HH, WW)``.
        b: biases, shape ``(F,)``.
        conv_param: ``{"stride": S, "pad": P}``.

    Returns:
        ``(out, cache)``: ``out`` float64 of shape ``(N, F, H', W')``, equal to
        ``conv_forward``'s to float rounding; ``cache`` is what your
        :func:`conv_backward_fast` needs (this reference keeps ``(x, w, b, conv_param)``,
        as the loop version does, and rebuilds the columns in the backward pass).

    Raises:
        ValueError: as ``conv_forward``.
    """
    _, wa, xp, stride, _, out_h, out_w = _conv_setup(x, w, conv_param, b)
    f, c, hh, ww = wa.shape
    cols = _columns(xp, hh, ww, stride, out_h, out_w)
    out = np.tensordot(cols, wa.reshape(f, c, hh * ww), axes=([1, 2], [1, 2]))  # (N, H', W', F)
    out = out + _as_float(b)
    return np.ascontiguousarray(np.moveaxis(out, 3, 1)), (x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    """Backward pass of a convolutional layer, as :func:`convnet.conv.conv_backward`.

    Args:
        dout: upstream gradient, shape ``(N, F, H', W')``.
        cache: as returned by :func:`conv_forward_fast`.

    Returns:
        ``(dx, dw, db)``, float64, of shapes ``(N, C, H, W)``, ``(F, C, HH, WW)`` and
        ``(F,)``, summed over the batch, equal to ``conv_backward``'s to float rounding.
    """
    x, w, _, conv_param = cache
    xa, wa, xp, stride, pad, out_h, out_w = _conv_setup(x, w, conv_param)
    da = _as_float(dout)
    n, c, h, width = xa.shape
    f, _, hh, ww = wa.shape
    if da.shape != (n, f, out_h, out_w):
        raise ValueError(f"dout must have the output's shape {(n, f, out_h, out_w)}, got {da.shape}")
    cols = _columns(xp, hh, ww, stride, out_h, out_w)
    dw = np.tensordot(da, cols, axes=([0, 2, 3], [0, 3, 4])).reshape(wa.shape)
    dcols = np.tensordot(wa.reshape(f, c, hh * ww), da, axes=([0], [1]))  # (C, K, N, H', W')
    dcols = dcols.transpose(2, 0, 1, 3, 4)
    dxp = _col2im(dcols, xp.shape, hh, ww, stride)
    return dxp[:, :, pad:pad + h, pad:pad + width].copy(), dw, da.sum(axis=(0, 2, 3))


def _pool_setup(x, pool_param):
    xa = _as_float(x)
    if xa.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {xa.shape}")
    keys = ("pool_height", "pool_width", "stride")
    if not isinstance(pool_param, Mapping) or not set(keys) <= pool_param.keys():
        raise ValueError(f"pool_param must be {{'pool_height': PH, 'pool_width': PW, 'stride': S}}, "
                         f"got {pool_param!r}")
    ph, pw, stride = (pool_param[key] for key in keys)
    out_h, out_w = (pool_output_size(n, f, stride) for n, f in zip(xa.shape[2:], (ph, pw)))
    return xa, int(ph), int(pw), int(stride), out_h, out_w


def _pool_dout(dout, xa, out_h, out_w):
    da = _as_float(dout)
    if da.shape != xa.shape[:2] + (out_h, out_w):
        raise ValueError(f"dout must have the output's shape {xa.shape[:2] + (out_h, out_w)}, got {da.shape}")
    return da


def max_pool_forward_fast(x, pool_param):
    """Forward pass of max pooling, as :func:`convnet.pool.max_pool_forward`.

    Args:
        x: input, shape ``(N, C, H, W)``.
        pool_param: ``{"pool_height": PH, "pool_width": PW, "stride": S}``.

    Returns:
        ``(out, cache)``: ``out`` float64 of shape ``(N, C, H', W')``; ``cache`` is what
        your :func:`max_pool_backward_fast` needs (here ``(x, pool_param)``).

    Raises:
        ValueError: as ``max_pool_forward``.
    """
    xa, ph, pw, stride, out_h, out_w = _pool_setup(x, pool_param)
    return _columns(xa, ph, pw, stride, out_h, out_w).max(axis=2), (x, pool_param)


def max_pool_backward_fast(dout, cache):
    """Backward pass of max pooling, as :func:`convnet.pool.max_pool_backward`.

    Each window's gradient goes to one position: the first maximum of the window in
    row-major order, as in the loop version; overlapping windows add up.

    Args:
        dout: upstream gradient, shape ``(N, C, H', W')``.
        cache: as returned by :func:`max_pool_forward_fast`.

    Returns:
        ``dx`` float64 of shape ``(N, C, H, W)``.
    """
    x, pool_param = cache
    xa, ph, pw, stride, out_h, out_w = _pool_setup(x, pool_param)
    da = _pool_dout(dout, xa, out_h, out_w)
    cols = _columns(xa, ph, pw, stride, out_h, out_w)
    first = cols.argmax(axis=2)
    onehot = np.stack([np.where(first == k, da, 0.0) for k in range(ph * pw)], axis=2)
    return _col2im(onehot, xa.shape, ph, pw, stride)


def avg_pool_forward_fast(x, pool_param):
    """Forward pass of average pooling, as :func:`convnet.pool.avg_pool_forward`.

    Args, returns and errors as :func:`max_pool_forward_fast`.
    """
    xa, ph, pw, stride, out_h, out_w = _pool_setup(x, pool_param)
    return _columns(xa, ph, pw, stride, out_h, out_w).mean(axis=2), (x, pool_param)


def avg_pool_backward_fast(dout, cache):
    """Backward pass of average pooling, as :func:`convnet.pool.avg_pool_backward`:
    each window's gradient is shared equally, ``1 / (PH * PW)`` each, among its
    positions; overlapping windows add up.

    Args:
        dout: upstream gradient, shape ``(N, C, H', W')``.
        cache: as returned by :func:`avg_pool_forward_fast`.

    Returns:
        ``dx`` float64 of shape ``(N, C, H, W)``.
    """
    x, pool_param = cache
    xa, ph, pw, stride, out_h, out_w = _pool_setup(x, pool_param)
    share = _pool_dout(dout, xa, out_h, out_w) / (ph * pw)
    return _col2im(np.broadcast_to(share[:, :, None], share.shape[:2] + (ph * pw,) + share.shape[2:]),
                   xa.shape, ph, pw, stride)
