"""Hidden graders: the backward passes' contract on unseen shapes: dout and the cache
left as they were, one float64 gradient per input, shaped like it."""

import numpy as np
import pytest
from hidden_cases import conv_case, pool_case

from autograder.runtime.testkit import Evidence, GradingFailure, Replay, check_unchanged, describe


def _conv(seed):
    x, w, b, param = conv_case(seed)
    out_h = (x.shape[2] - w.shape[2] + 2 * param["pad"]) // param["stride"] + 1
    out_w = (x.shape[3] - w.shape[3] + 2 * param["pad"]) // param["stride"] + 1
    dout = np.random.default_rng(seed).normal(size=(x.shape[0], w.shape[0], out_h, out_w))
    return "conv_backward", dout, (x, w, b, param), ("dx", "dw", "db")


def _pool(kind, seed):
    x, param = pool_case(seed)
    out_h = (x.shape[2] - param["pool_height"]) // param["stride"] + 1
    out_w = (x.shape[3] - param["pool_width"]) // param["stride"] + 1
    dout = np.random.default_rng(seed).normal(size=(*x.shape[:2], out_h, out_w))
    return f"{kind}_pool_backward", dout, (x, param), ("dx",)


CASES = [_conv(s) for s in (1, 3, 4)] + [_pool("max", s) for s in (0, 1, 5)] + [_pool("avg", s) for s in (0, 1, 5)]


@pytest.mark.parametrize("function, dout, cache, names", CASES,
                         ids=[f"{c[0]}-{i % 3}" for i, c in enumerate(CASES)])
def test_backward_contract_hidden(student, function, dout, cache, names):
    call = describe(function, dout, cache)
    replays = [Replay(function, (dout, cache), part=i if len(names) > 1 else ()) for i in range(len(names))]
    result = getattr(student, function)(dout, cache)
    check_unchanged(student, call=call, names=("dout", "cache"))
    grads = result if len(names) > 1 else (result,)
    if len(names) > 1 and (not isinstance(result, tuple) or len(result) != len(names)):
        raise GradingFailure(f"{call} must return a tuple ({', '.join(names)}), got {type(result).__name__}")
    for name, grad, given, replay in zip(names, grads, cache, replays):
        if not isinstance(grad, np.ndarray):
            raise GradingFailure(f"{call}: {name} is a {type(grad).__name__}, expected a numpy array")
        seen = Evidence(replay, grad, 1e-7, 1e-9)  # a known mistake may give this shape or dtype
        if grad.shape != given.shape:
            raise GradingFailure(f"{call}: {name} has shape {grad.shape}, expected {given.shape} (the shape of its input)",
                                 seen)
        if grad.dtype != np.float64:
            raise GradingFailure(f"{call}: {name} has dtype {grad.dtype}, expected float64", seen)
