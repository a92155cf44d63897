"""Realistic student bugs written independently of the catalogue of mistakes (from the
lecture and the docstrings only): the test set for hint coverage and partial credit
(data for :mod:`tests.fabricate`)."""
import dataclasses

from tests.fabricate import Variant, replace


@dataclasses.dataclass(frozen=True)
class RealisticBug:
    name: str          # short id, kebab-case
    cause: str         # one sentence: the cause a good hint would name
    function: str      # the graded function that is wrong
    edits: tuple       # (file, old text, new text); each old text occurs exactly once in solutions/convnet/<file>

    @property
    def variant(self) -> Variant:
        """The reference with the bug (``bug.variant.write(folder)``: the package in folder/convnet)."""
        return Variant(edits=tuple(replace(*edit) for edit in self.edits))


B = RealisticBug

BUGS = [
    # ---------------------------------------------------------------- shapes.py
    B(
        name="conv-size-pads-one-side",
        cause="The padding is added once (n - f + pad) instead of on both sides of the input (n - f + 2*pad).",
        function="conv_output_size",
        edits=(("shapes.py", "    span = n - f + 2 * pad\n", "    span = n - f + pad\n"),),
    ),
    B(
        name="conv-size-plus-one-inside-division",
        cause="The + 1 is put inside the division, (n - f + 2*pad + 1) // stride, which is only right for stride 1.",
        function="conv_output_size",
        edits=(
            (
                "shapes.py",
                "    return int(span // stride + 1)\n    # END SOLUTION\n\n\ndef pool_output_size",
                "    return int((span + 1) // stride)\n    # END SOLUTION\n\n\ndef pool_output_size",
            ),
        ),
    ),
    B(
        name="conv-size-truncates-instead-of-raising",
        cause="A filter that does not tile the padded input is not rejected: the fractional size is truncated "
        "to an int (7x7 input, 3x3 filter, stride 3 gives 2) instead of raising ValueError.",
        function="conv_output_size",
        edits=(
            (
                "shapes.py",
                "    span = n - f + 2 * pad\n"
                "    if span % stride:\n"
                "        raise ValueError(\n"
                '            f"({n} - {f} + 2*{pad})/{stride} + 1 = {span / stride + 1:.2f}: "\n'
                '            f"a filter of size {f} does not fit an input of size {n} along this axis with stride {stride}"\n'
                '            + (f" and pad {pad}" if pad else "")\n'
                "        )\n"
                "    return int(span // stride + 1)\n",
                "    return int((n - f + 2 * pad) / stride) + 1\n",
            ),
        ),
    ),
    B(
        name="pool-size-window-as-stride",
        cause="The window size is used as the stride, (n - f)/f + 1, as if pooling windows never overlapped; "
        "the stride argument is ignored.",
        function="pool_output_size",
        edits=(
            ("shapes.py", "    span = n - f\n    if span % stride:\n", "    span = n - f\n    if span % f:\n"),
            (
                "shapes.py",
                "    return int(span // stride + 1)\n    # END SOLUTION\n\n\ndef same_padding",
                "    return int(span // f + 1)\n    # END SOLUTION\n\n\ndef same_padding",
            ),
        ),
    ),
    B(
        name="same-padding-accepts-even",
        cause="Even filter sizes are not rejected: f // 2 is returned instead of raising ValueError, although "
        "no symmetric padding keeps the size of an even filter's output.",
        function="same_padding",
        edits=(
            (
                "shapes.py",
                "    if f % 2 == 0:\n"
                "        raise ValueError(\n"
                "            f\"a {f}x{f} filter has no 'same' padding: f - 1 = {f - 1} is odd, \"\n"
                '            "so the zeros cannot be split evenly between the two sides"\n'
                "        )\n"
                "    return int((f - 1) // 2)\n",
                "    return f // 2\n",
            ),
        ),
    ),
    B(
        name="receptive-field-multiplies",
        cause="Each extra pooling position is taken to add a whole kernel width (pool * kernel) instead of one "
        "pixel, the stride of the convolution (pool + kernel - 1).",
        function="receptive_field",
        edits=(
            (
                "shapes.py",
                "    return int(pool + kernel - 1)\n",
                "    # the pool slides over conv outputs, each one kernel wide\n"
                "    return int(kernel + (pool - 1) * kernel)\n",
            ),
        ),
    ),
    # ---------------------------------------------------------------- params.py
    B(
        name="conv-params-no-bias",
        cause="The k biases are left out of the count (the lecture's 5x5x3 filter has 76 parameters, not 75), "
        "whatever the bias flag.",
        function="conv_params",
        edits=(("params.py", "    return f * f * d_in * k + (k if bias else 0)\n", "    return f * f * d_in * k\n"),),
    ),
    B(
        name="conv-params-no-depth",
        cause="A filter is counted as f x f weights, forgetting that it spans the full input depth d_in (f x f x d_in).",
        function="conv_params",
        edits=(
            (
                "params.py",
                "    return f * f * d_in * k + (k if bias else 0)\n",
                "    weights_per_filter = f * f\n    return weights_per_filter * k + (k if bias else 0)\n",
            ),
        ),
    ),
    B(
        name="fc-params-single-bias",
        cause="A single bias is counted for the whole layer instead of one bias per output unit (n_out).",
        function="fc_params",
        edits=(
            (
                "params.py",
                "    return n_in * n_out + (n_out if bias else 0)\n",
                "    count = n_in * n_out\n    if bias:\n        count += 1  # the bias\n    return count\n",
            ),
        ),
    ),
    B(
        name="locally-connected-bias-per-filter",
        cause="Biases are counted once per filter (k), as in a conv layer, instead of once per output unit "
        "(out_h * out_w * k), since a locally connected layer shares nothing.",
        function="locally_connected_params",
        edits=(
            (
                "params.py",
                "    return units * f * f * d_in + (units if bias else 0)\n",
                "    return units * f * f * d_in + (k if bias else 0)\n",
            ),
        ),
    ),
    B(
        name="summary-conv-depth-updated-first",
        cause="The depth is set to the number of filters before the conv layer's parameters are counted, so the "
        "layer's input depth is taken to be k instead of the previous layer's depth.",
        function="network_summary",
        edits=(
            (
                "params.py",
                "                params, d = conv_params(f, d, k), k\n",
                "                d = k\n                params = conv_params(f, d, k)\n",
            ),
        ),
    ),
    B(
        name="summary-fc-flatten-ignores-depth",
        cause="A fully connected layer is given h * w inputs, forgetting the depth: flattening an h x w x d volume "
        "gives h * w * d inputs.",
        function="network_summary",
        edits=(
            (
                "params.py",
                "                params = fc_params(h * w * d, units)\n",
                "                n_in = h * w  # flatten the activation map\n"
                "                params = fc_params(n_in, units)\n",
            ),
        ),
    ),
    # ---------------------------------------------------------------- conv.py
    B(
        name="zero-pad-np-pad-all-axes",
        cause="np.pad(x, pad) pads every axis, the batch and channel axes too, instead of only the two spatial axes.",
        function="zero_pad",
        edits=(
            (
                "conv.py",
                "    out = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=x.dtype)\n"
                "    out[:, :, pad:pad + h, pad:pad + w] = x\n"
                "    return out\n",
                '    return np.pad(x, pad, mode="constant")\n',
            ),
        ),
    ),
    B(
        name="zero-pad-bottom-right",
        cause="x is copied into the top-left corner of the padded array, so all 2*pad zeros end up below and to "
        "the right instead of pad on every side.",
        function="zero_pad",
        edits=(("conv.py", "    out[:, :, pad:pad + h, pad:pad + w] = x\n", "    out[:, :, :h, :w] = x\n"),),
    ),
    B(
        name="conv-forward-bias-per-channel",
        cause="The bias is added inside the loop over input channels, so each output gets C times b[f] instead of once.",
        function="conv_forward",
        edits=(
            (
                "conv.py",
                "    out = np.empty((x.shape[0], num_filters, out_h, out_w), dtype=np.float64)\n"
                "    for i in range(out_h):\n"
                "        for j in range(out_w):\n"
                "            window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]\n"
                "            # (N, C, HH, WW) . (F, C, HH, WW) over C, HH, WW -> (N, F)\n"
                "            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b\n",
                "    out = np.zeros((x.shape[0], num_filters, out_h, out_w), dtype=np.float64)\n"
                "    for i in range(out_h):\n"
                "        for j in range(out_w):\n"
                "            window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]\n"
                "            for c in range(x.shape[1]):\n"
                "                # one input channel at a time: (N, HH, WW) . (F, HH, WW) -> (N, F)\n"
                "                out[:, :, i, j] += np.tensordot(window[:, c], w[:, c], axes=([1, 2], [1, 2])) + b\n",
            ),
        ),
    ),
    B(
        name="conv-forward-flips-filter",
        cause="The filter is flipped (a true convolution) although the layer must compute a cross-correlation, "
        "sliding the filter as it is.",
        function="conv_forward",
        edits=(
            (
                "conv.py",
                "    num_filters, _, hh, ww = w.shape\n",
                "    num_filters, _, hh, ww = w.shape\n"
                "    kernel = np.flip(w, axis=(2, 3))  # convolution flips the kernel\n",
            ),
            (
                "conv.py",
                "            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b\n",
                "            out[:, :, i, j] = np.tensordot(window, kernel, axes=([1, 2, 3], [1, 2, 3])) + b\n",
            ),
        ),
    ),
    B(
        name="conv-forward-column-stride",
        cause="The stride is applied to the rows but not to the columns: the window's first column is j "
        "instead of j * stride.",
        function="conv_forward",
        edits=(
            (
                "conv.py",
                "            window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]\n"
                "            # (N, C, HH, WW)",
                "            window = xp[:, :, i * stride:i * stride + hh, j:j + ww]\n"
                "            # (N, C, HH, WW)",
            ),
        ),
    ),
    B(
        name="conv-backward-averages-batch",
        cause="The weight and bias gradients are divided by the batch size N (averaged), whereas they must be "
        "summed over the batch.",
        function="conv_backward",
        edits=(
            (
                "conv.py",
                "    db = dout.sum(axis=(0, 2, 3))\n",
                "    # average over the batch, like the loss\n"
                "    dw /= x.shape[0]\n"
                "    db = dout.sum(axis=(0, 2, 3)) / x.shape[0]\n",
            ),
        ),
    ),
    B(
        name="conv-backward-crops-top-left",
        cause="The gradient of the padded input is cropped at its top-left corner instead of dropping pad rows "
        "and columns on every side.",
        function="conv_backward",
        edits=(("conv.py", "    dx = dxp[:, :, pad:pad + h, pad:pad + w_]\n", "    dx = dxp[:, :, :h, :w_]\n"),),
    ),
    B(
        name="conv-backward-dx-overwrites",
        cause="dx is assigned instead of accumulated, so where windows overlap each window overwrites the "
        "gradient of the previous ones.",
        function="conv_backward",
        edits=(
            (
                "conv.py",
                "            dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))\n",
                "            dxp[:, :, rows, cols] = np.tensordot(g, w, axes=([1], [0]))\n",
            ),
        ),
    ),
    # ---------------------------------------------------------------- pool.py
    B(
        name="max-pool-forward-zero-init",
        cause="The running maximum of a window starts at 0 instead of -inf (or the window's first value), so a "
        "window of negative values gives 0.",
        function="max_pool_forward",
        edits=(
            (
                "pool.py",
                "            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]\n"
                "            out[:, :, i, j] = window.max(axis=(2, 3))\n",
                "            best = np.zeros(x.shape[:2])\n"
                "            for di in range(ph):\n"
                "                for dj in range(pw):\n"
                "                    best = np.maximum(best, x[:, :, i * stride + di, j * stride + dj])\n"
                "            out[:, :, i, j] = best\n",
            ),
        ),
    ),
    B(
        name="max-pool-forward-max-not-reset",
        cause="The running maximum is not reset for each window, so every output is the maximum over all "
        "windows visited so far.",
        function="max_pool_forward",
        edits=(
            (
                "pool.py",
                "    out = np.empty(x.shape[:2] + (out_h, out_w), dtype=np.float64)\n"
                "    for i in range(out_h):\n"
                "        for j in range(out_w):\n"
                "            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]\n"
                "            out[:, :, i, j] = window.max(axis=(2, 3))\n",
                "    out = np.empty(x.shape[:2] + (out_h, out_w), dtype=np.float64)\n"
                "    best = np.full(x.shape[:2], -np.inf)\n"
                "    for i in range(out_h):\n"
                "        for j in range(out_w):\n"
                "            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]\n"
                "            best = np.maximum(best, window.max(axis=(2, 3)))\n"
                "            out[:, :, i, j] = best\n",
            ),
        ),
    ),
    B(
        name="max-pool-backward-overwrites",
        cause="The gradient is assigned instead of added, so a position that is the maximum of several "
        "overlapping windows keeps only the last window's gradient.",
        function="max_pool_backward",
        edits=(
            (
                "pool.py",
                "            dx[nn, cc, i * stride + di, j * stride + dj] += dout[:, :, i, j]\n",
                "            dx[nn, cc, i * stride + di, j * stride + dj] = dout[:, :, i, j]\n",
            ),
        ),
    ),
    B(
        name="max-pool-backward-transposed-argmax",
        cause="The flat argmax of a window is unravelled in (width, height) order, so the gradient goes to the "
        "transposed position inside the window, not to the maximum.",
        function="max_pool_backward",
        edits=(
            (
                "pool.py",
                "            di, dj = np.unravel_index(first_max, (ph, pw))\n",
                "            dj, di = np.unravel_index(first_max, (pw, ph))  # (x, y) in the window\n",
            ),
        ),
    ),
    B(
        name="avg-pool-forward-input-dtype",
        cause="The output array takes the input's dtype, so integer inputs give truncated integer averages "
        "(3 instead of 3.25) instead of float64.",
        function="avg_pool_forward",
        edits=(
            (
                "pool.py",
                "    out = np.empty(x.shape[:2] + (out_h, out_w), dtype=np.float64)\n"
                "    for i in range(out_h):\n"
                "        for j in range(out_w):\n"
                "            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]\n"
                "            out[:, :, i, j] = window.mean(axis=(2, 3))\n",
                "    out = np.zeros_like(x, shape=x.shape[:2] + (out_h, out_w))\n"
                "    for i in range(out_h):\n"
                "        for j in range(out_w):\n"
                "            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]\n"
                "            out[:, :, i, j] = window.mean(axis=(2, 3))\n",
            ),
        ),
    ),
    B(
        name="avg-pool-forward-square-window",
        cause="The window sum is divided by PH * PH, as if windows were square, instead of by PH * PW.",
        function="avg_pool_forward",
        edits=(
            (
                "pool.py",
                "            out[:, :, i, j] = window.mean(axis=(2, 3))\n",
                "            out[:, :, i, j] = window.sum(axis=(2, 3)) / (ph * ph)\n",
            ),
        ),
    ),
    B(
        name="avg-pool-backward-no-division",
        cause="Each window's upstream gradient is copied whole to every position of the window instead of "
        "being shared, 1 / (PH * PW) each.",
        function="avg_pool_backward",
        edits=(
            (
                "pool.py",
                "    share = dout / (ph * pw)\n"
                "    for i in range(out_h):\n"
                "        for j in range(out_w):\n"
                "            dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += share[:, :, i, j, None, None]\n",
                "    for i in range(out_h):\n"
                "        for j in range(out_w):\n"
                "            # every position of the window gets the window's gradient\n"
                "            dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += dout[:, :, i, j, None, None]\n",
            ),
        ),
    ),
    B(
        name="avg-pool-backward-modifies-dout",
        cause="The upstream gradient is divided in place (share = dout; share /= PH * PW), which changes the "
        "caller's dout array, so a second call with it gives a wrong gradient.",
        function="avg_pool_backward",
        edits=(("pool.py", "    share = dout / (ph * pw)\n", "    share = dout\n    share /= ph * pw\n"),),
    ),
]

