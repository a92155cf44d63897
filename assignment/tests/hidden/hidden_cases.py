"""Seeded random cases for the hidden graders: every geometry fits by construction
(output size chosen first), and special shapes are forced in on purpose."""

from __future__ import annotations

import numpy as np


def conv_case(seed: int, *, small: bool = False):
    """``(x, w, b, conv_param)`` with a geometry that fits. Seeds 0-5 force the special
    shapes the graders must cover: 1x1 filters, one channel, batch of one, non-square
    input and filter, stride 3 with pad 2, large values."""
    rng = np.random.default_rng(1000 + seed)
    top = 3 if small else 5
    n, c, f = int(rng.integers(1, top)), int(rng.integers(1, top)), int(rng.integers(1, top))
    hh, ww = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    out_h, out_w = int(rng.integers(1, 4 if small else 7)), int(rng.integers(1, 4 if small else 7))
    scale = 1.0
    if seed == 0:
        hh = ww = 1
        pad = 0
    elif seed == 1:
        c = 1
    elif seed == 2:
        n = 1
    elif seed == 3:
        hh, ww, out_h, out_w = 3, 1, 2, 5
    elif seed == 4:
        stride, pad, hh, ww = 3, 2, 3, 3
    elif seed == 5:
        scale = 1e6
    h = (out_h - 1) * stride + hh - 2 * pad
    w_ = (out_w - 1) * stride + ww - 2 * pad
    if h < 1 or w_ < 1:  # too much padding for this filter: drop it
        pad = 0
        h, w_ = (out_h - 1) * stride + hh, (out_w - 1) * stride + ww
    x = rng.normal(size=(n, c, h, w_)) * scale
    w = rng.normal(size=(f, c, hh, ww))
    b = rng.normal(size=f)
    return x, w, b, {"stride": stride, "pad": pad}


def pool_case(seed: int, *, small: bool = False):
    """``(x, pool_param)``: tie-free values (a shuffled grid, well apart), windows
    that overlap (stride < size), non-square windows and a batch of one among them."""
    rng = np.random.default_rng(2000 + seed)
    ph, pw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    stride = int(rng.integers(1, 4))
    if seed == 0:
        ph, pw, stride = 3, 3, 1  # overlapping
    elif seed == 1:
        ph, pw, stride = 2, 3, 2  # non-square
    elif seed == 2:
        ph, pw, stride = 2, 2, 2  # the classic
    out_h, out_w = int(rng.integers(1, 4 if small else 6)), int(rng.integers(1, 4 if small else 6))
    n = 1 if seed == 3 else int(rng.integers(1, 3 if small else 4))
    c = int(rng.integers(1, 3 if small else 4))
    shape = (n, c, (out_h - 1) * stride + ph, (out_w - 1) * stride + pw)
    size = int(np.prod(shape))
    x = (rng.permutation(size).reshape(shape) - size / 2) * 0.01
    return x, {"pool_height": ph, "pool_width": pw, "stride": stride}


def case_id(*arrays_and_params) -> str:
    """``x(2,3,7,5)-w(4,3,3,1)-stride2-pad1``: shapes and parameters, never values."""
    parts = []
    for name, value in arrays_and_params:
        if isinstance(value, np.ndarray):
            parts.append(f"{name}{value.shape}".replace(" ", ""))
        elif isinstance(value, dict):
            parts += [f"{k.replace('pool_', '')}{v}" for k, v in value.items()]
    return "-".join(parts)
