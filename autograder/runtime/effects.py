"""Mistakes recognised by their effect on a wrong array: hints that need no reference.

An assignment may name, under ``effects:`` in assignment.yaml, a module of its public
tests whose ``EFFECTS`` is a list of :class:`Effect`: a hint (what is wrong, the usual
cause and its fix) and, per graded function, a predicate on a failed check's evidence
that says whether the student's value shows the mistake's *effect*: "it is the expected
value times a constant", "it differs only at positions of this mask", "it holds the
expected values at other positions". Any implementation of the mistake shows its effect,
so such a hint also names bugs nobody catalogued; and since a predicate holds no
solution, the module ships with the public tests and gives the same hints on a
student's laptop as on Gradescope (the grading plugin evaluates it in both).

The predicates below are the generic pieces; an assignment composes them with what its
functions mean (which positions overlapping windows share, which axis holds filters).

Every predicate takes the failed check's :class:`~autograder.runtime.testkit.Evidence`
(``actual``: the student's value, ``expected``: the check's, ``replay.args``: the
call's inputs) and is False when the values are not arrays of one shape, or when the
student's value is right (a check that failed for another reason).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autograder.runtime.scoring import Hint
from autograder.runtime.testkit import Evidence

REL = 1e-6  # how close two values must be to count as equal here, at the least
ANY = "*"  # an Effect.shows key: every graded function without a predicate of its own


@dataclasses.dataclass(frozen=True)
class Effect:
    """A mistake known by its effect: ``what`` completes "Most likely ..." and says the
    effect as a fact about the student's value ("dx is wrong only where windows
    overlap"), ``advice`` the usual cause and its fix; neither may depend on a case's
    inputs. ``shows`` maps a graded function's name to a predicate on the failed check's
    :class:`~autograder.runtime.testkit.Evidence`. ``exact``: said only when it gives every
    failed case of its functions (for effects on scalars, see :class:`Hint`)."""

    id: str
    what: str
    advice: str
    shows: Mapping[str, Callable[[Evidence], bool]]
    exact: bool = False

    @property
    def hint(self) -> Hint:
        return Hint(self.id, self.what, self.advice, effect=True, exact=self.exact)


def hints(effects: Sequence[Effect], evidence: Evidence) -> tuple[Hint, ...]:
    """The hints of the effects the student's value shows on this check; a predicate
    that raises (it does not apply to these values) shows nothing."""
    found = []
    for effect in effects:
        predicate = effect.shows.get(evidence.replay.function, effect.shows.get(ANY))
        if predicate is None:
            continue
        try:
            with np.errstate(all="ignore"):
                if predicate(evidence):
                    found.append(effect.hint)
        except Exception:
            continue
    return tuple(found)


def _arrays_only(predicate: Callable[..., bool]) -> Callable[..., bool]:
    """``predicate``, False where the values are not arrays of one shape."""
    def checked(e: Evidence, *args: Any, **kwargs: Any) -> bool:
        try:
            return predicate(e, *args, **kwargs)
        except _NotArrays:
            return False
    checked.__name__, checked.__doc__ = predicate.__name__, predicate.__doc__
    return checked


class _NotArrays(ValueError):
    """The values are not arrays of one shape."""


def pair(e: Evidence) -> tuple[np.ndarray, np.ndarray]:
    """``(actual, expected)`` as float64 arrays of one shape; ValueError otherwise."""
    if not (isinstance(e.actual, np.ndarray) and isinstance(e.expected, np.ndarray)):
        raise _NotArrays("not arrays")
    if e.actual.shape != e.expected.shape or e.actual.size == 0:
        raise _NotArrays("not one shape")
    return e.actual.astype(np.float64), e.expected.astype(np.float64)


def close(a: Any, b: Any, e: Evidence) -> np.ndarray:
    """Where ``a`` and ``b`` agree within the check's tolerance (at least :data:`REL`)."""
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1.0)
    return np.isclose(a, b, rtol=max(e.rtol, REL), atol=max(e.atol, REL * scale))


def wrong(e: Evidence) -> np.ndarray:
    """The positions where the student's value is not the expected one."""
    actual, expected = pair(e)
    return ~close(actual, expected, e)


