"""Max and average pooling layers, forward and backward.

Arrays are NCHW, float64. ``pool_param = {"pool_height": PH, "pool_width": PW,
"stride": S}``; pooling never pads, acts on each channel on its own and keeps the
depth: ``x`` of shape ``(N, C, H, W)`` gives ``out`` of shape ``(N, C, H', W')`` with
``H' = (H - PH)/S + 1`` and ``W' = (W - PW)/S + 1``. Windows may overlap (S < PH).

The cache of every forward pass is exactly ``(x, pool_param)``.

The windows are a read-only ``as_strided`` view ``(N, C, H', W', PH, PW)`` of x. The
backward passes loop over the ``PH * PW`` positions of a window (never over pixels):
each position receives, through a strided slice of dx, the gradient of every window
at once.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .shapes import pool_output_size


def _geometry(x_shape, pool_param):
    """``(PH, PW, S, H', W')`` for an input of shape ``x_shape``."""
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


def _windows(x, ph, pw, stride, out_h, out_w):
    """Read-only view ``(N, C, H', W', PH, PW)`` of the pooling windows of x: no copy."""
    sn, sc, sh, sw = x.strides
    return as_strided(x, shape=x.shape[:2] + (out_h, out_w, ph, pw),
                      strides=(sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def _check_dout(dout, x_shape, out_h, out_w):
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != tuple(x_shape[:2]) + (out_h, out_w):
        raise ValueError(f"dout must have the output's shape {tuple(x_shape[:2]) + (out_h, out_w)}, "
                         f"got {dout.shape}")
    return dout


def max_pool_forward(x, pool_param):
    """Forward pass of max pooling: the largest value of each window.

    Args:
        x: input, shape ``(N, C, H, W)``.
        pool_param: ``{"pool_height": PH, "pool_width": PW, "stride": S}``.

    Returns:
        ``(out, cache)``: ``out`` of shape ``(N, C, H', W')``, ``cache = (x, pool_param)``.

    Raises:
        ValueError: when the window does not tile the input with this stride.
    """
    xa = np.asarray(x, dtype=np.float64)
    ph, pw, stride, out_h, out_w = _geometry(xa.shape, pool_param)
    out = _windows(xa, ph, pw, stride, out_h, out_w).max(axis=(4, 5))
    return out, (x, pool_param)


def max_pool_backward(dout, cache):
    """Backward pass of max pooling.

    Each window's upstream gradient goes to the position of its maximum; gradients
    of overlapping windows add up. Ties: when several positions of a window hold
    the maximum, the whole gradient goes to the first of them in row-major order
    (the one ``np.argmax`` picks), as in most libraries. Graders never depend on it.

    Args:
        dout: upstream gradient, shape ``(N, C, H', W')``.
        cache: ``(x, pool_param)`` as returned by :func:`max_pool_forward`.

    Returns:
        ``dx`` of shape ``(N, C, H, W)``.
    """
    x, pool_param = cache[:2]
    xa = np.asarray(x, dtype=np.float64)
    ph, pw, stride, out_h, out_w = _geometry(xa.shape, pool_param)
    da = _check_dout(dout, xa.shape, out_h, out_w)
    windows = _windows(xa, ph, pw, stride, out_h, out_w)
    # Row-major index, inside its window, of each window's first maximum.
    first = windows.reshape(windows.shape[:4] + (ph * pw,)).argmax(axis=4)
    dx = np.zeros(xa.shape)
    for a in range(ph):
        for c in range(pw):
            dx[:, :, a:a + stride * out_h:stride, c:c + stride * out_w:stride] += np.where(
                first == a * pw + c, da, 0.0)
    return dx


def avg_pool_forward(x, pool_param):
    """Forward pass of average pooling: the mean of each ``PH x PW`` window.

    Args, returns and errors as :func:`max_pool_forward`.
    """
    xa = np.asarray(x, dtype=np.float64)
    ph, pw, stride, out_h, out_w = _geometry(xa.shape, pool_param)
    out = _windows(xa, ph, pw, stride, out_h, out_w).mean(axis=(4, 5))
    return out, (x, pool_param)


def avg_pool_backward(dout, cache):
    """Backward pass of average pooling: each window's upstream gradient is shared
    equally, ``1 / (PH * PW)`` each, among the window's positions; overlapping
    windows add up.

    Args:
        dout: upstream gradient, shape ``(N, C, H', W')``.
        cache: ``(x, pool_param)`` as returned by :func:`avg_pool_forward`.

    Returns:
        ``dx`` of shape ``(N, C, H, W)``.
    """
    x, pool_param = cache[:2]
    shape = np.shape(x)
    ph, pw, stride, out_h, out_w = _geometry(shape, pool_param)
    share = _check_dout(dout, shape, out_h, out_w) / (ph * pw)
    dx = np.zeros(shape)
    for a in range(ph):
        for c in range(pw):
            dx[:, :, a:a + stride * out_h:stride, c:c + stride * out_w:stride] += share
    return dx
