"""A transit network's stops and a fare card."""

from .card import FARE_PER_ZONE, Card, CardError, InsufficientFunds
from .stops import load_stops, zones_between

__all__ = ["FARE_PER_ZONE", "Card", "CardError", "InsufficientFunds", "load_stops", "zones_between"]
