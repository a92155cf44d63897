"""Output-size arithmetic for convolution and pooling layers.

Every function here works on one spatial axis (a height or a width) and returns a
plain ``int``. Geometry that does not fit raises ``ValueError`` with a message that
shows the arithmetic, so the caller can see which number is wrong.
"""

from functools import reduce
from numbers import Integral


def _checked(value, name, low):
    """``int(value)`` when it is an integer ``>= low``; ValueError otherwise."""
    if isinstance(value, Integral) and value >= low:
        return int(value)
    raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _quotient(numerator, stride):
    """``numerator / stride + 1`` written for a message: two decimals, or as many
    as it takes not to look like a whole number."""
    value = numerator / stride + 1
    return next((text for text in (f"{value:.{d}f}" for d in range(2, 12)) if float(text) != round(value)),
                repr(value))


def _fit(n, f, stride, pad, what):
    """Number of positions of a ``what`` of size f on n cells padded by pad, or ValueError."""
    padded = n + 2 * pad
    if f > padded:
        grown = f" (padded by {pad} on each side: {n} + 2*{pad} = {padded})" if pad else ""
        raise ValueError(f"a {what} of size {f} is larger than an input of size {n}{grown}: "
                         "it does not fit along this axis")
    steps, left = divmod(padded - f, stride)
    if left:
        arithmetic = f"({n} - {f} + 2*{pad})" if what == "filter" else f"({n} - {f})"
        raise ValueError(f"{arithmetic}/{stride} + 1 = {_quotient(padded - f, stride)}: a {what} of size {f} "
                         f"does not fit an input of size {n} along this axis with stride {stride}")
    return steps + 1


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
    return _fit(_checked(n, "n", 1), _checked(f, "f", 1), _checked(stride, "stride", 1),
                _checked(pad, "pad", 0), "filter")


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
    return _fit(_checked(n, "n", 1), _checked(f, "f", 1), _checked(stride, "stride", 1), 0, "window")


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
    f = _checked(f, "the filter size f", 1)
    if f % 2:
        return (f - 1) // 2
    raise ValueError(f"no symmetric padding keeps the size for an even filter size {f}: "
                     f"(f - 1)/2 = {(f - 1) / 2} is not a whole number")


def _grow(field, layer):
    """Receptive field, in a layer's input, of ``field`` adjacent units of its output:
    a layer ``(size, stride)`` maps them to ``(field - 1) * stride + size`` inputs."""
    size, stride = layer
    return (field - 1) * stride + size


def receptive_field(pool, kernel):
    """Receptive field of one unit of a ``pool x pool`` pooling layer placed after a
    stride-1 ``kernel x kernel`` convolution, in input pixels along one axis.

    Args:
        pool: pooling window size, ``>= 1``.
        kernel: convolution filter size, ``>= 1``.

    Returns:
        ``pool + kernel - 1``, an ``int``.
    """
    stack = [(_checked(kernel, "kernel", 1), 1), (_checked(pool, "pool", 1), _checked(pool, "pool", 1))]
    # From one unit at the top back down through the layers, last layer first.
    return reduce(_grow, reversed(stack), 1)
