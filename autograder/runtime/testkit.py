"""Helpers for writing graders: checks with messages a student can act on.

Every failure raises :class:`GradingFailure`, whose message says what was called,
with which shapes, and what differs (type, shape, dtype, first differing index, max
error), and never prints an expected value: the same graders run hidden on
Gradescope, where the expected values must stay secret.

A check given ``diagnose=Replay(...)`` (how to recompute the checked value from the
graded function's inputs) attaches :class:`Evidence` to its failure: the student's
value, the replay and the tolerance. The grading plugin may use it to recognise a
known mistake (see :mod:`autograder.grade.diagnose`); without a catalogue of mistakes, as
on a student's laptop, it is ignored.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from autograder.runtime import outcomes
from autograder.runtime.calls import aliased_inputs, changed_inputs
from autograder.runtime.config import DEFAULT_TOLERANCE

if TYPE_CHECKING:
    import numpy as np

# numpy is imported only by the checks of arrays: an assignment without numpy runs
# without it. A value can only be an array when numpy is loaded already.


# Whether the running test is public: its expected values are in the test file students
# have, so its messages show them (set by the grading plugin and the notebook's checks).
_PUBLIC: contextvars.ContextVar[bool] = contextvars.ContextVar("autograder_public_test", default=False)


@contextlib.contextmanager
def public_test(public: bool = True) -> Iterator[None]:
    """Within the block, checks treat the running test as public (or not): their
    messages show expected values where ``show_expected`` is not given."""
    token = _PUBLIC.set(public)
    try:
        yield
    finally:
        _PUBLIC.reset(token)


def _loaded_numpy():
    return sys.modules.get("numpy")


@dataclasses.dataclass(frozen=True)
class Replay:
    """A call of a graded function whose result a check looks at: ``function(*args,
    **kwargs)``, then ``part`` of the result (keys or indices applied in turn, e.g.
    ``(0,)`` for ``dx`` in ``(dx, dw, db)``, ``(3, "params")`` for ``rows[3]["params"]``;
    ``()`` for the whole result).

    Keeps a copy of the inputs: make it *before* calling the student's function,
    whose changes to its inputs in place reach the grader (directly, or passed back
    by the sandbox)."""

    function: str
    args: tuple = ()
    kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    part: tuple = ()

    def __post_init__(self) -> None:
        if not isinstance(self.part, tuple):  # Replay("f", args, part=0) reads better than part=(0,)
            object.__setattr__(self, "part", (self.part,))
        args, kwargs = copy.deepcopy((tuple(self.args), dict(self.kwargs)))
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "kwargs", kwargs)

    def select(self, result: Any) -> Any:
        """``part`` of ``result``; raises LookupError or TypeError when it has no such part."""
        for key in self.part:
            result = result[key]
        return result


@dataclasses.dataclass(frozen=True)
class Evidence:
    """What a failed check saw: the student's value for ``replay``, and the tolerance
    it was held to (``0, 0``: exact)."""

    replay: Replay
    actual: Any
    rtol: float = 0.0
    atol: float = 0.0
    expected: Any = None  # what the check expected (None when it had no value to compare with)


class GradingFailure(AssertionError):
    """A grader's verdict: the message is shown to the student as it is.
    ``evidence`` is set when the check knew how to replay the call (``diagnose=``);
    ``comparison`` (``(actual, expected, rtol, atol)``) when an array had the right
    shape but wrong values: the notebook draws it for a public case, nothing else
    shows it. ``reason`` is the case's :mod:`~autograder.runtime.outcomes` code
    (``failed`` unless the verdict stands for another condition)."""

    def __init__(self, message: str, evidence: Evidence | None = None, comparison: tuple | None = None,
                 reason: str = outcomes.FAILED):
        super().__init__(message)
        self.evidence = evidence
        self.comparison = comparison
        self.reason = reason


def describe(name: str, *args: Any, **kwargs: Any) -> str:
    """``"conv_forward(x (2, 3, 5, 5), w (4, 3, 3, 3), b (4,), {'stride': 1, 'pad': 0})"``:
    a call with arrays shown by shape only."""
    shown = [_brief(a) for a in args] + [f"{k}={_brief(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def _brief(value: Any) -> str:
    np = _loaded_numpy()
    if np is None:
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    if isinstance(value, np.ndarray):
        return f"array{value.shape}" if value.dtype == np.float64 else f"array{value.shape} {value.dtype}"
    if isinstance(value, tuple) and any(isinstance(v, np.ndarray) for v in value):
        return "(" + ", ".join(_brief(v) for v in value) + ")"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_array(
    actual: Any,
    expected: np.ndarray,
    *,
    what: str,
    call: str,
    tolerance: Mapping[str, Any] | None = None,
    diagnose: Replay | None = None,
) -> None:
    """Check that ``actual`` is an ndarray of ``expected``'s shape and dtype whose
    values match within ``tolerance`` (a :class:`~autograder.runtime.config.Tolerance`
    from the ``tolerance`` or ``tolerances`` fixture, or ``{"rtol", "atol"}``; by
    default the framework's ``default``). ``what`` names the value ("out", "dx");
    ``diagnose`` says how ``actual`` was computed (see :class:`Replay`)."""
    import numpy as np

    where = f"{call}: {what}"
    if actual is None:
        raise GradingFailure(f"{where} is None: did you forget a return statement?")
    if not isinstance(actual, np.ndarray):
        raise GradingFailure(f"{where} is a {type(actual).__name__}, expected a numpy array of shape {expected.shape}")
    rtol, atol = _tolerance(tolerance)
    evidence = Evidence(diagnose, actual, rtol, atol, expected) if diagnose is not None else None
    if actual.shape != expected.shape:
        raise GradingFailure(f"{where} has shape {actual.shape}, expected {expected.shape}", evidence)
    if actual.dtype != expected.dtype:
        raise GradingFailure(f"{where} has dtype {actual.dtype}, expected {expected.dtype}", evidence)
    bad_nan = np.isnan(actual) & ~np.isnan(expected)
    if bad_nan.any():
        index = tuple(int(i) for i in np.argwhere(bad_nan)[0])
        raise GradingFailure(f"{where} contains NaN (first at index {index})", evidence)
    close = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        with np.errstate(invalid="ignore", over="ignore"):
            error = float(np.nanmax(np.abs(actual.astype(np.float64) - expected.astype(np.float64))))
        raise GradingFailure(
            f"{where} is wrong at {int((~close).sum())} of {close.size} positions; "
            f"first at index {index}; max abs error {error:.3g} (tolerance rtol={rtol:g}, atol={atol:g})",
            evidence,
            comparison=(actual, expected, rtol, atol),
        )


def check_value(actual: Any, expected: Any, *, what: str, call: str, diagnose: Replay | None = None,
                show_expected: bool | None = None) -> None:
    """Exact check for ints, strings and other plain values (type included, except
    that any integer type passes for an int); ``diagnose`` as in :func:`check_array`. A value of the wrong kind is named
    ("is a list; expected a dict"). The message shows the expected value in a public
    test (whose file students have), or wherever ``show_expected=True``; never when
    ``show_expected=False``."""
    if show_expected is None:
        show_expected = _PUBLIC.get()
    where = f"{call}: {what}"
    evidence = Evidence(diagnose, actual, expected=expected) if diagnose is not None else None
    np = _loaded_numpy()
    integers = (int, np.integer) if np is not None else (int,)
    wanted = f" (expected {_brief(expected)})" if show_expected else ""
    if (isinstance(expected, int) and not isinstance(expected, bool)
            and (isinstance(actual, bool) or not isinstance(actual, integers))):
        raise GradingFailure(f"{where} is {_brief(actual)} ({_kind(actual)}); expected an int{wanted}", evidence)
    kind = _container_kind(expected)
    if kind is not None and not isinstance(actual, kind):
        raise GradingFailure(f"{where} is {_brief(actual)}, {_kind(actual)}; expected {_kind(expected)}{wanted}",
                             evidence)
    if actual != expected:
        if show_expected:
            raise GradingFailure(f"{where} is {_brief(actual)}; expected {_brief(expected)}", evidence)
        raise GradingFailure(f"{where} is {_brief(actual)}, which is not the expected value", evidence)


def _container_kind(expected: Any) -> type | tuple[type, ...] | None:
    """The kinds of value that can equal ``expected`` in a check: None for numbers and
    anything else whose equality crosses types."""
    for kinds in ((dict,), (list,), (tuple,), (str,), (bytes,), (set, frozenset)):
        if isinstance(expected, kinds):
            return kinds
    return None


def _kind(value: Any) -> str:
    """``"a list"``, ``"a dict"``, ``"None"``: what a value is, in words."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def check_raises(
    fn: Callable[..., Any],
    *args: Any,
    error: type[BaseException] = ValueError,
    call: str,
    diagnose: Replay | None = None,
    **kwargs: Any,
) -> BaseException:
    """Check that ``fn(*args, **kwargs)`` raises ``error``; return the exception.
    ``diagnose`` replays the call when ``fn`` returns a value instead."""
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except error as raised:
        return raised
    except Exception as other:  # a timeout or a crash stays one: the check did not see a value
        raise GradingFailure(f"{call} raised {type(other).__name__}: {other}; expected a {error.__name__}",
                             reason=outcomes.reason_of(other)) from None
    evidence = Evidence(diagnose, result) if diagnose is not None else None
    raise GradingFailure(f"{call} returned {_brief(result)} instead of raising {error.__name__}", evidence)


