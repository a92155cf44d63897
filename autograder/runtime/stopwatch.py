"""Timing the student's code against the trusted side's, fairly (the ``stopwatch``
fixture, for speed tests such as a bonus).

Both sides are timed in CPU seconds, so that neither depends on how busy the machine
is, nor on the framework's own waits (a sandboxed call passes its arrays through pipes
to another process, which the reference, timed in the grader's process, never does).

- :meth:`Stopwatch.trusted` times a call of the trusted side's (a reference) while
  nothing of the student's runs: on Gradescope every process of the sandbox user is
  stopped (SIGSTOP) for its duration, so background work started by the student's
  code cannot slow the reference down to make the student look fast.
- :meth:`Stopwatch.student` times a call into the student's code as the CPU time of
  everything the student's code ran during it: every thread and process, those that
  ended before the call returned included. On
  Gradescope that is the sandbox's cgroup's CPU time where there is one, else the CPU
  clocks of the student's processes (which keep what their ended threads used), with
  no process or thread allowed to start during the call and every process there at
  its start still there at its end; a call that breaks this raises
  :class:`TimingRefused` (no speed is measured from it). See
  :mod:`autograder.sandbox.stopwatch`.
- :func:`kept` makes a sandboxed function leave some of its results in the student's
  process (a handle comes back): a speed test that passes a returned ``cache`` on to
  the next call then times the student's work, not the framework's copying of
  whatever the cache holds.

Give every timed call fresh inputs (different values each time): a submission that
caches its answers then gains nothing. Check every timed output against the
reference on those same inputs: speed counts only for right answers.
:func:`measure_speedup` does all of this for a speed test, and :func:`coarse` rounds
what goes on a leaderboard (public before grades are: it should carry the speedup and
little else).

This class times in-process calls (a student's laptop: the package is imported
here); the sandbox has its own (``autograder.sandbox.stopwatch``) with the same methods.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any, TypeVar

from autograder.runtime.testkit import GradingFailure

T = TypeVar("T")


class TimingRefused(GradingFailure):
    """A timed call whose work could not all be counted (a process of the student's
    started or ended during it): no speed is measured from it."""


def kept(fn: Callable[..., Any], *positions: int) -> Callable[..., Any]:
    """``fn`` whose returned tuple's items at ``positions`` stay in the student's
    process when ``fn`` runs in a sandbox (a handle comes back in their place, to be
    passed to the student's next call); a function of an imported package (a laptop)
    is returned as it is: nothing is copied there."""
    keeping = getattr(fn, "keeping", None)
    return keeping(*positions) if callable(keeping) else fn


def measure_speedup(
    stopwatch: Any,
    *,
    fresh_inputs: Callable[[], Any],
    student: Callable[[Any], T],
    check: Callable[[Any, T], None],
    trusted: Callable[[Any], Any],
    student_calls: int = 6,
    trusted_calls: int = 1,
) -> float:
    """The best time of ``trusted(inputs)`` over the best time of ``student(inputs)``,
    every call on inputs of its own (``fresh_inputs()``, drawn anew each time), every
    student's result checked by ``check(inputs, result)`` (which raises, a
    :class:`~autograder.runtime.testkit.GradingFailure`, on a wrong one: then nothing is
    measured) as soon as its call returns. The student's calls come first: the trusted
    side, often the longest part, is timed only once every timed output was right.

    In a sandbox the student's process also decodes its arguments and encodes its
    results (the framework's code, in its CPU time): the trusted side's time is
    charged the same (``stopwatch.framework_seconds``, of the inputs and a checked
    result), so that the speedup compares the work alone."""
    student_times = []
    inputs: Any = None
    result: Any = None
    for _ in range(student_calls):
        inputs = fresh_inputs()
        result, seconds = stopwatch.student(lambda inputs=inputs: student(inputs))
        check(inputs, result)
        student_times.append(seconds)
    framework = getattr(stopwatch, "framework_seconds", None)
    charge = framework(inputs, result) if callable(framework) and student_calls else 0.0
    trusted_times = []
    for _ in range(trusted_calls):
        fresh = fresh_inputs()
        trusted_times.append(stopwatch.trusted(lambda fresh=fresh: trusted(fresh))[1] + charge)
    return min(trusted_times) / max(min(student_times), 1e-9)


def coarse(value: float, digits: int = 2) -> float:
    """``value`` rounded down to ``digits`` significant figures, at most one decimal
    (12.37 -> 12, 7.68 -> 7.6, 153 -> 150): what a leaderboard shows of a speedup."""
    if not value > 0 or value == float("inf"):
        return 0.0
    scale = 10.0 ** min(1, digits - 1 - math.floor(math.log10(value)))
    return math.floor(value * scale) / scale


def forget(value: Any) -> None:
    """Let the student's process drop an object :func:`kept` left there (a cache the
    test is done with), at its next call; a no-op for anything else."""
    sandbox = getattr(value, "_sandbox", None)
    release = getattr(sandbox, "release", None)
    if callable(release):
        release(value)


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Stopwatch:
    """Wall and CPU time of calls made in this process."""

    def trusted(self, fn: Callable[[], T]) -> tuple[T, float]:
        """``(fn(), seconds)``: the CPU time of a trusted call."""
        started = _cpu()
        result = fn()
        return result, _cpu() - started

    def student(self, fn: Callable[[], T]) -> tuple[T, float]:
        """``(fn(), seconds)``: the CPU time of the call (this process's CPU clock
        counts every thread, ended ones included; and the children it waited for)."""
        started = _cpu()
        result = fn()
        return result, _cpu() - started


def describe(stopwatch: Any) -> dict[str, Any]:
    """What the stopwatch can guarantee (plain data), for the grader's log."""
    return dict(getattr(stopwatch, "guarantees", {"frozen_student": False, "student_cpu": "this process"}))
