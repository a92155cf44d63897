"""The stub generator: regions replaced, markers checked, every function a stub."""

import inspect

import pytest

from autograder.build.stubs import MarkerError, stub_source
from tests.conftest import ROOT, load_package

SOURCE = '''\
import numpy as np


# BEGIN SOLUTION
def _helper(x):
    return x + 1
# END SOLUTION


def f(x):
    """Docstring kept."""
    # BEGIN SOLUTION
    y = _helper(x)
    return y
    # END SOLUTION


class A:
    def g(self):
        if True:
            # BEGIN SOLUTION
            return 1
            # END SOLUTION
'''


def test_regions_become_raises_and_module_helpers_vanish():
    out = stub_source(SOURCE)
    assert "_helper" not in out
    assert '    """Docstring kept."""\n    raise NotImplementedError("f is not implemented yet' in out
    assert '            raise NotImplementedError("g is not implemented yet' in out
    assert "BEGIN SOLUTION" not in out and "END SOLUTION" not in out


@pytest.mark.parametrize(
    "source, message",
    [
        (
            "def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    pass\n",
            "x.py:3: nested # BEGIN SOLUTION (the one on line 2",
        ),
        ("def f():\n    pass\n    # END SOLUTION\n", "x.py:3: # END SOLUTION without a matching"),
        ("def f():\n    # BEGIN SOLUTION\n    pass\n", "x.py:2: # BEGIN SOLUTION is never closed"),
        ("def f():\n    x = [\n    # BEGIN SOLUTION\n    1]\n    # END SOLUTION\n", "x.py:"),
    ],
)
def test_bad_markers_name_file_and_line(source, message):
    with pytest.raises(MarkerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        stub_source(source, "x.py")


def test_every_public_function_of_the_release_is_a_stub():
    stubs = load_package(ROOT / "student_template" / "convnet", "convnet_stubs")
    assert stubs.__all__, "the student package re-exports nothing"
    for name in stubs.__all__:
        fn = getattr(stubs, name)
        args = [None] * len(inspect.signature(fn).parameters)
        with pytest.raises(NotImplementedError, match=f"^{name} is not implemented yet"):
            fn(*args)
