"""Deep-link state: what a page shows, read from and written to the URL's query parameters.

Pure: parsing takes a plain mapping and the valid choices, and returns the state plus a
notice for every parameter it had to ignore (never an exception). Notices are Markdown
(pages show them with ``st.toast``/``st.info``): the URL's value in them is escaped with
:func:`safety.markdown_text`, so ``?ind=[x](https://…)`` shows as written, never as a link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .i18n import t
from .safety import markdown_text
from .tables import level_name

PARAMS = {"indicator": "ind", "level": "niveau", "area": "gebied", "year": "jaar"}
# Parameters that hold for every page of a session (kept when a page rewrites its URL).
GLOBAL_PARAMS = {"lang": "taal", "as_of": "stand"}
LEVEL_CHOICES = ("wijk", "sector", "deelgemeente")
# The earliest year a ``stand`` may name: the board holds no loads from before it, and
# year 1 took every query down (OverflowError converting 0001-01-01 00:00 to UTC).
AS_OF_MIN_YEAR = 2000


@dataclass
class ViewState:
    indicator: str | None = None
    level: str = "wijk"
    area: str | None = None
    year: int | None = None
    notices: list[str] = field(default_factory=list)

    def to_params(self) -> dict[str, str]:
        out = {PARAMS["level"]: self.level}
        if self.indicator:
            out[PARAMS["indicator"]] = self.indicator
        if self.area:
            out[PARAMS["area"]] = self.area
        if self.year is not None:
            out[PARAMS["year"]] = str(self.year)
        return out


def _get(params: Mapping[str, str], key: str) -> str | None:
    value = params.get(PARAMS[key])
    if isinstance(value, list):  # some callers give lists
        value = value[-1] if value else None
    return None if value in (None, "") else str(value)


def parse(params: Mapping[str, str], *, indicators: Sequence[str], areas_by_level:
          Mapping[str, Sequence[str]], years: Sequence[int], default_indicator: str | None
          ) -> ViewState:
    """Validate every parameter; unknown values fall back to defaults with a notice."""
    state = ViewState(indicator=default_indicator)
    raw = _get(params, "indicator")
    if raw is not None:
        if raw in indicators:
            state.indicator = raw
        else:
            state.notices.append(t("Onbekende indicator '{value}' genegeerd.",
                                   value=markdown_text(raw)))
    raw = _get(params, "level")
    if raw is not None:
        if raw in LEVEL_CHOICES and raw in areas_by_level:
            state.level = raw
        else:
            state.notices.append(t("Onbekend niveau '{value}' genegeerd; toon wijken.",
                                   value=markdown_text(raw)))
    raw = _get(params, "area")
    if raw is not None:
        if raw in areas_by_level.get(state.level, ()):
            state.area = raw
        else:
            state.notices.append(t("Onbekend gebied '{value}' voor niveau {level} genegeerd.",
                                   value=markdown_text(raw),
                                   level=level_name(state.level)))
    raw = _get(params, "year")
    if raw is not None:
        try:
            year = int(raw)
        except ValueError:
            year = None
        if year is not None and year in years:
            state.year = year
        else:
            state.notices.append(t("Ongeldig jaar '{value}' genegeerd; toon het laatste jaar.",
                                   value=markdown_text(raw)))
    return state


def parse_as_of(raw: str | None, now: dt.datetime, *, quote=markdown_text
                ) -> tuple[dt.datetime | None, str | None]:
    """A pinned moment from ``stand``: a date (its end: 23:59:59) or a date and time.

    Returns (moment, None), or (None, notice) for a value that is not a date, lies before
    :data:`AS_OF_MIN_YEAR` or in the future; (None, None) when there is no value. The
    notice quotes ``raw`` through ``quote``: Markdown-escaped for pages, ``str`` for the
    terminal (the CLI).
    """
    if raw in (None, ""):
        return None, None
    text = str(raw).strip()
    try:
        if len(text) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(23, 59, 59))
        else:
            moment = dt.datetime.fromisoformat(text).replace(tzinfo=None, microsecond=0)
    except ValueError:
        return None, t("Ongeldige stand '{raw}' genegeerd; toon de actuele cijfers.",
                       raw=quote(raw))
    if moment.year < AS_OF_MIN_YEAR:
        return None, t("Stand '{raw}' ligt vóór {year}; toon de actuele cijfers.",
                       raw=quote(raw), year=AS_OF_MIN_YEAR)
    if moment.date() > now.date():
        return None, t("Stand '{raw}' ligt in de toekomst; toon de actuele cijfers.",
                       raw=quote(raw))
    return moment, None


def format_as_of(moment: dt.datetime) -> str:
    """The URL form of a pinned moment: the date alone for the end of a day."""
    if moment.time() == dt.time(23, 59, 59):
        return moment.date().isoformat()
    return moment.replace(microsecond=0).isoformat(timespec="seconds")
