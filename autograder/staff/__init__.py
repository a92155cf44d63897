"""Course staff's tools, never shipped: ``simulate`` (``make grade``: Gradescope's tree
on this machine), ``batch`` (``make grade-all``) with its ``executors``, ``export`` and
``unpack`` (reading Gradescope's exports and students' zips), ``report``, the grading
benchmark (``bench_grade``) and ``scaffold`` (``make new-assignment``).
"""
