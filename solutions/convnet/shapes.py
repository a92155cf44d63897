"""Output-size arithmetic for convolution and pooling layers.

Every function here works on one spatial axis (a height or a width) and returns a
plain ``int``. Geometry that does not fit raises ``ValueError`` with a message that
shows the arithmetic, so the caller can see which number is wrong.
"""

from numbers import Integral


# BEGIN SOLUTION
def _check_window(n, f, stride, pad, what):
    """Raise ValueError when the window arguments themselves are invalid."""
    for name, value in (("n", n), ("f", f), ("stride", stride), ("pad", pad)):
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ValueError(f"{name} must be an int, got {value!r}")
    if n < 1:
        raise ValueError(f"the input size n must be at least 1, got n={n}")
    if f < 1:
        raise ValueError(f"the {what} size f must be at least 1, got f={f}")
    if stride < 1:
        raise ValueError(f"the stride must be at least 1, got stride={stride}")
    if pad < 0:
        raise ValueError(f"the padding must be 0 or more, got pad={pad}")
    if f > n + 2 * pad:
        raise ValueError(
            f"a {f}x{f} {what} is larger than the {n}x{n} input "
            f"padded by {pad} on each side ({n + 2 * pad}x{n + 2 * pad})"
        )
# END SOLUTION


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
    # BEGIN SOLUTION
    _check_window(n, f, stride, pad, "filter")
    span = n - f + 2 * pad
    if span % stride:
        raise ValueError(
            f"({n} - {f} + 2*{pad})/{stride} + 1 = {span / stride + 1:.2f}: "
            f"a filter of size {f} does not fit an input of size {n} along this axis with stride {stride}"
            + (f" and pad {pad}" if pad else "")
        )
    return int(span // stride + 1)
    # END SOLUTION


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
    # BEGIN SOLUTION
    _check_window(n, f, stride, 0, "window")
    span = n - f
    if span % stride:
        raise ValueError(
            f"({n} - {f})/{stride} + 1 = {span / stride + 1:.2f}: "
            f"a window of size {f} does not fit an input of size {n} along this axis with stride {stride}"
        )
    return int(span // stride + 1)
    # END SOLUTION


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
    # BEGIN SOLUTION
    if isinstance(f, bool) or not isinstance(f, Integral) or f < 1:
        raise ValueError(f"the filter size must be an int >= 1, got {f!r}")
    if f % 2 == 0:
        raise ValueError(
            f"a {f}x{f} filter has no 'same' padding: f - 1 = {f - 1} is odd, "
            "so the zeros cannot be split evenly between the two sides"
        )
    return int((f - 1) // 2)
    # END SOLUTION


def receptive_field(pool, kernel):
    """Receptive field of one unit of a ``pool x pool`` pooling layer placed after a
    stride-1 ``kernel x kernel`` convolution, in input pixels along one axis.

    Args:
        pool: pooling window size, ``>= 1``.
        kernel: convolution filter size, ``>= 1``.

    Returns:
        ``pool + kernel - 1``, an ``int``.
    """
    # BEGIN SOLUTION
    for name, value in (("pool", pool), ("kernel", kernel)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(pool + kernel - 1)
    # END SOLUTION
