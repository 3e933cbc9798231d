"""What one view of the board is: the data version, the pinned moment and the language.

A small immutable value, hashable (a cache key as it is) and readable, replacing the
``"…@stand#lang"`` string that four modules used to parse back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from .. import clock, i18n


@dataclass(frozen=True)
class View:
    """``data``: the version of the data (changes with every build, load and undo, in
    any process); ``as_of``: the pinned moment in the city's local time, as in a
    ``stand`` link (None: the data as they are now); ``lang``: the language of texts;
    ``on``: the day the data calendar counts from (None: the pinned day, else today;
    generated documents fix it)."""

    data: str = ""
    as_of: dt.datetime | None = None
    lang: str = i18n.DEFAULT
    on: dt.date | None = None

    @property
    def as_of_utc(self) -> dt.datetime | None:
        """The pinned moment in UTC, as the store keeps moments."""
        return clock.to_utc(self.as_of) if self.as_of is not None else None

    def at(self, moment: dt.datetime | None) -> View:
        """The same view pinned at ``moment`` (local time; None: now)."""
        return replace(self, as_of=moment)

    def in_language(self, lang: str) -> View:
        return replace(self, lang=lang)

    def today(self) -> dt.date:
        """The date the data calendar counts from: ``on``, the pinned day, else today."""
        return self.on or (self.as_of or clock.now_local()).date()
