"""Per-grading seeds (autograder/runtime/seeds.py): the same submission draws the same
hidden cases, any change to it (or to the graders) draws others, and the CNN's hidden
cases follow the grading's seed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from autograder.runtime import seeds
from tests.conftest import ROOT


@pytest.fixture
def restore_seed():
    before = seeds.grading_seed()
    yield
    seeds.use(before)


def _files(tmp_path, **contents):
    for name, text in contents.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return sorted(p for p in tmp_path.rglob("*.py"))


def test_a_seed_is_the_submissions_own(tmp_path, monkeypatch):
    monkeypatch.delenv(seeds.OVERRIDE, raising=False)
    sub, graders = tmp_path / "sub", tmp_path / "graders"
    files = _files(sub, **{"conv.py": "x = 1\n", "pool.py": "y = 2\n"})
    secret = _files(graders, **{"test_hidden.py": "def test(): pass\n"})
    first = seeds.derive(files, sub, secret)
    assert first == seeds.derive(list(reversed(files)), sub, secret)  # the order files come in does not matter
    assert 0 <= first < 2**63
    (sub / "pool.py").write_text("y = 3\n")
    assert seeds.derive(files, sub, secret) != first  # any change: other cases
    (sub / "pool.py").write_text("y = 2\n")
    (graders / "test_hidden.py").write_text("def test(): assert True\n")
    assert seeds.derive(files, sub, secret) != first  # the graders' text is part of it: nobody else can compute it
    monkeypatch.setenv(seeds.OVERRIDE, "12345")
    assert seeds.derive(files, sub, secret) == 12345  # a recorded grading, reproduced


def test_entropy_and_use(restore_seed):
    seeds.use(7)
    assert seeds.grading_seed() == 7 and seeds.entropy(1000, 3) == [7, 1000, 3]
    for bad in (-1, True, "7", 1.5):
        with pytest.raises(ValueError, match="non-negative int"):
            seeds.use(bad)  # type: ignore[arg-type]


def _hidden_cases():
    spec = importlib.util.spec_from_file_location("seed_test_hidden_cases",
                                                  ROOT / "assignment" / "tests" / "hidden" / "hidden_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cnns_hidden_cases_follow_the_grading_seed(restore_seed):
    cases = _hidden_cases()

    def drawn(seed):
        seeds.use(seed)
        return [cases.conv_case(i)[0] for i in range(8)] + [cases.designed_pool_case(i)[0] for i in range(3)]

    first, again, other = drawn(11), drawn(11), drawn(12)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not any(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(first, other, strict=True))


