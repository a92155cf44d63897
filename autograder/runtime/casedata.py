"""Test data as text: the arrays a public test reads, computed at build time.

A public test that needs values only the reference can compute (the gradients a
backward pass must return for given inputs) reads them from a file built from the
reference when the release is built (an assignment's ``public_data:``, see
:mod:`autograder.build.public_data`): the values ship, the reference's code never
does, and the test gives the same verdict on a laptop as on Gradescope.

The format is JSON: plain values as they are, a tuple as ``{"tuple": [...]}``, an
array as ``{"array": dtype, "shape": [...], "data": [...]}`` (floats written with
``repr``, which reads back bit for bit). Written with sorted keys and no timestamps,
so that two builds give the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def dumps(value: Any) -> str:
    """``value`` (dicts with string keys, lists, tuples, numbers, strings, bools, None
    and numpy arrays of numbers or bools) as text; TypeError for anything else."""
    return json.dumps(_encode(value), sort_keys=True, separators=(",", ":")) + "\n"


def loads(text: str) -> Any:
    """The value :func:`dumps` wrote."""
    return _decode(json.loads(text))


def load(beside: str | Path, name: str) -> Any:
    """The data file ``name`` next to the file ``beside`` (a test module's
    ``__file__``); FileNotFoundError saying how it is made when it is not there."""
    path = Path(beside).resolve().parent / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: it is built from the reference with the release "
                                "(the assignment's public_data:); rebuild it with make student")
    return loads(path.read_text(encoding="utf-8"))


def _encode(value: Any) -> Any:
    import sys

    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"an array of dtype {value.dtype} cannot be written as test data")
        return {"array": str(value.dtype), "shape": list(value.shape), "data": value.ravel().tolist()}
    if np is not None and isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("test data's dicts need string keys")
        if {"array", "tuple"} & value.keys():
            raise TypeError("'array' and 'tuple' are reserved keys of test data")
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a {type(value).__name__} cannot be written as test data")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "array" in value:
            import numpy as np

            return np.array(value["data"], dtype=value["array"]).reshape(value["shape"])
        if "tuple" in value:
            return tuple(_decode(v) for v in value["tuple"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
