"""City partnerships (stedenbanden): the city's partnerships file, read and validated, and
the cached pieces the partnerships page shows.

The file is named by ``partnerships_file`` in the city configuration (relative to it);
cities without that key have no partnerships page. Its format is described in
docs/partnerships_sdg.md: documents (title, publisher, archived reference), the home
city's coordinates, the partnerships with their facts, themes, visits and exchange themes
(each mapped to indicator ids of the catalog), and context texts. **Every fact cites a
source** (a document key and a paragraph or section); a fact the documents imply but do
not state carries ``derived`` with its reasoning. A date the source gives only in part
("maandag 13 november", no year) keeps the source's words in ``stated`` and marks the
missing part ``inferred`` with the reasoning; the words must fit the date (day, month,
weekday). :func:`load` refuses a file that breaks these rules, listing every problem.

Pure functions first; the cached Streamlit glue (``st.cache_*``) is at the end.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from . import i18n, partnermap
from .errors import InputError, Problem
from .i18n import t
from .settings import Settings, load_settings
from .tables import format_number

Text = dict  # language → text ("nl" always present)


class Phrase(str):
    """A short text of the file given as a mapping {nl: …, en: …, fr: …} (a country, a
    theme, a document's title, a source's section): it reads, compares and formats as its
    Dutch text and carries its translations for :func:`localized`."""

    translations: Text

    def __new__(cls, text: Text) -> Phrase:
        obj = super().__new__(cls, text.get(i18n.DEFAULT, ""))
        obj.translations = text
        return obj

    def __reduce__(self):  # pickled by st.cache_data
        return (Phrase, (self.translations,))


def phrase(value, squash: bool = True) -> str:
    """A short text of the file: a string (as is), or a mapping with a Dutch text (a
    :class:`Phrase`); '' for none. ``squash``: collapse white space."""
    if isinstance(value, dict) and isinstance(value.get(i18n.DEFAULT), str | int):
        return Phrase({str(k): " ".join(str(v).split()) for k, v in value.items() if v})
    text = "" if value is None else str(value)
    return " ".join(text.split()) if squash else text


def localized(text: Text | str | None, lang: str | None = None) -> str:
    """A text of the file in the current language, else Dutch ('' for none)."""
    if isinstance(text, Phrase):
        text = text.translations
    if not text:
        return ""
    if isinstance(text, str):
        return text
    return text.get(lang or i18n.current()) or text.get(i18n.DEFAULT, "")


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    publisher: str = ""
    reference: str = ""  # the archived copy (file name)
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class Source:
    document: Document
    section: str = ""
    paragraph: str = ""

    def where(self) -> str:
        """'section', 'alinea 2' or 'section, alinea 2' in the current language."""
        parts = [localized(self.section)] if self.section else []
        if self.paragraph:
            parts.append(t("alinea {paragraph}", paragraph=localized(self.paragraph)))
        return ", ".join(parts)

    def label(self) -> str:
        """'<title>, alinea 2' for a caption (the archived copy is in the sources list)."""
        where = self.where()
        title = localized(self.document.title)
        return f"{title}, {where}" if where else title


# Dutch words of a stated date ("maandag 13 november"), to check them against the date.
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december")
WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag",
               "zondag")
INFERABLE_PARTS = ("year",)  # parts of a date that may be inferred (only the year so far)


@dataclass(frozen=True)
class Inferred:
    """A part of a date the source does not state, and why the board takes it to be so."""
    part: str          # "year"
    reasoning: Text


@dataclass(frozen=True)
class Fact:
    id: str
    label: Text
    text: Text
    source: Source
    date: dt.date | None = None
    derived: Text | None = None  # the reasoning, when the documents do not state it
    stated: str = ""  # the date in the source's own words, when it is not a full date
    inferred: Inferred | None = None  # the part of ``date`` the source does not state


@dataclass(frozen=True)
class Exchange:
    id: str
    title: Text
    text: Text
    source: Source
    indicators: tuple[str, ...] = ()
    no_indicator: Fact | None = None  # why the board has no figure on this theme


@dataclass(frozen=True)
class Partnership:
    id: str
    name: str
    country: str
    current: bool
    kind: Text
    source: Source
    lat: float
    lon: float
    coordinates_source: Source
    facts: tuple[Fact, ...] = ()
    themes: tuple[str, ...] = ()
    themes_source: Source | None = None
    visits: tuple[str, ...] = ()
    visits_source: Source | None = None
    exchanges: tuple[Exchange, ...] = ()

    def fact(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts if f.id == fact_id), None)


@dataclass(frozen=True)
class Context:
    id: str
    title: Text
    text: Text
    source: Source


@dataclass(frozen=True)
class Partnerships:
    home_lat: float
    home_lon: float
    home_source: Source
    partnerships: tuple[Partnership, ...]
    context: tuple[Context, ...]
    documents: dict[str, Document] = field(default_factory=dict)

    @property
    def current(self) -> tuple[Partnership, ...]:
        return tuple(p for p in self.partnerships if p.current)

    @property
    def former(self) -> tuple[Partnership, ...]:
        return tuple(p for p in self.partnerships if not p.current)

    def indicator_ids(self) -> list[str]:
        """Every indicator id the exchange themes name (file order, no repeats)."""
        ids = [i for p in self.partnerships for e in p.exchanges for i in e.indicators]
        return list(dict.fromkeys(ids))

    def sources(self) -> list[tuple[str, Source]]:
        """(what, source) for every sourced item, for checks and the sources list."""
        out = [("home.coordinates", self.home_source)]
        for p in self.partnerships:
            out += [(p.id, p.source), (f"{p.id}.coordinates", p.coordinates_source)]
            out += [(f"{p.id}.{f.id}", f.source) for f in p.facts]
            if p.themes_source:
                out.append((f"{p.id}.themes", p.themes_source))
            if p.visits_source:
                out.append((f"{p.id}.visits", p.visits_source))
            for e in p.exchanges:
                out.append((f"{p.id}.{e.id}", e.source))
                if e.no_indicator:
                    out.append((f"{p.id}.{e.id}.no_indicator", e.no_indicator.source))
        out += [(c.id, c.source) for c in self.context]
        return out


# ------------------------------------------------------------------------ reading
class _Reader:
    """Builds the dataclasses from the parsed YAML, collecting every problem."""

    def __init__(self, file: str, documents: dict[str, Document]) -> None:
        self.file = file
        self.documents = documents
        self.problems: list[Problem] = []

    def bad(self, where: str, reason: str) -> None:
        self.problems.append(Problem(self.file, None, where, reason))

    def text(self, value, where: str, required: bool = True) -> Text:
        if isinstance(value, str) and value.strip():
            return {i18n.DEFAULT: " ".join(value.split())}
        if isinstance(value, dict) and isinstance(value.get(i18n.DEFAULT), str):
            return {str(k): " ".join(str(v).split()) for k, v in value.items() if v}
        if required or value is not None:
            self.bad(where, t("tekst ontbreekt (een tekst, of een tekst per taal: nl, en, fr)"))
        return {}

    def source(self, value, where: str) -> Source | None:
        where = f"{where}.source"
        if not isinstance(value, dict):
            self.bad(where, t("bron ontbreekt: elk feit vermeldt zijn bron "
                              "(document en alinea of sectie)"))
            return None
        key = value.get("document")
        if key not in self.documents:
            self.bad(where, t("onbekend document '{key}' (niet in 'documents')", key=key))
            return None
        section = phrase(value.get("section") or "")
        paragraph = phrase(value.get("paragraph") or "")
        if not section and not paragraph:
            self.bad(where, t("zeg waar in het document: 'paragraph' of 'section'"))
            return None
        return Source(self.documents[key], section, paragraph)

    def coordinates(self, value, where: str) -> tuple[float, float] | None:
        try:
            lat, lon = float(value["lat"]), float(value["lon"])
        except (TypeError, KeyError, ValueError):
            self.bad(where, t("coördinaten ontbreken (lat en lon, WGS84)"))
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.bad(where, t("coördinaten buiten bereik (lat -90..90, lon -180..180)"))
            return None
        return lat, lon

    def date(self, value, where: str) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.bad(where, t("'{value}' is geen datum (JJJJ-MM-DD)", value=value))
            return None

    def date_spec(self, value, where: str) -> tuple[dt.date | None, str, Inferred | None]:
        """A fact's ``date``: an ISO date (stated in full, or derived with the fact), or
        ``{stated, value, inferred?}``: the source's words, the full date, and the part
        the words do not give with its reasoning."""
        if not isinstance(value, dict):
            return self.date(value, where), "", None
        date = self.date(value.get("value"), f"{where}.value")
        if date is None and value.get("value") is None:
            self.bad(f"{where}.value", t("de volledige datum ontbreekt (JJJJ-MM-DD)"))
        stated = " ".join(str(value.get("stated") or "").split())
        if not stated:
            self.bad(f"{where}.stated", t("zeg hoe de bron de datum schrijft ('stated')"))
        inferred = None
        raw = value.get("inferred")
        if raw is not None:
            raw = raw if isinstance(raw, dict) else {}
            part = str(raw.get("part") or "")
            if part not in INFERABLE_PARTS:
                self.bad(f"{where}.inferred.part",
                         t("'{part}' kan niet afgeleid zijn (wel: {parts})", part=part,
                           parts=", ".join(INFERABLE_PARTS)))
            reasoning = self.text(raw.get("reasoning"), f"{where}.inferred.reasoning")
            if part in INFERABLE_PARTS and reasoning:
                inferred = Inferred(part, reasoning)
        if date is not None and stated:
            self.stated_fits(stated, date, raw, where)
        return date, stated, inferred

    def stated_fits(self, stated: str, date: dt.date, inferred, where: str) -> None:
        """The source's words name the date's day and month (and weekday, year if given);
        a year they do not name must be marked inferred."""
        words = stated.lower()
        found = re.search(r"\b(\d{1,2})\s+(" + "|".join(MONTHS_NL) + r")\b", words)
        if not found:
            self.bad(f"{where}.stated", t("'{stated}' noemt geen dag en maand",
                                          stated=stated))
        elif (int(found[1]), MONTHS_NL.index(found[2]) + 1) != (date.day, date.month):
            self.bad(f"{where}.stated", t("'{stated}' past niet bij {date}: andere dag of "
                                          "maand", stated=stated, date=date.isoformat()))
        weekday = next((w for w in WEEKDAYS_NL if re.search(rf"\b{w}\b", words)), None)
        if weekday and WEEKDAYS_NL.index(weekday) != date.weekday():
            self.bad(f"{where}.stated", t("'{stated}' past niet bij {date}: dat is een {day}",
                                          stated=stated, date=date.isoformat(),
                                          day=WEEKDAYS_NL[date.weekday()]))
        year = re.search(r"\b(\d{4})\b", words)
        if year and int(year[1]) != date.year:
            self.bad(f"{where}.stated", t("'{stated}' past niet bij {date}: ander jaar",
                                          stated=stated, date=date.isoformat()))
        if not year and not (isinstance(inferred, dict) and inferred.get("part") == "year"):
            self.bad(f"{where}.inferred", t("het jaartal staat niet in de bron ('{stated}'): "
                                            "markeer het als afgeleid (inferred, part: year) "
                                            "met de redenering", stated=stated))

    def fact(self, raw, where: str) -> Fact | None:
        if not isinstance(raw, dict):
            self.bad(where, t("verwacht een feit met tekst en bron"))
            return None
        src = self.source(raw.get("source"), where)
        label = self.text(raw.get("label"), f"{where}.label", required=False)
        text = self.text(raw.get("text"), f"{where}.text")
        date, stated, inferred = self.date_spec(raw.get("date"), f"{where}.date")
        derived = self.text(raw.get("derived"), f"{where}.derived", required=False) or None
        if src is None:
            return None
        return Fact(str(raw.get("id") or ""), label, text, src, date, derived, stated,
                    inferred)

    def items(self, raw, where: str) -> tuple[tuple[str, ...], Source | None]:
        if raw is None:
            return (), None
        values = raw.get("items") if isinstance(raw, dict) else None
        if not isinstance(values, list) or not all(
                isinstance(v, str) or isinstance(phrase(v), Phrase) for v in values):
            self.bad(f"{where}.items", t("verwacht een lijst van teksten"))
            return (), None
        return tuple(phrase(v, squash=False) for v in values), self.source(raw.get("source"),
                                                                            where)

    def exchange(self, raw, where: str) -> Exchange | None:
        if not isinstance(raw, dict):
            self.bad(where, t("verwacht een uitwisselingsthema"))
            return None
        ids = raw.get("indicators") or []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            self.bad(f"{where}.indicators", t("verwacht een lijst van indicator-id's"))
            ids = []
        src = self.source(raw.get("source"), where)
        missing = raw.get("no_indicator")
        no_indicator = self.fact(missing, f"{where}.no_indicator") if missing else None
        if not ids and not missing:
            self.bad(f"{where}.indicators", t("geen indicatoren: zeg in 'no_indicator' "
                                              "waarom het bord geen cijfer heeft"))
        if src is None:
            return None
        return Exchange(str(raw.get("id") or ""), self.text(raw.get("title"), f"{where}.title"),
                        self.text(raw.get("text"), f"{where}.text"), src, tuple(ids),
                        no_indicator)

    def partnership(self, raw, where: str) -> Partnership | None:
        if not isinstance(raw, dict):
            self.bad(where, t("verwacht een stedenband"))
            return None
        src = self.source(raw.get("source"), where)
        coords = raw.get("coordinates")
        latlon = self.coordinates(coords, f"{where}.coordinates")
        coords_src = self.source(coords.get("source") if isinstance(coords, dict) else None,
                                 f"{where}.coordinates")
        for key in ("id", "name", "country"):
            if not str(raw.get(key) or "").strip():
                self.bad(f"{where}.{key}", t("waarde ontbreekt"))
        if not isinstance(raw.get("current"), bool):
            self.bad(f"{where}.current", t("zeg met true of false of de stedenband loopt"))
        facts = [self.fact(f, f"{where}.facts[{k}]") for k, f in enumerate(raw.get("facts")
                                                                          or [])]
        themes, themes_src = self.items(raw.get("themes"), f"{where}.themes")
        visits, visits_src = self.items(raw.get("visits"), f"{where}.visits")
        exchanges = [self.exchange(e, f"{where}.exchanges[{k}]")
                     for k, e in enumerate(raw.get("exchanges") or [])]
        if src is None or latlon is None or coords_src is None:
            return None
        return Partnership(
            id=str(raw.get("id")), name=str(raw.get("name")),
            country=phrase(raw.get("country"), squash=False),
            current=bool(raw.get("current")),
            kind=self.text(raw.get("kind"), f"{where}.kind"), source=src,
            lat=latlon[0], lon=latlon[1], coordinates_source=coords_src,
            facts=tuple(f for f in facts if f), themes=themes, themes_source=themes_src,
            visits=visits, visits_source=visits_src,
            exchanges=tuple(e for e in exchanges if e))


def parse(raw: dict, file: str = "partnerships.yaml") -> Partnerships:
    """The partnerships of a parsed file; raises InputError listing every problem."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise InputError([Problem(file, None, None, t("verwacht een YAML-mapping"))])
    documents = {}
    for key, doc in (raw.get("documents") or {}).items():
        if not isinstance(doc, dict) or not str(doc.get("title") or "").strip():
            problems.append(Problem(file, None, f"documents.{key}.title",
                                    t("elk document heeft een titel")))
            continue
        documents[str(key)] = Document(
            str(key), phrase(doc["title"]), phrase(doc.get("publisher") or "", squash=False),
            str(doc.get("reference") or ""), str(doc.get("url") or ""),
            phrase(doc.get("note") or ""))
    r = _Reader(file, documents)
    r.problems = problems
    home = raw.get("home") or {}
    home_latlon = r.coordinates(home.get("coordinates"), "home.coordinates")
    home_coordinates = home.get("coordinates")
    home_src = r.source(home_coordinates.get("source") if isinstance(home_coordinates, dict)
                        else None, "home.coordinates")
    partnerships = [r.partnership(p, f"partnerships[{k}]")
                    for k, p in enumerate(raw.get("partnerships") or [])]
    if not raw.get("partnerships"):
        r.bad("partnerships", t("geen stedenbanden in het bestand"))
    ids = [p.id for p in partnerships if p]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        r.bad("partnerships", t("id '{id}' komt meer dan eens voor", id=dup))
    context = []
    for k, c in enumerate(raw.get("context") or []):
        where = f"context[{k}]"
        c = c if isinstance(c, dict) else {}
        src = r.source(c.get("source"), where)
        item = Context(str(c.get("id") or k), r.text(c.get("title"), f"{where}.title"),
                       r.text(c.get("text"), f"{where}.text"), src)
        if src:
            context.append(item)
    if r.problems:
        raise InputError(r.problems)
    return Partnerships(home_latlon[0], home_latlon[1], home_src,
                        tuple(p for p in partnerships if p), tuple(context), documents)


