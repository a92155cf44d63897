"""Which features of a test's cases separate the failing ones from the passing ones.

Knows nothing of any assignment: a case is described by the arguments pytest's
``parametrize`` gave it (recorded by the grading plugin), and those are turned into
generic *features*, plain data:

- an array: each axis's size (``x.shape[1]``), whether its last two axes are equal
  (``x.shape[-2] == x.shape[-1]``), and its dtype;
- a dict: each item (``stride``), recursively, and for each pair of its integer items
  whether they are equal (``pool_height == pool_width``);
- a list of dicts: the values of their string items (``layers has type=conv``);
- a number, a string or a bool: itself.

A test module may instead declare the features its cases are described by, in the
words of the lecture, as a module-level ``CASE_FEATURES``: ``{name: function}``, each
function taking the case's arguments (name -> value) and returning the feature's value
(a number, a string or a bool), or None where it does not apply. Declared features can
be derived quantities ("windows overlap": stride < pool size; "padded"; "output 1x1"),
and when a module declares them, nothing else of its cases is ever named.

Never named: a test's seed, a case's index or any other argument that differs on every
case (an identifier, not a condition), the length of an argument list, an integer's
parity or an array's dtype unless declared.

:func:`separators` finds the condition that holds on every failing case and on no
passing case, and only when it is the one simplest such condition: when two different
features separate the cases equally simply, the cases do not say which, and nothing
is said. Nor when one case carries the claim: with any single case left out, a
condition on the same feature must still be among the simplest that separate the rest
(so at least three failing cases and two passing ones: hidden cases are drawn anew
in each grading, and a claim must not be a coincidence of one draw). Never two
conditions together: with a dozen features, some pair fits a few cases by chance
("batch size N 1 and pool_width <= 2" for a pooling size that rejects a window as
large as the input). :func:`wording` says it in a sentence: "fails every case with
stride > 1, passes every case with stride 1".
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

MAX_SEPARATORS = 1  # conditions worded per test: the simplest (more would mostly be coincidences)
MIN_FAILING = 2  # failing cases needed to say what they have in common (with one case left
# out in turn, see separators(), one more in effect)
# Arguments that identify a case rather than describe it: never a cause.
IDENTIFIERS = re.compile(r"(^|[._\[])(seed|index|idx|case|id|i)($|[\]._])", re.I)


@dataclasses.dataclass(frozen=True)
class Condition:
    """``feature op value``: op is ``==``, ``!=``, ``>`` or ``<=``."""

    feature: str
    op: str
    value: Any

    def holds(self, features: Mapping[str, Any]) -> bool:
        if self.feature not in features:
            return False
        v = features[self.feature]
        if self.op == "==":
            return v == self.value
        if self.op == "!=":
            return v != self.value
        if self.op == ">":
            return _number(v) and v > self.value
        return _number(v) and v <= self.value

    def text(self) -> str:
        if isinstance(self.value, bool):
            truth = self.value == (self.op == "==")
            if "|" in self.feature:  # a declared feature worded both ways: "windows overlap|windows do not overlap"
                yes, no = self.feature.split("|", 1)
                return yes if truth else no
            if re.fullmatch(r"[\w\[\]]+", self.feature):  # an argument's own value: bias=False
                return f"{self.feature}={truth}"
            return self.feature if truth else _negated(self.feature)
        if self.op == "==" and not isinstance(self.value, str):
            return f"{self.feature} {self.value!r}"
        if self.op == "==":
            return f"{self.feature} = {self.value}"
        if self.op == "!=":
            return f"{self.feature} other than {self.value}"
        return f"{self.feature} {self.op} {self.value!r}"


@dataclasses.dataclass(frozen=True)
class Separator:
    """``failing`` holds on every failing case, ``passing`` (when set) on every passing one."""

    failing: Condition
    passing: Condition | None


def case_features(params: Mapping[str, Any], declared: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The features of one case, from its parametrized arguments (name -> value).

    With ``declared`` (a test module's ``CASE_FEATURES``: name -> function of the
    arguments), exactly those whose function gives a plain value (a function that
    raises or returns None does not apply to this case). Otherwise the generic ones:
    the arguments' own values first (numbers, strings, dict items), then what is
    derived from them (array sizes, equalities), which is the order
    :func:`separators` prefers; never an argument named like an identifier (seed,
    index)."""
    if declared is not None:
        out: dict[str, Any] = {}
        for name, function in declared.items():
            try:
                value = function(dict(params))
            except Exception:  # the feature does not apply to this case's arguments
                continue
            value = _plain(value)
            if isinstance(value, (bool, int, float, str)):
                out[str(name)] = value
        return out
    own: dict[str, Any] = {}
    derived: dict[str, Any] = {}
    for name, value in params.items():
        if IDENTIFIERS.search(str(name)):
            continue
        _collect(str(name), value, own, derived)
    return {**own, **derived}


