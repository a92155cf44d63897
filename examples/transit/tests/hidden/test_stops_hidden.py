import random

from autograder.testkit import GradingFailure, check_raises, check_value


def test_load_stops_written(student, shared_folder):
    rng = random.Random(7)
    rows = {f"T{i}": (f"Stop {i}", rng.randint(1, 9)) for i in range(40)}
    text = "stop_id,name,zone\n" + "".join(f"{k},{n},{z}\n" + ("\n" if i % 7 == 0 else "")
                                          for i, (k, (n, z)) in enumerate(rows.items()))
    path = shared_folder.write_text("generated/stops.csv", text)  # written now, read by the student's code
    check_value(student.load_stops(path), rows, what="the stops", call="load_stops(a file of 40 stops)")


def test_load_stops_hidden_data(student, data_file):
    stops = student.load_stops(data_file("data/hidden/network.csv"))
    check_value(stops, {"H1": ("North Gate", 2), "H2": ("Old Mill", 5), "H3": ("Quay", 1), "H4": ("Stadium", 3)},
                what="the stops", call="load_stops(another network)")


def test_zones_between(student):
    stops = {"A": ("a", 2), "B": ("b", 4), "C": ("c", 2), "D": ("d", 7)}
    cases = (("A", "B", [2, 3, 4]), ("B", "A", [4, 3, 2]), ("A", "C", [2]), ("D", "A", [7, 6, 5, 4, 3, 2]))
    for start, end, zones in cases:
        check_value(student.zones_between(stops, start, end), zones, what="the zones",
                    call=f"zones_between(stops, {start!r}, {end!r})")
    check_raises(student.zones_between, stops, "A", "Z", error=KeyError, call="zones_between(stops, 'A', 'Z')")
    if not isinstance(check_raises(student.zones_between, stops, "Q", "A", error=LookupError, call="unknown start"),
                      KeyError):
        raise GradingFailure("zones_between: an unknown stop must raise KeyError")
