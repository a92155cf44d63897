"""Mistakes in max and average pooling."""

import numpy as np

from autograder.grade.diagnose import Mistake


def windows(x, pool_param):
    """``(i, j, rows, cols)`` of every pooling window, in row-major order."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    for i in range((x.shape[2] - ph) // stride + 1):
        for j in range((x.shape[3] - pw) // stride + 1):
            yield i, j, slice(i * stride, i * stride + ph), slice(j * stride, j * stride + pw)


def max_whole_window(dout, cache):
    x, pool_param = cache
    dx = np.zeros(x.shape)
    for i, j, rows, cols in windows(x, pool_param):
        dx[:, :, rows, cols] += dout[:, :, i, j, None, None]
    return dx


def max_shifting_x(dout, cache):
    """Finds each window's maximum after shifting the window, a view of x, so that its
    maximum is 0: x changes under the windows that come later."""
    x, pool_param = cache
    n, c = x.shape[:2]
    pw = pool_param["pool_width"]
    dx = np.zeros(x.shape)
    nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for i, j, rows, cols in windows(x, pool_param):
        window = x[:, :, rows, cols]
        window -= window.max(axis=(2, 3), keepdims=True)
        first_max = window.reshape(n, c, -1).argmax(axis=2)
        dx[nn, cc, rows.start + first_max // pw, cols.start + first_max % pw] += dout[:, :, i, j]
    return dx


def mistakes(ref):
    return [
        Mistake(
            "max-grad-whole-window",
            "the max-pool gradient is sent to the whole window",
            "Only the window's maximum reaches the output, so only its position gets the window's upstream "
            "gradient (the first maximum, on ties); the other positions get nothing from that window.",
            {"max_pool_backward": max_whole_window},
        ),
        Mistake(
            "max-pool-modifies-x",
            "max_pool_backward modifies its input x in place",
            "A slice such as x[:, :, a:b, c:d] is a view: assigning into it (=, -=, ...) changes x itself, so "
            "windows that overlap see changed values, and so does the caller. Work on a copy (window.copy()) "
            "or compute without writing into x.",
            {"max_pool_backward": max_shifting_x},
        ),
    ]
