"""The mistakes students make in numeric code, as edits of the source text.

Each operator walks the module's ``ast`` and yields :class:`Edit`\\ s: a span of the
source and its replacement, so a mutant differs from the reference by exactly that
span (its diff is one line, its formatting the TA's). Operators know nothing of any
assignment: they look for shapes of code (a ``range(...)``, a slice, a ``+=``, an
``axis=`` tuple, a ``.get(key, default)``), never for names.

:data:`OPERATORS` maps each operator's name to its function and to the mistake in
words (what a hint built from the mutant says, see :mod:`.catalogue`).
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Iterator


@dataclasses.dataclass(frozen=True)
class Edit:
    """Replace the text between ``start`` and ``end`` (``(line, col)``, 1-based lines,
    0-based UTF-8 byte columns as :mod:`ast` gives them) by ``text``."""

    start: tuple[int, int]
    end: tuple[int, int]
    text: str


class Source:
    """A module's text with byte offsets of its lines, to cut spans out of it."""

    def __init__(self, text: str):
        self.text = text
        self.data = text.encode("utf-8")
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, position: tuple[int, int]) -> int:
        return self.starts[position[0] - 1] + position[1]

    def segment(self, node: ast.AST) -> str:
        return self.data[self.offset(start(node)):self.offset(end(node))].decode("utf-8")

    def apply(self, edit: Edit) -> str:
        a, b = self.offset(edit.start), self.offset(edit.end)
        return (self.data[:a] + edit.text.encode("utf-8") + self.data[b:]).decode("utf-8")


def start(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset  # type: ignore[attr-defined]


def end(node: ast.AST) -> tuple[int, int]:
    return node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]


def _replace(node: ast.AST, text: str) -> Edit:
    return Edit(start(node), end(node), text)


_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant)


def _operand(src: Source, node: ast.AST) -> str:
    """``node``'s text, in parentheses unless it is an atom (so ``- 1`` applies to all of it)."""
    text = src.segment(node)
    return text if isinstance(node, _ATOMS) else f"({text})"


