"""Hidden tests of stack.py and of the functions returning sets."""

import pytest

from autograder.runtime.testkit import check_raises, check_value


@pytest.mark.parametrize("items", [(), (1,), (1, 2, 3), ("x", (1, 2), {"k": {1, 2}}, b"\x00", 2j)])
def test_stack_hidden(student, reference, items):
    mine, theirs = student.Stack(list(items)), reference.Stack(list(items))
    check_value(mine.size(), theirs.size(), what="the size", call=f"Stack({list(items)!r}).size()")
    for value in items[::-1]:  # the top, left in place, then popped: peek and pop agree on every size
        check_value(mine.peek(), value, what="the value on top", call=f"peek() on Stack({list(items)!r})")
        check_value(mine.pop(), value, what="the value popped", call=f"pop() on Stack({list(items)!r})")
    check_raises(mine.peek, error=IndexError, call="peek() on an empty stack")


@pytest.mark.parametrize("text", ["", "a b a", "Don't stop, don't STOP"])
def test_unique_words(student, reference, text):
    check_value(student.unique_words(text), reference.unique_words(text), what="the words",
                call=f"unique_words({text!r})")