def argument(params: Mapping[str, Any], name: str) -> Any:
    """The value called ``name`` in a case's arguments: an argument itself, or an item
    of a dict argument (``stride`` in ``conv_param``), searched one level down; raises
    KeyError when there is none (the feature then does not apply). For a test
    module's ``CASE_FEATURES``, whatever the test calls its arguments."""
    if name in params:
        return params[name]
    for value in params.values():
        if isinstance(value, Mapping) and name in value:
            return value[name]
    raise KeyError(name)


def shape(params: Mapping[str, Any], name: str) -> tuple[int, ...]:
    """The shape of the array argument ``name``, or the argument ``<name>_shape`` (a
    tuple), or the argument ``shape`` when the case has only that; KeyError otherwise."""
    if name in params and hasattr(params[name], "shape"):
        return tuple(int(v) for v in params[name].shape)
    for key in (f"{name}_shape", "shape"):
        if key in params and isinstance(params[key], (tuple, list)):
            return tuple(int(v) for v in params[key])
    raise KeyError(name)


def _plain(value: Any) -> Any:
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic):
        return value.item()
    return value


def _collect(name: str, value: Any, out: dict[str, Any], derived: dict[str, Any]) -> None:
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        for axis, size in enumerate(value.shape):
            derived[f"{name}.shape[{axis}]"] = int(size)
        if value.ndim >= 2:
            derived[f"{name}.shape[-2] == {name}.shape[-1]"] = bool(value.shape[-2] == value.shape[-1])
        return
    if np is not None and isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float, str)) or value is None:
        out[name] = value
        return
    if isinstance(value, Mapping):
        ints = []
        for key, item in value.items():
            if IDENTIFIERS.search(str(key)):
                continue
            _collect(str(key), item, out, derived)
            if isinstance(item, int) and not isinstance(item, bool):
                ints.append(str(key))
        for i, a in enumerate(ints):
            for b in ints[i + 1:]:
                derived[f"{a} == {b}"] = value[a] == value[b]
        return
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, Mapping) for v in value):
            for key in sorted({str(k) for v in value for k in v}):
                for text in sorted({str(v[key]) for v in value if isinstance(v.get(key), str)}):
                    out[f"{name} has {key}={text}"] = any(v.get(key) == text for v in value)
            return
        return  # an item known only by its position names nothing a student controls


def separators(cases: Sequence[tuple[Mapping[str, Any], bool]],
               names: Sequence[str] | None = None) -> list[Separator]:
    """The one simplest condition that holds on every failing case and on no passing
    case (``cases``: ``(features, passed)``), as a list of one, or none; and only
    when no single case carries it: with any one case left out, a condition on the
    same features is still among the simplest that separate the rest (else one passing case of filter
    width 4 among failing ones of width 3 would read "fails every case with WW <= 3",
    a coincidence of the draw). See :func:`_simplest`. ``names``: the features to
    consider (by default those every failing case has); every failing case must have
    them."""
    everything = [f for f, _ in cases]
    if names is None:  # the features every case that failed has
        failed = [f for f, passed in cases if not passed]
        names = [n for n in (failed[0] if failed else ()) if all(n in f for f in failed)]
    names = [n for n in names if not _identifier(n, everything)]  # describe a case, not identify it
    found = _simplest(cases, names)
    if len(found) != 1:
        return []
    for i in range(len(cases)):
        again = _simplest([*cases[:i], *cases[i + 1:]], names)
        if _features(found[0]) not in {_features(s) for s in again}:
            return []
    return found


def _features(separator: Separator) -> tuple[str, ...]:
    return (separator.failing.feature,)


