"""A stack of values: a class graded through its methods."""


class Stack:
    """Last in, first out. ``Stack()`` is empty; ``Stack([1, 2])`` has 2 on top."""

    def __init__(self, items=()):
        # BEGIN SOLUTION
        self._items = list(items)
        # END SOLUTION

    def push(self, value):
        """Put ``value`` on top."""
        # BEGIN SOLUTION
        self._items.append(value)
        # END SOLUTION

    def pop(self):
        """Remove the top value and return it; IndexError when the stack is empty."""
        # BEGIN SOLUTION
        if not self._items:
            raise IndexError("pop from an empty stack")
        return self._items.pop()
        # END SOLUTION

    def peek(self):
        """The top value, left in place; IndexError when the stack is empty."""
        # BEGIN SOLUTION
        if not self._items:
            raise IndexError("peek at an empty stack")
        return self._items[-1]
        # END SOLUTION

    def size(self):
        """How many values the stack holds."""
        # BEGIN SOLUTION
        return len(self._items)
        # END SOLUTION
