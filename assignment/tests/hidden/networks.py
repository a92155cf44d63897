"""Networks described as layer lists, for the parameter-counting graders."""


def conv(k, f=3, s=1, p=1):
    return {"type": "conv", "filters": k, "size": f, "stride": s, "pad": p}


def pool(f=2, s=2):
    return {"type": "pool", "size": f, "stride": s}


def fc(u):
    return {"type": "fc", "units": u}


VGG16 = (
    [conv(64), conv(64), pool(), conv(128), conv(128), pool()]
    + [conv(256)] * 3 + [pool()] + [conv(512)] * 3 + [pool()] + [conv(512)] * 3 + [pool()]
    + [fc(4096), fc(4096), fc(1000)]
)

# Networks students have not seen, with their input shapes (H, W, D).
UNSEEN = {
    "lenet5": ([conv(6, 5, 1, 0), pool(), conv(16, 5, 1, 0), pool(), fc(120), fc(84), fc(10)], (32, 32, 1)),
    "alexnet-ish": ([conv(96, 11, 4, 0), pool(3, 2), conv(256, 5, 1, 2), pool(3, 2), conv(384), conv(384), conv(256),
                     pool(3, 2), fc(4096), fc(4096), fc(1000)], (227, 227, 3)),
    "one-by-one": ([conv(32, 1, 1, 0), conv(8, 4, 2, 1), fc(10)], (56, 56, 64)),
    "strided": ([conv(16, 4, 2, 1), conv(32, 4, 2, 1), pool(2, 2), fc(5)], (64, 48, 3)),
    "fc-only": ([fc(300), fc(100), fc(10)], (28, 28, 1)),
    # conv layers that leave out stride, pad or both: the docstring's defaults (1 and 0)
    "defaults": ([{"type": "conv", "filters": 8, "size": 3}, {"type": "conv", "filters": 6, "size": 3, "pad": 1},
                  {"type": "conv", "filters": 4, "size": 2, "stride": 2}, pool(), fc(10)], (18, 22, 3)),
}

# Layer lists that network_summary must refuse (ValueError), the index of the layer at
# fault and its type: the message starts with "layer i (type): " (the docstring's promise).
BROKEN = {
    "stride": ([conv(8, 3, 1, 1), conv(8, 3, 2, 0)], (8, 8, 3), 1, "conv"),
    "pool": ([conv(4), pool(2, 2), pool(3, 2)], (8, 8, 1), 2, "pool"),
    "too-big": ([conv(4, 3, 1, 0), conv(4, 7, 1, 0)], (7, 7, 3), 1, "conv"),
    "unknown-type": ([conv(4), {"type": "dropout", "rate": 0.5}, fc(10)], (8, 8, 3), 1, "dropout"),
    "missing-key": ([conv(4), pool(), {"type": "fc"}], (8, 8, 3), 2, "fc"),
    "missing-size": ([{"type": "conv", "filters": 4, "stride": 1, "pad": 1}], (8, 8, 3), 0, "conv"),
}
