"""Recognise known mistakes in a student's output, on the trusted side.

An assignment may keep, beside its graders, a catalogue of classic mistakes: a package
named by ``diagnoses:`` in assignment.yaml whose ``catalogue(reference)`` returns a
list of :class:`Mistake`. A mistake has a hint (what it is, how to fix it) and, for
each graded function where it shows, a *variant*: a callable with that function's
signature that returns what the function gives with the mistake (most are a few lines
around the reference, which the catalogue receives as an argument).

When a check fails with :class:`~autograder.runtime.testkit.Evidence` (the grader passed
``diagnose=Replay(...)``), :meth:`Diagnoser.hints` replays the call with every variant
of that function and returns the hints of the mistakes whose result matches the
student's value within the check's tolerance. :func:`autograder.runtime.scoring.diagnoses`
then weighs the matches over cases and words them.

Variants run in the grading process, never the student's code, on deep copies of the
inputs (a variant may modify them, as a mistake would). The catalogue is never shipped
to students: a variant is the solution with one thing changed.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral, Real
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import numpy as np

from autograder.runtime.packages import load_package
from autograder.runtime.scoring import Hint
from autograder.runtime.testkit import Evidence


@dataclasses.dataclass(frozen=True)
class Mistake:
    """One classic mistake.

    ``id`` is stable (used to group matches), ``what`` completes the sentence "Most
    likely ..." ("the bias is not added"), ``advice`` says what to do; neither may
    mention a case's inputs or expected values. ``variants`` maps a graded function's
    name to a callable with the same signature that returns what the function gives
    with this mistake, or to a tuple of such callables: the family of outputs the
    mistake produces however it is written (all the padding after the image, or all of
    it before), any of which is a match.
    """

    id: str
    what: str
    advice: str
    variants: Mapping[str, Callable[..., Any] | Sequence[Callable[..., Any]]]

    @property
    def hint(self) -> Hint:
        return Hint(self.id, self.what, self.advice)


class CatalogueError(ValueError):
    """The catalogue could not be loaded or is malformed."""


def load_catalogue(path: Path, reference: ModuleType, alias: str) -> list[Mistake]:
    """Import the catalogue package at ``path`` as ``alias`` and return its checked
    ``catalogue(reference)``; raise :class:`CatalogueError` naming the problem."""
    try:
        package = load_package(Path(path), alias)
        mistakes = list(package.catalogue(reference))
    except Exception as err:
        raise CatalogueError(f"{path}: could not load the catalogue: {type(err).__name__}: {err}") from err
    seen: set[str] = set()
    for m in mistakes:
        where = f"{path}: mistake {getattr(m, 'id', m)!r}"
        if not isinstance(m, Mistake):
            raise CatalogueError(f"{where}: is a {type(m).__name__}, not a Mistake")
        if m.id in seen:
            raise CatalogueError(f"{where}: duplicate id")
        seen.add(m.id)
        if not (m.what.strip() and m.advice.strip()) or not m.variants:
            raise CatalogueError(f"{where}: needs a what, an advice and at least one variant")
        for function, variant in m.variants.items():
            if not callable(getattr(reference, function, None)):
                raise CatalogueError(f"{where}: {function!r} is not a function of the reference")
            family = _family(variant)
            if not family or not all(callable(v) for v in family):
                raise CatalogueError(f"{where}: the variant for {function!r} is not callable")
    return mistakes


def catalogue_hints(assignment: Any, reference: ModuleType, warn: Callable[[str], None]) -> Callable[..., Any] | None:
    """The ``diagnose`` function for :class:`~autograder.runtime.pytest_plugin.GradingPlugin`:
    the assignment's catalogue (``diagnoses:``, which must be set) matched against
    ``reference``, or None when it cannot be loaded (said through ``warn``: grade
    without hints rather than not at all)."""
    try:
        catalogue = load_catalogue(assignment.diagnoses, reference, f"_diagnoses_{assignment.package}")
    except CatalogueError as err:
        warn(f"GRADER WARNING: no diagnoses: {err}")
        return None
    return Diagnoser(catalogue, reference).hints


class Diagnoser:
    """Matches failed checks against a catalogue of mistakes."""

    def __init__(self, mistakes: Sequence[Mistake], reference: Any):
        self.mistakes = tuple(mistakes)
        self.reference = reference

    def hints(self, evidence: Evidence) -> tuple[Hint, ...]:
        """The hints of the mistakes whose variant of ``evidence.replay.function``,
        called on the replay's inputs, gives the student's value; none when the
        reference gives it too (the student's function is right on these inputs and
        the check failed for another reason, e.g. a gradient checked against the
        student's own forward pass). A variant that raises matches nothing."""
        replay = evidence.replay
        found = []
        for mistake in self.mistakes:
            family = _family(mistake.variants.get(replay.function, ()))
            if any(same(evidence.actual, _run(v, replay), evidence.rtol, evidence.atol) for v in family):
                found.append(mistake.hint)
        right = getattr(self.reference, replay.function, None)
        if found and right is not None and same(evidence.actual, _run(right, replay), evidence.rtol, evidence.atol):
            return ()
        return tuple(found)


def _family(variant: Callable[..., Any] | Sequence[Callable[..., Any]]) -> tuple[Callable[..., Any], ...]:
    """A variant as the tuple of callables of its family (one, or the tuple or list given)."""
    if isinstance(variant, (tuple, list)):
        return tuple(variant)
    return (cast(Callable[..., Any], variant),)  # anything else is one callable (load_catalogue checks it)


_FAILED = object()  # what _run gives when the function raised; equal to nothing


def _run(function: Callable[..., Any], replay: Any) -> Any:
    try:
        with np.errstate(all="ignore"):
            args, kwargs = copy.deepcopy((tuple(replay.args), dict(replay.kwargs)))
            return replay.select(function(*args, **kwargs))
    except Exception:  # the function does not apply to these inputs
        return _FAILED


def same(actual: Any, produced: Any, rtol: float = 0.0, atol: float = 0.0) -> bool:
    """Whether ``actual`` equals ``produced``: arrays of the same shape close within
    the tolerance (any numeric dtypes), numbers by value (bools only to bools),
    sequences and dicts item by item, anything else by ``==`` within the same type."""
    if isinstance(actual, np.ndarray) or isinstance(produced, np.ndarray):
        if not (isinstance(actual, np.ndarray) and isinstance(produced, np.ndarray)) or actual.shape != produced.shape:
            return False
        try:
            return bool(np.allclose(actual.astype(np.float64), produced.astype(np.float64), rtol=rtol, atol=atol,
                                    equal_nan=True))
        except (TypeError, ValueError):
            return False
    if isinstance(actual, (bool, np.bool_)) or isinstance(produced, (bool, np.bool_)):
        return type(actual) is type(produced) and actual == produced
    if isinstance(actual, Integral) and isinstance(produced, Integral):
        return int(actual) == int(produced)
    if isinstance(actual, Real) and isinstance(produced, Real):
        return math.isclose(float(actual), float(produced), rel_tol=rtol, abs_tol=atol) or (
            math.isnan(float(actual)) and math.isnan(float(produced)))
    if isinstance(actual, (list, tuple)) and isinstance(produced, (list, tuple)):
        return len(actual) == len(produced) and all(
            same(a, p, rtol, atol) for a, p in zip(actual, produced, strict=True))
    if isinstance(actual, dict) and isinstance(produced, dict):
        return actual.keys() == produced.keys() and all(same(actual[k], produced[k], rtol, atol) for k in actual)
    try:
        return type(actual) is type(produced) and bool(actual == produced)
    except Exception:  # an object whose == misbehaves is not a match
        return False