def factor(e: Evidence) -> float | None:
    """``k`` when the student's value is ``k`` times the expected one everywhere (k not
    1, the expected value not all zeros), else None (ValueError: not arrays of one shape)."""
    actual, expected = pair(e)
    big = np.abs(expected) > REL * max(float(np.abs(expected).max()), 1.0)
    if not big.any() or not wrong(e).any():
        return None
    k = float(np.median(actual[big] / expected[big]))
    if not np.isfinite(k) or abs(k - 1) < 1e-6 or not close(actual, k * expected, e).all():
        return None
    return k


@_arrays_only
def scaled(e: Evidence, *allowed: float) -> bool:
    """The student's value is the expected one times a constant other than 1 (one of
    ``allowed``, when given: within 1e-6)."""
    k = factor(e)
    return k is not None and (not allowed or any(abs(k - a) <= 1e-6 * max(abs(a), 1.0) for a in allowed))


@_arrays_only
def offset_per(e: Evidence, axis: int) -> bool:
    """The student's value minus the expected one is the same at every position that
    shares an index along ``axis`` (and not zero everywhere): an amount added per
    filter, per channel, per row."""
    actual, expected = pair(e)
    if not wrong(e).any():
        return False
    diff = actual - expected
    moved = np.moveaxis(diff, axis, 0).reshape(diff.shape[axis], -1)
    if moved.shape[1] < 2:
        return False
    per = moved[:, :1]
    return bool(close(moved, np.broadcast_to(per, moved.shape), e).all())


@_arrays_only
def rearranged(e: Evidence) -> bool:
    """The student's value holds exactly the expected values, at other positions (an
    axis order, a transpose, a reshape that moved them)."""
    actual, expected = pair(e)
    if not wrong(e).any():
        return False
    return bool(close(np.sort(actual, axis=None), np.sort(expected, axis=None), e).all())


def axes_permuted(e: Evidence) -> bool:
    """The student's array has another shape than the expected one, and is the expected
    one with its axes in another order (a transpose, an einsum's output subscripts)."""
    actual, expected = e.actual, e.expected
    if not (isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray)):
        return False
    if actual.shape == expected.shape or actual.ndim != expected.ndim or not 2 <= actual.ndim <= 6:
        return False
    for order in itertools.permutations(range(expected.ndim)):
        moved = np.transpose(expected, order)
        if moved.shape == actual.shape and close(actual.astype(np.float64), moved.astype(np.float64), e).all():
            return True
    return False


@_arrays_only
def only_where(e: Evidence, mask: np.ndarray) -> bool:
    """The student's value is wrong somewhere, and only where ``mask`` (broadcast to the
    value's shape) is true, while being right where it is false (a mask true
    everywhere, or nearly, says nothing)."""
    bad = wrong(e)
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), bad.shape)
    return bool(bad.any() and not (bad & ~mask).any() and (~mask).sum() >= max(2, bad.size // 10))


@_arrays_only
def same_totals(e: Evidence, axes: tuple[int, ...]) -> bool:
    """The student's value sums to the expected totals over ``axes`` but is wrong
    somewhere: the right amounts, at the wrong positions."""
    actual, expected = pair(e)
    return bool(wrong(e).any() and close(actual.sum(axis=axes), expected.sum(axis=axes), e).all())


@_arrays_only
def all_zero(e: Evidence) -> bool:
    """The student's value is zero everywhere, the expected one is not."""
    actual, expected = pair(e)
    return bool(not actual.any() and expected.any())


@_arrays_only
def nonzero_where_expected_zero(e: Evidence) -> bool:
    """The student's value is not zero at some positions where the expected one is."""
    actual, expected = pair(e)
    zero = close(expected, 0.0 * expected, e)
    return bool((zero & ~close(actual, 0.0 * actual, e)).any())


def right_value_wrong_type(e: Evidence) -> bool:
    """A number equal to the expected int, but of another type (a float, a numpy
    float): what a true division ``/`` returns."""
    actual, expected = e.actual, e.expected
    if isinstance(expected, bool) or not isinstance(expected, (int, np.integer)):
        return False
    if isinstance(actual, (bool, int, np.integer)) or not isinstance(actual, (float, np.floating)):
        return False
    return float(actual) == float(expected)


def number(value: Any) -> bool:
    """Whether ``value`` is a plain or numpy number (not a bool)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