def check_unchanged(student: Any, *, call: str, names: tuple[str, ...] = ()) -> None:
    """Check that the last call made through ``student`` (the fixture) changed none of
    its inputs in place. ``names``: the positional parameters' names, for the message.

    The student's code always works on copies (:mod:`autograder.runtime.calls`), so a change
    never reaches the grader's arrays; this test is the only one it can cost."""
    for path in changed_inputs(student):
        name = _argument_name(path, names)
        raise GradingFailure(f"{call} modified its input {name} in place: work on a copy instead")


def _argument_name(path: tuple, names: tuple[str, ...]) -> str:
    """An argument's name for a message, from its path into ``[args, kwargs]``
    (``(0, 1, "w")``: ``x["w"]`` when ``names`` is ``("dout", "x")``)."""
    where, key, rest = path[0], path[1] if len(path) > 1 else 0, path[2:]
    if where == 0 and isinstance(key, int):
        name = names[key] if key < len(names) else f"argument {key + 1}"
    else:
        name = str(key)
    return name + "".join(f"[{step!r}]" for step in rest)


def check_new_array(student: Any, *, call: str, names: tuple[str, ...] = ()) -> None:
    """Check that the result of the last call made through ``student`` (the fixture)
    shares no memory with its arguments: a function that promises a new array must not
    return an argument, or a view of one (writing into the result would change it).
    ``names``: the positional parameters' names, for the message. Not for a result that
    holds its inputs on purpose (a cache)."""
    for path in aliased_inputs(student):
        name = _argument_name(path, names)
        raise GradingFailure(f"{call} returned {name} itself (or a view of it), where a new array is promised: "
                             f"return a copy (e.g. {name}.copy()), so that writing into the result cannot change "
                             f"{name}")


