"""Parameter counting for fully connected, locally connected, convolutional and
pooling layers, and for whole networks described as a list of layer dicts.

Shapes in this module are ``(H, W, D)``: height, width, depth (channels), the way the
lecture draws volumes.
"""

from numbers import Integral

from .shapes import conv_output_size, pool_output_size


def fc_params(n_in, n_out, bias=True):
    """Parameters of a fully connected layer: ``n_in * n_out`` weights (+ ``n_out``
    biases when ``bias``).

    Example: a 200x200 image into 40,000 hidden units has 1.6e9 weights.
    """
    count = n_in * n_out
    if bias:
        count += n_out
    return int(count)


def locally_connected_params(out_h, out_w, f, d_in, k, bias=True):
    """Parameters of a locally connected layer: every one of the ``out_h * out_w``
    output positions has its own ``k`` filters of ``f * f * d_in`` weights (no
    sharing), plus one bias per output unit when ``bias``.

    Example: 200x200 outputs, 10x10 filters, one input channel, one filter, no bias:
    4,000,000.
    """
    positions = out_h * out_w
    count = positions * k * f * f * d_in
    if bias:
        count += k
    return int(count)


def conv_params(f, d_in, k, bias=True):
    """Parameters of a convolutional layer with ``k`` filters of size
    ``f x f x d_in``: ``(f * f * d_in) * k`` weights (+ ``k`` biases when ``bias``).

    Example: one 5x5x3 filter with its bias has 76 parameters.
    """
    count = f * f * d_in * k
    if bias:
        count += k
    return int(count)


def pool_params():
    """Parameters of a max or average pooling layer: always 0 (it has nothing to
    learn)."""
    return 0


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
            not fit; the message starts with ``"layer i (type): "``.
    """
    h, w, d = input_shape
    rows = []
    for i, layer in enumerate(layers):
        kind = layer.get("type", "?") if isinstance(layer, dict) else "?"
        prefix = f"layer {i} ({kind}): "
        try:
            if kind == "conv":
                k, f = layer["filters"], layer["size"]
                stride, pad = layer.get("stride", 1), layer.get("pad", 0)
                oh = conv_output_size(h, f, stride, pad)
                ow = conv_output_size(w, f, stride, pad)
                params = conv_params(f, d, k)
                h, w, d = oh, ow, k
            elif kind == "pool":
                f, stride = layer["size"], layer["stride"]
                oh = pool_output_size(h, f, stride)
                ow = pool_output_size(w, f, stride)
                params = pool_params()
                h, w = oh, ow
            elif kind == "fc":
                units = layer["units"]
                params = fc_params(h * w * d, units)
                h, w, d = 1, 1, units
            else:
                raise ValueError(f"unknown layer type {kind!r}")
        except KeyError as exc:
            raise ValueError(prefix + f"missing key {exc.args[0]!r}") from None
        except ValueError as exc:
            raise ValueError(prefix + str(exc)) from None
        rows.append({"type": kind, "output_shape": (int(h), int(w), int(d)), "params": int(params)})
    return rows


def count_params(layers, input_shape):
    """Total parameters of the network described by ``layers`` on an input of shape
    ``(H, W, D)``; see :func:`network_summary` for the layer format.

    Example: VGG-16 on ``(224, 224, 3)`` has 138,357,544 parameters.
    """
    total = 0
    for row in network_summary(layers, input_shape):
        total += row["params"]
    return int(total)
