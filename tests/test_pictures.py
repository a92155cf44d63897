"""The notebook's picture of a failed array check: the student's value beside the
expected one, differences marked; numbers for a small slice, images for a big one."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from autograder.runtime.pictures import plane, show_comparison  # noqa: E402
from autograder.runtime.testkit import GradingFailure, check_array  # noqa: E402


@pytest.fixture
def drawn(monkeypatch):
    figures = []
    monkeypatch.setattr(plt, "show", lambda: figures.append(plt.gcf()))
    yield figures
    plt.close("all")


def test_a_small_slice_is_written_out_with_the_differences_outlined(drawn):
    expected = np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4)
    actual = expected.copy()
    actual[1, 2, 0, 1] += 1
    assert show_comparison(actual, expected, "a title")
    axes = drawn[0].axes
    assert [a.get_title() for a in axes] == ["your output [1, 2, :, :]", "expected [1, 2, :, :]"]
    assert len(axes[0].texts) == 16 and len(axes[0].patches) == 1


def test_an_image_sized_slice_is_shown_as_images_with_a_mask(drawn):
    expected = np.zeros((1, 1, 40, 30))
    actual = expected.copy()
    actual[0, 0, :, :3] = 1
    assert show_comparison(actual, expected, "big")
    assert drawn[0].axes[2].get_title() == "differ: 120 of 1200"


def test_nothing_to_draw(drawn):
    x = np.ones((2, 2))
    assert not show_comparison(x, x, "same") and not show_comparison(x, np.ones(3), "shapes")
    assert not drawn


def test_check_array_carries_the_comparison_only_for_wrong_values():
    expected = np.zeros((2, 2))
    with pytest.raises(GradingFailure) as wrong:
        check_array(np.ones((2, 2)), expected, what="out", call="f()")
    assert wrong.value.comparison[0].shape == (2, 2)
    with pytest.raises(GradingFailure) as shape:
        check_array(np.ones(3), expected, what="out", call="f()")
    assert shape.value.comparison is None
    assert plane(np.zeros((3, 4)), (1, 2))[1] == ""
