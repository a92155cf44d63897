"""Public tests of stack.py: the class is called as students call it."""

from autograder.runtime.testkit import check_raises, check_value


def test_stack_basics(student):
    stack = student.Stack()
    check_value(stack.size(), 0, what="the size", call="Stack().size()")
    stack.push("a")
    stack.push("b")
    check_value(stack.peek(), "b", what="the top", call="peek() after push('a'), push('b')")
    check_value(stack.pop(), "b", what="the value popped", call="pop()")
    check_value(stack.size(), 1, what="the size", call="size() after one pop")
    check_raises(student.Stack().pop, error=IndexError, call="Stack().pop()")
