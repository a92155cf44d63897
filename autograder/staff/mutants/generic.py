"""The generic operators: cosmic-ray's (a maintained mutation library), used as a
library. Cosmic-ray parses with parso, keeps the formatting, and applies the n-th
occurrence of one operator to a source string (``cosmic_ray.mutating.mutate_code``);
its own runner (which rewrites the file on disk and runs a test command) is not
used: each mutant is graded by :mod:`.run`, through the sandbox.

Only a chosen subset: the replacements a student plausibly makes (``+`` for ``-``,
``<`` for ``<=``, a constant one off), not every operator for every other (cosmic-ray's
full set gives a dozen mutants per ``+``, most of them ``+`` -> ``<<``, which no
student writes and every test kills). VariableReplacer and VariableInserter are
left out: they draw at random, and a run must be reproducible.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from cosmic_ray.ast import ast_nodes, get_ast
from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator

# cosmic-ray's operator (its provider's name) -> the mistake in words
CHOSEN: dict[str, str] = {
    "core/ReplaceBinaryOperator_Add_Sub": "a sign is wrong (- where + belongs)",
    "core/ReplaceBinaryOperator_Sub_Add": "a sign is wrong (+ where - belongs)",
    "core/ReplaceBinaryOperator_Mul_Add": "a product is a sum",
    "core/ReplaceBinaryOperator_Div_Mul": "a division is a product",
    "core/ReplaceBinaryOperator_FloorDiv_Div": "a floor division is a true division",
    "core/ReplaceBinaryOperator_Div_FloorDiv": "a true division is a floor division",
    "core/ReplaceComparisonOperator_Lt_LtE": "a bound is off by one (<= where < belongs)",
    "core/ReplaceComparisonOperator_LtE_Lt": "a bound is off by one (< where <= belongs)",
    "core/ReplaceComparisonOperator_Gt_GtE": "a bound is off by one (>= where > belongs)",
    "core/ReplaceComparisonOperator_GtE_Gt": "a bound is off by one (> where >= belongs)",
    "core/ReplaceComparisonOperator_Eq_NotEq": "a test is inverted (!= where == belongs)",
    "core/ReplaceComparisonOperator_NotEq_Eq": "a test is inverted (== where != belongs)",
    "core/ReplaceUnaryOperator_Delete_USub": "a minus sign is missing",
    "core/ReplaceUnaryOperator_Delete_Not": "a condition is inverted (a not missing)",
    "core/ReplaceTrueWithFalse": "a flag is inverted",
    "core/ReplaceFalseWithTrue": "a flag is inverted",
    "core/ReplaceAndWithOr": "a condition joins with or where and belongs",
    "core/ReplaceOrWithAnd": "a condition joins with and where or belongs",
    "core/NumberReplacer": "a constant is one off",
    "core/ZeroIterationForLoop": "a loop never runs",
    "core/ReplaceBreakWithContinue": "a loop goes on where it should stop",
}


@dataclasses.dataclass(frozen=True)
class GenericMutant:
    operator: str  # cosmic-ray's name, e.g. core/NumberReplacer
    position: tuple[int, int]  # (line, column) of the mutated node, parso's (1-based line, 0-based column)
    source: str  # the whole mutated module


def generic_mutants(source: str, keep: Callable[[tuple[int, int]], bool]) -> Iterator[GenericMutant]:
    """Every chosen operator at every position of ``source`` that ``keep`` accepts, in
    the order of the file (deterministic: cosmic-ray numbers occurrences in a walk of
    parso's tree)."""
    tree = get_ast(source)
    for name in CHOSEN:
        operator = get_operator(name)()
        positions = [start for node in ast_nodes(tree) for start, _ in operator.mutation_positions(node)]
        for occurrence, position in enumerate(positions):
            if not keep(position):
                continue
            mutated = mutate_code(source, operator, occurrence)
            if mutated is not None and mutated != source:
                yield GenericMutant(name, position, mutated)
