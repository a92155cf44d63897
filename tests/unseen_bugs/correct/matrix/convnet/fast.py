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

This version: one GEMM per pass. The column matrix is ``(C*HH*WW, N*H'*W')``, built tap
by tap from strided slices (a loop over the HH*WW taps, never over pixels), so that
``out = W_row @ cols`` is a single matrix product; col2im adds the tap rows of
``W_row.T @ dout`` back through the same slices. Caches are those of the loop
versions, ``(x, w, b, conv_param)`` and ``(x, pool_param)``.
"""

import numpy as np

# Output sizes, for the code below (which may do without them).
from .shapes import conv_output_size, pool_output_size  # noqa: F401


def _conv_check(x_shape, w_shape, conv_param):
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


def _padded(x, pad):
    """x (float64) zero-padded, laid out (C, N, H + 2*pad, W + 2*pad) for the columns."""
    n, c, h, w = x.shape
    xp = np.zeros((c, n, h + 2 * pad, w + 2 * pad))
    xp[:, :, pad:pad + h, pad:pad + w] = x.transpose(1, 0, 2, 3)
    return xp


def _im2col(xp, hh, ww, stride, out_h, out_w):
    """``(C*HH*WW, N*H'*W')`` columns of xp (C, N, Hp, Wp); row (c, a, e), column (n, i, j)."""
    c, n = xp.shape[:2]
    cols = np.empty((c, hh, ww, n, out_h, out_w))
    for a in range(hh):
        for e in range(ww):
            cols[:, a, e] = xp[:, :, a:a + stride * out_h:stride, e:e + stride * out_w:stride]
    return cols.reshape(c * hh * ww, n * out_h * out_w)


def _col2im(dcols, shape, hh, ww, stride, out_h, out_w):
    """Adjoint of :func:`_im2col`: dcols (C*HH*WW, N*H'*W') summed into zeros of ``shape``
    (C, N, Hp, Wp)."""
    c, n = shape[:2]
    blocks = dcols.reshape(c, hh, ww, n, out_h, out_w)
    dxp = np.zeros(shape)
    for a in range(hh):
        for e in range(ww):
            dxp[:, :, a:a + stride * out_h:stride, e:e + stride * out_w:stride] += blocks[:, a, e]
    return dxp


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
    stride, pad, out_h, out_w = _conv_check(xa.shape, wa.shape, conv_param)
    f, _, hh, ww = wa.shape
    if ba.shape != (f,):
        raise ValueError(f"b must be (F,) = ({f},), one bias per filter, got shape {ba.shape}")
    cols = _im2col(_padded(xa, pad), hh, ww, stride, out_h, out_w)
    out = wa.reshape(f, -1) @ cols                                   # (F, N*H'*W')
    out += ba[:, None]
    out = out.reshape(f, xa.shape[0], out_h, out_w).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(out), (x, w, b, conv_param)


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
    xa = np.asarray(x, dtype=np.float64)
    wa = np.asarray(w, dtype=np.float64)
    stride, pad, out_h, out_w = _conv_check(xa.shape, wa.shape, conv_param)
    n, c, h, width = xa.shape
    f, _, hh, ww = wa.shape
    da = np.asarray(dout, dtype=np.float64)
    if da.shape != (n, f, out_h, out_w):
        raise ValueError(f"dout must have the output's shape {(n, f, out_h, out_w)}, got {da.shape}")
    d_row = da.transpose(1, 0, 2, 3).reshape(f, -1)                  # (F, N*H'*W')
    xp = _padded(xa, pad)
    cols = _im2col(xp, hh, ww, stride, out_h, out_w)
    db = d_row.sum(axis=1)
    dw = (d_row @ cols.T).reshape(wa.shape)
    del cols
    dxp = _col2im(wa.reshape(f, -1).T @ d_row, xp.shape, hh, ww, stride, out_h, out_w)
    dx = dxp[:, :, pad:pad + h, pad:pad + width].transpose(1, 0, 2, 3)
    return np.ascontiguousarray(dx), dw, db


def _pool_check(x_shape, pool_param):
    if len(x_shape) != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x_shape}")
    try:
        ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    except (KeyError, TypeError):
        raise ValueError("pool_param must be {'pool_height': PH, 'pool_width': PW, 'stride': S}, "
                         f"got {pool_param!r}") from None
    out_h = pool_output_size(x_shape[2], ph, stride)
    out_w = pool_output_size(x_shape[3], pw, stride)
    return int(ph), int(pw), int(stride), out_h, out_w


def _pool_windows(x, ph, pw, stride, out_h, out_w):
    """The windows of x as ``(N, C, H', W', PH*PW)``: a reshape when they tile x,
    else one strided slice per window position."""
    n, c = x.shape[:2]
    if stride == ph == pw:
        return x.reshape(n, c, out_h, ph, out_w, pw).transpose(0, 1, 2, 4, 3, 5).reshape(
            n, c, out_h, out_w, ph * pw)
    cols = np.empty((n, c, out_h, out_w, ph * pw))
    for a in range(ph):
        for e in range(pw):
            cols[..., a * pw + e] = x[:, :, a:a + stride * out_h:stride, e:e + stride * out_w:stride]
    return cols


def _pool_scatter(dcols, x_shape, ph, pw, stride):
    """Adjoint of :func:`_pool_windows`."""
    n, c, out_h, out_w = dcols.shape[:4]
    if stride == ph == pw:
        return dcols.reshape(n, c, out_h, out_w, ph, pw).transpose(0, 1, 2, 4, 3, 5).reshape(x_shape)
    dx = np.zeros(x_shape)
    for a in range(ph):
        for e in range(pw):
            dx[:, :, a:a + stride * out_h:stride, e:e + stride * out_w:stride] += dcols[..., a * pw + e]
    return dx


def _pool_dout(dout, x_shape, out_h, out_w):
    d = np.asarray(dout, dtype=np.float64)
    if d.shape != tuple(x_shape[:2]) + (out_h, out_w):
        raise ValueError(f"dout must have the output's shape {tuple(x_shape[:2]) + (out_h, out_w)}, got {d.shape}")
    return d


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
    ph, pw, stride, out_h, out_w = _pool_check(xa.shape, pool_param)
    return _pool_windows(xa, ph, pw, stride, out_h, out_w).max(axis=4), (x, pool_param)


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
    xa = np.asarray(x, dtype=np.float64)
    ph, pw, stride, out_h, out_w = _pool_check(xa.shape, pool_param)
    d = _pool_dout(dout, xa.shape, out_h, out_w)
    first = _pool_windows(xa, ph, pw, stride, out_h, out_w).argmax(axis=4)
    dcols = np.where(np.arange(ph * pw) == first[..., None], d[..., None], 0.0)
    return _pool_scatter(dcols, xa.shape, ph, pw, stride)


def avg_pool_forward_fast(x, pool_param):
    """Forward pass of average pooling, as :func:`convnet.pool.avg_pool_forward`.

    Args, returns and errors as :func:`max_pool_forward_fast`.
    """
    xa = np.asarray(x, dtype=np.float64)
    ph, pw, stride, out_h, out_w = _pool_check(xa.shape, pool_param)
    return _pool_windows(xa, ph, pw, stride, out_h, out_w).mean(axis=4), (x, pool_param)


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
    x_shape = tuple(np.shape(x))
    ph, pw, stride, out_h, out_w = _pool_check(x_shape, pool_param)
    share = _pool_dout(dout, x_shape, out_h, out_w) / (ph * pw)
    return _pool_scatter(np.repeat(share[..., None], ph * pw, axis=4), x_shape, ph, pw, stride)