def load(path: Path) -> Partnerships:
    """Read and validate a partnerships file (InputError with every problem)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise InputError([Problem(path.name, None, None,
                                  t("bestand niet gevonden: {path}", path=str(path)))]) from exc
    except yaml.YAMLError as exc:
        raise InputError([Problem(path.name, None, None,
                                  t("geen geldige YAML: {error}", error=str(exc)))]) from exc
    return parse(raw, path.name)


# -------------------------------------------------------------------- for display
def fact_date(fact: Fact) -> str:
    """The fact's date in the current language, marked when derived or when its year is
    inferred ('' without date)."""
    if fact.date is None:
        return ""
    text = i18n.fmt_date(fact.date)
    if fact.derived:
        return t("{date}, afgeleid", date=text)
    if fact.inferred:
        return t("{date}, jaartal afgeleid", date=text)
    return text


def theme_figures(statuses: pd.DataFrame, indicator_ids: tuple[str, ...] | list[str]
                  ) -> tuple[pd.DataFrame, list[str]]:
    """The board's latest city figure and status for each indicator of a theme (rows of
    :func:`overview.indicator_statuses`, in the theme's order; column names in the
    current language) and the ids that are not in the catalog."""
    by_id = statuses.set_index("id")
    known = [i for i in indicator_ids if i in by_id.index]
    unknown = [i for i in indicator_ids if i not in by_id.index]
    rows = by_id.loc[known]

    def missing(v) -> bool:
        return v is None or v != v  # None or NaN

    table = pd.DataFrame({
        t("Indicator"): list(rows["name"]),
        t("Laatste stadscijfer"): ["—" if missing(v) else f"{format_number(v)} {u}"
                                   for v, u in zip(rows["value"], rows["unit"])],
        t("Jaar"): ["" if missing(y) else str(int(y)) for y in rows["year"]],
        t("Status"): list(rows["status_label"]),
        t("Illustratief"): [t("ja") if f else t("nee") for f in rows["illustrative"]],
        t("Speerpunt"): [int(s) for s in rows["spearhead_id"]],
    })
    return table, unknown


def map_places(data: Partnerships, city: str, include_former: bool = False
               ) -> tuple[dict, list[dict]]:
    """The home city and the partners as places for :func:`partnermap.partner_map`."""
    home = {"name": city, "lat": data.home_lat, "lon": data.home_lon, "lines": []}
    partners = []
    for p in data.partnerships:
        if not p.current and not include_former:
            continue
        signed = p.fact("signed")
        lines = [(t("land"), localized(p.country))]
        if not p.current:
            lines.append((t("stedenband"), t("afgelopen")))
        elif signed and signed.date:
            lines.append((t("ondertekend"), fact_date(signed)))
        partners.append({"name": p.name, "lat": p.lat, "lon": p.lon, "lines": lines,
                         "kind": "partner" if p.current else "former"})
    return home, partners


def distances(data: Partnerships, include_former: bool = False) -> list[tuple[str, str]]:
    """(partner name, great-circle distance from home in km, formatted) per partner shown
    on the map (a derived figure: computed from the coordinates)."""
    return [(p.name, i18n.fmt_number(partnermap.distance_km(data.home_lat, data.home_lon,
                                                            p.lat, p.lon), 0))
            for p in data.partnerships if p.current or include_former]


# ------------------------------------------------------------------ configuration
def configured_path(settings: Settings | None = None) -> Path | None:
    """The partnerships file the city configuration names (None: not configured)."""
    settings = settings or load_settings()
    name = settings.city.partnerships_file
    return settings.config_dir / str(name) if name else None
