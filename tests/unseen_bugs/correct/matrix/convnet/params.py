"""Parameter counting for fully connected, locally connected, convolutional and
pooling layers, and for whole networks described as a list of layer dicts.

Shapes in this module are ``(H, W, D)``: height, width, depth (channels), the way the
lecture draws volumes.
"""

from numbers import Integral

from .shapes import conv_output_size, pool_output_size


def _ints(*pairs, low=0):
    """Each ``(name, value)`` value as an int, checked to be an integer ``>= low``."""
    out = []
    for name, value in pairs:
        if not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        out.append(int(value))
    return out


def fc_params(n_in, n_out, bias=True):
    """Parameters of a fully connected layer: ``n_in * n_out`` weights (+ ``n_out``
    biases when ``bias``).

    Example: a 200x200 image into 40,000 hidden units has 1.6e9 weights.
    """
    n_in, n_out = _ints(("n_in", n_in), ("n_out", n_out))
    # A weight matrix of n_out rows and n_in columns, and a bias vector of n_out.
    return n_out * n_in + (n_out if bias else 0)


def locally_connected_params(out_h, out_w, f, d_in, k, bias=True):
    """Parameters of a locally connected layer: every one of the ``out_h * out_w``
    output positions has its own ``k`` filters of ``f * f * d_in`` weights (no
    sharing), plus one bias per output unit when ``bias``.

    Example: 200x200 outputs, 10x10 filters, one input channel, one filter, no bias:
    4,000,000.
    """
    out_h, out_w, f, d_in, k = _ints(("out_h", out_h), ("out_w", out_w), ("f", f), ("d_in", d_in), ("k", k))
    per_position = conv_params(f, d_in, k, bias=bias)
    return out_h * out_w * per_position


def conv_params(f, d_in, k, bias=True):
    """Parameters of a convolutional layer with ``k`` filters of size
    ``f x f x d_in``: ``(f * f * d_in) * k`` weights (+ ``k`` biases when ``bias``).

    Example: one 5x5x3 filter with its bias has 76 parameters.
    """
    f, d_in, k = _ints(("f", f), ("d_in", d_in), ("k", k))
    # The filter bank as a matrix: k rows of f*f*d_in weights, plus a bias per row.
    return k * (f * f * d_in + (1 if bias else 0))


def pool_params():
    """Parameters of a max or average pooling layer: always 0 (it has nothing to
    learn)."""
    return 0


def _conv_layer(layer, h, w, d):
    for key in ("filters", "size"):
        if key not in layer:
            raise ValueError(f"missing key {key!r}: a conv layer needs 'filters' and 'size'")
    (k,) = _ints(("filters", layer["filters"]), low=1)
    size, stride, pad = layer["size"], layer.get("stride", 1), layer.get("pad", 0)
    shape = (conv_output_size(h, size, stride=stride, pad=pad), conv_output_size(w, size, stride=stride, pad=pad), k)
    return shape, conv_params(size, d, k)


def _pool_layer(layer, h, w, d):
    for key in ("size", "stride"):
        if key not in layer:
            raise ValueError(f"missing key {key!r}: a pool layer needs 'size' and 'stride'")
    size, stride = layer["size"], layer["stride"]
    return (pool_output_size(h, size, stride), pool_output_size(w, size, stride), d), pool_params()


def _fc_layer(layer, h, w, d):
    if "units" not in layer:
        raise ValueError("missing key 'units': an fc layer needs 'units'")
    (units,) = _ints(("units", layer["units"]), low=1)
    return (1, 1, units), fc_params(h * w * d, units)


_KINDS = {"conv": _conv_layer, "pool": _pool_layer, "fc": _fc_layer}


def network_summary(layers, input_shape):
    """Output shape and parameter count of every layer of a feed-forward network.

    Args:
        layers: list of dicts, applied in order, each one of
            ``{"type": "conv", "filters": K, "size": F, "stride": S, "pad": P}``
            (``stride`` defaults to 1 and ``pad`` to 0),
            ``{"type": "pool", "size": F, "stride": S}`` (max or average),
            ``{"type": "fc", "units": U}`` (flattens its input volume).
        input_shape: ``(H, W, D)`` of the input volume.

    Returns:
        One dict per layer: ``{"type": str, "output_shape": (H, W, D), "params": int}``.
        A fully connected layer's output shape is ``(1, 1, U)``.

    Raises:
        ValueError: for an unknown layer type, a missing key, or geometry that does
            not fit; the message starts with ``"layer i (type): "``, ``i`` counting
            from 0 (``"layer 2 (pool): "`` for the third layer).
    """
    if not hasattr(input_shape, "__len__") or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, D), got {input_shape!r}")
    h, w, d = _ints(*zip("HWD", input_shape), low=1)
    summary = []
    for i, layer in enumerate(layers):
        kind = layer.get("type") if isinstance(layer, dict) else None
        prefix = f"layer {i} ({kind}): "
        if not isinstance(layer, dict):
            raise ValueError(prefix + f"a layer must be a dict, got {layer!r}")
        if "type" not in layer:
            raise ValueError(prefix + "missing key 'type'")
        if not isinstance(kind, str) or kind not in _KINDS:
            raise ValueError(prefix + f"unknown layer type {kind!r} (known: conv, pool, fc)")
        try:
            (h, w, d), params = _KINDS[kind](layer, h, w, d)
        except ValueError as err:
            raise ValueError(prefix + str(err)) from err
        summary.append({"type": kind, "output_shape": (h, w, d), "params": params})
    return summary


def count_params(layers, input_shape):
    """Total parameters of the network described by ``layers`` on an input of shape
    ``(H, W, D)``; see :func:`network_summary` for the layer format.

    Example: VGG-16 on ``(224, 224, 3)`` has 138,357,544 parameters.
    """
    return sum([row["params"] for row in network_summary(layers, input_shape)], 0)
