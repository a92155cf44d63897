"""The reference solutions against an independent oracle, numerical gradients and the
lecture's numbers."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from autograder.runtime import config
from autograder.runtime.testkit import numerical_gradient
from tests.conftest import ROOT

# The assignment's own step; the reference is held to tighter tolerances than students.
STEP = config.load(ROOT / "assignment" / "assignment.yaml").tolerances["numerical_gradient"].step

VGG16 = (
    [{"type": "conv", "filters": 64, "size": 3, "stride": 1, "pad": 1}] * 2
    + [{"type": "pool", "size": 2, "stride": 2}]
    + [{"type": "conv", "filters": 128, "size": 3, "stride": 1, "pad": 1}] * 2
    + [{"type": "pool", "size": 2, "stride": 2}]
    + [{"type": "conv", "filters": 256, "size": 3, "stride": 1, "pad": 1}] * 3
    + [{"type": "pool", "size": 2, "stride": 2}]
    + [{"type": "conv", "filters": 512, "size": 3, "stride": 1, "pad": 1}] * 3
    + [{"type": "pool", "size": 2, "stride": 2}]
    + [{"type": "conv", "filters": 512, "size": 3, "stride": 1, "pad": 1}] * 3
    + [{"type": "pool", "size": 2, "stride": 2}]
    + [{"type": "fc", "units": 4096}, {"type": "fc", "units": 4096}, {"type": "fc", "units": 1000}]
)


# -- oracle: sliding windows + einsum, written independently of the loops ------------

def oracle_conv(x, w, b, stride, pad):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,fcij->nfhw", windows, w) + b[None, :, None, None]


def oracle_pool(x, ph, pw, stride, reduce):
    windows = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::stride, ::stride]
    return reduce(windows, axis=(4, 5))


def random_conv_case(rng):
    """A random geometry that fits: pick the output size first, then the input."""
    n, c, f = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 5)
    hh, ww = rng.integers(1, 5), rng.integers(1, 5)
    stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    out_h, out_w = rng.integers(1, 5), rng.integers(1, 5)
    h = (out_h - 1) * stride + hh - 2 * pad
    w_ = (out_w - 1) * stride + ww - 2 * pad
    if h < 1 or w_ < 1:
        return random_conv_case(rng)
    x = rng.normal(size=(n, c, h, w_))
    w = rng.normal(size=(f, c, hh, ww))
    return x, w, rng.normal(size=f), {"stride": stride, "pad": pad}


CASES = range(60)


@pytest.mark.parametrize("seed", CASES)
def test_conv_forward_matches_oracle(ref, seed):
    x, w, b, param = random_conv_case(np.random.default_rng(seed))
    out, cache = ref.conv_forward(x, w, b, param)
    np.testing.assert_allclose(out, oracle_conv(x, w, b, param["stride"], param["pad"]), rtol=1e-10, atol=1e-12)
    assert out.dtype == np.float64
    assert cache[0] is x and cache[1] is w and cache[2] is b and cache[3] is param


@pytest.mark.parametrize("seed", range(12))
def test_conv_backward_matches_numerical_gradient(ref, seed):
    x, w, b, param = random_conv_case(np.random.default_rng(100 + seed))
    out, cache = ref.conv_forward(x, w, b, param)
    dout = np.random.default_rng(seed).normal(size=out.shape)
    dx, dw, db = ref.conv_backward(dout, cache)
    fwd = lambda **k: ref.conv_forward(k.get("x", x), k.get("w", w), k.get("b", b), param)[0]  # noqa: E731
    np.testing.assert_allclose(dx, numerical_gradient(lambda v: fwd(x=v), x, dout, step=STEP), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dw, numerical_gradient(lambda v: fwd(w=v), w, dout, step=STEP), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, numerical_gradient(lambda v: fwd(b=v), b, dout, step=STEP), rtol=1e-6, atol=1e-8)


def random_pool_case(rng):
    ph, pw, stride = rng.integers(1, 4), rng.integers(1, 4), int(rng.integers(1, 4))
    out_h, out_w = rng.integers(1, 5), rng.integers(1, 5)
    shape = (rng.integers(1, 4), rng.integers(1, 4), (out_h - 1) * stride + ph, (out_w - 1) * stride + pw)
    # Distinct values far apart: no ties, so max pooling is differentiable everywhere.
    x = (rng.permutation(int(np.prod(shape))).reshape(shape) - np.prod(shape) / 2) * 0.01
    return x, {"pool_height": int(ph), "pool_width": int(pw), "stride": stride}


@pytest.mark.parametrize("seed", CASES)
@pytest.mark.parametrize("kind, reduce", [("max", np.max), ("avg", np.mean)])
def test_pool_forward_and_backward(ref, seed, kind, reduce):
    x, param = random_pool_case(np.random.default_rng(seed))
    forward, backward = getattr(ref, f"{kind}_pool_forward"), getattr(ref, f"{kind}_pool_backward")
    out, cache = forward(x, param)
    expected = oracle_pool(x, param["pool_height"], param["pool_width"], param["stride"], reduce)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert cache[0] is x and cache[1] is param
    if seed < 15:
        dout = np.random.default_rng(seed).normal(size=out.shape)
        expected = numerical_gradient(lambda v: forward(v, param)[0], x, dout, step=STEP)
        np.testing.assert_allclose(backward(dout, cache), expected, rtol=1e-6, atol=1e-8)


def test_max_pool_tie_goes_to_first_max(ref):
    x = np.ones((1, 1, 2, 2))
    dx = ref.max_pool_backward(np.array([[[[5.0]]]]), (x, {"pool_height": 2, "pool_width": 2, "stride": 2}))
    np.testing.assert_array_equal(dx, [[[[5.0, 0.0], [0.0, 0.0]]]])


def test_inputs_are_not_modified(ref):
    x, w, b, param = random_conv_case(np.random.default_rng(7))
    copies = [a.copy() for a in (x, w, b)]
    out, cache = ref.conv_forward(x, w, b, param)
    ref.conv_backward(np.ones_like(out), cache)
    ref.zero_pad(x, 2)
    for original, now in zip(copies, (x, w, b), strict=True):
        np.testing.assert_array_equal(original, now)


# -- the lecture's numbers -----------------------------------------------------------

def test_lecture_output_sizes(ref):
    assert [ref.conv_output_size(7, 3, s) for s in (1, 2)] == [5, 3]
    assert [ref.conv_output_size(7, 3, s, 1) for s in (1, 2, 3)] == [7, 4, 3]
    with pytest.raises(ValueError, match=r"\(7 - 3 \+ 2\*0\)/3 \+ 1 = 2\.33: a filter of size 3 does not fit an input "
                                         r"of size 7 along this axis with stride 3"):
        ref.conv_output_size(7, 3, 3)
    assert ref.conv_params(1, 64, 32) == 64 * 32 + 32
    assert ref.receptive_field(2, 3) == 4 and ref.same_padding(3) == 1


def test_lecture_parameter_counts(ref):
    assert ref.fc_params(200 * 200, 40_000, bias=False) == 1_600_000_000
    assert ref.locally_connected_params(200, 200, 10, 1, 1, bias=False) == 4_000_000
    assert ref.conv_params(10, 1, 1, bias=False) == 100
    assert ref.conv_params(10, 1, 20, bias=False) == 2000
    assert ref.conv_params(5, 3, 1) == 76
    assert ref.pool_params() == 0


def test_vgg16(ref):
    rows = ref.network_summary(VGG16, (224, 224, 3))
    assert rows[-4]["output_shape"] == (7, 7, 512)
    assert rows[-3]["params"] == 7 * 7 * 512 * 4096 + 4096
    assert ref.count_params(VGG16, (224, 224, 3)) == 138_357_544


def test_lecture_pooling_example(ref):
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)[None, None]
    p = {"pool_height": 2, "pool_width": 2, "stride": 2}
    np.testing.assert_array_equal(ref.max_pool_forward(x, p)[0][0, 0], [[6, 8], [3, 4]])
    np.testing.assert_array_equal(ref.avg_pool_forward(x, p)[0][0, 0], [[3.25, 5.25], [2, 2]])


# -- bad inputs raise the documented errors ------------------------------------------

@pytest.mark.parametrize(
    "call, match",
    [
        (lambda r: r.conv_output_size(7, 0), "f must be at least 1"),
        (lambda r: r.conv_output_size(7, 3, 0), "stride must be at least 1"),
        (lambda r: r.conv_output_size(7, 3, 1, -1), "padding must be 0 or more"),
        (lambda r: r.conv_output_size(3, 7), "larger than the 3x3 input"),
        (lambda r: r.pool_output_size(5, 2, 2), r"\(5 - 2\)/2 \+ 1 = 2.50"),
        (lambda r: r.same_padding(4), "no 'same' padding"),
        (lambda r: r.conv_forward(np.zeros((1, 3, 5, 5)), np.zeros((2, 2, 3, 3)), np.zeros(2), {"stride": 1, "pad": 0}),
         "x has 3 channels"),
        (lambda r: r.conv_forward(np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3, 3)), np.zeros(3), {"stride": 1, "pad": 0}),
         r"b must have shape \(2,\)"),
        (lambda r: r.conv_forward(np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3, 3)), np.zeros(2), {"stride": 3, "pad": 0}),
         "does not fit"),
        (lambda r: r.conv_forward(np.zeros((3, 5, 5)), np.zeros((2, 3, 3, 3)), np.zeros(2), {"stride": 1, "pad": 0}),
         "4 dimensions"),
        (lambda r: r.max_pool_forward(np.zeros((1, 1, 5, 5)), {"pool_height": 2, "pool_width": 2, "stride": 2}),
         "does not fit"),
        (lambda r: r.avg_pool_forward(np.zeros((1, 1, 4, 4)), {"pool_height": 2}), "pool_param must be a dict"),
        (lambda r: r.network_summary([{"type": "conv", "filters": 4, "size": 3, "stride": 2}], (8, 8, 3)),
         r"layer 0 \(conv\)"),
        (lambda r: r.network_summary([{"type": "fc", "units": 2}, {"type": "dropout"}], (8, 8, 3)),
         r"layer 1 \(dropout\): unknown layer type"),
        (lambda r: r.network_summary([{"type": "pool", "size": 2}], (8, 8, 3)),
         r"layer 0 \(pool\): missing key 'stride'"),
    ],
)
def test_bad_inputs_raise_value_error(ref, call, match):
    with pytest.raises(ValueError, match=match):
        call(ref)
