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
    return int(n_in * n_out + (1 if bias else 0))


def locally_connected_params(out_h, out_w, f, d_in, k, bias=True):
    """Parameters of a locally connected layer: every one of the ``out_h * out_w``
    output positions has its own ``k`` filters of ``f * f * d_in`` weights (no
    sharing), plus one bias per output unit when ``bias``.

    Example: 200x200 outputs, 10x10 filters, one input channel, one filter, no bias:
    4,000,000.
    """
    return int(out_h * out_w * k * (f * f * d_in + (1 if bias else 0)))


def conv_params(f, d_in, k, bias=True):
    """Parameters of a convolutional layer with ``k`` filters of size
    ``f x f x d_in``: ``(f * f * d_in) * k`` weights (+ ``k`` biases when ``bias``).

    Example: one 5x5x3 filter with its bias has 76 parameters.
    """
    return int(k * (f * f * d_in + (1 if bias else 0)))


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
    shape = tuple(int(s) for s in input_shape)

    def conv(layer, h, w, d):
        s, p = layer.get("stride", 1), layer.get("pad", 0)
        size, k = layer["size"], layer["filters"]
        return (conv_output_size(h, size, s, p), conv_output_size(w, size, s, p), k), conv_params(size, d, k)

    def pool(layer, h, w, d):
        size, s = layer["size"], layer["stride"]
        return (pool_output_size(h, size, s), pool_output_size(w, size, s), d), pool_params()

    def fc(layer, h, w, d):
        u = layer["units"]
        return (1, 1, u), fc_params(h * w * d, u)

    handlers = {"conv": conv, "pool": pool, "fc": fc}
    summary = []
    for index, layer in enumerate(layers):
        kind = layer.get("type")
        try:
            if kind not in handlers:
                raise ValueError(f"unknown layer type {kind!r}")
            shape, params = handlers[kind](layer, *shape)
        except KeyError as missing:
            raise ValueError(f"layer {index} ({kind}): missing key {missing}") from None
        except ValueError as err:
            raise ValueError(f"layer {index} ({kind}): {err}") from None
        shape = tuple(int(s) for s in shape)
        summary.append({"type": kind, "output_shape": shape, "params": int(params)})
    return summary


def count_params(layers, input_shape):
    """Total parameters of the network described by ``layers`` on an input of shape
    ``(H, W, D)``; see :func:`network_summary` for the layer format.

    Example: VGG-16 on ``(224, 224, 3)`` has 138,357,544 parameters.
    """
    return int(sum(row['params'] for row in network_summary(layers, input_shape)))
