"""Where a mutant may change the reference: inside its solution regions, outside
strings and docstrings, and which function a line belongs to."""

from __future__ import annotations

import ast
import re

BEGIN = re.compile(r"^\s*# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")


def solution_lines(source: str) -> set[int]:
    """The 1-based line numbers strictly between ``# BEGIN SOLUTION`` and
    ``# END SOLUTION`` markers (the code a student writes)."""
    lines, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif inside:
            lines.add(number)
    return lines


def string_spans(tree: ast.AST) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The ``((line, col), (end line, end col))`` of every string literal and f-string:
    an error message's wording is no mutant (the graders check types and message
    starts, not every word)."""
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            spans.append(((node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0)))
    return spans


def inside_any(position: tuple[int, int], spans: list[tuple[tuple[int, int], tuple[int, int]]]) -> bool:
    return any(start <= position < end for start, end in spans)


def enclosing_functions(tree: ast.AST) -> list[tuple[int, int, str]]:
    """``(first line, last line, qualified name)`` of every function and method,
    innermost last for a line inside several."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    found.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def function_at(functions: list[tuple[int, int, str]], line: int) -> str:
    """The innermost function holding ``line`` ("<module>" for none)."""
    holding = [(last - first, name) for first, last, name in functions if first <= line <= last]
    return min(holding)[1] if holding else "<module>"
