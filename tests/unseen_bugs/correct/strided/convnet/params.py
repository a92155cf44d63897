"""Parameter counting for fully connected, locally connected, convolutional and
pooling layers, and for whole networks described as a list of layer dicts.

Shapes in this module are ``(H, W, D)``: height, width, depth (channels), the way the
lecture draws volumes.
"""

from numbers import Integral

from .shapes import conv_output_size, pool_output_size


def _count(name, value, smallest=0):
    """``value`` as a plain int, or ValueError when it is not an integer ``>= smallest``."""
    if not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < smallest:
        raise ValueError(f"{name} must be >= {smallest}, got {value}")
    return int(value)


def fc_params(n_in, n_out, bias=True):
    """Parameters of a fully connected layer: ``n_in * n_out`` weights (+ ``n_out``
    biases when ``bias``).

    Example: a 200x200 image into 40,000 hidden units has 1.6e9 weights.
    """
    n_in, n_out = _count("n_in", n_in), _count("n_out", n_out)
    total = n_in * n_out
    if bias:
        total += n_out
    return total


def locally_connected_params(out_h, out_w, f, d_in, k, bias=True):
    """Parameters of a locally connected layer: every one of the ``out_h * out_w``
    output positions has its own ``k`` filters of ``f * f * d_in`` weights (no
    sharing), plus one bias per output unit when ``bias``.

    Example: 200x200 outputs, 10x10 filters, one input channel, one filter, no bias:
    4,000,000.
    """
    out_h, out_w = _count("out_h", out_h), _count("out_w", out_w)
    f, d_in, k = _count("f", f), _count("d_in", d_in), _count("k", k)
    units = out_h * out_w * k
    total = units * f * f * d_in
    if bias:
        total += units
    return total


def conv_params(f, d_in, k, bias=True):
    """Parameters of a convolutional layer with ``k`` filters of size
    ``f x f x d_in``: ``(f * f * d_in) * k`` weights (+ ``k`` biases when ``bias``).

    Example: one 5x5x3 filter with its bias has 76 parameters.
    """
    f, d_in, k = _count("f", f), _count("d_in", d_in), _count("k", k)
    total = f * f * d_in * k
    if bias:
        total += k
    return total


def pool_params():
    """Parameters of a max or average pooling layer: always 0 (it has nothing to
    learn)."""
    return 0


def _layer_row(layer, shape):
    """``(output_shape, params)`` of one layer dict on an input volume ``shape``.
    Raises ValueError (without the layer prefix) when it does not fit."""
    h, w, d = shape
    kind = layer["type"]
    if kind == "conv":
        missing = [key for key in ("filters", "size") if key not in layer]
        if missing:
            raise ValueError(f"missing key {missing[0]!r} (a conv layer needs 'filters' and 'size')")
        k = _count("filters", layer["filters"], 1)
        size = layer["size"]
        stride, pad = layer.get("stride", 1), layer.get("pad", 0)
        out = (conv_output_size(h, size, stride, pad), conv_output_size(w, size, stride, pad), k)
        return out, conv_params(size, d, k)
    if kind == "pool":
        missing = [key for key in ("size", "stride") if key not in layer]
        if missing:
            raise ValueError(f"missing key {missing[0]!r} (a pool layer needs 'size' and 'stride')")
        size, stride = layer["size"], layer["stride"]
        return (pool_output_size(h, size, stride), pool_output_size(w, size, stride), d), pool_params()
    if kind == "fc":
        if "units" not in layer:
            raise ValueError("missing key 'units' (an fc layer needs 'units')")
        units = _count("units", layer["units"], 1)
        return (1, 1, units), fc_params(h * w * d, units)
    raise ValueError(f"unknown layer type {kind!r} (expected 'conv', 'pool' or 'fc')")


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
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise ValueError(f"input_shape must be (H, W, D), got {input_shape!r}") from None
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (H, W, D), got {input_shape!r}")
    shape = tuple(_count(name, value, 1) for name, value in zip("HWD", shape))

    rows = []
    for i, layer in enumerate(layers):
        kind = layer.get("type") if isinstance(layer, dict) else None
        try:
            if not isinstance(layer, dict):
                raise ValueError(f"a layer must be a dict, got {layer!r}")
            if "type" not in layer:
                raise ValueError("missing key 'type'")
            shape, params = _layer_row(layer, shape)
        except ValueError as err:
            raise ValueError(f"layer {i} ({kind}): {err}") from err
        rows.append({"type": kind, "output_shape": shape, "params": params})
    return rows


def count_params(layers, input_shape):
    """Total parameters of the network described by ``layers`` on an input of shape
    ``(H, W, D)``; see :func:`network_summary` for the layer format.

    Example: VGG-16 on ``(224, 224, 3)`` has 138,357,544 parameters.
    """
    total = 0
    for row in network_summary(layers, input_shape):
        total += row["params"]
    return total
