"""HumanGov deploy library: build, ship, provision, verify and tear down one state (a silo tenant)."""

from __future__ import annotations

__version__ = "0.1.0"
