"""Hidden graders: the backward passes' contract on unseen shapes: dout and the cache
left as they were, one gradient per input, shaped like it and of its dtype."""

import numpy as np
import pytest
from hidden_cases import conv_case, pool_case

from autograder.runtime.characterise import argument
from autograder.runtime.seeds import entropy
from autograder.runtime.testkit import check_contract

# What the feedback may name: the function alone (the shapes of these few cases are
# the drawn ones of other tests, and name no cause here).
CASE_FEATURES = {"function": lambda p: argument(p, "function")}


def _conv(seed):
    x, w, b, param = conv_case(seed)
    out_h = (x.shape[2] - w.shape[2] + 2 * param["pad"]) // param["stride"] + 1
    out_w = (x.shape[3] - w.shape[3] + 2 * param["pad"]) // param["stride"] + 1
    dout = np.random.default_rng(entropy(seed)).normal(size=(x.shape[0], w.shape[0], out_h, out_w))
    return "conv_backward", dout, (x, w, b, param), ("dx", "dw", "db")


def _pool(kind, seed):
    x, param = pool_case(seed)
    out_h = (x.shape[2] - param["pool_height"]) // param["stride"] + 1
    out_w = (x.shape[3] - param["pool_width"]) // param["stride"] + 1
    dout = np.random.default_rng(entropy(seed)).normal(size=(*x.shape[:2], out_h, out_w))
    return f"{kind}_pool_backward", dout, (x, param), ("dx",)


CASES = [_conv(s) for s in (1, 3, 4)] + [_pool("max", s) for s in (0, 1, 5)] + [_pool("avg", s) for s in (0, 1, 5)]


@pytest.mark.parametrize("function, dout, cache, names", CASES,
                         ids=[f"{c[0]}-{i % 3}" for i, c in enumerate(CASES)])
def test_backward_contract_hidden(student, tolerance, function, dout, cache, names):
    # One gradient per input, shaped like it (strict=False: the cache's last entry, the
    # parameters, has none). The arrays are the trusted side's; the student gets copies.
    check_contract(student, function, (dout, cache), params=("dout", "cache"),
                   returns=dict(zip(names, cache, strict=False)), tolerance=tolerance)
