"""The class report says what the TA must act on: unusable files with the reason, the
known mistakes across the class, the extra credit apart from the graded part."""

import json
import types

from autograder.staff import export, report


def results(graded, bonus=0.0, *, submission=None, hints=()):
    tests = [{"name": "part", "number": "1.1", "score": graded, "max_score": 10.0,
              "status": "passed" if graded == 10 else "failed", "output": ""},
             {"name": "bonus", "number": "2.1", "score": bonus, "max_score": 0.0, "status": "passed", "output": ""}]
    extra = {"version": "1", "submission": submission or {"found": True, "missing": [], "import_errors": {}},
             "hints": [{"id": h, "what": f"the {h} is flipped", "cases": 3} for h in hints]}
    return {"score": graded + bonus, "output": "", "extra_data": extra, "tests": tests}


def test_report_lists_unusable_files_class_mistakes_and_extra_credit(tmp_path):
    plans = {
        "a": results(10, 2),
        "b": results(4, hints=["filter"]),
        "c": results(2, hints=["filter", "bias"]),
        "d": results(0, submission={"found": False, "missing": ["conv"], "import_errors": {}}),
        "e": results(5, submission={"found": True, "missing": ["pool"], "import_errors": {"conv": "SyntaxError"}}),
    }
    (tmp_path / "results").mkdir()
    subs, outcomes = [], {}
    for sub_id, res in plans.items():
        (tmp_path / "results" / f"{sub_id}.json").write_text(json.dumps(res))
        subs.append(export.Submission(sub_id, tmp_path, (export.Submitter(f"Name {sub_id}"),)))
        outcomes[sub_id] = types.SimpleNamespace(status="graded", message="")
    report.write_report(tmp_path, subs, outcomes)
    text = (tmp_path / "report.md").read_text()
    # d is empty (none of the expected files): listed, but left out of the statistics
    assert "count the 4 submissions graded at all; 1 left out: 1 empty (none of the expected files)." in text
    assert "graded part: mean 5.25, median 4.5, min 2, max 10 (out of 10)" in text
    assert "extra credit (on top): 1 of 4 submissions earned some, mean +2.00 among them, max +2" in text
    assert "| d | Name d | 0 | no expected files found |" in text
    assert "| e | Name e | 5 | missing pool.py; did not import: conv.py (SyntaxError) |" in text
    assert "| a |" not in text.split("## Submissions whose files")[1].split("##")[0]
    mistakes = text.split("## Known mistakes across the class")[1]
    assert mistakes.index("- 2 submissions: the filter is flipped") < mistakes.index(
        "- 1 submission: the bias is flipped"
    )