def _simplest(cases: Sequence[tuple[Mapping[str, Any], bool]], names: Sequence[str]) -> list[Separator]:
    """The simplest conditions that hold on every failing case and on no passing case
    (``cases``: ``(features, passed)``), one per feature; more than one when different
    features separate the cases equally simply (the cases cannot tell which is the
    cause: :func:`separators` then says nothing).

    Simplest: a condition on one feature (a boolean, or a threshold) before an
    equality with one value. Nothing when fewer than
    ``MIN_FAILING`` cases fail or none passes. A feature whose value differs on every
    case identifies cases: never a cause. ``names``: the features to consider, which
    every failing case has (a passing case without one does not satisfy it)."""
    failing = [f for f, passed in cases if not passed]
    passing = [f for f, passed in cases if passed]
    if len(failing) < MIN_FAILING or not passing:  # one failing case: its id says it all
        return []
    found: list[tuple[int, int, Separator]] = []
    for order, name in enumerate(names):
        for rank, cond, other in _candidates(name, [f[name] for f in failing + passing if name in f]):
            if all(cond.holds(f) for f in failing) and not any(cond.holds(f) for f in passing):
                everywhere = all(name in f for f in passing)  # else "the other cases" say it better
                simple = 0 if rank <= 1 else 1  # one boolean or one threshold: equally simple
                found.append((simple, order, Separator(cond, other if everywhere else None)))
                break
    if not found:
        return []
    best = min(rank for rank, _, _ in found)
    return [s for rank, _, s in found if rank == best]


def _identifier(name: str, features: list[Mapping[str, Any]]) -> bool:
    """Whether ``name``'s values are whole numbers that differ on every case (of 5 or more)."""
    values = [f[name] for f in features if name in f]
    return len(values) >= 5 and all(_number(v) and float(v).is_integer() for v in values) and len(
        set(values)) == len(values)


def _candidates(name: str, values: list[Any]):
    """(rank, condition, its complement as worded for the other side)."""
    distinct = sorted(set(values), key=repr)
    if len(distinct) < 2:
        return
    if all(isinstance(v, bool) for v in distinct):
        yield 0, Condition(name, "==", True), Condition(name, "==", False)
        yield 0, Condition(name, "==", False), Condition(name, "==", True)
        return
    if all(_number(v) for v in distinct):
        ordered = sorted(distinct)
        for low, high in itertools.pairwise(ordered):
            below = Condition(name, "==", low) if low == ordered[0] else Condition(name, "<=", low)
            above = Condition(name, "==", high) if high == ordered[-1] else Condition(name, ">", low)
            yield 1, Condition(name, ">", low), below
            yield 1, Condition(name, "==" if low == ordered[0] else "<=", low), above  # "pad 0", not "pad <= 0"
        # No single value in the middle of a number's range ("filter height HH 3, passes
        # every case with HH other than 3"): a coincidence of the draw, not a cause.
        return
    for v in distinct:
        rest = [u for u in distinct if u != v]
        other = Condition(name, "==", rest[0]) if len(rest) == 1 else Condition(name, "!=", v)
        yield 2, Condition(name, "==", v), other


def wording(found: Sequence[Separator], limit: int = MAX_SEPARATORS) -> list[str]:
    """One sentence per separator (at most ``limit``)."""
    out = []
    for s in list(found)[:limit]:
        if s.passing is None:
            out.append(f"Fails every case with {s.failing.text()}, passes every other case.")
        else:
            out.append(f"Fails every case with {s.failing.text()}, passes every case with {s.passing.text()}.")
    return out


def describe_inputs(params: Mapping[str, Any], max_chars: int = 600) -> str:
    """A public case's arguments, small arrays written out (for the smallest failing
    case of a public test only: never for a hidden one)."""
    np = sys.modules.get("numpy")
    parts = []
    for name, value in params.items():
        if np is not None and isinstance(value, np.ndarray):
            text = np.array2string(value, precision=3, separator=", ", threshold=60)
        else:
            text = repr(value)
        parts.append(f"{name} = {text}")
    text = "\n".join(parts)
    return text if len(text) <= max_chars else text[: max_chars - 5] + " ..."


def case_size(params: Mapping[str, Any]) -> int:
    """How big a case is: array elements plus one per other argument."""
    np = sys.modules.get("numpy")
    total = 0
    for value in params.values():
        total += int(value.size) if np is not None and isinstance(value, np.ndarray) else 1
    return total


def _negated(feature: str) -> str:
    """The wording of a boolean feature that is false (the features named here)."""
    for word, opposite in ((" == ", " != "), (" is even", " is odd"), (" has ", " has no ")):
        if word in feature:
            return feature.replace(word, opposite, 1)
    return f"not {feature}"


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
