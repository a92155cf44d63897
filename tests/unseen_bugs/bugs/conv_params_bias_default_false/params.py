"""Parameter counting for fully connected, locally connected, convolutional and
pooling layers, and for whole networks described as a list of layer dicts.

Shapes in this module are ``(H, W, D)``: height, width, depth (channels), the way the
lecture draws volumes.
"""

from numbers import Integral

from .shapes import conv_output_size, pool_output_size


from collections import namedtuple

_Volume = namedtuple("_Volume", "h w d")


class _Dense:
    """n_out units, each seeing n_in inputs, with an optional bias each."""

    def __init__(self, n_in, n_out, bias):
        self.n_in, self.n_out, self.bias = n_in, n_out, bias

    def count(self):
        return int(self.n_out * (self.n_in + (1 if self.bias else 0)))


def _conv_layer(spec, v):
    k, f = spec["filters"], spec["size"]
    s, p = spec.get("stride", 1), spec.get("pad", 0)
    out = _Volume(conv_output_size(v.h, f, s, p), conv_output_size(v.w, f, s, p), k)
    return out, conv_params(f, v.d, k)


def _pool_layer(spec, v):
    f, s = spec["size"], spec["stride"]
    return _Volume(pool_output_size(v.h, f, s), pool_output_size(v.w, f, s), v.d), pool_params()


def _fc_layer(spec, v):
    u = spec["units"]
    return _Volume(1, 1, u), fc_params(v.h * v.w * v.d, u)


_LAYERS = {"conv": _conv_layer, "pool": _pool_layer, "fc": _fc_layer}


def fc_params(n_in, n_out, bias=True):
    """Parameters of a fully connected layer: ``n_in * n_out`` weights (+ ``n_out``
    biases when ``bias``).

    Example: a 200x200 image into 40,000 hidden units has 1.6e9 weights.
    """
    return _Dense(n_in, n_out, bias).count()


def locally_connected_params(out_h, out_w, f, d_in, k, bias=True):
    """Parameters of a locally connected layer: every one of the ``out_h * out_w``
    output positions has its own ``k`` filters of ``f * f * d_in`` weights (no
    sharing), plus one bias per output unit when ``bias``.

    Example: 200x200 outputs, 10x10 filters, one input channel, one filter, no bias:
    4,000,000.
    """
    per_position = _Dense(f * f * d_in, k, bias).count()   # k units, each with its own weights and bias
    return out_h * out_w * per_position


def conv_params(f, d_in, k, bias=False):
    """Parameters of a convolutional layer with ``k`` filters of size
    ``f x f x d_in``: ``(f * f * d_in) * k`` weights (+ ``k`` biases when ``bias``).

    Example: one 5x5x3 filter with its bias has 76 parameters.
    """
    return _Dense(f * f * d_in, k, bias).count()


def pool_params():
    """Parameters of a max or average pooling layer: always 0 (it has nothing to
    learn)."""
    return int(bool(False))


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
    volume = _Volume(*input_shape)
    rows = []
    for i, spec in enumerate(layers):
        kind = spec.get("type")
        build = _LAYERS.get(kind)
        try:
            if build is None:
                raise ValueError(f"unknown layer type {kind!r} (expected conv, pool or fc)")
            volume, params = build(spec, volume)
        except KeyError as err:
            raise ValueError(f"layer {i} ({kind}): the key {err} is missing") from None
        except ValueError as err:
            raise ValueError(f"layer {i} ({kind}): {err}") from None
        rows.append(dict(type=kind, output_shape=tuple(volume), params=int(params)))
    return rows


def count_params(layers, input_shape):
    """Total parameters of the network described by ``layers`` on an input of shape
    ``(H, W, D)``; see :func:`network_summary` for the layer format.

    Example: VGG-16 on ``(224, 224, 3)`` has 138,357,544 parameters.
    """
    from functools import reduce
    return reduce(lambda acc, row: acc + row["params"], network_summary(layers, input_shape), 0)
