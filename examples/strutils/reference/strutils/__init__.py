"""strutils: small string utilities, in plain Python (no numpy). This is the
reference solution."""

from .text import caesar, is_palindrome, run_length, word_counts

__all__ = ["caesar", "is_palindrome", "run_length", "word_counts"]
