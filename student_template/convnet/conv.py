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


def zero_pad(x, pad):
    """Pad the two spatial axes of ``x`` with ``pad`` zeros on every side.

    Args:
        x: array of shape ``(N, C, H, W)``.
        pad: int ``>= 0``.

    Returns:
        A new array of shape ``(N, C, H + 2*pad, W + 2*pad)``; ``x`` is not modified.
    """
    raise NotImplementedError("zero_pad is not implemented yet: write your code here (see the docstring above)")


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
    raise NotImplementedError("conv_forward is not implemented yet: write your code here (see the docstring above)")


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
    raise NotImplementedError("conv_backward is not implemented yet: write your code here (see the docstring above)")
