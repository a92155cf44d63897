"""Output-size arithmetic for convolution and pooling layers.

Every function here works on one spatial axis (a height or a width) and returns a
plain ``int``. Geometry that does not fit raises ``ValueError`` with a message that
shows the arithmetic, so the caller can see which number is wrong.
"""

from numbers import Integral


def conv_output_size(n, f, stride=1, pad=0):
    """Spatial output size of a convolution along one axis.

    Computes ``(n - f + 2*pad) / stride + 1``.

    Args:
        n: input size (height or width), ``>= 1``.
        f: filter size along the same axis, ``1 <= f <= n + 2*pad``.
        stride: step between filter positions, ``>= 1``.
        pad: zeros added on each side, ``>= 0``.

    Returns:
        The output size, an ``int``.

    Raises:
        ValueError: when an argument is invalid, or when the filter does not tile the
            padded input exactly, e.g. ``"(7 - 3 + 2*0)/3 + 1 = 2.33: a filter of
            size 3 does not fit an input of size 7 along this axis with stride 3"``.
    """
    args = {"n": n, "f": f, "stride": stride, "pad": pad}
    bad = [k for k, v in args.items() if isinstance(v, bool) or not isinstance(v, Integral)]
    if bad:
        raise ValueError(f"{', '.join(bad)} must be int(s): got {args}")
    if n < 1 or stride < 1 or pad < 0 or not 1 <= f <= n + 2 * pad:
        raise ValueError(f"invalid geometry: n={n}, f={f}, stride={stride}, pad={pad} "
                         f"(need n >= 1, stride >= 1, pad >= 0, 1 <= f <= n + 2*pad)")
    q, r = divmod(n - f + 2 * pad, stride)
    if r:
        raise ValueError(f"({n} - {f} + 2*{pad})/{stride} + 1 = {(n - f + 2 * pad) / stride + 1:.2f}: a filter of size "
                         f"{f} does not fit an input of size {n} along this axis with stride {stride}")
    return int(q) + 1


def pool_output_size(n, f, stride):
    """Spatial output size of a pooling window along one axis.

    Computes ``(n - f) / stride + 1`` (pooling never pads).

    Args:
        n: input size, ``>= 1``.
        f: window size, ``1 <= f <= n``.
        stride: step between windows, ``>= 1``.

    Returns:
        The output size, an ``int``.

    Raises:
        ValueError: as :func:`conv_output_size`, e.g. ``"(5 - 2)/2 + 1 = 2.50: a window
            of size 2 does not fit an input of size 5 along this axis with stride 2"``.
    """
    args = {"n": n, "f": f, "stride": stride}
    bad = [k for k, v in args.items() if isinstance(v, bool) or not isinstance(v, Integral)]
    if bad:
        raise ValueError(f"{', '.join(bad)} must be int(s): got {args}")
    if n < 1 or stride < 1 or not 1 <= f < n:
        raise ValueError(f"invalid geometry: n={n}, f={f}, stride={stride} (need n >= 1, stride >= 1, 1 <= f <= n)")
    q, r = divmod(n - f, stride)
    if r:
        raise ValueError(f"({n} - {f})/{stride} + 1 = {(n - f) / stride + 1:.2f}: a window of size {f} does not fit "
                         f"an input of size {n} along this axis with stride {stride}")
    return int(q) + 1


def same_padding(f):
    """Padding that keeps the spatial size unchanged for a stride-1 convolution.

    Args:
        f: an odd filter size ``>= 1``.

    Returns:
        ``(f - 1) // 2``, an ``int``.

    Raises:
        ValueError: when ``f`` is even or smaller than 1 (no symmetric padding keeps
            the size).
    """
    if isinstance(f, bool) or not isinstance(f, Integral) or f < 1 or f % 2 != 1:
        raise ValueError(f"same_padding needs an odd int filter size >= 1, got {f!r}")
    return int(f) // 2


def receptive_field(pool, kernel):
    """Receptive field of one unit of a ``pool x pool`` pooling layer placed after a
    stride-1 ``kernel x kernel`` convolution, in input pixels along one axis.

    Args:
        pool: pooling window size, ``>= 1``.
        kernel: convolution filter size, ``>= 1``.

    Returns:
        ``pool + kernel - 1``, an ``int``.
    """
    return int(kernel) + int(pool) - 1
