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

This version: ``as_strided`` window views contracted by ``np.tensordot``. The conv
cache is ``(x, w, b, conv_param, xp)`` (the padded input kept for the backward pass),
the max-pool cache ``(x, pool_param, first)`` (each window's argmax); the backward
passes rebuild what is missing when handed a cache of the first items only.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

# Output sizes, for the code below (which may do without them).
from .shapes import conv_output_size, pool_output_size  # noqa: F401
from .conv import _geometry as _conv_geometry
from .conv import zero_pad
from .pool import _geometry as _pool_geometry


def _windows(a, hh, ww, stride, out_h, out_w):
    """Read-only view ``(N, C, out_h, out_w, hh, ww)`` of the strided windows of ``a``."""
    sn, sc, sh, sw = a.strides
    return as_strided(a, shape=a.shape[:2] + (out_h, out_w, hh, ww),
                      strides=(sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


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
    xa = np.asarray(x, dtype=np.float64)
    wa = np.asarray(w, dtype=np.float64)
    ba = np.asarray(b, dtype=np.float64)
    stride, pad, out_h, out_w = _conv_geometry(xa.shape, wa.shape, conv_param)
    if ba.shape != (wa.shape[0],):
        raise ValueError(f"b must hold one bias per filter, shape ({wa.shape[0]},), got shape {ba.shape}")
    xp = zero_pad(xa, pad)
    fields = _windows(xp, wa.shape[2], wa.shape[3], stride, out_h, out_w)
    # (N, C, H', W', HH, WW) . (F, C, HH, WW) over C, HH, WW -> (N, H', W', F).
    out = np.tensordot(fields, wa, axes=([1, 4, 5], [1, 2, 3]))
    out += ba
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2)), (x, w, b, conv_param, xp)


def conv_backward_fast(dout, cache):
    """Backward pass of a convolutional layer, as :func:`convnet.conv.conv_backward`.

    Args:
        dout: upstream gradient, shape ``(N, F, H', W')``.
        cache: as returned by :func:`conv_forward_fast`.

    Returns:
        ``(dx, dw, db)``, float64, of shapes ``(N, C, H, W)``, ``(F, C, HH, WW)`` and
        ``(F,)``, summed over the batch, equal to ``conv_backward``'s to float rounding.
    """
    x, w, b, conv_param = cache[:4]
    xa = np.asarray(x, dtype=np.float64)
    wa = np.asarray(w, dtype=np.float64)
    da = np.asarray(dout, dtype=np.float64)
    stride, pad, out_h, out_w = _conv_geometry(xa.shape, wa.shape, conv_param)
    n, c, h, wd = xa.shape
    f, _, hh, ww = wa.shape
    if da.shape != (n, f, out_h, out_w):
        raise ValueError(f"dout must have the output's shape {(n, f, out_h, out_w)}, got {da.shape}")
    xp = cache[4] if len(cache) > 4 else zero_pad(xa, pad)

    db = da.sum(axis=(0, 2, 3))
    dw = np.tensordot(da, _windows(xp, hh, ww, stride, out_h, out_w), axes=([0, 2, 3], [0, 2, 3]))

    # The gradient of every column at once: (N, F, H', W') . (F, C, HH, WW) -> (N, H', W', C, HH, WW),
    # then col2im, one strided slice of the padded gradient per filter tap.
    dcols = np.tensordot(da, wa, axes=([1], [0]))
    dxp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad))
    for a in range(hh):
        for e in range(ww):
            dxp[:, :, a:a + stride * out_h:stride, e:e + stride * out_w:stride] += \
                dcols[:, :, :, :, a, e].transpose(0, 3, 1, 2)
    return dxp[:, :, pad:pad + h, pad:pad + wd].copy(), dw, db


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
    xa = np.asarray(x, dtype=np.float64)
    ph, pw, stride, out_h, out_w = _pool_geometry(xa.shape, pool_param)
    flat = _windows(xa, ph, pw, stride, out_h, out_w).reshape(xa.shape[:2] + (out_h, out_w, ph * pw))
    first = flat.argmax(axis=4)
    out = np.take_along_axis(flat, first[..., None], axis=4)[..., 0]
    return out, (x, pool_param, first)


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
    x, pool_param = cache[:2]
    shape = np.shape(x)
    ph, pw, stride, out_h, out_w = _pool_geometry(shape, pool_param)
    da = np.asarray(dout, dtype=np.float64)
    if da.shape != tuple(shape[:2]) + (out_h, out_w):
        raise ValueError(f"dout must have the output's shape {tuple(shape[:2]) + (out_h, out_w)}, got {da.shape}")
    if len(cache) > 2:
        first = cache[2]
    else:
        xa = np.asarray(x, dtype=np.float64)
        first = _windows(xa, ph, pw, stride, out_h, out_w).reshape(
            xa.shape[:2] + (out_h, out_w, ph * pw)).argmax(axis=4)
    dx = np.zeros(shape)
    if stride == ph == pw:
        # Windows tile x: one-hot gradients laid back out by a reshape.
        onehot = (np.arange(ph * pw) == first[..., None]) * da[..., None]
        dx[:, :, :out_h * ph, :out_w * pw] = onehot.reshape(shape[:2] + (out_h, out_w, ph, pw)).transpose(
            0, 1, 2, 4, 3, 5).reshape(shape[:2] + (out_h * ph, out_w * pw))
        return dx
    for a in range(ph):
        for e in range(pw):
            dx[:, :, a:a + stride * out_h:stride, e:e + stride * out_w:stride] += np.where(
                first == a * pw + e, da, 0.0)
    return dx


def avg_pool_forward_fast(x, pool_param):
    """Forward pass of average pooling, as :func:`convnet.pool.avg_pool_forward`.

    Args, returns and errors as :func:`max_pool_forward_fast`.
    """
    xa = np.asarray(x, dtype=np.float64)
    ph, pw, stride, out_h, out_w = _pool_geometry(xa.shape, pool_param)
    out = _windows(xa, ph, pw, stride, out_h, out_w).sum(axis=(4, 5)) / (ph * pw)
    return out, (x, pool_param)


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
    x, pool_param = cache[:2]
    shape = np.shape(x)
    ph, pw, stride, out_h, out_w = _pool_geometry(shape, pool_param)
    da = np.asarray(dout, dtype=np.float64)
    if da.shape != tuple(shape[:2]) + (out_h, out_w):
        raise ValueError(f"dout must have the output's shape {tuple(shape[:2]) + (out_h, out_w)}, got {da.shape}")
    share = da / (ph * pw)
    dx = np.zeros(shape)
    for a in range(ph):
        for e in range(pw):
            dx[:, :, a:a + stride * out_h:stride, e:e + stride * out_w:stride] += share
    return dx
