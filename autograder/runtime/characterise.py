"""Which features of a test's cases separate the failing ones from the passing ones.

Knows nothing of any assignment: a case is described by the arguments pytest's
``parametrize`` gave it (recorded by the grading plugin), and those are turned into
generic *features*, plain data:

- an array: each axis's size (``x.shape[1]``), whether its last two axes are equal
  (``x.shape[-2] == x.shape[-1]``), and its dtype;
- a dict: each item (``stride``), recursively, and for each pair of its integer items
  whether they are equal (``pool_height == pool_width``);
- a list or tuple: its length and each item (``args[0]``), and for a list of dicts the
  values of their string items (``layers has type=conv``);
- a number, a string or a bool: itself (and, for an integer, whether it is even).

:func:`separators` finds the conditions on one feature that hold on every failing
case and on no passing case; :func:`wording` says it in a sentence:
"fails every case with stride > 1, passes every case with stride 1".
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

MAX_ITEMS = 8  # items of a list or tuple described one by one
MAX_SEPARATORS = 1  # conditions worded per test: the simplest (more would mostly be coincidences)
PARITY = " is even"
MIN_FAILING = 2  # failing cases needed to say what they have in common (3 for two conditions)


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
    """``failing`` holds on every failing case, ``passing`` on every passing one;
    ``also`` (when set): ``failing and also`` holds on every failing case and on no
    passing one, neither alone does."""

    failing: Condition
    passing: Condition | None
    also: Condition | None = None


def case_features(params: Mapping[str, Any]) -> dict[str, Any]:
    """The features of one case, from its parametrized arguments (name -> value): the
    arguments' own values first (numbers, strings, dict items), then what is derived
    from them (array sizes, equalities), which is the order :func:`separators` prefers."""
    own: dict[str, Any] = {}
    derived: dict[str, Any] = {}
    for name, value in params.items():
        _collect(str(name), value, own, derived)
    return {**own, **derived}


def _collect(name: str, value: Any, out: dict[str, Any], derived: dict[str, Any]) -> None:
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        for axis, size in enumerate(value.shape):
            derived[f"{name}.shape[{axis}]"] = int(size)
        if value.ndim >= 2:
            derived[f"{name}.shape[-2] == {name}.shape[-1]"] = bool(value.shape[-2] == value.shape[-1])
        derived[f"{name}.dtype"] = str(value.dtype)
        return
    if np is not None and isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float, str)) or value is None:
        out[name] = value
        if isinstance(value, int) and not isinstance(value, bool):
            derived[name + PARITY] = value % 2 == 0
        return
    if isinstance(value, Mapping):
        ints = []
        for key, item in value.items():
            _collect(str(key), item, out, derived)
            if isinstance(item, int) and not isinstance(item, bool):
                ints.append(str(key))
        for i, a in enumerate(ints):
            for b in ints[i + 1:]:
                derived[f"{a} == {b}"] = value[a] == value[b]
        return
    if isinstance(value, (list, tuple)):
        derived[f"len({name})"] = len(value)
        if value and all(isinstance(v, Mapping) for v in value):
            for key in sorted({str(k) for v in value for k in v}):
                for text in sorted({str(v[key]) for v in value if isinstance(v.get(key), str)}):
                    out[f"{name} has {key}={text}"] = any(v.get(key) == text for v in value)
            return
        for i, item in enumerate(value[:MAX_ITEMS]):
            _collect(f"{name}[{i}]", item, out, derived)


def separators(cases: Sequence[tuple[Mapping[str, Any], bool]]) -> list[Separator]:
    """Conditions on one feature that hold on every failing case and on no passing
    case (``cases``: ``(features, passed)``); none unless some pass and ``MIN_FAILING`` fail.
    Simplest first: booleans and thresholds before equalities with one value, and
    among those the arguments' own values before derived features."""
    failing = [f for f, passed in cases if not passed]
    passing = [f for f, passed in cases if passed]
    if len(failing) < MIN_FAILING or not passing:  # one failing case: its id says it all
        return []
    found: list[tuple[int, int, Separator]] = []
    # Features every failing case has; a passing case without one does not satisfy it.
    names = [n for n in failing[0] if all(n in f for f in failing)]
    for order, name in enumerate(names):
        for rank, cond, other in _candidates(name, [f[name] for f in failing + passing if name in f]):
            if all(cond.holds(f) for f in failing) and not any(cond.holds(f) for f in passing):
                everywhere = all(name in f for f in passing)  # else "the other cases" say it better
                found.append((rank, order, Separator(cond, other if everywhere else None)))
                break
    found.sort(key=lambda t: (t[0] > 1, t[1], t[0]))
    said = {s.failing.feature for _, _, s in found}
    found = [t for t in found if not t[2].failing.feature.endswith(PARITY)
             or t[2].failing.feature[: -len(PARITY)] not in said]  # "stride > 1" says it already
    if found or len(failing) < MIN_FAILING + 1 or len(passing) < 2:
        return [s for _, _, s in found]
    return _pairs(names, failing, passing)


def _pairs(names: list[str], failing: list, passing: list) -> list[Separator]:
    """Two conditions (booleans or thresholds) that hold together on every failing
    case and on no passing one."""
    necessary = []  # (order, condition) holding on every failing case
    for order, name in enumerate(names):
        for rank, cond, _ in _candidates(name, [f[name] for f in failing + passing if name in f]):
            usable = rank <= 1 or isinstance(cond.value, str)  # no single values of numbers
            if usable and all(cond.holds(f) for f in failing) and not all(cond.holds(f) for f in passing):
                necessary.append((order, cond))
    found = []
    for i, (order_a, a) in enumerate(necessary):
        for order_b, b in necessary[i + 1:]:
            if order_a != order_b and not any(a.holds(f) and b.holds(f) for f in passing):
                found.append(Separator(a, None, b))
    return found


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
            yield 1, Condition(name, "<=", low), above
    for v in distinct:
        rest = [u for u in distinct if u != v]
        other = Condition(name, "==", rest[0]) if len(rest) == 1 else Condition(name, "!=", v)
        yield 2, Condition(name, "==", v), other


def wording(found: Sequence[Separator], limit: int = MAX_SEPARATORS) -> list[str]:
    """One sentence per separator (at most ``limit``)."""
    out = []
    for s in list(found)[:limit]:
        if s.also is not None:
            out.append(f"Fails every case with {s.failing.text()} and {s.also.text()}, passes every other case.")
        elif s.passing is None:
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
