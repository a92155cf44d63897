"""What ships to students, copied whole into the student release (and into the
Gradescope zip): the pytest plugin and its points table (``pytest_plugin``,
``scoring``), the graders' toolkit (``testkit``, ``calls``, ``stopwatch``,
``characterise``, ``pictures``), the notebook's checks (``inline``), ``submit``, and the
assignment's config (``config``). It imports nothing from the rest of ``autograder``.
"""
