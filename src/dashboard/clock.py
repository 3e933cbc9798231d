"""Moments: stored as naive UTC, typed and read in the city's time zone (settings)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .settings import current_settings


def _zone(tz: str | None) -> ZoneInfo:
    # current_settings, not load_settings: a page asks for "now" several times per run,
    # and reading the settings afresh each time was a tenth of a replica's CPU under load
    # (py-spy, 150 simulated visitors).
    return ZoneInfo(tz or current_settings().timezone)


def to_utc(local: dt.datetime, tz: str | None = None) -> dt.datetime:
    """A naive local moment (as in a ``stand`` link) → naive UTC (as stored)."""
    return local.replace(tzinfo=_zone(tz)).astimezone(dt.UTC).replace(tzinfo=None)


def to_local(utc: dt.datetime, tz: str | None = None) -> dt.datetime:
    """A stored naive UTC moment → naive local time (for display and links)."""
    return utc.replace(tzinfo=dt.UTC).astimezone(_zone(tz)).replace(tzinfo=None)


def now_local(tz: str | None = None) -> dt.datetime:
    return dt.datetime.now(_zone(tz)).replace(tzinfo=None, microsecond=0)
