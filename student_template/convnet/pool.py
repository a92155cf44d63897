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
    raise NotImplementedError("max_pool_forward is not implemented yet: write your code here (see the docstring above)")


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
    raise NotImplementedError("max_pool_backward is not implemented yet: write your code here (see the docstring above)")


def avg_pool_forward(x, pool_param):
    """Forward pass of average pooling: the mean of each ``PH x PW`` window.

    Args, returns and errors as :func:`max_pool_forward`.
    """
    raise NotImplementedError("avg_pool_forward is not implemented yet: write your code here (see the docstring above)")


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
    raise NotImplementedError("avg_pool_backward is not implemented yet: write your code here (see the docstring above)")
