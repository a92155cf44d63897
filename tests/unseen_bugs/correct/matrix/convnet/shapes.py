"""Output-size arithmetic for convolution and pooling layers.

Every function here works on one spatial axis (a height or a width) and returns a
plain ``int``. Geometry that does not fit raises ``ValueError`` with a message that
shows the arithmetic, so the caller can see which number is wrong.
"""

from numbers import Integral

# Smallest allowed value of every argument of this module.
_LOWEST = {"n": 1, "f": 1, "stride": 1, "pad": 0, "pool": 1, "kernel": 1}


def _validate(**values):
    """The values as plain ints, after checking each is an integer at least its lowest."""
    result = []
    for name, value in values.items():
        if not isinstance(value, Integral) or value < _LOWEST[name]:
            raise ValueError(f"{name} must be an integer >= {_LOWEST[name]}, got {value!r}")
        result.append(int(value))
    return result


def _fraction(numerator, stride):
    """``numerator/stride + 1`` for an error message, e.g. ``2.33``."""
    value = numerator / stride + 1
    text = f"{value:.2f}"
    digits = 2
    while float(text) == round(value) and digits < 12:  # 1.004 must not read as "1.00"
        digits += 1
        text = f"{value:.{digits}f}"
    return text


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
    n, f, stride, pad = _validate(n=n, f=f, stride=stride, pad=pad)
    if f > n + 2 * pad:
        raise ValueError(f"a filter of size {f} is larger than the padded input, {n} + 2*{pad} = {n + 2 * pad}: "
                         "it does not fit along this axis")
    quotient, remainder = divmod(n - f + 2 * pad, stride)
    if remainder != 0:
        raise ValueError(f"({n} - {f} + 2*{pad})/{stride} + 1 = {_fraction(n - f + 2 * pad, stride)}: "
                         f"a filter of size {f} does not fit an input of size {n} along this axis "
                         f"with stride {stride}")
    return quotient + 1


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
    n, f, stride = _validate(n=n, f=f, stride=stride)
    if f > n:
        raise ValueError(f"a window of size {f} is larger than the input, of size {n}: "
                         "it does not fit along this axis")
    quotient, remainder = divmod(n - f, stride)
    if remainder != 0:
        raise ValueError(f"({n} - {f})/{stride} + 1 = {_fraction(n - f, stride)}: a window of size {f} "
                         f"does not fit an input of size {n} along this axis with stride {stride}")
    return quotient + 1


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
    (f,) = _validate(f=f)
    half, odd = divmod(f - 1, 2)
    if odd:
        raise ValueError(f"an even filter size f = {f} has no same padding: (f - 1)/2 = {(f - 1) / 2}")
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
    pool, kernel = _validate(pool=pool, kernel=kernel)
    return pool + kernel - 1
