"""What the graders hold: a :class:`StudentProxy` that looks like the student's
package, each call run in the sandbox (:mod:`autograder.sandbox.supervisor`), and the
:class:`RemoteObject` of an object the student's code returned.

The sandbox's parts: the supervisor (start, restart, budgets), the transport (pipes
and framing, :mod:`~autograder.sandbox.transport`), the sentences the student reads
with their reason codes (:mod:`~autograder.sandbox.messages`) and the exceptions that
carry them (:mod:`~autograder.sandbox.errors`). ``Sandbox``, ``SandboxSpec``,
``SandboxError`` and ``StudentError`` are importable from here, the sandbox's front door.
"""

from __future__ import annotations

from typing import Any

from autograder.sandbox.errors import SandboxError, StudentError
from autograder.sandbox.supervisor import RemoteHandle, Sandbox, SandboxSpec

__all__ = ["RemoteClass", "RemoteHandle", "RemoteObject", "Sandbox", "SandboxError", "SandboxSpec", "StudentError",
           "StudentProxy"]


class StudentProxy:
    """Looks like the student's package to the graders: ``proxy.conv_forward(...)``
    runs ``conv_forward`` in the sandbox."""

    def __init__(self, sandbox: Sandbox):
        self._sandbox = sandbox

    @property
    def _last_changed(self) -> tuple[tuple, ...]:
        """What :func:`autograder.runtime.calls.changed_inputs` reads."""
        return self._sandbox.last_changed

    @property
    def _last_aliased(self) -> tuple[tuple, ...]:
        """What :func:`autograder.runtime.calls.aliased_inputs` reads."""
        return self._sandbox.last_aliased

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self._sandbox.spec.exports:
            raise AttributeError(name)
        cls = self._sandbox.student_type(name)  # the student's exception class, as a real class
        if cls is not None:
            return cls

        sandbox = self._sandbox

        def call(*args, **kwargs):
            return _remote_object(sandbox, sandbox.call(name, args, kwargs))

        def keeping(*positions: int):
            """This function, its returned tuple's items at ``positions`` left in the
            student's process (see autograder.runtime.stopwatch.kept)."""
            def kept_call(*args, **kwargs):
                return _remote_object(sandbox, sandbox.call(name, args, kwargs, keep=tuple(positions)))

            kept_call.__name__ = name
            return kept_call

        call.__name__ = name
        call.keeping = keeping  # type: ignore[attr-defined]
        return RemoteClass(name, call) if name in self._sandbox.spec.classes else call


class RemoteClass:
    """A graded class of the student's, as the graders hold it: calling it constructs
    an instance in the student's process (a :class:`RemoteObject`), and
    ``isinstance(obj, student.Card)`` holds for an object of that class's name kept
    there, as on a laptop."""

    def __init__(self, name: str, construct):
        self.__name__ = self.__qualname__ = name
        self._construct = construct

    def __call__(self, *args, **kwargs):
        return self._construct(*args, **kwargs)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, RemoteHandle) and obj.type_name == self.__name__

    def __repr__(self) -> str:
        return f"<class {self.__name__} of the student's, in the sandbox>"


class RemoteObject(RemoteHandle):
    """An object the student's code returned (an instance of a graded class, say):
    it stays in the student's process, and ``obj.method(...)`` runs there, through
    the same checks and limits as a graded function."""

    __slots__ = ("_sandbox",)

    def __init__(self, handle: RemoteHandle, sandbox: Sandbox):
        super().__init__(handle.id, handle.generation, handle.type_name)
        self._sandbox = sandbox

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        label = f"{self.type_name}.{name}"

        def method(*args, **kwargs):
            return _remote_object(self._sandbox, self._sandbox.call(label, args, kwargs, target=(name, self)))

        method.__name__ = name
        return method

    def __copy__(self):
        return self  # a reference to the same remote object, as with a direct call

    def __deepcopy__(self, memo):
        return self


def _remote_object(sandbox: Sandbox, value: Any) -> Any:
    """A handle returned on its own, or as an item of a returned tuple (a cache beside
    an output), becomes an object whose methods can be called and that
    :func:`~autograder.runtime.stopwatch.forget` can release."""
    if type(value) is tuple:
        return tuple(_remote_object(sandbox, item) for item in value)
    return RemoteObject(value, sandbox) if type(value) is RemoteHandle else value
