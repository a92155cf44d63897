"""Seeded random cases for the hidden graders: every geometry fits by construction
(output size chosen first), and special shapes are forced in on purpose."""

from __future__ import annotations

import numpy as np

from autograder.runtime.characterise import argument, shape
from autograder.runtime.seeds import entropy


def conv_case(seed: int, *, small: bool = False):
    """``(x, w, b, conv_param)`` with a geometry that fits. Seeds 0-5 force the special
    shapes the graders must cover: 1x1 filters, one channel, batch of one, non-square
    input and filter, stride 3 with pad 2, large values."""
    rng = np.random.default_rng(entropy(1000 + seed))
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
        out_h, out_w = max(out_h, 2), max(out_w, 2)  # one output row would leave no input to pad: pad kept
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
    rng = np.random.default_rng(entropy(2000 + seed))
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


# Designed cases: a base geometry, then each parameter changed on its own, so that a
# failure that depends on one parameter shows as exactly the cases that change it
# (the feedback names what the failing cases have in common). Random cases follow.
CONV_BASE = {"n": 2, "c": 3, "f": 2, "hh": 3, "ww": 3, "stride": 1, "pad": 0, "out_h": 4, "out_w": 4}
CONV_CHANGES = [
    {}, {"n": 1}, {"n": 3}, {"c": 1}, {"c": 2}, {"f": 1}, {"f": 4},
    {"hh": 1, "ww": 1}, {"hh": 3, "ww": 1}, {"hh": 2, "ww": 3},
    {"stride": 2}, {"stride": 3}, {"pad": 1}, {"pad": 2},
    {"out_h": 3, "out_w": 5}, {"out_h": 5, "out_w": 2}, {"scale": 1e6},
]
POOL_BASE = {"n": 2, "c": 2, "ph": 2, "pw": 2, "stride": 2, "out_h": 3, "out_w": 3}
POOL_CHANGES = [
    {}, {"n": 1}, {"n": 3}, {"c": 1}, {"c": 3},
    {"ph": 3, "pw": 3, "stride": 1}, {"ph": 2, "pw": 3}, {"ph": 3, "pw": 2}, {"stride": 1}, {"stride": 3},
    {"out_h": 2, "out_w": 4}, {"out_h": 4, "out_w": 1},
]


def designed_conv_case(index: int):
    """``(x, w, b, conv_param)``: the base geometry with change ``index`` applied."""
    g = {**CONV_BASE, "scale": 1.0, **CONV_CHANGES[index]}
    rng = np.random.default_rng(entropy(5000 + index))
    h = (g["out_h"] - 1) * g["stride"] + g["hh"] - 2 * g["pad"]
    w_ = (g["out_w"] - 1) * g["stride"] + g["ww"] - 2 * g["pad"]
    x = rng.normal(size=(g["n"], g["c"], h, w_)) * g["scale"]
    w = rng.normal(size=(g["f"], g["c"], g["hh"], g["ww"]))
    return x, w, rng.normal(size=g["f"]), {"stride": g["stride"], "pad": g["pad"]}


def designed_pool_case(index: int):
    """``(x, pool_param)``: the base geometry with change ``index`` applied (tie-free values)."""
    g = {**POOL_BASE, **POOL_CHANGES[index]}
    rng = np.random.default_rng(entropy(6000 + index))
    shape = (g["n"], g["c"], (g["out_h"] - 1) * g["stride"] + g["ph"], (g["out_w"] - 1) * g["stride"] + g["pw"])
    size = int(np.prod(shape))
    x = (rng.permutation(size).reshape(shape) - size / 2) * 0.01
    return x, {"pool_height": g["ph"], "pool_width": g["pw"], "stride": g["stride"]}


def conv_cases(random: int):
    """The designed convolution cases, then ``random`` random ones (seeds 6 on)."""
    return [designed_conv_case(i) for i in range(len(CONV_CHANGES))] + [conv_case(6 + s) for s in range(random)]


def pool_cases(random: int):
    """The designed pooling cases, then ``random`` random ones (seeds 4 on): float64
    inputs only, as the docstrings promise ("Arrays are NCHW, float64")."""
    designed = [designed_pool_case(i) for i in range(len(POOL_CHANGES))]
    return designed + [pool_case(4 + s) for s in range(random)]


def unique_ids(ids):
    """``ids`` with repeats numbered (``-2``, ``-3``...), first occurrence unchanged."""
    seen, out = {}, []
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
        out.append(i if seen[i] == 1 else f"{i}-{seen[i]}")
    return out


