"""assignment.yaml: the real one loads; broken ones stop with file, key and reason."""

import pytest

from autograder import config
from tests.conftest import ROOT

GOOD = """
name: A
slug: a
version: "1"
package: pkg
modules: [m]
total_points: 3
parts:
  - name: P
    tests:
      - {id: test_one, name: one, points: 1, public: true}
      - {id: test_two, name: two, points: 2, tolerance: {float64: {rtol: 1.0e-3, atol: 0}}}
"""


def write(tmp_path, text):
    path = tmp_path / "assignment.yaml"
    path.write_text(text)
    return path


def test_the_real_assignment_totals_100():
    a = config.load(ROOT / "assignment" / "assignment.yaml")
    assert a.total_points == 100 and sum(g.points for g in a.groups) == 100
    assert {g.visibility for g in a.groups if g.public} == {"visible"}
    assert {g.visibility for g in a.groups if not g.public} == {"after_published"}


def test_defaults_and_overrides(tmp_path):
    a = config.load(write(tmp_path, GOOD))
    one, two = a.groups
    assert (one.number, one.visibility, two.number, two.visibility) == ("1.1", "visible", "1.2", "after_published")
    assert two.tolerance["float64"].rtol == 1e-3 and one.tolerance["float64"].rtol == 1e-7


@pytest.mark.parametrize(
    "change, key, reason",
    [
        (("total_points: 3", "total_points: 5"), "total_points", "points add up to 3"),
        (("points: 2,", "points: two,"), "parts[0].tests[1].points", "must be a number"),
        (("id: test_two", "id: test_one"), "parts[0].tests[1].id", "duplicate test id"),
        (("public: true}", "public: true, visibility: secret}"), "parts[0].tests[0].visibility", "must be one of"),
        (("public: true}", "public: true, pionts: 3}"), "parts[0].tests[0].pionts", "unknown key"),
        (("package: pkg", "package: my-pkg"), "package", "must be a Python identifier"),
        (("slug: a", "slug: a\nextra: 1"), "extra", "unknown key"),
    ],
)
def test_bad_config_names_file_key_and_reason(tmp_path, change, key, reason):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(config.ConfigError) as err:
        config.load(path)
    assert err.value.key == key and reason in err.value.reason and str(path) in str(err.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(config.ConfigError, match="not found"):
        config.load(tmp_path / "nope.yaml")
    with pytest.raises(config.ConfigError, match="not valid YAML"):
        config.load(write(tmp_path, "parts: [\n"))
