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
    # BEGIN SOLUTION
    _check_counts(n_in=n_in, n_out=n_out)
    return n_in * n_out + (n_out if bias else 0)
    # END SOLUTION


def locally_connected_params(out_h, out_w, f, d_in, k, bias=True):
    """Parameters of a locally connected layer: every one of the ``out_h * out_w``
    output positions has its own ``k`` filters of ``f * f * d_in`` weights (no
    sharing), plus one bias per output unit when ``bias``.

    Example: 200x200 outputs, 10x10 filters, one input channel, one filter, no bias:
    4,000,000.
    """
    # BEGIN SOLUTION
    _check_counts(out_h=out_h, out_w=out_w, f=f, d_in=d_in, k=k)
    units = out_h * out_w * k
    return units * f * f * d_in + (units if bias else 0)
    # END SOLUTION


def conv_params(f, d_in, k, bias=True):
    """Parameters of a convolutional layer with ``k`` filters of size
    ``f x f x d_in``: ``(f * f * d_in) * k`` weights (+ ``k`` biases when ``bias``).

    Example: one 5x5x3 filter with its bias has 76 parameters.
    """
    # BEGIN SOLUTION
    _check_counts(f=f, d_in=d_in, k=k)
    return f * f * d_in * k + (k if bias else 0)
    # END SOLUTION


def pool_params():
    """Parameters of a max or average pooling layer: always 0 (it has nothing to
    learn)."""
    # BEGIN SOLUTION
    return 0
    # END SOLUTION


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
    # BEGIN SOLUTION
    h, w, d = _check_shape(input_shape)
    summary = []
    for i, layer in enumerate(layers):
        kind = layer.get("type") if isinstance(layer, dict) else None
        try:
            if kind == "conv":
                f, k = layer["size"], layer["filters"]
                s, p = layer.get("stride", 1), layer.get("pad", 0)
                h, w = conv_output_size(h, f, s, p), conv_output_size(w, f, s, p)
                params, d = conv_params(f, d, k), k
            elif kind == "pool":
                f, s = layer["size"], layer["stride"]
                h, w = pool_output_size(h, f, s), pool_output_size(w, f, s)
                params = pool_params()
            elif kind == "fc":
                units = layer["units"]
                params = fc_params(h * w * d, units)
                h, w, d = 1, 1, units
            else:
                raise ValueError(f"unknown layer type {kind!r}; use 'conv', 'pool' or 'fc'")
        except KeyError as missing:
            raise ValueError(f"layer {i} ({kind}): missing key {missing}") from None
        except ValueError as err:
            raise ValueError(f"layer {i} ({kind}): {err}") from None
        summary.append({"type": kind, "output_shape": (h, w, d), "params": params})
    return summary
    # END SOLUTION


def count_params(layers, input_shape):
    """Total parameters of the network described by ``layers`` on an input of shape
    ``(H, W, D)``; see :func:`network_summary` for the layer format.

    Example: VGG-16 on ``(224, 224, 3)`` has 138,357,544 parameters.
    """
    # BEGIN SOLUTION
    return sum(row["params"] for row in network_summary(layers, input_shape))
    # END SOLUTION


# BEGIN SOLUTION
def _check_counts(**counts):
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")


def _check_shape(shape):
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) != 3
        or any(isinstance(v, bool) or not isinstance(v, Integral) or v < 1 for v in shape)
    ):
        raise ValueError(f"input_shape must be (H, W, D) with ints >= 1, got {shape!r}")
    return tuple(shape)
# END SOLUTION
