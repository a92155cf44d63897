import numpy as np

from .shapes import pool_output_size


def _pool(x, pool_param, reduce):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    oh, ow = pool_output_size(h, ph, s), pool_output_size(w, pw, s)
    out = np.zeros((n, c, oh, ow))
    for a in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    out[a, ch, i, j] = reduce(x[a, ch, i * s:i * s + ph, j * s:j * s + pw])
    return out, (x, pool_param)


def max_pool_forward(x, pool_param):
    return _pool(x, pool_param, np.max)


def avg_pool_forward(x, pool_param):
    return _pool(x, pool_param, np.mean)


def max_pool_backward(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(x.shape)
    n, c, oh, ow = dout.shape
    for a in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    window = x[a, ch, i * s:i * s + ph, j * s:j * s + pw]
                    di, dj = np.unravel_index(np.argmax(window), window.shape)
                    dx[a, ch, i * s + di, j * s + dj] += dout[a, ch, i, j]
    return dx


def avg_pool_backward(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(x.shape)
    n, c, oh, ow = dout.shape
    for a in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    dx[a, ch, i * s:i * s + ph, j * s:j * s + pw] += dout[a, ch, i, j] / (ph * pw)
    return dx
