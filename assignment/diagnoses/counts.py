"""Mistakes in output sizes and parameter counts, which also show in the layers and in
network_summary and count_params."""

from autograder.grade.diagnose import Mistake

from . import conv


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

    def summary(layers, input_shape, *, floor=False, conv_bias=True, fc_spatial=True):
        """A plain network_summary, with the mistakes as switches."""
        to_conv = conv_size if floor else ref.conv_output_size
        to_pool = pool_size if floor else ref.pool_output_size
        h, w, d = input_shape
        rows = []
        for layer in layers:
            kind = layer["type"]
            if kind == "conv":
                f, k, s, p = layer["size"], layer["filters"], layer.get("stride", 1), layer.get("pad", 0)
                h, w = to_conv(h, f, s, p), to_conv(w, f, s, p)
                params, d = ref.conv_params(f, d, k, bias=conv_bias), k
            elif kind == "pool":
                h, w = to_pool(h, layer["size"], layer["stride"]), to_pool(w, layer["size"], layer["stride"])
                params = 0
            elif kind == "fc":
                params = ref.fc_params(h * w * d if fc_spatial else d, layer["units"])
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

    return [
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
