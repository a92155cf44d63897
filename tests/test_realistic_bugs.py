"""Every realistic bug applies cleanly, imports, is wrong on some input and right (or at
least of the right shape) on another: compared with the reference, no grading run."""

import re

import numpy as np
import pytest

from autograder.runtime.packages import load_package
from tests.fabricate import REFERENCE
from tests.realistic_bugs import BUGS, RealisticBug

MODULES = ("shapes.py", "params.py", "conv.py", "pool.py")


def rand(*shape, seed=0, low=-1.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def conv_fwd(n=2, c=3, h=5, w=5, f=2, hh=3, ww=3, stride=1, pad=0):
    return lambda m: m.conv_forward(
        rand(n, c, h, w, seed=1), rand(f, c, hh, ww, seed=2), rand(f, seed=3), {"stride": stride, "pad": pad}
    )


def conv_bwd(n=2, c=3, h=5, w=5, f=2, hh=3, ww=3, stride=1, pad=0):
    out_h, out_w = (h - hh + 2 * pad) // stride + 1, (w - ww + 2 * pad) // stride + 1
    cache = (rand(n, c, h, w, seed=1), rand(f, c, hh, ww, seed=2), rand(f, seed=3), {"stride": stride, "pad": pad})
    return lambda m: m.conv_backward(rand(n, f, out_h, out_w, seed=4), cache)


def pool_param(ph, pw, stride):
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


def pool_fwd(kind, x, ph=2, pw=2, stride=2):
    return lambda m: getattr(m, f"{kind}_pool_forward")(x, pool_param(ph, pw, stride))


def pool_bwd(kind, x, ph=2, pw=2, stride=2):
    out_h, out_w = (x.shape[2] - ph) // stride + 1, (x.shape[3] - pw) // stride + 1
    dout = rand(*x.shape[:2], out_h, out_w, seed=5)
    return lambda m: getattr(m, f"{kind}_pool_backward")(dout.copy(), (x, pool_param(ph, pw, stride)))


def avg_backward_twice(m):
    """Two calls with the same dout array, as a caller checking its gradient would make."""
    x = rand(2, 2, 4, 4, seed=1)
    dout = rand(2, 2, 2, 2, seed=5)
    m.avg_pool_backward(dout, (x, pool_param(2, 2, 2)))
    return m.avg_pool_backward(dout, (x, pool_param(2, 2, 2)))


LECTURE_MAP = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])[None, None]
VGG16 = (
    [{"type": "conv", "filters": k, "size": 3, "pad": 1} for k in (64, 64)] + [{"type": "pool", "size": 2, "stride": 2}]
    + [{"type": "conv", "filters": 128, "size": 3, "pad": 1}] * 2 + [{"type": "pool", "size": 2, "stride": 2}]
    + [{"type": "conv", "filters": 256, "size": 3, "pad": 1}] * 3 + [{"type": "pool", "size": 2, "stride": 2}]
    + [{"type": "conv", "filters": 512, "size": 3, "pad": 1}] * 3 + [{"type": "pool", "size": 2, "stride": 2}]
    + [{"type": "conv", "filters": 512, "size": 3, "pad": 1}] * 3 + [{"type": "pool", "size": 2, "stride": 2}]
    + [{"type": "fc", "units": 4096}, {"type": "fc", "units": 4096}, {"type": "fc", "units": 1000}]
)

