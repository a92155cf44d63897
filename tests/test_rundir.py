"""The run folders (autograder/sandbox/rundir.py): every grading sweeps the folders no
live run holds when it starts, while other gradings are creating theirs. A folder is
unheld from its creation until its run locks it: a sweep in that moment takes it, and
the run must then make another, never fail (a grading that failed there had no sandbox,
and no score: "the autograder could not grade this submission")."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import types
from pathlib import Path

from autograder.sandbox import rundir


def test_a_sweep_between_creation_and_lock_costs_a_retry(tmp_path, monkeypatch):
    """A sweep (of another grading starting now) takes the fresh folder before the run
    could open it: the run makes another one."""
    runs = tmp_path / "runs"
    taken: list[str] = []

    def mkdtemp_then_swept(*args, **kwargs):
        path = tempfile.mkdtemp(*args, **kwargs)
        if not taken:  # the first folder only: swept by "another grading" at once
            taken.extend(rundir.sweep(runs))
        return path

    # rundir's own name for the module only: the session's other threads keep the real one
    monkeypatch.setattr(rundir, "tempfile", types.SimpleNamespace(mkdtemp=mkdtemp_then_swept,
                                                                  gettempdir=tempfile.gettempdir))
    run = rundir.RunDir(runs)
    try:
        assert len(taken) == 1 and taken[0] != run.path.name
        assert run.path.is_dir() and rundir.stale(runs) == []  # the new one is there, and held
    finally:
        run.remove()


def _sweep_and_create(runs: str, rounds: int, errors) -> None:
    for _ in range(rounds):
        rundir.sweep(Path(runs))
        try:
            run = rundir.RunDir(Path(runs))
        except Exception as err:
            errors.put(f"{type(err).__name__}: {err}")
            return
        run.remove()


def test_gradings_starting_together_never_fail_to_make_their_folder(tmp_path):
    """Several processes sweeping then creating their folder, as gradings starting at
    once do (runner.grade): none fails."""
    # spawn, not fork: this session has threads of its own (its background gradings)
    context = multiprocessing.get_context("spawn")
    errors = context.Queue()
    workers = [context.Process(target=_sweep_and_create, args=(str(tmp_path / "runs"), 300, errors))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.join(timeout=120)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join()
    assert all(w.exitcode == 0 for w in workers), [w.exitcode for w in workers]
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert found == []
    assert os.listdir(tmp_path / "runs") == []
