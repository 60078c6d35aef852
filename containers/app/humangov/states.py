"""The 50 US states HumanGov serves, as URL- and resource-name-safe slugs.

Standard library only: the deploy library and the Terraform drift test read this file too,
so it is the one list of tenants.
"""

from __future__ import annotations

STATES: tuple[str, ...] = (
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut",
    "delaware", "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa",
    "kansas", "kentucky", "louisiana", "maine", "maryland", "massachusetts", "michigan",
    "minnesota", "mississippi", "missouri", "montana", "nebraska", "nevada", "new-hampshire",
    "new-jersey", "new-mexico", "new-york", "north-carolina", "north-dakota", "ohio", "oklahoma",
    "oregon", "pennsylvania", "rhode-island", "south-carolina", "south-dakota", "tennessee",
    "texas", "utah", "vermont", "virginia", "washington", "west-virginia", "wisconsin", "wyoming",
)  # fmt: skip


def is_state(slug: str) -> bool:
    return slug in STATES


def display_name(slug: str) -> str:
    """`new-york` -> `New York`."""
    return " ".join(part.capitalize() for part in slug.split("-"))
