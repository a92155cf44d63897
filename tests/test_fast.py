"""The fast reference kernels (solutions/convnet/fast.py) against the loop reference:
same values, same shapes and dtypes, same errors, inputs left alone.

Every case is seeded. No timing is asserted here: speed is `make bench`'s business."""

import importlib
import importlib.util

import numpy as np
import pytest

from tests.conftest import ROOT

TIGHT = {"rtol": 1e-10, "atol": 1e-12}


@pytest.fixture(scope="module")
def fast(ref):
    return importlib.import_module(ref.__name__ + ".fast")


# -- cases --------------------------------------------------------------------------

def conv_case(rng, n, c, f, hh, ww, stride, pad, out_h, out_w):
    """x, w, b, conv_param whose geometry fits: the output size is chosen first."""
    h, w_ = (out_h - 1) * stride + hh - 2 * pad, (out_w - 1) * stride + ww - 2 * pad
    assert h >= 1 and w_ >= 1, "pad too large for this filter and output"
    x = rng.normal(size=(n, c, h, w_))
    return x, rng.normal(size=(f, c, hh, ww)), rng.normal(size=f), {"stride": stride, "pad": pad}


# (N, C, F, HH, WW, stride, pad, H', W'): each named shape the kernels must get right.
CONV_SHAPES = {
    "3x3-same": (2, 3, 4, 3, 3, 1, 1, 5, 5),
    "1x1": (2, 5, 3, 1, 1, 1, 0, 4, 3),
    "1x1-stride2": (2, 3, 2, 1, 1, 2, 0, 3, 3),
    "1x1-pad1": (1, 2, 3, 1, 1, 1, 1, 4, 4),
    "single-channel": (3, 1, 2, 3, 3, 1, 0, 4, 4),
    "single-filter": (2, 3, 1, 2, 2, 1, 0, 3, 3),
    "batch-of-one": (1, 3, 4, 3, 3, 2, 1, 3, 4),
    "non-square-input": (2, 2, 3, 3, 3, 1, 1, 2, 7),
    "non-square-filter": (2, 2, 3, 3, 1, 1, 0, 4, 5),
    "wide-filter": (2, 2, 2, 1, 4, 2, 1, 3, 2),
    "stride3-pad2": (2, 2, 3, 3, 3, 3, 2, 3, 3),
    "pad2-over-2x2": (1, 2, 2, 2, 2, 1, 2, 5, 5),  # pad > filter - 1
    "filter-covers-input": (2, 3, 2, 4, 4, 1, 0, 1, 1),
    "more-filters-than-channels": (2, 2, 6, 3, 3, 1, 1, 4, 4),
    "more-channels-than-filters": (2, 6, 2, 3, 3, 1, 1, 4, 4),
    "many-images": (37, 2, 3, 3, 3, 1, 1, 6, 6),  # several blocks of images
}
RANDOM_CONV_SEEDS = range(40)


def random_conv_case(seed):
    rng = np.random.default_rng(seed)
    hh, ww = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    out_h, out_w = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    while (out_h - 1) * stride + hh - 2 * pad < 1 or (out_w - 1) * stride + ww - 2 * pad < 1:
        pad -= 1
    n, c, f = (int(v) for v in rng.integers(1, 5, size=3))
    return conv_case(rng, n, c, f, hh, ww, stride, pad, out_h, out_w)


def conv_cases():
    named = [
        pytest.param(conv_case(np.random.default_rng(len(name)), *shape), id=name)
        for name, shape in CONV_SHAPES.items()
    ]
    return named + [pytest.param(random_conv_case(seed), id=f"random{seed}") for seed in RANDOM_CONV_SEEDS]


# (N, C, H', W', PH, PW, stride)
POOL_SHAPES = {
    "2x2-stride2": (2, 3, 3, 4, 2, 2, 2),
    "3x3-stride3": (2, 2, 2, 3, 3, 3, 3),
    "overlap-3x3-stride1": (2, 2, 3, 4, 3, 3, 1),
    "overlap-3x3-stride2": (2, 2, 3, 3, 3, 3, 2),
    "overlap-2x2-stride1": (1, 3, 4, 4, 2, 2, 1),
    "non-square-2x3-stride2": (2, 2, 3, 2, 2, 3, 2),
    "non-square-3x1-stride1": (2, 2, 3, 4, 3, 1, 1),
    "gaps-1x1-stride2": (2, 2, 3, 3, 1, 1, 2),
    "gaps-2x2-stride3": (2, 2, 2, 3, 2, 2, 3),
    "1x1-stride1": (2, 2, 3, 3, 1, 1, 1),
    "window-is-input": (2, 3, 1, 1, 4, 3, 1),
    "batch-of-one-channel-of-one": (1, 1, 3, 3, 2, 2, 2),
    "many-planes": (40, 8, 5, 6, 2, 2, 2),  # several blocks of planes
}


