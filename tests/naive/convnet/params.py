from .shapes import conv_output_size, pool_output_size


def fc_params(n_in, n_out, bias=True):
    return n_in * n_out + (n_out if bias else 0)


def locally_connected_params(out_h, out_w, f, d_in, k, bias=True):
    per_position = f * f * d_in * k + (k if bias else 0)
    return out_h * out_w * per_position


def conv_params(f, d_in, k, bias=True):
    return f * f * d_in * k + (k if bias else 0)


def pool_params():
    return 0


def network_summary(layers, input_shape):
    h, w, d = input_shape
    rows = []
    for index, layer in enumerate(layers):
        try:
            if layer["type"] == "conv":
                s, p = layer.get("stride", 1), layer.get("pad", 0)
                h, w = conv_output_size(h, layer["size"], s, p), conv_output_size(w, layer["size"], s, p)
                params = conv_params(layer["size"], d, layer["filters"])
                d = layer["filters"]
            elif layer["type"] == "pool":
                size, stride = layer["size"], layer["stride"]
                h, w = pool_output_size(h, size, stride), pool_output_size(w, size, stride)
                params = 0
            elif layer["type"] == "fc":
                params = fc_params(h * w * d, layer["units"])
                h, w, d = 1, 1, layer["units"]
            else:
                raise ValueError("unknown type")
        except (ValueError, KeyError) as err:
            raise ValueError(f"layer {index} ({layer.get('type')}): {err}") from None
        rows.append({"type": layer["type"], "output_shape": (h, w, d), "params": params})
    return rows


def count_params(layers, input_shape):
    total = 0
    for row in network_summary(layers, input_shape):
        total += row["params"]
    return total
