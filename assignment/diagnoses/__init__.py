"""The convnet assignment's catalogue of classic mistakes, for the autograder's feedback.

Each :class:`~autograder.grade.diagnose.Mistake` says in plain words what the student most
likely did, and gives for every graded function where the mistake shows a variant:
what that function returns with the mistake. When a check fails, the grader replays
the call with these variants and, when one gives the student's output, adds its hint
to the test's feedback (see ``autograder/grade/diagnose.py``).

Named by ``diagnoses:`` in assignment.yaml; shipped in autograder.zip, never in the
student release (a variant is the solution with one thing changed).
"""

from . import conv, counts, pool


def catalogue(reference):
    """Every mistake, given the reference package (loaded under a private name)."""
    return [*conv.mistakes(reference), *pool.mistakes(reference), *counts.mistakes(reference)]