def pool_case(rng, n, c, out_h, out_w, ph, pw, stride, *, ties=False):
    shape = (n, c, (out_h - 1) * stride + ph, (out_w - 1) * stride + pw)
    # Small integers make ties common: the gradient must still go to the first maximum.
    x = rng.integers(-2, 3, size=shape).astype(np.float64) if ties else rng.normal(size=shape)
    return x, {"pool_height": ph, "pool_width": pw, "stride": stride}


def pool_cases():
    cases = []
    for ties in (False, True):
        for name, shape in POOL_SHAPES.items():
            rng = np.random.default_rng(len(name) + ties)
            cases.append(pytest.param(*pool_case(rng, *shape, ties=ties), id=name + ("-ties" if ties else "")))
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        ph, pw, stride = (int(v) for v in rng.integers(1, 4, size=3))
        n, c, out_h, out_w = (int(v) for v in rng.integers(1, 5, size=4))
        cases.append(
            pytest.param(*pool_case(rng, n, c, out_h, out_w, ph, pw, stride, ties=seed % 2 == 1), id=f"random{seed}")
        )
    return cases


# -- helpers ------------------------------------------------------------------------


def assert_same(actual, expected, what, tol=TIGHT):
    assert isinstance(actual, np.ndarray), f"{what} is a {type(actual).__name__}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    assert actual.dtype == np.float64, f"{what}: dtype {actual.dtype}"
    np.testing.assert_allclose(actual, expected, err_msg=what, **tol)


def frozen(*arrays):
    """Copies of the arguments, to check afterwards that nothing wrote into them."""
    return [a.copy() for a in arrays]


def assert_unchanged(arrays, copies):
    for i, (a, before) in enumerate(zip(arrays, copies, strict=True)):
        np.testing.assert_array_equal(a, before, err_msg=f"argument {i} was modified")


# -- convolution --------------------------------------------------------------------


@pytest.mark.parametrize("case", conv_cases())
def test_conv_fast_matches_loop(ref, fast, case):
    x, w, b, param = case
    before = frozen(x, w, b)
    out, cache = fast.conv_forward_fast(x, w, b, param)
    expected, loop_cache = ref.conv_forward(x, w, b, param)
    assert_same(out, expected, "out")

    dout = np.random.default_rng(out.size).normal(size=out.shape)
    dout_before = dout.copy()
    grads = fast.conv_backward_fast(dout, cache)
    assert isinstance(grads, tuple) and len(grads) == 3
    for name, got, want in zip(("dx", "dw", "db"), grads, ref.conv_backward(dout, loop_cache), strict=True):
        assert_same(got, want, name)
    assert_unchanged([x, w, b, dout], before + [dout_before])


@pytest.mark.parametrize("dx_path", ["col2im", "transposed-conv"])
def test_conv_fast_strategies_and_blocks(ref, fast, monkeypatch, dx_path):
    """Both ways of computing dx, and one image per block, on every stride-1 shape
    (the kernels pick one way and a block size by themselves otherwise)."""
    monkeypatch.setattr(fast, "_BLOCK_BYTES", 1)
    monkeypatch.setattr(fast, "_prefer_transposed_conv", lambda w, stride: dx_path == "transposed-conv" and stride == 1)
    for name, shape in CONV_SHAPES.items():
        x, w, b, param = conv_case(np.random.default_rng(len(name)), *shape)
        out, cache = fast.conv_forward_fast(x, w, b, param)
        expected, loop_cache = ref.conv_forward(x, w, b, param)
        assert_same(out, expected, f"{name}: out")
        dout = np.random.default_rng(out.size).normal(size=out.shape)
        for grad, got, want in zip(
            ("dx", "dw", "db"), fast.conv_backward_fast(dout, cache), ref.conv_backward(dout, loop_cache), strict=True
        ):
            assert_same(got, want, f"{name}: {grad}")


def test_pool_fast_one_plane_per_block(ref, fast, monkeypatch):
    monkeypatch.setattr(fast, "_POOL_BLOCK_BYTES", 1)
    for x, param in [p.values for p in pool_cases()]:
        for forward, backward in POOLS.values():
            out, cache = getattr(fast, forward + "_fast")(x, param)
            expected, loop_cache = getattr(ref, forward)(x, param)
            assert_same(out, expected, forward)
            dout = np.random.default_rng(out.size).normal(size=out.shape)
            assert_same(
                getattr(fast, backward + "_fast")(dout, cache), getattr(ref, backward)(dout, loop_cache), backward
            )


