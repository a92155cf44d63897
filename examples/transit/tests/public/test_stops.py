from autograder.testkit import check_value


def test_load_stops_sample(student, data_file):
    path = data_file("data/stops.csv")  # a path the student's code can open, wherever it runs
    stops = student.load_stops(path)
    call = "load_stops('data/stops.csv')"
    check_value(stops, {"S1": ("Central", 1), "S2": ("Harbour", 1), "S3": ("Museum", 2),
                        "S4": ("University", 3), "S5": ("Airport", 4)}, what="the stops", call=call,
                show_expected=True)
