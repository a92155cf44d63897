import random

from autograder.testkit import GradingFailure, check_raises, check_value


def test_card_errors(student):
    card = student.Card(3)
    check_raises(card.top_up, 0, error=student.CardError, call="top_up(0)")
    card.tap_in(1)
    check_raises(card.tap_in, 2, error=student.CardError, call="tap_in twice")
    raised = check_raises(card.tap_out, 4, error=RuntimeError, call="Card(3): tap_out(4), a fare of 8")
    if not isinstance(raised, student.InsufficientFunds):
        raise GradingFailure(f"tap_out with too low a balance raised {type(raised).__name__}; "
                             "expected InsufficientFunds")
    card.top_up(10)
    check_value(card.tap_out(4), 8, what="the fare", call="tap_out(4) after topping up")


def test_card_random_trips(student, reference):
    rng = random.Random(2026)
    mine, theirs = student.Card(50), reference.Card(50)
    for step in range(120):
        action = rng.choice(["in", "out", "out", "top"])
        arg = rng.randint(1, 6) if action != "top" else rng.randint(1, 30)
        call = f"step {step}: {action}({arg})"
        expected_error = None
        try:
            expected = {"in": theirs.tap_in, "out": theirs.tap_out, "top": theirs.top_up}[action](arg)
        except reference.CardError as err:
            expected_error = type(err).__name__
        method = {"in": mine.tap_in, "out": mine.tap_out, "top": mine.top_up}[action]
        if expected_error is not None:
            raised = check_raises(method, arg, error=student.CardError, call=call)
            if type(raised).__name__ != expected_error:
                raise GradingFailure(f"{call} raised {type(raised).__name__}; expected {expected_error}")
        else:
            check_value(method(arg), expected, what="the result", call=call)
    check_value(mine.history(), theirs.history(), what="history()", call="after 120 random steps")
