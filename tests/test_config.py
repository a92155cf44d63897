"""assignment.yaml: the real one loads; broken ones stop with file, key and reason."""

import pytest

from autograder.runtime import config
from tests.conftest import ROOT

GOOD = """
name: A
slug: a
version: "1"
package: pkg
modules: [m]
total_points: 3
tolerances:
  loose: {rtol: 1.0e-3, atol: 0}
parts:
  - name: P
    tests:
      - {id: test_one, name: one, points: 1, public: true}
      - {id: test_two, name: two, points: 2, tolerance: loose}
"""


def write(tmp_path, text):
    path = tmp_path / "assignment.yaml"
    path.write_text(text)
    return path


def test_the_real_assignment_totals_100():
    a = config.load(ROOT / "assignment" / "assignment.yaml")
    assert a.total_points == 100 and sum(g.points for g in a.groups if not g.extra_credit) == 100
    bonus = [g for g in a.groups if g.extra_credit]
    assert bonus and not any(g.public for g in bonus) and a.optional_modules == ("fast",)
    assert {g.visibility for g in a.groups if g.public} == {"visible"}
    assert {g.visibility for g in a.groups if not g.public} == {"after_published"}


def test_defaults_and_overrides(tmp_path):
    a = config.load(write(tmp_path, GOOD))
    one, two = a.groups
    assert (one.number, one.visibility, two.number, two.visibility) == ("1.1", "visible", "1.2", "after_published")
    assert a.tolerance_of(two).rtol == 1e-3 and a.tolerance_of(one) == config.DEFAULT_TOLERANCE  # see test_tolerances


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
        (("public: true}", "public: true, extra_credit: true}"), "parts[0].tests[0].extra_credit", "cannot be public"),
        (("points: 2,", "points: 2, extra_credit: yes please,"), "parts[0].tests[1].extra_credit", "true or false"),
        (("modules: [m]", "modules: [m]\noptional_modules: [n]"), "optional_modules[0]", "is not one of modules"),
        (("modules: [m]", "modules: [m]\noptional_modules: [m]"), "optional_modules", "at least one module"),
        (("modules: [m]", "modules: [m]\noptional_modules: m"), "optional_modules", "must be a list"),
    ],
)
def test_bad_config_names_file_key_and_reason(tmp_path, change, key, reason):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(config.ConfigError) as err:
        config.load(path)
    assert err.value.key == key and reason in err.value.reason and str(path) in str(err.value)


def test_extra_credit_is_on_top_of_the_total(tmp_path):
    text = GOOD.replace("modules: [m]", "modules: [m, fast]\noptional_modules: [fast]") + (
        "      - {id: test_bonus, name: bonus, points: 4, extra_credit: true}\n")
    a = config.load(write(tmp_path, text))  # total_points stays 3
    bonus = a.group("test_bonus")
    assert bonus.extra_credit and not bonus.public and bonus.visibility == "after_published"
    assert a.required_modules == ("m",) and a.optional_modules == ("fast",)
    assert not a.group("test_one").extra_credit


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(config.ConfigError, match="not found"):
        config.load(tmp_path / "nope.yaml")
    with pytest.raises(config.ConfigError, match="not valid YAML"):
        config.load(write(tmp_path, "parts: [\n"))
