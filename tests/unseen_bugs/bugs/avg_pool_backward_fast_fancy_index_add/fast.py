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
    N, C, H, W = x.shape
    F, C2, HH, WW = w.shape
    if C2 != C:
        raise ValueError(f"channel mismatch: x has C={C}, w has C={C2}")
    if np.shape(b) != (F,):
        raise ValueError(f"b should have shape ({F},), got {np.shape(b)}")
    S, P = conv_param["stride"], conv_param["pad"]
    Ho, Wo = conv_output_size(H, HH, S, P), conv_output_size(W, WW, S, P)
    xp = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (P, P), (P, P)))
    sN, sC, sH, sW = xp.strides
    view = as_strided(xp, shape=(C, HH, WW, N, Ho, Wo),
                      strides=(sC, sH, sW, sN, S * sH, S * sW), writeable=False)
    cols = view.reshape(C * HH * WW, N * Ho * Wo)          # copies: the im2col matrix
    out = np.tensordot(np.asarray(w, dtype=np.float64).reshape(F, -1), cols, axes=1)
    out = out.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3) + np.asarray(b, dtype=np.float64)[None, :, None, None]
    return np.ascontiguousarray(out), (x, w, b, conv_param, cols)


def conv_backward_fast(dout, cache):
    """Backward pass of a convolutional layer, as :func:`convnet.conv.conv_backward`.

    Args:
        dout: upstream gradient, shape ``(N, F, H', W')``.
        cache: as returned by :func:`conv_forward_fast`.

    Returns:
        ``(dx, dw, db)``, float64, of shapes ``(N, C, H, W)``, ``(F, C, HH, WW)`` and
        ``(F,)``, summed over the batch, equal to ``conv_backward``'s to float rounding.
    """
    x, w, b, conv_param, cols = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    S, P = conv_param["stride"], conv_param["pad"]
    _, _, Ho, Wo = dout.shape
    d2 = np.asarray(dout, dtype=np.float64).transpose(1, 0, 2, 3).reshape(F, -1)
    db = d2.sum(axis=1)
    dw = np.tensordot(d2, cols, axes=(1, 1)).reshape(F, C, HH, WW)
    dcols = np.tensordot(np.asarray(w, dtype=np.float64).reshape(F, -1), d2, axes=(0, 0))
    dcols = dcols.reshape(C, HH, WW, N, Ho, Wo)
    # col2im with np.add.at on index grids
    c = np.arange(C)[:, None, None, None, None, None]
    di = np.arange(HH)[None, :, None, None, None, None]
    dj = np.arange(WW)[None, None, :, None, None, None]
    n = np.arange(N)[None, None, None, :, None, None]
    i = np.arange(Ho)[None, None, None, None, :, None]
    j = np.arange(Wo)[None, None, None, None, None, :]
    shape = dcols.shape
    dxp = np.zeros((N, C, H + 2 * P, W + 2 * P))
    np.add.at(dxp, tuple(np.broadcast_to(a, shape) for a in (n, c, i * S + di, j * S + dj)), dcols)
    return np.ascontiguousarray(dxp[:, :, P:P + H, P:P + W]), dw, db


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
    win = _pool_windows(x, pool_param)
    N, C, Ho, Wo, PH, PW = win.shape
    flat = win.reshape(N, C, Ho, Wo, PH * PW)
    arg = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    return out, (x, pool_param, arg)


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
    x, pool_param, arg = cache
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, Ho, Wo = arg.shape
    di, dj = np.divmod(arg, PW)
    nn, cc, ii, jj = np.indices((N, C, Ho, Wo))
    dx = np.zeros(x.shape, dtype=np.float64)
    np.add.at(dx, (nn, cc, ii * S + di, jj * S + dj), np.asarray(dout, dtype=np.float64))
    return dx


def avg_pool_forward_fast(x, pool_param):
    """Forward pass of average pooling, as :func:`convnet.pool.avg_pool_forward`.

    Args, returns and errors as :func:`max_pool_forward_fast`.
    """
    win = _pool_windows(x, pool_param)
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
    N, C, Ho, Wo = dout.shape
    nn, cc, ii, jj, di, dj = np.indices((N, C, Ho, Wo, PH, PW))
    vals = np.broadcast_to((np.asarray(dout, dtype=np.float64) / (PH * PW))[..., None, None], nn.shape)
    dx = np.zeros(x.shape, dtype=np.float64)
    dx[nn, cc, ii * S + di, jj * S + dj] += vals
    return dx


def _pool_windows(x, pool_param):
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = pool_output_size(H, PH, S), pool_output_size(W, PW, S)
    x = np.ascontiguousarray(x, dtype=np.float64)
    sN, sC, sH, sW = x.strides
    return as_strided(x, shape=(N, C, Ho, Wo, PH, PW), strides=(sN, sC, S * sH, S * sW, sH, sW), writeable=False)