def _call_name(node: ast.Call) -> str:
    """``range`` for ``range(...)``, ``transpose`` for ``np.transpose(...)`` and ``x.transpose(...)``."""
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def range_off_by_one(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """``range(n)`` -> ``range(n - 1)``; ``range(a, b)`` -> ``range(a, b - 1)``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" \
                and 1 <= len(node.args) <= 3 and not node.keywords:
            stop = node.args[0] if len(node.args) == 1 else node.args[1]
            yield _replace(stop, f"{_operand(src, stop)} - 1")


def slice_off_by_one(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """A slice's upper bound one short and one long: ``a:b`` -> ``a:b - 1``, ``a:b + 1``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Slice) and node.upper is not None:
            for delta in ("- 1", "+ 1"):
                yield _replace(node.upper, f"{_operand(src, node.upper)} {delta}")


def drop_term(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """A term or a factor left out (a stride or a pad forgotten): ``a + b`` -> ``a``,
    ``a - b`` -> ``a``, ``a * b`` -> ``a`` and ``b``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            yield _replace(node, _operand(src, node.left))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            yield _replace(node, _operand(src, node.left))
            yield _replace(node, _operand(src, node.right))


def augassign_to_assign(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """``x += y`` -> ``x = y`` (an accumulation that overwrites)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.AugAssign):
            yield _replace(node, f"{src.segment(node.target)} = {src.segment(node.value)}")


def _sequence(node: ast.AST) -> list[ast.expr] | None:
    return list(node.elts) if isinstance(node, (ast.Tuple, ast.List)) else None


def axis_changed(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """An axis left out of an ``axis=``/``axes=`` tuple: ``axis=(0, 2, 3)`` -> ``(0, 2)``...;
    for paired axes (``axes=([1, 2, 3], [1, 2, 3])``) the same position out of each."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.keyword) or node.arg not in ("axis", "axes"):
            continue
        items = _sequence(node.value)
        if not items:
            continue
        inner = [_sequence(i) for i in items]
        if all(i is not None and len(i) >= 2 for i in inner):  # paired axis lists
            width = min(len(i) for i in inner if i is not None)
            for k in range(width):
                parts = ["[" + ", ".join(src.segment(e) for j, e in enumerate(i or []) if j != k) + "]" for i in inner]
                yield _replace(node.value, "(" + ", ".join(parts) + ")")
        elif len(items) >= 2 and all(i is None for i in inner):
            for k in range(len(items)):
                kept = [src.segment(e) for j, e in enumerate(items) if j != k]
                yield _replace(node.value, "(" + ", ".join(kept) + ("," if len(kept) == 1 else "") + ")")


_TRANSPOSES = {"transpose", "swapaxes", "moveaxis", "rollaxis"}


def transpose_dropped(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """A transpose left out: ``a.T`` -> ``a``, ``np.transpose(a, ...)`` and ``a.transpose(...)`` -> ``a``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("T", "mT"):
            yield _replace(node, src.segment(node.value))
        elif isinstance(node, ast.Call) and _call_name(node) in _TRANSPOSES:
            func = node.func
            numpy_function = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id in ("np", "numpy")
            if numpy_function:
                if node.args:
                    yield _replace(node, _operand(src, node.args[0]))
            elif isinstance(func, ast.Attribute):
                yield _replace(node, _operand(src, func.value))


def index_flipped(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """An index counted from the other end: ``a[..., i]`` -> ``a[..., -1 - i]`` (a
    filter flipped, ``HH - 1 - i``), for every index that is a name or an expression."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Subscript) or not isinstance(node.ctx, ast.Load):
            continue
        items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        for item in items:
            if isinstance(item, (ast.Name, ast.BinOp)):
                yield _replace(item, f"-1 - {_operand(src, item)}")


def _is_minus_inf(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = node.operand
        return (isinstance(operand, ast.Attribute) and operand.attr == "inf") or (
            isinstance(operand, ast.Name) and operand.id == "inf")
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float" \
        and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and node.args[0].value == "-inf"


def minus_inf_to_zero(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """A running maximum started at 0 instead of ``-inf``."""
    for node in ast.walk(tree):
        if _is_minus_inf(node):
            yield _replace(node, "0")


def division_grouping(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """``a / (b * c)`` -> ``a / b * c`` (the parentheses forgotten)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv)) \
                and isinstance(node.right, ast.BinOp) and isinstance(node.right.op, ast.Mult):
            op = "/" if isinstance(node.op, ast.Div) else "//"
            right = node.right
            yield _replace(node, f"{_operand(src, node.left)} {op} {_operand(src, right.left)} * "
                                 f"{_operand(src, right.right)}")


def default_required(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """A documented default turned into a required key: ``d.get(k, v)`` -> ``d[k]``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and len(node.args) == 2 and not node.keywords:
            yield _replace(node, f"{_operand(src, node.func.value)}[{src.segment(node.args[0])}]")


_COPIES = {"copy", "deepcopy"}


def copy_dropped(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """A copy left out, so the caller's array is shared or written: ``a.copy()``,
    ``np.copy(a)``, ``copy.deepcopy(a)`` and ``np.zeros_like(a)`` -> ``a``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name, func = _call_name(node), node.func
        if name in _COPIES and isinstance(func, ast.Attribute) and not node.args:
            yield _replace(node, _operand(src, func.value))
        elif name in _COPIES | {"zeros_like", "array"} and node.args and isinstance(func, ast.Attribute) \
                and isinstance(func.value, ast.Name) and func.value.id in ("np", "numpy", "copy") \
                and not (name == "array" and node.keywords):
            yield _replace(node, _operand(src, node.args[0]))


_SWAPS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "argmax": "argmin", "argmin": "argmax"}


def reduction_swapped(tree: ast.AST, src: Source) -> Iterator[Edit]:
    """A reduction for another: ``sum`` <-> ``mean``, ``max`` <-> ``min``, ``argmax`` <-> ``argmin``
    (as a method or a numpy function)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SWAPS:
            func = node.func
            yield Edit(end(func.value), end(func), f".{_SWAPS[func.attr]}")


Operator = Callable[[ast.AST, Source], Iterator[Edit]]

# name -> (operator, the mistake in words: completes "Most likely ...")
OPERATORS: dict[str, tuple[Operator, str]] = {
    "range-off-by-one": (range_off_by_one, "a loop stops one step short"),
    "slice-off-by-one": (slice_off_by_one, "a slice ends one position off"),
    "drop-term": (drop_term, "a term or a factor is missing from an expression (a stride or a padding?)"),
    "augassign-to-assign": (augassign_to_assign, "an accumulation overwrites (= where += belongs)"),
    "axis-changed": (axis_changed, "a reduction or a product leaves out one axis"),
    "transpose-dropped": (transpose_dropped, "a transpose is missing"),
    "index-flipped": (index_flipped, "an index is counted from the wrong end (a flipped window or filter)"),
    "minus-inf-to-zero": (minus_inf_to_zero, "a running maximum starts at 0 instead of -inf"),
    "division-grouping": (division_grouping, "a division by a product lacks its parentheses"),
    "default-required": (default_required, "a documented default is not applied"),
    "copy-dropped": (copy_dropped, "an array is shared where a copy belongs"),
    "reduction-swapped": (reduction_swapped, "the wrong reduction is used (sum, mean, max or min)"),
}
