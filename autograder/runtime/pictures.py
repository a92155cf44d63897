"""Pictures of a failed check of an array, for the notebook: the student's value
beside the expected one, with the positions that differ marked.

Public cases only: :func:`autograder.runtime.inline.run_public_test` draws them for the public
tests it runs (their expected values are in the public test files already); nothing
on the grading side ever calls this. Needs matplotlib, which only the notebook loads.
"""

from __future__ import annotations

from typing import Any

NUMBERS_UP_TO = 10  # a slice at most this many rows and columns is written out in numbers


def plane(array: Any, where: tuple[int, ...]) -> tuple[Any, str]:
    """The 2-D slice of ``array`` holding index ``where`` (its last two axes), and its
    label: ``"[0, 1, :, :]"``."""
    lead = tuple(where[:-2]) if array.ndim > 2 else ()
    label = "[" + ", ".join([str(i) for i in lead] + [":", ":"]) + "]" if lead else ""
    return (array[lead] if lead else array.reshape(array.shape[-2:]) if array.ndim >= 2 else array[None]), label


def show_comparison(actual: Any, expected: Any, title: str, rtol: float = 1e-7, atol: float = 1e-9) -> bool:
    """Draw ``actual`` and ``expected`` (same shape) side by side at the first slice
    where they differ, the differing positions outlined; an image-sized slice is shown
    as images with a third panel marking the differences. Returns whether it drew."""
    import numpy as np

    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape or actual.ndim == 0:
        return False
    wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not wrong.any():
        return False
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    got, label = plane(actual, first)
    want, _ = plane(expected, first)
    bad, _ = plane(wrong, first)
    small = max(got.shape) <= NUMBERS_UP_TO
    panels = 2 if small else 3
    fig, axes = plt.subplots(1, panels, figsize=(3.2 * panels, 3.2))
    low, high = float(np.nanmin([got.min(), want.min()])), float(np.nanmax([got.max(), want.max()]))
    for ax, values, name in zip(axes[:2], (got, want), ("your output", "expected"), strict=True):  # the third: below
        ax.imshow(values, cmap="Blues" if small else "gray", vmin=low, vmax=high if high > low else low + 1)
        if small:
            for (i, j), value in np.ndenumerate(values):
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=8,
                        color="tab:red" if bad[i, j] else "black")
            for i, j in np.argwhere(bad):
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="tab:red", lw=2))
        ax.set_title(f"{name} {label}".strip())
        ax.set_xticks([])
        ax.set_yticks([])
    if not small:
        axes[2].imshow(bad, cmap="Reds", vmin=0, vmax=1)
        axes[2].set_title(f"differ: {int(bad.sum())} of {bad.size}")
        axes[2].set_xticks([])
        axes[2].set_yticks([])
    fig.suptitle(title, fontsize=9)
    plt.show()
    return True
