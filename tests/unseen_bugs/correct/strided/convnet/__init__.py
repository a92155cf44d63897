"""convnet: the layers of a small convolutional network, in numpy.

Arrays are NCHW float64: x ``(N, C, H, W)``, w ``(F, C, HH, WW)``, b ``(F,)``.
"""

from .conv import conv_backward, conv_forward, zero_pad
from .params import (
    conv_params,
    count_params,
    fc_params,
    locally_connected_params,
    network_summary,
    pool_params,
)
from .pool import avg_pool_backward, avg_pool_forward, max_pool_backward, max_pool_forward
from .shapes import conv_output_size, pool_output_size, receptive_field, same_padding

__all__ = [
    "avg_pool_backward",
    "avg_pool_forward",
    "conv_backward",
    "conv_forward",
    "conv_output_size",
    "conv_params",
    "count_params",
    "fc_params",
    "locally_connected_params",
    "max_pool_backward",
    "max_pool_forward",
    "network_summary",
    "pool_output_size",
    "pool_params",
    "receptive_field",
    "same_padding",
    "zero_pad",
]