def check_contract(
    student: Any,
    function: str,
    args: tuple,
    *,
    params: tuple[str, ...],
    returns: Mapping[str, Any],
    tolerance: Any = None,
) -> Any:
    """The contract of a function that computes arrays: ``student.<function>(*args)``
    changes none of its arguments (``params`` names them in messages) and returns,
    for each ``name: like`` of ``returns`` in order, a numpy array of the shape and
    dtype of the array ``like``: a tuple of them when there are several, the array
    itself when there is one. Returns the result.

    A wrong shape or dtype carries evidence (a known mistake may give it), held to
    ``tolerance`` as in :func:`check_array`."""
    import numpy as np

    call = describe(function, *args)
    names = list(returns)
    replays = [Replay(function, args, part=(i,) if len(names) > 1 else ()) for i in range(len(names))]
    result = getattr(student, function)(*args)
    check_unchanged(student, call=call, names=params)
    if len(names) > 1 and (not isinstance(result, tuple) or len(result) != len(names)):
        raise GradingFailure(f"{call} must return a tuple ({', '.join(names)}), got {_brief(result)}")
    rtol, atol = _tolerance(tolerance)
    for name, got, replay in zip(names, result if len(names) > 1 else (result,), replays, strict=True):
        like = returns[name]
        if not isinstance(got, np.ndarray):
            raise GradingFailure(f"{call}: {name} is a {type(got).__name__}, expected a numpy array")
        seen = Evidence(replay, got, rtol, atol)
        if got.shape != like.shape:
            raise GradingFailure(f"{call}: {name} has shape {got.shape}, expected {like.shape}", seen)
        if got.dtype != like.dtype:
            raise GradingFailure(f"{call}: {name} has dtype {got.dtype}, expected {like.dtype}", seen)
    return result


def trusted_function(student: Any, reference: Any, name: str, checks: tuple = ()) -> Callable[..., Any]:
    """The function ``name`` to compute a check's expected values with (the forward
    pass a gradient check differentiates): ``reference.name`` when there is a
    reference (Gradescope), so that a check of one function depends on it alone; else
    ``student.name`` once every check (a callable taking ``student``) passes; else a
    :class:`GradingFailure` saying the check cannot be trusted yet."""
    if reference is not None:
        return getattr(reference, name)
    function = getattr(student, name)  # not there at all: that failure says why
    for check in checks:
        try:
            check(student)
        except Exception as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            first = first if len(first) <= 300 else first[:297] + "..."
            raise GradingFailure(
                f"this check uses your {name}, which fails its own tests: fix it first (there: {first})",
                reason=outcomes.reason_of(exc, outcomes.FAILED),
            ) from None
    return function


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, *, step: float | None
) -> np.ndarray:
    """Central-difference gradient of ``sum(f(x) * dout)`` with respect to ``x``, each
    entry nudged by ``step`` (the ``step`` of a named tolerance in assignment.yaml,
    the one the gradient is then compared with).

    ``f`` must not keep a reference to ``x``: entries of ``x`` are nudged in place
    and restored.
    """
    import numpy as np

    if isinstance(step, bool) or not isinstance(step, (int, float)) or not step > 0:
        raise ValueError(f"numerical_gradient needs a step > 0 (a tolerance's step: in assignment.yaml), got {step!r}")
    h = float(step)
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        plus = np.sum(f(x) * dout)
        x[index] = saved - h
        minus = np.sum(f(x) * dout)
        x[index] = saved
        grad[index] = (plus - minus) / (2 * h)
    return grad


def _tolerance(tolerance: Any) -> tuple[float, float]:
    """``(rtol, atol)`` of a Tolerance, a ``{"rtol", "atol"}`` mapping, or None (the
    framework's default)."""
    if tolerance is None:
        tolerance = DEFAULT_TOLERANCE
    if isinstance(tolerance, Mapping):
        return float(tolerance["rtol"]), float(tolerance["atol"])
    return float(tolerance.rtol), float(tolerance.atol)
