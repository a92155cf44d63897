"""Max and average pooling layers, forward and backward.

Arrays are NCHW, float64. ``pool_param = {"pool_height": PH, "pool_width": PW,
"stride": S}``; pooling never pads, acts on each channel on its own and keeps the
depth: ``x`` of shape ``(N, C, H, W)`` gives ``out`` of shape ``(N, C, H', W')`` with
``H' = (H - PH)/S + 1`` and ``W' = (W - PW)/S + 1``. Windows may overlap (S < PH).

The cache of every forward pass is exactly ``(x, pool_param)``.
"""

import numpy as np

from .shapes import pool_output_size


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
    # BEGIN SOLUTION
    ph, pw, stride, out_h, out_w = _geometry(x, pool_param)
    out = np.empty(x.shape[:2] + (out_h, out_w), dtype=np.float64)
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out, (x, pool_param)
    # END SOLUTION


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
    # BEGIN SOLUTION
    x, pool_param = cache
    ph, pw, stride, out_h, out_w = _geometry(x, pool_param)
    dout = _check_dout(dout, x.shape[:2] + (out_h, out_w))
    n, c = x.shape[:2]
    dx = np.zeros(x.shape, dtype=np.float64)
    nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            first_max = window.reshape(n, c, ph * pw).argmax(axis=2)
            di, dj = np.unravel_index(first_max, (ph, pw))
            dx[nn, cc, i * stride + di, j * stride + dj] += dout[:, :, i, j]
    return dx
    # END SOLUTION


def avg_pool_forward(x, pool_param):
    """Forward pass of average pooling: the mean of each ``PH x PW`` window.

    Args, returns and errors as :func:`max_pool_forward`.
    """
    # BEGIN SOLUTION
    ph, pw, stride, out_h, out_w = _geometry(x, pool_param)
    out = np.empty(x.shape[:2] + (out_h, out_w), dtype=np.float64)
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            out[:, :, i, j] = window.mean(axis=(2, 3))
    return out, (x, pool_param)
    # END SOLUTION


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
    # BEGIN SOLUTION
    x, pool_param = cache
    ph, pw, stride, out_h, out_w = _geometry(x, pool_param)
    dout = _check_dout(dout, x.shape[:2] + (out_h, out_w))
    dx = np.zeros(x.shape, dtype=np.float64)
    share = dout / (ph * pw)
    for i in range(out_h):
        for j in range(out_w):
            dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += share[:, :, i, j, None, None]
    return dx
    # END SOLUTION


# BEGIN SOLUTION
def _geometry(x, pool_param):
    """Validate the arguments of a pooling layer; return (PH, PW, S, H', W')."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must have 4 dimensions (N, C, H, W), got shape {x.shape}")
    try:
        ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    except (KeyError, TypeError):
        raise ValueError(
            "pool_param must be a dict with 'pool_height', 'pool_width' and 'stride', "
            f"got {pool_param!r}"
        ) from None
    return ph, pw, stride, pool_output_size(x.shape[2], ph, stride), pool_output_size(x.shape[3], pw, stride)


def _check_dout(dout, expected):
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != expected:
        raise ValueError(f"dout has shape {dout.shape}, expected {expected}")
    return dout
# END SOLUTION
