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

PARAMS = {"indicator": "ind", "level": "niveau", "area": "gebied", "year": "jaar",
          "section": "kaart", "chart": "grafiek", "part": "deel"}
# The parts of a spearhead page, one shown at a time (``deel``): the maps, the indicators
# (table, chart per indicator), the note's actions.
PARTS = ("kaart", "indicatoren", "acties")
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
    section: str | None = None  # the map section shown (one at a time)
    chart: bool = False  # the chosen indicator's chart and figures are open
    part: str | None = None  # the part of the page shown (PARTS); None: the first
    notices: list[str] = field(default_factory=list)

    def to_params(self) -> dict[str, str]:
        out = {PARAMS["level"]: self.level}
        if self.section:
            out[PARAMS["section"]] = self.section
        if self.indicator:
            out[PARAMS["indicator"]] = self.indicator
        if self.area:
            out[PARAMS["area"]] = self.area
        if self.year is not None:
            out[PARAMS["year"]] = str(self.year)
        if self.chart:
            out[PARAMS["chart"]] = "1"
        if self.part:
            out[PARAMS["part"]] = self.part
        return out


def _get(params: Mapping[str, str], key: str) -> str | None:
    return _raw(params, PARAMS[key])


def parse(params: Mapping[str, str], *, indicators: Sequence[str], areas_by_level:
          Mapping[str, Sequence[str]], years: Sequence[int], default_indicator: str | None,
          sections: Mapping[str, Sequence[str]] | None = None) -> ViewState:
    """Validate every parameter; unknown values fall back to defaults with a notice.

    ``sections``: map section key → its indicators, in page order. The section shown is
    ``kaart`` when it names one, else the section of the linked indicator (``ind``),
    else the first."""
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
    raw = _get(params, "chart")
    if raw is not None:
        if raw in ("1", "ja", "yes", "oui"):
            state.chart = True
        elif raw not in ("0", "nee", "no", "non"):
            state.notices.append(t("Ongeldige waarde '{value}' voor grafiek genegeerd.",
                                   value=markdown_text(raw)))
    raw = _get(params, "part")
    if raw is not None:
        if raw in PARTS and (raw != "kaart" or sections):
            state.part = raw
        else:
            state.notices.append(t("Onbekend deel '{value}' van de pagina genegeerd.",
                                   value=markdown_text(raw)))
    if state.chart and state.part is None:
        state.part = "indicatoren"  # a link to a chart opens the part that holds it
    if sections:
        raw = _get(params, "section")
        if raw is not None and raw in sections:
            state.section = raw
        else:
            if raw is not None:
                state.notices.append(t("Onbekende kaart '{value}' genegeerd.",
                                       value=markdown_text(raw)))
            linked = _get(params, "indicator")
            state.section = next((k for k, inds in sections.items() if linked in inds),
                                 next(iter(sections)))
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


# ------------------------------------------------------------------ other pages' state
PRESENTATION_PARAMS = {"on": "presentatie", "spearhead": "sp", "indicators": "ind",
                       "step": "stap"}
SDG_PARAM = "sdg"


@dataclass
class PresentationState:
    """What a presentation link shows: the indicators in order, the spearhead they come
    from (None for a hand-picked list), the screen (1-based) and notices."""

    indicators: list[str]
    spearhead: int | None
    step: int
    notices: list[str] = field(default_factory=list)


def parse_presentation(params: Mapping[str, str], *, spearheads: Sequence[int],
                       indicators_of: Mapping[int, Sequence[str]]) -> PresentationState:
    """``ind=a,b`` (those indicators, in that order) or ``sp=n`` (a spearhead's), and
    ``stap=k`` clamped to the screens there are; unknown values are ignored with a notice."""
    names = PRESENTATION_PARAMS
    known = [i for ids in indicators_of.values() for i in ids]
    notices: list[str] = []
    raw_ids = _raw(params, names["indicators"])
    spearhead: int | None = None
    if raw_ids:
        wanted = [i for i in raw_ids.split(",") if i]
        ids = [i for i in wanted if i in set(known)]
        unknown = [i for i in wanted if i not in set(known)]
        if unknown:
            notices.append(t("Onbekende indicatoren genegeerd: {ids}",
                             ids=", ".join(map(markdown_text, unknown))))
    else:
        raw = _raw(params, names["spearhead"]) or "1"
        try:
            spearhead = int(raw)
        except ValueError:
            spearhead = -1
        if spearhead not in spearheads:
            notices.append(t("Onbekend speerpunt '{sp}'; toon speerpunt 1.",
                             sp=markdown_text(raw)))
            spearhead = int(spearheads[0]) if len(spearheads) else None
        ids = list(indicators_of.get(spearhead, ())) if spearhead is not None else []
    try:
        step = int(_raw(params, names["step"]) or "1")
    except ValueError:
        step = 1
    return PresentationState(ids, spearhead, min(max(step, 1), max(len(ids), 1)), notices)


def parse_choice(params: Mapping[str, str], name: str, options: Sequence[int],
                 default: int) -> int:
    """A number chosen in the URL (``sdg=13``) when it is one of ``options``, else
    ``default``."""
    raw = _raw(params, name)
    return int(raw) if raw in {str(o) for o in options} else default


ACTION_PARAM = "id"  # the action page: /actie?id=a5.3.07


def parse_action(params: Mapping[str, str], known: Sequence[str]
                 ) -> tuple[str | None, str | None]:
    """The action an action link names: (id, None) when it is one of ``known``, else
    (None, notice): no id given, or an id the catalog does not hold (quoted, escaped)."""
    raw = _raw(params, ACTION_PARAM)
    if raw is None:
        return None, t("Deze link noemt geen actie. Kies een actie in de lijst 'Acties' op "
                       "de pagina van een speerpunt.")
    raw = raw.strip()
    if raw in set(known):
        return raw, None
    return None, t("Er is geen actie '{value}' in de nota. Kies een actie in de lijst "
                   "'Acties' op de pagina van een speerpunt.", value=markdown_text(raw))


def action_link(action_id: str, global_params: Mapping[str, str] | None = None) -> str:
    """The relative address of an action's page, with the session-wide parameters
    (language, pinned moment) so the page shows the same view."""
    from urllib.parse import urlencode

    return "actie?" + urlencode({ACTION_PARAM: action_id, **(global_params or {})})


def _raw(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if isinstance(value, list):  # some callers give lists
        value = value[-1] if value else None
    return None if value in (None, "") else str(value)
