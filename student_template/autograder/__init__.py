"""convnet-grader: a generic framework for auto-graded Python assignments.

Nothing in this package knows what the assignment is about: the assignment lives in
``assignment/`` (config, graders) and ``solutions/`` (reference package).
"""
