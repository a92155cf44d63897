"""Stops of the network, read from a CSV file."""


def load_stops(path):
    """Read the CSV file at ``path`` (a header ``stop_id,name,zone``, then one stop a
    line) and return ``{stop_id: (name, zone)}``, ``zone`` an int. Blank lines are
    skipped.

    >>> load_stops("data/stops.csv")["S3"]
    ('Museum', 2)
    """
    # BEGIN SOLUTION
    stops = {}
    with open(path, encoding="utf-8") as f:
        f.readline()
        for line in f:
            line = line.strip()
            if line:
                stop_id, name, zone = line.split(",")
                stops[stop_id] = (name, int(zone))
    return stops
    # END SOLUTION


def zones_between(stops, start, end):
    """The zones a trip from stop ``start`` to stop ``end`` crosses, in order, both
    ends included, as a list of ints (``[2, 3, 4]`` from zone 2 to zone 4; ``[3, 2]``
    backwards; ``[1]`` within one zone). Raises KeyError for an unknown stop."""
    # BEGIN SOLUTION
    a, b = stops[start][1], stops[end][1]
    step = 1 if b >= a else -1
    return list(range(a, b + step, step))
    # END SOLUTION
