"""State that the two copies of tests/conftest.py a session holds share: pytest loads the
file as ``conftest`` (its hooks and fixtures), the tests import it as ``tests.conftest``
(its constants and helpers). One background, one autograder zip, one Gradings."""

import threading

PLANNED: list = []  # what the selected modules grade through ``gradings`` (their GRADINGS)
SHARED: dict = {}  # "zip", "gradings", "thread", "results"
LOCK = threading.Lock()
