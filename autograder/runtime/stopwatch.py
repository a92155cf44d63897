"""Timing the student's code against the trusted side's, fairly (the ``stopwatch``
fixture, for speed tests such as a bonus).

- :meth:`Stopwatch.trusted` times a call of the trusted side's (a reference) while
  nothing of the student's runs: on Gradescope every process of the sandbox user is
  stopped (SIGSTOP) for its duration, so background work started by the student's
  code cannot slow the reference down to make the student look fast.
- :meth:`Stopwatch.student` times a call into the student's code as the worse of its
  wall time and the CPU time of the student's whole process tree over the call, so
  work handed to other processes (or threads) is counted.

Give every timed call fresh inputs (different values each time): a submission that
caches its answers then gains nothing.

This class times in-process calls (a student's laptop: the package is imported
here); the sandbox has its own (``autograder.sandbox.stopwatch``) with the same methods.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Stopwatch:
    """Wall and CPU time of calls made in this process."""

    def trusted(self, fn: Callable[[], T]) -> tuple[T, float]:
        """``(fn(), seconds)``: the wall time of a trusted call."""
        started = time.perf_counter()
        result = fn()
        return result, time.perf_counter() - started

    def student(self, fn: Callable[[], T]) -> tuple[T, float]:
        """``(fn(), seconds)``: the worse of wall time and CPU time of the call."""
        cpu, started = _cpu(), time.perf_counter()
        result = fn()
        wall = time.perf_counter() - started
        return result, max(wall, _cpu() - cpu)


def describe(stopwatch: Any) -> dict[str, Any]:
    """What the stopwatch can guarantee (plain data), for the grader's log."""
    return dict(getattr(stopwatch, "guarantees", {"frozen_student": False, "student_cpu": "this process"}))
