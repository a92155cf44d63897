from autograder.testkit import check_raises, check_value


def test_card_trip(student):
    card = student.Card(10)
    card.tap_in(1)
    check_value(card.tap_out(2), 4, what="the fare", call="Card(10), tap_in(1), tap_out(2)", show_expected=True)
    check_value(card.history(), [(1, 2, 4)], what="history()", call="after one trip", show_expected=True)
    check_raises(card.tap_out, 3, error=student.CardError, call="tap_out(3) without tap_in")