# name: (an input the bug gets right, an input it gets wrong); each is a function of the package.
CASES = {
    "conv-size-pads-one-side": (lambda m: m.conv_output_size(7, 3, 2, 0), lambda m: m.conv_output_size(7, 3, 1, 1)),
    "conv-size-plus-one-inside-division": (
        lambda m: m.conv_output_size(32, 5, 1, 2),
        lambda m: m.conv_output_size(7, 3, 2, 0),
    ),
    "conv-size-truncates-instead-of-raising": (
        lambda m: m.conv_output_size(7, 3, 2, 1),
        lambda m: m.conv_output_size(7, 3, 3, 0),
    ),
    "pool-size-window-as-stride": (lambda m: m.pool_output_size(224, 2, 2), lambda m: m.pool_output_size(6, 2, 1)),
    "same-padding-accepts-even": (lambda m: m.same_padding(5), lambda m: m.same_padding(4)),
    "receptive-field-multiplies": (lambda m: m.receptive_field(1, 5), lambda m: m.receptive_field(2, 3)),
    "conv-params-no-bias": (lambda m: m.conv_params(10, 1, 20, bias=False), lambda m: m.conv_params(5, 3, 1)),
    "conv-params-no-depth": (lambda m: m.conv_params(10, 1, 20), lambda m: m.conv_params(5, 3, 1)),
    "fc-params-single-bias": (lambda m: m.fc_params(200 * 200, 40000, bias=False), lambda m: m.fc_params(10, 5)),
    "locally-connected-bias-per-filter": (
        lambda m: m.locally_connected_params(200, 200, 10, 1, 1, bias=False),
        lambda m: m.locally_connected_params(200, 200, 10, 1, 1),
    ),
    "summary-conv-depth-updated-first": (
        lambda m: m.network_summary(
            [{"type": "conv", "filters": 4, "size": 3}, {"type": "pool", "size": 2, "stride": 2}], (8, 8, 4)
        ),
        lambda m: m.network_summary(VGG16, (224, 224, 3)),
    ),
    "summary-fc-flatten-ignores-depth": (
        lambda m: m.network_summary([{"type": "fc", "units": 10}], (4, 4, 1)),
        lambda m: m.network_summary(VGG16, (224, 224, 3)),
    ),
    "zero-pad-np-pad-all-axes": (lambda m: m.zero_pad(rand(2, 3, 4, 5), 0), lambda m: m.zero_pad(rand(2, 3, 4, 5), 1)),
    "zero-pad-bottom-right": (lambda m: m.zero_pad(rand(2, 3, 4, 5), 0), lambda m: m.zero_pad(rand(2, 3, 4, 5), 2)),
    "conv-forward-bias-per-channel": (conv_fwd(c=1), conv_fwd(c=3)),
    "conv-forward-flips-filter": (conv_fwd(hh=1, ww=1, pad=1), conv_fwd(pad=1)),
    "conv-forward-column-stride": (conv_fwd(pad=1), conv_fwd(h=7, w=7, stride=2)),
    "conv-backward-averages-batch": (conv_bwd(n=1, pad=1), conv_bwd(n=2)),
    "conv-backward-crops-top-left": (conv_bwd(), conv_bwd(pad=1)),
    "conv-backward-dx-overwrites": (conv_bwd(h=6, w=6, hh=2, ww=2, stride=2), conv_bwd(pad=1)),
    "max-pool-forward-zero-init": (
        pool_fwd("max", rand(2, 3, 4, 4, low=0.0)),
        pool_fwd("max", rand(2, 3, 4, 4, high=-0.1)),
    ),
    "max-pool-forward-max-not-reset": (
        pool_fwd("max", rand(2, 3, 4, 4), ph=4, pw=4, stride=1),
        pool_fwd("max", rand(2, 3, 4, 4)),
    ),
    "max-pool-backward-overwrites": (
        pool_bwd("max", rand(2, 3, 6, 6), ph=3, pw=3, stride=3),
        pool_bwd("max", rand(2, 3, 6, 6), ph=3, pw=3, stride=1),
    ),
    "max-pool-backward-transposed-argmax": (
        pool_bwd("max", rand(2, 3, 4, 6), ph=1, pw=3, stride=1),
        pool_bwd("max", rand(2, 3, 4, 6), ph=2, pw=3, stride=1),
    ),
    "avg-pool-forward-input-dtype": (pool_fwd("avg", rand(2, 3, 4, 4)), pool_fwd("avg", LECTURE_MAP)),
    "avg-pool-forward-square-window": (
        pool_fwd("avg", rand(2, 3, 6, 6), ph=3, pw=3, stride=1),
        pool_fwd("avg", rand(2, 3, 4, 6), ph=2, pw=3, stride=1),
    ),
    "avg-pool-backward-no-division": (
        pool_bwd("avg", rand(2, 3, 4, 4), ph=1, pw=1, stride=1),
        pool_bwd("avg", rand(2, 3, 4, 4)),
    ),
    "avg-pool-backward-modifies-dout": (pool_bwd("avg", rand(2, 3, 4, 4)), avg_backward_twice),
    # issue 13
    "zero-pad-image-bottom-right": (
        lambda m: m.zero_pad(rand(2, 3, 4, 5), 0),
        lambda m: m.zero_pad(rand(2, 3, 4, 5), 1),
    ),
    "conv-forward-stride-columns-only": (conv_fwd(pad=1), conv_fwd(h=7, w=7, stride=2)),
    "conv-forward-filter-transposed": (conv_fwd(hh=1, ww=1), conv_fwd()),
    "conv-forward-bias-averaged": (conv_fwd(f=1), conv_fwd()),
    "conv-forward-pads-by-one": (conv_fwd(pad=1), conv_fwd()),
    "conv-backward-db-first-sample": (conv_bwd(n=1), conv_bwd()),
    "conv-backward-dw-ignores-stride": (conv_bwd(), conv_bwd(h=7, w=7, stride=2)),
    "conv-backward-dx-flipped-filter": (conv_bwd(hh=1, ww=1), conv_bwd()),
    "max-pool-forward-largest-magnitude": (
        pool_fwd("max", rand(2, 3, 4, 4, low=0.0)),
        pool_fwd("max", rand(2, 3, 4, 4)),
    ),
    "max-pool-backward-ignores-stride": (
        pool_bwd("max", rand(2, 3, 4, 4), stride=1),
        pool_bwd("max", rand(2, 3, 4, 4)),
    ),
    "avg-pool-forward-divides-by-perimeter": (
        pool_fwd("avg", rand(2, 3, 4, 4)),
        pool_fwd("avg", rand(2, 3, 6, 6), ph=3, pw=3, stride=3),
    ),
    "avg-pool-backward-ignores-stride": (
        pool_bwd("avg", rand(2, 3, 4, 4), stride=1),
        pool_bwd("avg", rand(2, 3, 4, 4)),
    ),
    "avg-pool-backward-scales-dout-in-place": (pool_bwd("avg", rand(2, 3, 4, 4)), avg_backward_twice),
    "fc-params-bias-per-input": (lambda m: m.fc_params(10, 10), lambda m: m.fc_params(10, 5)),
}


