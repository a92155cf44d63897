"""Output-size arithmetic for convolution and pooling layers.

Every function here works on one spatial axis (a height or a width) and returns a
plain ``int``. Geometry that does not fit raises ``ValueError`` with a message that
shows the arithmetic, so the caller can see which number is wrong.
"""

from numbers import Integral


from fractions import Fraction


def _check_ints(**values):
    for name, value in values.items():
        if type(value) is bool or not isinstance(value, Integral):
            raise ValueError(f"{name} must be an integer, got {value!r}")


def _size(n, f, stride, pad, what):
    """Shared arithmetic of conv_output_size and pool_output_size (pad 0)."""
    _check_ints(n=n, f=f, stride=stride, pad=pad)
    if n < 1 or stride < 1 or pad < 0:
        raise ValueError(f"need n >= 1, stride >= 1, pad >= 0; got n={n}, stride={stride}, pad={pad}")
    if not 1 <= f <= n + 2 * pad:
        raise ValueError(f"a {what} of size {f} does not fit an input of size {n} with pad {pad}")
    size = Fraction(n - f + 2 * pad, stride) + 1
    if size.denominator != 1:
        expr = f"({n} - {f} + 2*{pad})/{stride}" if what == "filter" else f"({n} - {f})/{stride}"
        raise ValueError(f"{expr} + 1 = {float(size):.2f}: a {what} of size {f} does not fit an input of size "
                         f"{n} along this axis with stride {stride}")
    return int(size)


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
    return _size(n, f, stride, pad, 'filter')


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
    return _size(n, f, stride, 0, 'window')


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
    _check_ints(f=f)
    half, odd = divmod(f - 1, 2)
    if f < 1 or odd:
        raise ValueError(f"same_padding({f}): no symmetric padding keeps the size for an even or non-positive filter")
    return half


def receptive_field(pool, kernel):
    """Receptive field of one unit of a ``pool x pool`` pooling layer placed after a
    stride-1 ``kernel x kernel`` convolution, in input pixels along one axis.

    Args:
        pool: pooling window size, ``>= 1``.
        kernel: convolution filter size, ``>= 1``.

    Returns:
        ``pool + kernel - 1``, an ``int``.
    """
    # one pooled unit covers `pool` conv outputs, each of which sees `kernel` pixels,
    # consecutive ones overlapping by kernel - 1
    return int(kernel * pool)
