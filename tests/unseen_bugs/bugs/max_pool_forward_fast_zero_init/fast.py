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
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

# Output sizes, for the code below (which may do without them).
from .shapes import conv_output_size, pool_output_size  # noqa: F401


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
    x = np.asarray(x); w = np.asarray(w); b = np.asarray(b)
    N, C, H, W = x.shape
    F, Cw, HH, WW = w.shape
    if C != Cw:
        raise ValueError(f"x has {C} channels but the filters have {Cw}")
    if b.shape != (F,):
        raise ValueError(f"b must have shape ({F},), got {b.shape}")
    stride, pad = conv_param["stride"], conv_param["pad"]
    Ho = conv_output_size(H, HH, stride, pad)
    Wo = conv_output_size(W, WW, stride, pad)
    cols = _im2col(x, HH, WW, stride, pad, Ho, Wo)          # (C*HH*WW, N*Ho*Wo)
    out = w.reshape(F, -1).astype(np.float64) @ cols + b.astype(np.float64)[:, None]
    out = out.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(out, dtype=np.float64), (x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    """Backward pass of a convolutional layer, as :func:`convnet.conv.conv_backward`.

    Args:
        dout: upstream gradient, shape ``(N, F, H', W')``.
        cache: as returned by :func:`conv_forward_fast`.

    Returns:
        ``(dx, dw, db)``, float64, of shapes ``(N, C, H, W)``, ``(F, C, HH, WW)`` and
        ``(F,)``, summed over the batch, equal to ``conv_backward``'s to float rounding.
    """
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, Ho, Wo = dout.shape
    d2 = np.asarray(dout, dtype=np.float64).transpose(1, 0, 2, 3).reshape(F, -1)
    cols = _im2col(x, HH, WW, stride, pad, Ho, Wo)
    db = d2.sum(axis=1)
    dw = (d2 @ cols.T).reshape(w.shape)
    dcols = w.reshape(F, -1).astype(np.float64).T @ d2
    dx = _col2im(dcols, x.shape, HH, WW, stride, pad, Ho, Wo)
    return dx, dw, db


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
    N, C, H, W = x.shape
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho = pool_output_size(H, PH, S)
    Wo = pool_output_size(W, PW, S)
    out = np.zeros((N, C, Ho, Wo))
    for di in range(PH):
        for dj in range(PW):
            out = np.maximum(out, x[:, :, di:di + S * (Ho - 1) + 1:S, dj:dj + S * (Wo - 1) + 1:S])
    return out.astype(np.float64), (x, pool_param)


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
    N, C, H, W = x.shape
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, Ho, Wo = dout.shape
    # best value so far and the tap it came from; strict '>' keeps the first maximum
    best = np.full((N, C, Ho, Wo), -np.inf)
    arg = np.zeros((N, C, Ho, Wo), dtype=np.int64)
    for di in range(PH):
        for dj in range(PW):
            v = x[:, :, di:di + S * (Ho - 1) + 1:S, dj:dj + S * (Wo - 1) + 1:S]
            better = v > best
            best = np.where(better, v, best)
            arg = np.where(better, di * PW + dj, arg)
    dx = np.zeros(x.shape, dtype=np.float64)
    for di in range(PH):
        for dj in range(PW):
            dx[:, :, di:di + S * (Ho - 1) + 1:S, dj:dj + S * (Wo - 1) + 1:S] += np.where(arg == di * PW + dj, dout, 0.0)
    return dx


def avg_pool_forward_fast(x, pool_param):
    """Forward pass of average pooling, as :func:`convnet.pool.avg_pool_forward`.

    Args, returns and errors as :func:`max_pool_forward_fast`.
    """
    N, C, H, W = x.shape
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho = pool_output_size(H, PH, S)
    Wo = pool_output_size(W, PW, S)
    out = np.zeros((N, C, Ho, Wo), dtype=np.float64)
    for di in range(PH):
        for dj in range(PW):
            out += x[:, :, di:di + S * (Ho - 1) + 1:S, dj:dj + S * (Wo - 1) + 1:S]
    return out / (PH * PW), (x, pool_param)


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
    N, C, H, W = x.shape
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, Ho, Wo = dout.shape
    dx = np.zeros(x.shape, dtype=np.float64)
    g = np.asarray(dout, dtype=np.float64) / (PH * PW)
    for di in range(PH):
        for dj in range(PW):
            dx[:, :, di:di + S * (Ho - 1) + 1:S, dj:dj + S * (Wo - 1) + 1:S] += g
    return dx


def _im2col(x, HH, WW, stride, pad, Ho, Wo):
    """Columns (C*HH*WW, N*Ho*Wo) of the receptive fields, one loop over the taps."""
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))).astype(np.float64)
    cols = np.empty((C, HH, WW, N, Ho, Wo))
    for di in range(HH):
        for dj in range(WW):
            patch = xp[:, :, di:di + stride * (Ho - 1) + 1:stride, dj:dj + stride * (Wo - 1) + 1:stride]
            cols[:, di, dj] = patch.transpose(1, 0, 2, 3)
    return cols.reshape(C * HH * WW, N * Ho * Wo)


def _col2im(dcols, x_shape, HH, WW, stride, pad, Ho, Wo):
    N, C, H, W = x_shape
    dcols = dcols.reshape(C, HH, WW, N, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for di in range(HH):
        for dj in range(WW):
            dxp[:, :, di:di + stride * (Ho - 1) + 1:stride, dj:dj + stride * (Wo - 1) + 1:stride] += \
                dcols[:, di, dj].transpose(1, 0, 2, 3)
    return dxp[:, :, pad:pad + H, pad:pad + W].copy()
