"""make grade's student view: what is held back until grades are published."""

from autograder.staff import simulate


def _test(number, score, max_score, visibility="after_published"):
    return {"number": number, "name": f"test {number}", "score": score, "max_score": max_score,
            "status": "passed" if score == max_score else "failed", "visibility": visibility}


def test_hidden_count_and_points_leave_extra_credit_apart():
    results = {"score": 9, "output": "", "tests": [
        _test("1.1", 2, 2, "visible"), _test("1.2", 3, 3), _test("1.3", 0, 4),
        _test("5.1", 1, 0), _test("5.2", 3, 0),  # extra credit: max_score 0
    ]}
    shown = simulate.student_view(results)
    assert "(2 more tests worth 7 points + 2 extra-credit tests are shown when grades are published)" in shown
    assert "Total" not in shown  # the total waits for the hidden tests


def test_only_extra_credit_hidden_is_said_as_such():
    results = {"score": 3, "output": "", "tests": [_test("1.1", 2, 2, "visible"), _test("5.1", 1, 0)]}
    shown = simulate.student_view(results)
    assert "(1 extra-credit test is shown when grades are published)" in shown and "more tests" not in shown


def test_instructor_view_shows_everything_and_the_split_total():
    results = {"score": 9, "output": "", "tests": [_test("1.1", 2, 2, "visible"), _test("1.2", 3, 3),
                                                   _test("5.1", 4, 0)]}
    shown = simulate.student_view(results, instructor=True)
    assert "more tests" not in shown and "extra-credit test" not in shown
    assert "Total: 5 + 4 extra credit" in shown