def test_conv_backward_fast_takes_the_loop_cache(ref, fast):
    """Graders may compute large expected gradients from a cache built by hand."""
    x, w, b, param = conv_case(np.random.default_rng(0), *CONV_SHAPES["3x3-same"])
    out, loop_cache = ref.conv_forward(x, w, b, param)
    dout = np.random.default_rng(1).normal(size=out.shape)
    for got, want in zip(fast.conv_backward_fast(dout, loop_cache), ref.conv_backward(dout, loop_cache), strict=True):
        assert_same(got, want, "gradient")


def test_conv_fast_non_contiguous_and_non_float64_inputs(ref, fast):
    rng = np.random.default_rng(2)
    x, w, b, param = conv_case(rng, *CONV_SHAPES["batch-of-one"])
    x_f = np.asfortranarray(x)
    w_t = np.ascontiguousarray(w.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)  # a strided view
    out, cache = fast.conv_forward_fast(x_f, w_t, b, param)
    assert_same(out, ref.conv_forward(x, w, b, param)[0], "out (strided inputs)")

    xi, wf = np.round(x * 3).astype(np.int64), w.astype(np.float32)
    out, _ = fast.conv_forward_fast(xi, wf, b, param)
    expected = ref.conv_forward(xi.astype(np.float64), wf.astype(np.float64), b, param)[0]
    assert_same(out, expected, "out (int and float32 inputs)")


BAD_CONV = {
    "filter-does-not-fit-stride": ((1, 1, 7, 7), (1, 1, 3, 3), (1,), {"stride": 3, "pad": 0}),
    "channels-disagree": ((1, 3, 5, 5), (2, 2, 3, 3), (2,), {"stride": 1, "pad": 0}),
    "bias-shape": ((1, 3, 5, 5), (2, 3, 3, 3), (3,), {"stride": 1, "pad": 0}),
    "filter-larger-than-input": ((1, 1, 2, 2), (1, 1, 3, 3), (1,), {"stride": 1, "pad": 0}),
    "x-not-4d": ((3, 5, 5), (1, 3, 3, 3), (1,), {"stride": 1, "pad": 0}),
    "missing-pad": ((1, 1, 5, 5), (1, 1, 3, 3), (1,), {"stride": 1}),
    "stride-0": ((1, 1, 5, 5), (1, 1, 3, 3), (1,), {"stride": 0, "pad": 0}),
}


@pytest.mark.parametrize("x_shape, w_shape, b_shape, param", BAD_CONV.values(), ids=BAD_CONV.keys())
def test_conv_fast_raises_like_loop(ref, fast, x_shape, w_shape, b_shape, param):
    x, w, b = np.zeros(x_shape), np.zeros(w_shape), np.zeros(b_shape)
    with pytest.raises(ValueError):
        ref.conv_forward(x, w, b, param)
    with pytest.raises(ValueError):
        fast.conv_forward_fast(x, w, b, param)


def test_conv_backward_fast_rejects_wrong_dout(fast):
    x, w, b, param = conv_case(np.random.default_rng(3), *CONV_SHAPES["3x3-same"])
    out, cache = fast.conv_forward_fast(x, w, b, param)
    with pytest.raises(ValueError, match="dout"):
        fast.conv_backward_fast(np.zeros(out.shape[:3] + (out.shape[3] + 1,)), cache)


# -- pooling ------------------------------------------------------------------------

POOLS = {
    "max": ("max_pool_forward", "max_pool_backward"),
    "avg": ("avg_pool_forward", "avg_pool_backward"),
}


@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("x, param", pool_cases())
def test_pool_fast_matches_loop(ref, fast, kind, x, param):
    forward, backward = POOLS[kind]
    before = frozen(x)
    out, cache = getattr(fast, forward + "_fast")(x, param)
    expected, loop_cache = getattr(ref, forward)(x, param)
    assert_same(out, expected, "out")

    dout = np.random.default_rng(out.size).normal(size=out.shape)
    dout_before = dout.copy()
    dx = getattr(fast, backward + "_fast")(dout, cache)
    # Each window's gradient lands on exactly one pixel, the same one as in the loop
    # version (first maximum in row-major order), so max pooling matches to rounding
    # even with ties; only the order of additions of overlapping windows may differ.
    assert_same(dx, getattr(ref, backward)(dout, loop_cache), "dx")
    assert_unchanged([x, dout], before + [dout_before])


