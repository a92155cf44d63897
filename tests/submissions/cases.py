"""The broken and hostile submissions of ``cases.yaml``, as data: each case's
submission is a :class:`tests.fabricate.Variant`, and what the student must get."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from tests.fabricate import GRADED, Variant

CASES_YAML = Path(__file__).resolve().parent / "cases.yaml"
LAYOUTS = {"package": "package", "flat": "flat", "nested": "two-down"}  # cases.yaml's names


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    variant: Variant  # the graded part only (fast.py, the bonus, where a case writes it)
    score: tuple[float, float]
    see: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    seconds: float = 60
    needs: tuple[str, ...] = ()
    twice: bool = False
    twin: tuple[dict, ...] | None = None  # the honest twin's edits: the case may never score more
    bonus: tuple[float, float] = (0, float("inf"))  # extra credit earned
    leaderboard_max: float = float("inf")  # no leaderboard value above this
    runner_mb: float = float("inf")  # the trusted runner's peak memory

    def honest_twin(self) -> Case:
        """The same submission without the attack (``twin``'s edits instead of ``edit``)."""
        honest = dataclasses.replace(self.variant, edits=self.twin or ())
        return dataclasses.replace(self, id=f"{self.id}~twin", variant=honest,
                                   twin=None, twice=False)

    @property
    def marker(self) -> str:
        """A word unique to the case, in the command line of what the case spawns."""
        return "hostile-" + self.id

    def build(self, folder: Path, port: int) -> Path:
        """Write the submission under ``folder``; return the folder or zip to grade."""
        return self.variant.write(folder if self.variant.zip else folder / "submission",
                                  {"port": str(port), "marker": self.marker})


def load_cases() -> list[Case]:
    raw = yaml.safe_load(CASES_YAML.read_text())["cases"]
    cases = []
    for entry in raw:
        expect = entry.get("expect", {})
        variant = Variant(base=entry.get("base", "none"), layout=LAYOUTS[entry.get("layout", "package")],
                          edits=tuple(entry.get("edit", [])),
                          modules=tuple(entry["modules"]) if "modules" in entry else GRADED,
                          extra=tuple(entry.get("extra", {}).items()),
                          bytes_name=bool(entry.get("extra_bytes_names")), zip=entry.get("zip"))
        cases.append(Case(
            id=entry["id"], variant=variant,
            score=tuple(expect["score"]), see=tuple(expect.get("see", [])), lost=tuple(expect.get("lost", [])),
            seconds=float(expect.get("seconds", 60)), needs=tuple(entry.get("needs", [])),
            twice=bool(entry.get("twice")), twin=tuple(entry["twin"]) if "twin" in entry else None,
            bonus=tuple(expect.get("bonus", (0, float("inf")))),
            leaderboard_max=float(expect.get("leaderboard_max", float("inf"))),
            runner_mb=float(expect.get("runner_mb", float("inf"))),
        ))
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases
