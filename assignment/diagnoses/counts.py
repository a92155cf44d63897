"""Mistakes in output sizes and parameter counts, which also show in the layers and in
network_summary and count_params."""

from autograder.grade.diagnose import Mistake

from . import conv

# The layer types whose output width may be computed from the height (see mistakes()).
SQUARED = (("pool",), ("conv",), ("pool", "conv"))
# The layers of a network whose biases may be counted wrong, each way (see mistakes()).
NETWORK_BIASES = [(function, i) for function in ("conv_params", "fc_params") for i in range(3)]


def _count(ref, function, args, bias, biases):
    """``ref``'s count of a layer; with ``biases == (function, i)``, its biases counted
    as the i-th wrong count instead (``WRONG_BIASES``)."""
    if biases is None or biases[0] != function or not bias:
        return getattr(ref, function)(*args, bias=bias)
    return getattr(ref, function)(*args, bias=False) + WRONG_BIASES[function](*args)[biases[1]]


# The wrong counts of biases students give, per layer's count function: three each.
WRONG_BIASES = {
    "conv_params": lambda f, d_in, k: (1, d_in, d_in * k),
    "fc_params": lambda n_in, n_out: (1, n_in, n_in * n_out),
    "locally_connected_params": lambda out_h, out_w, f, d_in, k: (k, out_h * out_w, 1),
}


