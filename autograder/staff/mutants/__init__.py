"""Mutation analysis of an assignment's graders (``make mutants``).

Each *mutant* is the reference with one small change inside a solution region (a
mistake a student could make: a loop one short, a stride dropped, ``+=`` turned into
``=``, an axis left out of a sum...). Every mutant is graded like a student's
submission, through the sandbox and the warm grader of ``make grade-all``; a mutant
the graders fail is *killed*, one that keeps full marks *survived*: a mistake no test
would notice. Survivors are findings, unless reviewed as equivalent (the mutant
cannot be told apart from the reference through the documented contract) in the
assignment's ``mutants-equivalent.yaml``.

- :mod:`.regions`: the solution regions of a module and the function around a line.
- :mod:`.operators`: the numeric mistakes (ast-based edits of the source text).
- :mod:`.generic`: the generic operators, cosmic-ray's, applied through its library API.
- :mod:`.generate`: every mutant of a reference, with a stable id.
- :mod:`.equivalents`: the reviewed list of equivalent mutants.
- :mod:`.run`: grading the mutants in parallel, resumable; one verdict per mutant.
- :mod:`.report`: the TA's markdown report and the JSON of every verdict.
- :mod:`.catalogue`: killed mutants as a catalogue of mistakes for the feedback.
"""