# Written for issue 13, again from the lecture and the docstrings only: each a variant a
# student might write of a mistake, not the catalogue's way of writing it.
BUGS += [
    B(
        name="zero-pad-image-bottom-right",
        cause="x is copied into the bottom-right corner of the padded array, so all 2*pad zeros end up above and "
        "to the left instead of pad on every side.",
        function="zero_pad",
        edits=(("conv.py", "    out[:, :, pad:pad + h, pad:pad + w] = x\n", "    out[:, :, 2 * pad:, 2 * pad:] = x\n"),),
    ),
    B(
        name="conv-forward-stride-columns-only",
        cause="The stride is applied to the columns but not to the rows: the window's first row is i instead of "
        "i * stride.",
        function="conv_forward",
        edits=(
            (
                "conv.py",
                "            window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]\n"
                "            # (N, C, HH, WW)",
                "            window = xp[:, :, i:i + hh, j * stride:j * stride + ww]\n"
                "            # (N, C, HH, WW)",
            ),
        ),
    ),
    B(
        name="conv-forward-filter-transposed",
        cause="The filter's height and width axes are swapped (w.transpose(0, 1, 3, 2)) before the dot product.",
        function="conv_forward",
        edits=(("conv.py", "np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b",
                "np.tensordot(window, w.transpose(0, 1, 3, 2), axes=([1, 2, 3], [1, 2, 3])) + b"),),
    ),
    B(
        name="conv-forward-bias-averaged",
        cause="Every filter gets the mean of the biases, b.mean(), instead of its own bias b[f].",
        function="conv_forward",
        edits=(("conv.py", "np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b",
                "np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b.mean()"),),
    ),
    B(
        name="conv-forward-pads-by-one",
        cause="The input is always padded by 1 (zero_pad(x, 1)) whatever conv_param['pad'] says.",
        function="conv_forward",
        edits=(("conv.py", "    xp = zero_pad(x, pad)\n    out = np.empty", "    xp = zero_pad(x, 1)\n    out = np.empty"),),
    ),
    B(
        name="conv-backward-db-first-sample",
        cause="db sums dout over the first image of the batch only (dout[0]) instead of over every image.",
        function="conv_backward",
        edits=(("conv.py", "    db = dout.sum(axis=(0, 2, 3))\n", "    db = dout[0].sum(axis=(1, 2))\n"),),
    ),
    B(
        name="conv-backward-dw-ignores-stride",
        cause="dw takes its input windows at i, j instead of i * stride, j * stride: the stride is left out of dw.",
        function="conv_backward",
        edits=(("conv.py", "dw += np.tensordot(g, xp[:, :, rows, cols], axes=([0], [0]))",
                "dw += np.tensordot(g, xp[:, :, i:i + hh, j:j + ww], axes=([0], [0]))"),),
    ),
    B(
        name="conv-backward-dx-flipped-filter",
        cause="dx spreads dout through the flipped filter (w[:, :, ::-1, ::-1]), as a textbook convolution's "
        "gradient would, instead of through w itself.",
        function="conv_backward",
        edits=(("conv.py", "dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))",
                "dxp[:, :, rows, cols] += np.tensordot(g, w[:, :, ::-1, ::-1], axes=([1], [0]))"),),
    ),
    B(
        name="max-pool-forward-largest-magnitude",
        cause="The window's largest absolute value is taken (np.abs(window).max()) instead of its largest value.",
        function="max_pool_forward",
        edits=(("pool.py", "            out[:, :, i, j] = window.max(axis=(2, 3))\n",
                "            out[:, :, i, j] = np.abs(window).max(axis=(2, 3))\n"),),
    ),
    B(
        name="max-pool-backward-ignores-stride",
        cause="The gradient goes to position (i + di, j + dj) instead of (i * stride + di, j * stride + dj): the "
        "stride is left out of the backward pass.",
        function="max_pool_backward",
        edits=(("pool.py", "dx[nn, cc, i * stride + di, j * stride + dj] += dout[:, :, i, j]",
                "dx[nn, cc, i + di, j + dj] += dout[:, :, i, j]"),),
    ),
    B(
        name="avg-pool-forward-divides-by-perimeter",
        cause="The window's sum is divided by ph + pw instead of its area ph * pw.",
        function="avg_pool_forward",
        edits=(("pool.py", "            out[:, :, i, j] = window.mean(axis=(2, 3))\n",
                "            out[:, :, i, j] = window.sum(axis=(2, 3)) / (ph + pw)\n"),),
    ),
    B(
        name="avg-pool-backward-ignores-stride",
        cause="Each window's share of dout is added at rows i and columns j instead of i * stride and j * stride.",
        function="avg_pool_backward",
        edits=(("pool.py", "dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += share[:, :, i, j, None, None]",
                "dx[:, :, i:i + ph, j:j + pw] += share[:, :, i, j, None, None]"),),
    ),
    B(
        name="avg-pool-backward-scales-dout-in-place",
        cause="dout is divided by the window area in place (dout /= ph * pw), changing the caller's array.",
        function="avg_pool_backward",
        edits=(("pool.py", "    share = dout / (ph * pw)\n", "    dout /= ph * pw\n    share = dout\n"),),
    ),
    B(
        name="fc-params-bias-per-input",
        cause="A fully connected layer is given one bias per input (n_in) instead of one per output unit (n_out).",
        function="fc_params",
        edits=(("params.py", "    return n_in * n_out + (n_out if bias else 0)\n", "    return n_in * n_out + (n_in if bias else 0)\n"),),
    ),
]

del B
