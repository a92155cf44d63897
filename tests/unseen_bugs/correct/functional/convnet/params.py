"""Parameter counting for fully connected, locally connected, convolutional and
pooling layers, and for whole networks described as a list of layer dicts.

Shapes in this module are ``(H, W, D)``: height, width, depth (channels), the way the
lecture draws volumes.
"""

from functools import reduce
from math import prod
from numbers import Integral

from .shapes import conv_output_size, pool_output_size


def _whole(value, name, low=0):
    if isinstance(value, Integral) and value >= low:
        return int(value)
    raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _weights_and_biases(weights, biases, bias):
    """``weights`` plus ``biases`` when ``bias`` is on."""
    return weights + (biases if bias else 0)


def fc_params(n_in, n_out, bias=True):
    """Parameters of a fully connected layer: ``n_in * n_out`` weights (+ ``n_out``
    biases when ``bias``).

    Example: a 200x200 image into 40,000 hidden units has 1.6e9 weights.
    """
    n_in, n_out = _whole(n_in, "n_in"), _whole(n_out, "n_out")
    return _weights_and_biases(n_in * n_out, n_out, bias)


def locally_connected_params(out_h, out_w, f, d_in, k, bias=True):
    """Parameters of a locally connected layer: every one of the ``out_h * out_w``
    output positions has its own ``k`` filters of ``f * f * d_in`` weights (no
    sharing), plus one bias per output unit when ``bias``.

    Example: 200x200 outputs, 10x10 filters, one input channel, one filter, no bias:
    4,000,000.
    """
    out_h, out_w, f, d_in, k = (_whole(v, name) for v, name in
                                zip((out_h, out_w, f, d_in, k), ("out_h", "out_w", "f", "d_in", "k")))
    units = prod((out_h, out_w, k))
    return _weights_and_biases(units * prod((f, f, d_in)), units, bias)


def conv_params(f, d_in, k, bias=True):
    """Parameters of a convolutional layer with ``k`` filters of size
    ``f x f x d_in``: ``(f * f * d_in) * k`` weights (+ ``k`` biases when ``bias``).

    Example: one 5x5x3 filter with its bias has 76 parameters.
    """
    f, d_in, k = _whole(f, "f"), _whole(d_in, "d_in"), _whole(k, "k")
    return _weights_and_biases(prod((f, f, d_in)) * k, k, bias)


def pool_params():
    """Parameters of a max or average pooling layer: always 0 (it has nothing to
    learn)."""
    return 0


def _need(layer, *keys):
    """The values of ``keys`` in ``layer``; ValueError naming the first one missing."""
    missing = [key for key in keys if key not in layer]
    if missing:
        raise ValueError(f"missing key {missing[0]!r}")
    return [layer[key] for key in keys]


def _conv(layer, shape):
    filters, size = _need(layer, "filters", "size")
    stride, pad = layer.get("stride", 1), layer.get("pad", 0)
    h, w, d = shape
    filters = _whole(filters, "filters", 1)
    return (conv_output_size(h, size, stride, pad), conv_output_size(w, size, stride, pad), filters), \
        conv_params(size, d, filters)


def _pool(layer, shape):
    size, stride = _need(layer, "size", "stride")
    h, w, d = shape
    return (pool_output_size(h, size, stride), pool_output_size(w, size, stride), d), pool_params()


def _fc(layer, shape):
    (units,) = _need(layer, "units")
    units = _whole(units, "units", 1)
    return (1, 1, units), fc_params(prod(shape), units)


LAYERS = {"conv": _conv, "pool": _pool, "fc": _fc}


def _apply(layer, shape):
    """``(output_shape, params)`` of one layer on ``shape``; ValueError without prefix."""
    if not isinstance(layer, dict):
        raise ValueError(f"a layer must be a dict, got {layer!r}")
    (kind,) = _need(layer, "type")
    if not isinstance(kind, str) or kind not in LAYERS:
        raise ValueError(f"unknown layer type {kind!r}: expected one of {', '.join(LAYERS)}")
    return LAYERS[kind](layer, shape)


def _step(rows_and_shape, numbered_layer):
    """One step of the fold: append the row of layer i, move on to its output shape."""
    rows, shape = rows_and_shape
    i, layer = numbered_layer
    kind = layer.get("type") if isinstance(layer, dict) else None
    try:
        out_shape, params = _apply(layer, shape)
    except ValueError as err:
        raise ValueError(f"layer {i} ({kind}): {err}") from err
    return rows + [{"type": kind, "output_shape": out_shape, "params": params}], out_shape


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
        h, w, d = input_shape
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be (H, W, D), got {input_shape!r}") from None
    start = tuple(_whole(v, name, 1) for v, name in zip((h, w, d), ("H", "W", "D")))
    rows, _ = reduce(_step, enumerate(layers), ([], start))
    return rows


def count_params(layers, input_shape):
    """Total parameters of the network described by ``layers`` on an input of shape
    ``(H, W, D)``; see :func:`network_summary` for the layer format.

    Example: VGG-16 on ``(224, 224, 3)`` has 138,357,544 parameters.
    """
    return sum(row["params"] for row in network_summary(layers, input_shape))
