"""Hidden tests of text.py (Gradescope only): expected values come from the reference."""

import pytest

from autograder.runtime.testkit import check_raises, check_value, describe

TEXTS = ["A man, a plan, a canal: Panama", "No 'x' in Nixon", "ab", "Don't stop, don't STOP", "a", "12321", "12 3"]


@pytest.mark.parametrize("text", TEXTS)
def test_is_palindrome_hidden(student, reference, text):
    check_value(student.is_palindrome(text), reference.is_palindrome(text), what="the result",
                call=describe("is_palindrome", text))


@pytest.mark.parametrize("text", TEXTS + ["", "   ", "one two  two three three three"])
def test_word_counts(student, reference, text):
    check_value(student.word_counts(text), reference.word_counts(text), what="the counts",
                call=describe("word_counts", text))


@pytest.mark.parametrize("shift", [0, 13, 26, 27, -27, 1000])
def test_caesar_hidden(student, reference, shift):
    text = "The quick brown fox jumps over the lazy dog. 0123! AZaz@[`{"  # the alphabet's ends and their neighbours
    check_value(student.caesar(text, shift), reference.caesar(text, shift), what="the result",
                call=describe("caesar", text, shift))
    check_raises(student.caesar, text, "1", error=TypeError, call=describe("caesar", text, "1"))


@pytest.mark.parametrize("text", ["", "a", "aaab", "abba", "zzzzzzzzzz", "aAaA"])
def test_run_length(student, reference, text):
    check_value(student.run_length(text), reference.run_length(text), what="the runs",
                call=describe("run_length", text))
