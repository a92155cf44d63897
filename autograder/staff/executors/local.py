"""The local executor: a pool of threads on this machine, each running one grading
at a time (by default through its own warm grader, :mod:`autograder.staff.warm`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from autograder.sandbox.limits import MAX_SLOTS
from autograder.staff import simulate, warm
from autograder.staff.executors import GradeJob, Outcome, grade_one
from autograder.staff.export import Submission


def default_jobs() -> int:
    """One grading at a time per core this process may use, within the number of
    sandbox users that can grade at once on one machine."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_SLOTS))


class LocalExecutor:
    """Grades ``jobs`` submissions at a time (default: one per core). On
    KeyboardInterrupt every running grading is killed before the interrupt propagates."""

    name = "local"

    def __init__(self, jobs: int | None = None):
        self.jobs = jobs or default_jobs()

    def grade(self, job: GradeJob, todo: list[Submission], done: Callable[[Outcome], None]) -> None:
        stopping = threading.Event()
        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="grade")
        futures = [pool.submit(grade_one, job, sub.id, sub.path, stopping) for sub in todo]
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    outcome = future.result()
                    if outcome is not None:
                        done(outcome)
        except BaseException:
            stopping.set()  # results that arrive from now on are not trusted: their run was killed
            for future in futures:
                future.cancel()
            # A worker may be between unpacking and starting its run: keep killing until
            # every worker has returned.
            while not all(f.done() for f in futures):
                simulate.stop_all()
                warm.stop_all()
                wait(futures, timeout=0.2)
            raise
        finally:
            pool.shutdown(wait=True)
            warm.close_all()
