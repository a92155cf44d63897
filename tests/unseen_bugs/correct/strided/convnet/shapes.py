"""Output-size arithmetic for convolution and pooling layers.

Every function here works on one spatial axis (a height or a width) and returns a
plain ``int``. Geometry that does not fit raises ``ValueError`` with a message that
shows the arithmetic, so the caller can see which number is wrong.
"""

from numbers import Integral


def _require_int(name, value, smallest):
    """``value`` as a plain int, or ValueError when it is not an integer ``>= smallest``."""
    if not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < smallest:
        raise ValueError(f"{name} must be >= {smallest}, got {value}")
    return int(value)


def _show(value):
    """A non-integer quotient with two decimals (more if two would make it look whole)."""
    for digits in range(2, 12):
        text = f"{value:.{digits}f}"
        if float(text) != round(value) or digits == 11:
            return text
    return repr(value)  # pragma: no cover


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
    n = _require_int("the input size n", n, 1)
    f = _require_int("the filter size f", f, 1)
    stride = _require_int("the stride", stride, 1)
    pad = _require_int("the padding", pad, 0)
    if f > n + 2 * pad:
        raise ValueError(
            f"a filter of size {f} is larger than an input of size {n} padded by {pad} "
            f"on each side ({n} + 2*{pad} = {n + 2 * pad}): it does not fit along this axis"
        )
    span = n - f + 2 * pad
    if span % stride:
        raise ValueError(
            f"({n} - {f} + 2*{pad})/{stride} + 1 = {_show(span / stride + 1)}: a filter of size {f} "
            f"does not fit an input of size {n} along this axis with stride {stride}"
        )
    return span // stride + 1


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
    n = _require_int("the input size n", n, 1)
    f = _require_int("the window size f", f, 1)
    stride = _require_int("the stride", stride, 1)
    if f > n:
        raise ValueError(
            f"a window of size {f} is larger than an input of size {n}: it does not fit along this axis"
        )
    span = n - f
    if span % stride:
        raise ValueError(
            f"({n} - {f})/{stride} + 1 = {_show(span / stride + 1)}: a window of size {f} "
            f"does not fit an input of size {n} along this axis with stride {stride}"
        )
    return span // stride + 1


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
    f = _require_int("the filter size f", f, 1)
    if f % 2 == 0:
        raise ValueError(
            f"a filter of even size {f} has no same padding: it would need (f - 1)/2 = "
            f"{(f - 1) / 2} zeros on each side"
        )
    return (f - 1) // 2


def receptive_field(pool, kernel):
    """Receptive field of one unit of a ``pool x pool`` pooling layer placed after a
    stride-1 ``kernel x kernel`` convolution, in input pixels along one axis.

    Args:
        pool: pooling window size, ``>= 1``.
        kernel: convolution filter size, ``>= 1``.

    Returns:
        ``pool + kernel - 1``, an ``int``.
    """
    pool = _require_int("the pooling window size", pool, 1)
    kernel = _require_int("the filter size", kernel, 1)
    return pool + kernel - 1