def test_max_pool_backward_fast_routes_to_first_maximum(fast):
    """One window full of equal values: everything goes to its top-left pixel."""
    x = np.ones((1, 1, 2, 2))
    out, cache = fast.max_pool_forward_fast(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    dx = fast.max_pool_backward_fast(np.array([[[[5.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[5.0, 0.0], [0.0, 0.0]]]])
    # Ties in the second row only: its first maximum, not the last.
    x = np.array([[[[0.0, -1.0, 0.5], [2.0, 1.0, 2.0]]]])
    out, cache = fast.max_pool_forward_fast(x, {"pool_height": 2, "pool_width": 3, "stride": 1})
    dx = fast.max_pool_backward_fast(np.array([[[[3.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[0.0, 0.0, 0.0], [3.0, 0.0, 0.0]]]])


def test_lecture_pool_example(fast):
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64)[None, None]
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    np.testing.assert_array_equal(fast.max_pool_forward_fast(x, param)[0][0, 0], [[6, 8], [3, 4]])
    np.testing.assert_allclose(fast.avg_pool_forward_fast(x, param)[0][0, 0], [[3.25, 5.25], [2, 2]])


def test_pool_fast_non_contiguous_input(ref, fast):
    x = np.random.default_rng(4).normal(size=(2, 3, 6, 4)).transpose(0, 1, 3, 2)  # (2, 3, 4, 6)
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    for forward, backward in POOLS.values():
        out, cache = getattr(fast, forward + "_fast")(x, param)
        expected, loop_cache = getattr(ref, forward)(x, param)
        assert_same(out, expected, forward)
        dout = np.ones(out.shape)
        assert_same(getattr(fast, backward + "_fast")(dout, cache), getattr(ref, backward)(dout, loop_cache), backward)


BAD_POOL = {
    "does-not-fit": ((1, 1, 5, 5), {"pool_height": 2, "pool_width": 2, "stride": 2}),
    "window-too-tall": ((1, 1, 2, 5), {"pool_height": 3, "pool_width": 1, "stride": 1}),
    "missing-stride": ((1, 1, 4, 4), {"pool_height": 2, "pool_width": 2}),
    "x-not-4d": ((4, 4), {"pool_height": 2, "pool_width": 2, "stride": 2}),
}


@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("x_shape, param", BAD_POOL.values(), ids=BAD_POOL.keys())
def test_pool_fast_raises_like_loop(ref, fast, kind, x_shape, param):
    forward = POOLS[kind][0]
    with pytest.raises(ValueError):
        getattr(ref, forward)(np.zeros(x_shape), param)
    with pytest.raises(ValueError):
        getattr(fast, forward + "_fast")(np.zeros(x_shape), param)


# -- the graders' own cases -----------------------------------------------------------


def graders_cases():
    """The hidden graders' case generators, when the assignment has them."""
    path = ROOT / "assignment" / "tests" / "hidden" / "hidden_cases.py"
    if not path.exists():
        pytest.skip("the assignment has no hidden grader cases")
    spec = importlib.util.spec_from_file_location("fast_test_hidden_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_graders_cases_conv(ref, fast):
    cases = graders_cases()
    for seed in range(24):
        x, w, b, param = cases.conv_case(seed)
        out, cache = fast.conv_forward_fast(x, w, b, param)
        expected, loop_cache = ref.conv_forward(x, w, b, param)
        assert_same(out, expected, f"conv_case({seed}) out")
        dout = np.random.default_rng(seed).normal(size=out.shape)
        for name, got, want in zip(
            ("dx", "dw", "db"), fast.conv_backward_fast(dout, cache), ref.conv_backward(dout, loop_cache), strict=True
        ):
            assert_same(got, want, f"conv_case({seed}) {name}")


def test_graders_cases_pool(ref, fast):
    cases = graders_cases()
    for seed in range(24):
        x, param = cases.pool_case(seed)
        for forward, backward in POOLS.values():
            out, cache = getattr(fast, forward + "_fast")(x, param)
            expected, loop_cache = getattr(ref, forward)(x, param)
            assert_same(out, expected, f"pool_case({seed}) {forward}")
            dout = np.random.default_rng(seed).normal(size=out.shape)
            dx = getattr(fast, backward + "_fast")(dout, cache)
            assert_same(dx, getattr(ref, backward)(dout, loop_cache), f"pool_case({seed}) {backward}")