def run(call, package):
    """("ok", value) or ("raises", exception type name)."""
    try:
        return "ok", call(package)
    except Exception as err:  # noqa: BLE001 - a bug may raise anything
        return "raises", type(err).__name__


def same(a, b):
    """Same value, same type (int stays int, float64 arrays stay float64), same shape."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and np.allclose(a, b, rtol=1e-9, atol=1e-12)
        )
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def same_shape(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape
    if isinstance(a, (tuple, list)):
        return (
            isinstance(b, (tuple, list))
            and len(a) == len(b)
            and all(same_shape(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b)


@pytest.fixture(scope="module")
def reference():
    return load_package(REFERENCE, "convnet_realbugs_reference")


@pytest.fixture(scope="module")
def buggy(tmp_path_factory):
    loaded = {}

    def load(bug: RealisticBug):
        if bug.name not in loaded:
            folder = bug.variant.write(tmp_path_factory.mktemp(bug.name))
            loaded[bug.name] = load_package(folder / "convnet", "convnet_realbug_" + bug.name.replace("-", "_"))
        return loaded[bug.name]

    return load


def test_the_set(reference):
    names = [bug.name for bug in BUGS]
    assert len(names) >= 16 and len(set(names)) == len(names)
    assert set(names) == set(CASES)
    for bug in BUGS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", bug.name), bug.name
        assert bug.cause.strip().endswith(".") and "\n" not in bug.cause
        assert callable(getattr(reference, bug.function, None)), bug.function
    assert {file for bug in BUGS for file, _, _ in bug.edits} == set(MODULES)


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.name)
def test_bug(bug, reference, buggy):
    # (a) each old text occurs exactly once in the reference file, and the edit changes it
    for file, old, new in bug.edits:
        assert file in MODULES
        assert (REFERENCE / file).read_text().count(old) == 1, (file, old)
        assert old != new
    # (b) the buggy package imports
    package = buggy(bug)
    good, bad = CASES[bug.name]
    # (c) wrong on one realistic input
    expected, got = run(bad, reference), run(bad, package)
    assert expected[0] == "ok" or got[0] == "ok", "both raise: not a difference"
    assert not (expected[0] == got[0] and (same(expected[1], got[1]) if got[0] == "ok" else expected[1] == got[1]))
    # (d) a partial bug: right on another input, and it does not crash there
    expected, got = run(good, reference), run(good, package)
    assert expected[0] == "ok" and got[0] == "ok", got
    assert same_shape(expected[1], got[1]) and same(expected[1], got[1])
