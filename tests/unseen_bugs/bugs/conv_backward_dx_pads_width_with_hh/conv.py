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


from numpy.lib.stride_tricks import sliding_window_view


def zero_pad(x, pad):
    """Pad the two spatial axes of ``x`` with ``pad`` zeros on every side.

    Args:
        x: array of shape ``(N, C, H, W)``.
        pad: int ``>= 0``.

    Returns:
        A new array of shape ``(N, C, H + 2*pad, W + 2*pad)``; ``x`` is not modified.
    """
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")


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
    N, C, H, W = x.shape
    F, C2, HH, WW = w.shape
    if C2 != C:
        raise ValueError(f"channel mismatch: x has C={C}, w has C={C2}")
    if np.shape(b) != (F,):
        raise ValueError(f"b should have shape ({F},), got {np.shape(b)}")
    S, P = conv_param["stride"], conv_param["pad"]
    Ho, Wo = conv_output_size(H, HH, S, P), conv_output_size(W, WW, S, P)
    xp = zero_pad(np.asarray(x, dtype=np.float64), P)
    win = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::S, ::S]   # (N, C, Ho, Wo, HH, WW)
    out = np.einsum("nchwij,fcij->nfhw", win, np.asarray(w, dtype=np.float64), optimize=True)
    out += np.asarray(b, dtype=np.float64)[None, :, None, None]
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
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    dout = np.asarray(dout, dtype=np.float64)
    w64 = np.asarray(w, dtype=np.float64)
    _, _, Ho, Wo = dout.shape
    xp = zero_pad(np.asarray(x, dtype=np.float64), P)
    win = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::S, ::S]
    db = dout.sum(axis=(0, 2, 3))
    dw = np.einsum("nfhw,nchwij->fcij", dout, win, optimize=True)
    # dx: full correlation of the stride-dilated dout with the flipped filters
    dil = np.zeros((N, F, (Ho - 1) * S + 1, (Wo - 1) * S + 1))
    dil[:, :, ::S, ::S] = dout
    dil = np.pad(dil, ((0, 0), (0, 0), (HH - 1, HH - 1), (HH - 1, HH - 1)))
    dwin = sliding_window_view(dil, (HH, WW), axis=(2, 3))      # (N, F, Hp, Wp, HH, WW)
    dxp = np.einsum("nfhwij,fcij->nchw", dwin, w64[:, :, ::-1, ::-1], optimize=True)
    dx = np.ascontiguousarray(dxp[:, :, P:P + H, P:P + W])
    return dx, dw, db
