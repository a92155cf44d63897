"""Public tests of text.py: shipped to students, graded on Gradescope too."""

import pytest

from autograder.runtime.testkit import check_value, describe


@pytest.mark.parametrize("text, expected", [("racecar", True), ("Never odd or even", True), ("abc", False), ("", True)])
def test_is_palindrome_examples(student, text, expected):
    check_value(student.is_palindrome(text), expected, what="the result", call=describe("is_palindrome", text))


@pytest.mark.parametrize("text, shift, expected", [("Hal", 1, "Ibm"), ("xyz", 3, "abc"), ("Hi, you!", -1, "Gh, xnt!")])
def test_caesar_examples(student, text, shift, expected):
    check_value(student.caesar(text, shift), expected, what="the result", call=describe("caesar", text, shift))