def case_id(*arrays_and_params) -> str:
    """``x(2,3,7,5)-w(4,3,3,1)-stride2-pad1``: shapes and parameters, never values."""
    parts = []
    for name, value in arrays_and_params:
        if isinstance(value, np.ndarray):
            kind = "" if value.dtype == np.float64 else f"-{value.dtype}"
            parts.append(f"{name}{value.shape}{kind}".replace(" ", ""))
        elif isinstance(value, dict):
            parts += [f"{k.replace('pool_', '')}{v}" for k, v in value.items()]
    return "-".join(parts)


def _conv_out(p, axis):
    """The output's size along spatial ``axis`` (2: rows, 3: columns)."""
    x, w = shape(p, "x"), shape(p, "w")
    return (x[axis] - w[axis] + 2 * argument(p, "pad")) // argument(p, "stride") + 1


# What the feedback may say the failing cases have in common, in the lecture's words
# (see autograder/runtime/characterise.py): nothing else of these cases is ever named.
CONV_FEATURES = {
    "batch size N": lambda p: shape(p, "x")[0],
    "channels C": lambda p: shape(p, "x")[1],
    "filters F": lambda p: shape(p, "w")[0],
    "filter height HH": lambda p: shape(p, "w")[2],
    "filter width WW": lambda p: shape(p, "w")[3],
    "stride": lambda p: argument(p, "stride"),
    "pad": lambda p: argument(p, "pad"),
    "overlapping windows (stride < filter)|windows that do not overlap":
        lambda p: (argument(p, "stride") < shape(p, "w")[2] and _conv_out(p, 2) > 1)
        or (argument(p, "stride") < shape(p, "w")[3] and _conv_out(p, 3) > 1),
    "a square input|a non-square input": lambda p: shape(p, "x")[2] == shape(p, "x")[3],
    "a square filter|a non-square filter": lambda p: shape(p, "w")[2] == shape(p, "w")[3],
    "a one-position output (1x1)|an output of more than one position":
        lambda p: _conv_out(p, 2) == 1 and _conv_out(p, 3) == 1,
    "a square output|a non-square output": lambda p: _conv_out(p, 2) == _conv_out(p, 3),
    "a 1x1 filter|a filter larger than 1x1": lambda p: shape(p, "w")[2] == shape(p, "w")[3] == 1,
    # the shapes graders' words for the same quantity (the lecture's n and f), so that a
    # size bug seen through the layers reads the same in both
    "a filter larger than the unpadded input (f > n)|a filter no larger than the input (f <= n)":
        lambda p: shape(p, "w")[2] > shape(p, "x")[2] or shape(p, "w")[3] > shape(p, "x")[3],
    "function": lambda p: argument(p, "function"),
}


def _pool_out(p, axis):
    """The output's size along spatial ``axis`` (2: rows, 3: columns)."""
    size = argument(p, "pool_height" if axis == 2 else "pool_width")
    return (shape(p, "x")[axis] - size) // argument(p, "stride") + 1


# What the feedback may say the failing cases have in common, in the lecture's words
# (see autograder/runtime/characterise.py): nothing else of these cases is ever named.
POOL_FEATURES = {
    "batch size N": lambda p: shape(p, "x")[0],
    "channels C": lambda p: shape(p, "x")[1],
    "pool_height": lambda p: argument(p, "pool_height"),
    "pool_width": lambda p: argument(p, "pool_width"),
    "stride": lambda p: argument(p, "stride"),
    "overlapping windows (stride < window)|windows that do not overlap":
        lambda p: (argument(p, "stride") < argument(p, "pool_height") and _pool_out(p, 2) > 1)
        or (argument(p, "stride") < argument(p, "pool_width") and _pool_out(p, 3) > 1),
    "square windows|non-square windows": lambda p: argument(p, "pool_height") == argument(p, "pool_width"),
    "a one-position output (1x1)|an output of more than one position":
        lambda p: _pool_out(p, 2) == 1 and _pool_out(p, 3) == 1,
    "a square input|a non-square input": lambda p: shape(p, "x")[2] == shape(p, "x")[3],
    "a square output|a non-square output": lambda p: _pool_out(p, 2) == _pool_out(p, 3),
    "pooling": lambda p: argument(p, "kind"),
}


def _either(*features):
    """The first of ``features`` (functions of a case's arguments) that applies."""
    def value(p):
        for feature in features:
            try:
                return feature(p)
            except (KeyError, TypeError):
                continue
        raise KeyError("no feature applies")
    return value


# Both sets, for a module whose tests have convolution cases and pooling cases (fast.py).
FAST_FEATURES = {name: _either(*(f[name] for f in (CONV_FEATURES, POOL_FEATURES) if name in f))
                 for name in {**CONV_FEATURES, **POOL_FEATURES}}
