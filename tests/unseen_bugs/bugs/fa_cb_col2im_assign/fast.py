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
    N, C, H, W = np.shape(x)
    F, C2, HH, WW = np.shape(w)
    if C2 != C or np.shape(b) != (F,):
        raise ValueError(f"shapes do not agree: x {np.shape(x)}, w {np.shape(w)}, b {np.shape(b)}")
    S, P = conv_param["stride"], conv_param["pad"]
    Ho, Wo = conv_output_size(H, HH, S, P), conv_output_size(W, WW, S, P)
    xp = np.pad(np.asarray(x, dtype=np.float64), [(0, 0), (0, 0), (P, P), (P, P)])
    v = _tap_view(xp, HH, WW, S, Ho, Wo)                      # (N, C, HH, WW, Ho, Wo), a view
    out = np.einsum("ncijhw,fcij->nfhw", v, np.asarray(w, dtype=np.float64), optimize="greedy")
    out += np.asarray(b, dtype=np.float64).reshape(1, F, 1, 1)
    return out, {"x": x, "w": w, "b": b, "conv_param": conv_param, "xp": xp}


def conv_backward_fast(dout, cache):
    """Backward pass of a convolutional layer, as :func:`convnet.conv.conv_backward`.

    Args:
        dout: upstream gradient, shape ``(N, F, H', W')``.
        cache: as returned by :func:`conv_forward_fast`.

    Returns:
        ``(dx, dw, db)``, float64, of shapes ``(N, C, H, W)``, ``(F, C, HH, WW)`` and
        ``(F,)``, summed over the batch, equal to ``conv_backward``'s to float rounding.
    """
    x, w, xp = cache["x"], cache["w"], cache["xp"]
    S, P = cache["conv_param"]["stride"], cache["conv_param"]["pad"]
    N, C, H, W = np.shape(x)
    F, _, HH, WW = np.shape(w)
    _, _, Ho, Wo = np.shape(dout)
    dout = np.asarray(dout, dtype=np.float64)
    v = _tap_view(xp, HH, WW, S, Ho, Wo)
    db = dout.sum(axis=(0, 2, 3))
    dw = np.einsum("nfhw,ncijhw->fcij", dout, v, optimize="greedy")
    dtap = np.einsum("nfhw,fcij->ncijhw", dout, np.asarray(w, dtype=np.float64), optimize="greedy")
    dxp = np.zeros(xp.shape)
    for di in range(HH):
        for dj in range(WW):
            dxp[:, :, di:di + S * (Ho - 1) + 1:S, dj:dj + S * (Wo - 1) + 1:S] = dtap[:, :, di, dj]
    return dxp[:, :, P:P + H, P:P + W].copy(), dw, db


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
    win = _pool_view(x, pool_param)
    return win.max(axis=(-2, -1)), (x, pool_param)


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
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = np.shape(x)
    dout = np.asarray(dout, dtype=np.float64)
    if S == PH == PW:
        # windows tile the input: a reshape; the first max of each block by argmax
        Ho, Wo = H // PH, W // PW
        blocks = np.asarray(x, dtype=np.float64).reshape(N, C, Ho, PH, Wo, PW).transpose(0, 1, 2, 4, 3, 5)
        k = blocks.reshape(N, C, Ho, Wo, PH * PW).argmax(axis=-1)
        mask = np.arange(PH * PW) == k[..., None]
        g = (mask * dout[..., None]).reshape(N, C, Ho, Wo, PH, PW).transpose(0, 1, 2, 4, 3, 5)
        return g.reshape(N, C, H, W)
    win = _pool_view(x, pool_param)
    N, C, Ho, Wo = win.shape[:4]
    k = win.reshape(N, C, Ho, Wo, PH * PW).argmax(axis=-1)
    dx = np.zeros((N, C, H, W))
    for di in range(PH):
        for dj in range(PW):
            hit = k == di * PW + dj
            dx[:, :, di:di + S * (Ho - 1) + 1:S, dj:dj + S * (Wo - 1) + 1:S] += dout * hit
    return dx


def avg_pool_forward_fast(x, pool_param):
    """Forward pass of average pooling, as :func:`convnet.pool.avg_pool_forward`.

    Args, returns and errors as :func:`max_pool_forward_fast`.
    """
    win = _pool_view(x, pool_param)
    return win.mean(axis=(-2, -1)), (x, pool_param)


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
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = np.shape(x)
    _, _, Ho, Wo = np.shape(dout)
    share = np.asarray(dout, dtype=np.float64) / (PH * PW)
    dx = np.zeros((N, C, H, W))
    for di in range(PH):
        for dj in range(PW):
            dx[:, :, di:di + S * (Ho - 1) + 1:S, dj:dj + S * (Wo - 1) + 1:S] += share
    return dx


def _tap_view(xp, HH, WW, S, Ho, Wo):
    sN, sC, sH, sW = xp.strides
    N, C = xp.shape[:2]
    return as_strided(xp, shape=(N, C, HH, WW, Ho, Wo), strides=(sN, sC, sH, sW, S * sH, S * sW), writeable=False)


def _pool_view(x, pool_param):
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = np.shape(x)
    Ho, Wo = pool_output_size(H, PH, S), pool_output_size(W, PW, S)
    xc = np.ascontiguousarray(x, dtype=np.float64)
    sN, sC, sH, sW = xc.strides
    return as_strided(xc, shape=(N, C, Ho, Wo, PH, PW), strides=(sN, sC, S * sH, S * sW, sH, sW), writeable=False)
