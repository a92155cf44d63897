import numpy as np

from .shapes import conv_output_size


def zero_pad(x, pad):
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + 2 * pad, w + 2 * pad))
    for i in range(h):
        for j in range(w):
            out[:, :, i + pad, j + pad] = x[:, :, i, j]
    return out


def conv_forward(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    n, c, h, wd = x.shape
    f, c2, hh, ww = w.shape
    if c != c2 or b.shape != (f,):
        raise ValueError("shapes do not match")
    oh, ow = conv_output_size(h, hh, s, p), conv_output_size(wd, ww, s, p)
    xp = zero_pad(x, p)
    out = np.zeros((n, f, oh, ow))
    for a in range(n):
        for k in range(f):
            for i in range(oh):
                for j in range(ow):
                    total = b[k]
                    for ch in range(c):
                        for di in range(hh):
                            for dj in range(ww):
                                total += xp[a, ch, i * s + di, j * s + dj] * w[k, ch, di, dj]
                    out[a, k, i, j] = total
    return out, (x, w, b, conv_param)


def conv_backward(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    _, _, oh, ow = dout.shape
    xp = zero_pad(x, p)
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(f)
    for a in range(n):
        for k in range(f):
            for i in range(oh):
                for j in range(ow):
                    g = dout[a, k, i, j]
                    db[k] += g
                    for ch in range(c):
                        for di in range(hh):
                            for dj in range(ww):
                                dw[k, ch, di, dj] += g * xp[a, ch, i * s + di, j * s + dj]
                                dxp[a, ch, i * s + di, j * s + dj] += g * w[k, ch, di, dj]
    return dxp[:, :, p:p + h, p:p + wd], dw, db
