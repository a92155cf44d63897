"""Realistic buggy submissions: the reference with one classic mistake each (data for
:mod:`tests.fabricate`).

Each bug is a text substitution in one file of the reference; ``loses`` lists the
test groups that must lose points, ``keeps`` groups that must keep all of theirs
(the bug is elsewhere)."""

import dataclasses

from tests.fabricate import GRADED, Variant, replace


@dataclasses.dataclass(frozen=True)
class Bug:
    name: str
    variant: Variant  # write it with ``bug.variant.write(folder)``: the package in folder/convnet
    loses: frozenset
    keeps: frozenset


def bug(name, file, old, new, loses, keeps):
    # Without fast.py (the bonus): its timing would cost every grading a second for nothing here.
    variant = Variant(modules=GRADED, edits=(replace(file, old, new),))
    return Bug(name, variant, frozenset(loses.split()), frozenset(keeps.split()))


FORWARD = "test_conv_forward_random test_conv_forward_edge_filter"
BACKWARD_KEEP = "test_conv_backward_random test_conv_backward_numerical"
POOL_KEEP = "test_max_pool_forward_random test_avg_pool_forward_random test_max_pool_backward_random test_avg_pool_backward_random"

BUGS = [
    bug("bias forgotten", "conv.py", "axes=([1, 2, 3], [1, 2, 3])) + b", "axes=([1, 2, 3], [1, 2, 3]))",
        FORWARD + " test_conv_forward_1x1", BACKWARD_KEEP + " test_conv_backward_gradcheck " + POOL_KEEP),
    bug("filter flipped", "conv.py", "np.tensordot(window, w, axes", "np.tensordot(window, w[:, :, ::-1, ::-1], axes",
        FORWARD, BACKWARD_KEEP + " test_conv_backward_gradcheck test_conv_forward_1x1 " + POOL_KEEP),
    bug("padding ignored when cropping dx", "conv.py", "dx = dxp[:, :, pad:pad + h, pad:pad + w_]", "dx = dxp[:, :, :h, :w_]",
        "test_conv_backward_random test_conv_backward_numerical test_conv_backward_gradcheck",
        "test_conv_forward_random test_conv_forward_edge_filter " + POOL_KEEP),
    bug("db summed over the wrong axes", "conv.py", "db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=(1, 2, 3))",
        "test_conv_backward_random test_conv_backward_numerical test_conv_backward_gradcheck",
        "test_conv_forward_random " + POOL_KEEP),
    bug("stride ignored in the backward pass", "conv.py", "rows = slice(i * stride, i * stride + hh)",
        "rows = slice(i, i + hh)", "test_conv_backward_random test_conv_backward_numerical test_conv_backward_gradcheck",
        "test_conv_forward_random " + POOL_KEEP),
    bug("output size off by one", "shapes.py", "    return int(span // stride + 1)\n    # END SOLUTION\n\n\ndef pool",
        "    return int(span // stride)\n    # END SOLUTION\n\n\ndef pool",
        "test_conv_output_size_lecture test_conv_output_size_random test_conv_forward_random test_count_params_unseen",
        "test_pool_output_size_lecture test_pool_output_size_random " + POOL_KEEP),
    bug("max-pool gradient sent to the whole window", "pool.py",
        "dx[nn, cc, i * stride + di, j * stride + dj] += dout[:, :, i, j]",
        "dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += dout[:, :, i, j, None, None]",
        "test_max_pool_backward_random test_max_pool_backward_gradcheck",
        "test_max_pool_forward_random test_avg_pool_backward_random test_conv_forward_random"),
    bug("average pool divides by the wrong area", "pool.py", "share = dout / (ph * pw)", "share = dout / (ph * ph)",
        "test_avg_pool_backward_random test_avg_pool_backward_gradcheck",
        "test_avg_pool_forward_random test_max_pool_backward_random test_conv_backward_random"),
    bug("fully connected layer ignores the spatial size", "params.py", "params = fc_params(h * w * d, units)",
        "params = fc_params(d, units)", "test_vgg16_first_fc test_network_summary_vgg16 test_count_params_unseen",
        "test_layer_params_hidden test_params_lecture " + FORWARD),
    bug("bias left out of conv parameter counts", "params.py", "return f * f * d_in * k + (k if bias else 0)",
        "return f * f * d_in * k", "test_params_lecture test_layer_params_hidden test_network_summary_vgg16",
        "test_conv_output_size_random " + FORWARD),
]
