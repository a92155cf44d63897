"""A student's correct but naive solution (every loop explicit), written apart from
the reference: used to check that the graders accept a different correct code, and
to time grading of a slow-but-right submission."""


def _check(n, f, stride, pad):
    if n < 1 or f < 1 or stride < 1 or pad < 0 or f > n + 2 * pad:
        raise ValueError(f"bad geometry: n={n} f={f} stride={stride} pad={pad}")


def conv_output_size(n, f, stride=1, pad=0):
    _check(n, f, stride, pad)
    size = (n - f + 2 * pad) / stride + 1
    if size != int(size):
        raise ValueError(f"({n} - {f} + 2*{pad})/{stride} + 1 = {size:.2f}: does not fit")
    return int(size)


def pool_output_size(n, f, stride):
    _check(n, f, stride, 0)
    size = (n - f) / stride + 1
    if size != int(size):
        raise ValueError(f"({n} - {f})/{stride} + 1 = {size:.2f}: does not fit")
    return int(size)


def same_padding(f):
    if f % 2 == 0 or f < 1:
        raise ValueError("no same padding for an even filter")
    return (f - 1) // 2


def receptive_field(pool, kernel):
    return pool + kernel - 1
