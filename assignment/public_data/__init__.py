"""The public tests' data: what the backward passes must return on fixed inputs.

Named by ``public_data:`` in assignment.yaml; ``make(reference)`` runs when a release
is built, and its values are written next to the public tests (``backward_cases.json``).
The public gradient checks then compare the student's backward pass with these values,
on inputs and caches made here, never by the student's forward pass: a mistake in a
forward pass costs that forward pass's tests only, on a laptop as on Gradescope.
This file stays on the course's side; only the values ship.
"""

import numpy as np

# (x shape, w shape, stride, pad): the lecture's kind of layer, then one change at a
# time (stride, pad, a non-square input and filter, a batch of one).
CONV_CASES = [
    ((2, 3, 5, 5), (2, 3, 3, 3), 2, 1), ((2, 3, 5, 5), (2, 3, 3, 3), 1, 0), ((2, 3, 5, 5), (2, 3, 3, 3), 1, 1),
    ((2, 2, 5, 6), (3, 2, 3, 2), 1, 0), ((1, 2, 7, 7), (2, 2, 3, 3), 2, 0),
]
# (x shape, pool_height, pool_width, stride): overlapping 3x3 windows with stride 2,
# then one change at a time (the classic 2x2/2, a non-square window, a batch of one).
POOL_CASES = [((2, 2, 5, 7), 3, 3, 2), ((2, 2, 4, 4), 2, 2, 2), ((2, 2, 4, 6), 2, 3, 1), ((1, 2, 6, 6), 3, 3, 3),
              ((2, 1, 4, 5), 3, 2, 1)]


def make(ref):
    """``{"backward_cases.json": {"conv": [...], "max": [...], "avg": [...]}}``: each case
    its id, its inputs (a cache as the forward pass returns it) and the gradients."""
    conv = []
    for x_shape, w_shape, stride, pad in CONV_CASES:
        rng = np.random.default_rng(1)
        x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
        param = {"stride": stride, "pad": pad}
        out, cache = ref.conv_forward(x, w, b, param)
        dout = rng.normal(size=out.shape)
        dx, dw, db = ref.conv_backward(dout, cache)
        case = f"x{'x'.join(map(str, x_shape))}-w{'x'.join(map(str, w_shape))}-stride{stride}-pad{pad}"
        conv.append({"case": case, "x": x, "w": w, "b": b, "conv_param": param, "dout": dout,
                     "dx": dx, "dw": dw, "db": db})
    pools = {}
    for kind, seed in (("max", 3), ("avg", 4)):
        pools[kind] = []
        for x_shape, ph, pw, stride in POOL_CASES:
            if kind == "max":  # distinct values far apart: no ties
                x = np.random.default_rng(seed).permutation(int(np.prod(x_shape))).reshape(x_shape) * 0.1
            else:
                x = np.random.default_rng(seed).normal(size=x_shape)
            param = {"pool_height": ph, "pool_width": pw, "stride": stride}
            out, cache = getattr(ref, f"{kind}_pool_forward")(x, param)
            dout = np.random.default_rng(2).normal(size=out.shape)
            dx = getattr(ref, f"{kind}_pool_backward")(dout, cache)
            case = f"x{'x'.join(map(str, x_shape))}-{ph}x{pw}-stride{stride}"
            pools[kind].append({"case": case, "x": x, "pool_param": param, "dout": dout, "dx": dx})
    return {"backward_cases.json": {"conv": conv, **pools}}
