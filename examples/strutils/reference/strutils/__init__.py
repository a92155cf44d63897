"""strutils: small string utilities and a stack, in plain Python (no numpy). This is
the reference solution."""

from .stack import Stack
from .text import caesar, is_palindrome, run_length, unique_words, word_counts

__all__ = ["Stack", "caesar", "is_palindrome", "run_length", "unique_words", "word_counts"]