def mistakes(ref):
    def floored(size):
        """``size`` (the reference's conv_output_size or pool_output_size), rounding
        down where it raises only because the window does not tile the input."""
        def variant(n, f, stride=1, *pad):
            try:
                return size(n, f, stride, *pad)
            except ValueError:
                size(n, f, 1, *pad)  # raises again when something else is wrong
                if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
                    raise
                return (n - f + 2 * (pad[0] if pad else 0)) // stride + 1
        return variant

    conv_size, pool_size = floored(ref.conv_output_size), floored(ref.pool_output_size)

    def conv_size_kw(n, f, stride=1, pad=0):  # conv_output_size's own keywords
        return conv_size(n, f, stride, pad)

    def summary(layers, input_shape, *, floor=False, conv_bias=True, fc_spatial=True, biases=None, square=(),
                depth="right"):
        """A plain network_summary, with the mistakes as switches (``biases``: the
        biases of one type of layer counted wrong, ``(count function, i)``: the i-th of
        ``WRONG_BIASES``; ``square``: the layer types whose output width is computed
        from the height; ``depth``: "kept" (a conv layer's output keeps the input's
        depth) or "early" (its parameters use its own k as the input depth))."""
        to_conv = conv_size if floor else ref.conv_output_size
        to_pool = pool_size if floor else ref.pool_output_size
        h, w, d = input_shape
        rows = []
        for layer in layers:
            kind = layer["type"]
            if kind == "conv":
                f, k, s, p = layer["size"], layer["filters"], layer.get("stride", 1), layer.get("pad", 0)
                h, w = to_conv(h, f, s, p), to_conv(h if "conv" in square else w, f, s, p)
                params = _count(ref, "conv_params", (f, k if depth == "early" else d, k), conv_bias, biases)
                d = d if depth == "kept" else k
            elif kind == "pool":
                h, w = (to_pool(h, layer["size"], layer["stride"]),
                        to_pool(h if "pool" in square else w, layer["size"], layer["stride"]))
                params = 0
            elif kind == "fc":
                params = _count(ref, "fc_params", (h * w * d if fc_spatial else d, layer["units"]), True, biases)
                h, w, d = 1, 1, layer["units"]
            else:
                raise ValueError(kind)
            rows.append({"type": kind, "output_shape": (h, w, d), "params": params})
        return rows

    def total(**mistake):
        return lambda layers, input_shape: sum(row["params"] for row in summary(layers, input_shape, **mistake))

    def pool_floored(kind):
        def variant(x, pool_param):
            ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
            rows = (pool_size(x.shape[2], ph, stride) - 1) * stride + ph
            cols = (pool_size(x.shape[3], pw, stride) - 1) * stride + pw
            out, _ = getattr(ref, f"{kind}_pool_forward")(x[:, :, :rows, :cols], pool_param)
            return out, (x, pool_param)
        return variant

    def without(position):
        """count_params leaving out the layer at ``position`` (0: the first, -1: the last)."""
        def variant(layers, input_shape):
            rows = ref.network_summary(layers, input_shape)
            del rows[position]
            return sum(row["params"] for row in rows)
        return variant

    def biases_counted(function):
        """``function`` (a layer's count) with its weights right and its biases counted
        as each of ``WRONG_BIASES`` instead (when bias=True): a family."""
        def variant(i):
            def count(*args, bias=True):
                weights = getattr(ref, function)(*args, bias=False)
                return weights + WRONG_BIASES[function](*args)[i] if bias else weights
            return count
        return tuple(variant(i) for i in range(3))


    def only(position):
        """count_params giving the count of the layer at ``position`` alone."""
        return lambda layers, input_shape: ref.network_summary(layers, input_shape)[position]["params"]

    return [
        Mistake(
            "count-one-layer-only",
            "the total is one layer's count alone (the last or the first): the sum is overwritten, not added to",
            "Start the total at 0 and add each layer's parameters to it (total += row['params']), or "
            "sum(row['params'] for row in network_summary(...)).",
            {"count_params": (only(-1), only(0))},
        ),
        Mistake(
            "width-from-height",
            "a layer's output width is computed from the height: right only for square volumes",
            "Track the height and the width apart through every layer: H' from H and W' from W, with the "
            "layer's size, stride and pad on each axis.",
            {"network_summary": tuple(lambda layers, shape, sq=sq: summary(layers, shape, square=sq)
                                      for sq in SQUARED),
             "count_params": tuple(total(square=sq) for sq in SQUARED)},
        ),
        Mistake(
            "conv-depth",
            "the depth through a convolutional layer is wrong: its output has one channel per filter (k), and "
            "its parameters use the depth of its input",
            "After a conv layer with k filters the volume is H' x W' x k; that layer's filters are f x f x d_in, "
            "d_in the depth of its input: count them before updating the depth.",
            {"network_summary": tuple(lambda layers, shape, dp=dp: summary(layers, shape, depth=dp)
                                      for dp in ("kept", "early")),
             "count_params": tuple(total(depth=dp) for dp in ("kept", "early"))},
        ),
        Mistake(
            "bias-count",
            "the weights are counted right, the biases are not",
            "There is one bias per output unit: per filter in a convolution (k), per output unit in a fully "
            "connected layer (n_out), per position and filter in a locally connected layer "
            "(out_h * out_w * k), since nothing is shared there.",
            {
                **{function: biases_counted(function) for function in WRONG_BIASES},
                "network_summary": tuple(lambda layers, shape, wrong=wrong: summary(layers, shape, biases=wrong)
                                         for wrong in NETWORK_BIASES),
                "count_params": tuple(total(biases=wrong) for wrong in NETWORK_BIASES),
            },
        ),
        Mistake(
            "count-skips-a-layer",
            "the total leaves out one layer (the first or the last): the loop over the layers starts or stops "
            "one too early",
            "Add up every layer's parameters, from the first to the last: for row in network_summary(...).",
            {"count_params": (without(0), without(-1))},
        ),
        Mistake(
            "size-floored",
            "output sizes are rounded down instead of rejected",
            "When the window does not tile the (padded) input, (n - f + 2*pad)/stride + 1 is not a whole "
            "number: raise ValueError showing the arithmetic instead of rounding, and let the layers and "
            "network_summary raise too.",
            {
                "conv_output_size": conv_size_kw,
                "pool_output_size": pool_size,
                "conv_forward": lambda x, w, b, p: conv.forward(x, w, b, p, floor=True),
                "max_pool_forward": pool_floored("max"),
                "avg_pool_forward": pool_floored("avg"),
                "network_summary": lambda layers, shape: summary(layers, shape, floor=True),
            },
        ),
        Mistake(
            "conv-params-no-bias",
            "the biases are left out of the convolutional layers' parameter counts",
            "A convolutional layer has (f*f*d_in)*k weights plus k biases, one per filter (unless bias=False).",
            {
                "conv_params": lambda f, d_in, k, bias=True: ref.conv_params(f, d_in, k, bias=False),
                "network_summary": lambda layers, shape: summary(layers, shape, conv_bias=False),
                "count_params": total(conv_bias=False),
            },
        ),
        Mistake(
            "fc-ignores-spatial-size",
            "a fully connected layer counts only the depth of its input, not the whole volume",
            "A fully connected unit is connected to every value of its input volume: H*W*D weights per "
            "unit, not D.",
            {
                "network_summary": lambda layers, shape: summary(layers, shape, fc_spatial=False),
                "count_params": total(fc_spatial=False),
            },
        ),
    ]
