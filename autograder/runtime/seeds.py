"""Per-grading seeds for randomised hidden cases.

Hidden cases drawn from fixed seeds are the same in every grading, so a submission
could learn them in one grading (from its own process, which sees its inputs) and
use them in the next. A grading's seed is derived instead from the submission's
files and from the graders' own text (which students never see): the same
submission always gets the same cases (a regrade reproduces its results), any change
to it gets new ones, and nobody without the graders can compute them.

For the graders::

    from autograder.runtime.seeds import entropy
    rng = np.random.default_rng(entropy(1000 + i))   # case i: the grading's, reproducible

``entropy(*keys)`` is ``[grading seed, *keys]``, which numpy's ``default_rng`` takes
as one seed; ``grading_seed()`` is the seed itself (the ``grading_seed`` fixture
gives it to a test). Cases are built when the test modules are imported, so the
trusted runner sets the seed (:func:`use`) before pytest collects them; on a
student's laptop (public tests) and anywhere it was not set, it is 0. The runner
records the seed in results.json's ``extra_data.seed``; ``GRADING_SEED=<n>`` in the
runner's environment grades with that seed instead (to reproduce a recorded grading
exactly after the graders changed).

Standard library only: numpy is the assignment's business.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

OVERRIDE = "GRADING_SEED"
_seed = 0


def grading_seed() -> int:
    """This grading's seed (0 where none was set: the public tests, a laptop)."""
    return _seed


def use(seed: int) -> None:
    """Make ``seed`` this grading's (before the graders are collected)."""
    global _seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"a grading seed is a non-negative int, got {seed!r}")
    _seed = seed


def entropy(*keys: int) -> list[int]:
    """``[grading seed, *keys]``: a seed for ``numpy.random.default_rng`` that is the
    grading's own for each case key (non-negative ints)."""
    return [_seed, *(int(k) for k in keys)]


def derive(files: Iterable[Path], root: Path, secret: Iterable[Path]) -> int:
    """A 63-bit seed from the contents of ``files`` (the submission's, named relative
    to ``root``) and of ``secret`` (the graders' files: what a student cannot read).
    ``GRADING_SEED`` in the environment, when it is an integer, wins."""
    override = os.environ.get(OVERRIDE, "").strip()
    if override.isdigit():
        return int(override) % (1 << 63)
    digest = hashlib.sha256(b"grading seed v1\0")
    for path in sorted(secret):
        digest.update(b"graders\0" + hashlib.sha256(path.read_bytes()).digest())
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return int.from_bytes(digest.digest()[:8], "big") >> 1
