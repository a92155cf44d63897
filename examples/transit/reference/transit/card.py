"""A fare card: top it up, tap in at a zone, tap out at another, pay per zone."""

FARE_PER_ZONE = 2  # fare of a trip: FARE_PER_ZONE for each zone crossed, both ends included


# GIVEN: the card's errors, shipped to students as they are
class CardError(RuntimeError):
    """Something a card cannot do (tap out without tapping in, a negative top-up...)."""


class InsufficientFunds(CardError):  # GIVEN
    """The balance does not cover the fare."""


class Card:
    """A card with a balance (an int), one trip at a time."""

    def __init__(self, balance=0):
        # BEGIN SOLUTION
        self.balance = balance
        self.start = None
        self.trips = []
        # END SOLUTION

    def top_up(self, amount):
        """Add ``amount`` (> 0, else CardError) to the balance; return the new balance."""
        # BEGIN SOLUTION
        if amount <= 0:
            raise CardError(f"a top-up must be positive, got {amount}")
        self.balance += amount
        return self.balance
        # END SOLUTION

    def tap_in(self, zone):
        """Start a trip in ``zone``; CardError when a trip is already started."""
        # BEGIN SOLUTION
        if self.start is not None:
            raise CardError("already tapped in")
        self.start = zone
        # END SOLUTION

    def tap_out(self, zone):
        """End the trip in ``zone`` and pay its fare (FARE_PER_ZONE per zone crossed,
        both ends included); return the fare. CardError without a started trip;
        InsufficientFunds (the trip stays started) when the balance is short."""
        # BEGIN SOLUTION
        if self.start is None:
            raise CardError("not tapped in")
        fare = FARE_PER_ZONE * (abs(zone - self.start) + 1)
        if fare > self.balance:
            raise InsufficientFunds(f"the fare is {fare}, the balance {self.balance}")
        self.balance -= fare
        self.trips.append((self.start, zone, fare))
        self.start = None
        return fare
        # END SOLUTION

    def history(self):
        """The trips paid, oldest first: a list of ``(from_zone, to_zone, fare)``."""
        # BEGIN SOLUTION
        return list(self.trips)
        # END SOLUTION
