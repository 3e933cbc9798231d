"""Moments: stored as naive UTC, typed and read in the city's time zone (settings)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .settings import load_settings


def _zone(tz: str | None) -> ZoneInfo:
    return ZoneInfo(tz or load_settings().timezone)


def to_utc(local: dt.datetime, tz: str | None = None) -> dt.datetime:
    """A naive local moment (as in a ``stand`` link) → naive UTC (as stored)."""
    return local.replace(tzinfo=_zone(tz)).astimezone(dt.UTC).replace(tzinfo=None)


def to_local(utc: dt.datetime, tz: str | None = None) -> dt.datetime:
    """A stored naive UTC moment → naive local time (for display and links)."""
    return utc.replace(tzinfo=dt.UTC).astimezone(_zone(tz)).replace(tzinfo=None)


def now_local(tz: str | None = None) -> dt.datetime:
    return dt.datetime.now(_zone(tz)).replace(tzinfo=None, microsecond=0)
