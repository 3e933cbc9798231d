"""City partnerships (stedenbanden): what was agreed, a world map, the exchange themes
with this city's figures on them, and the SDG context. Data: the partnerships file named
in the city configuration (dashboard.partnerships); every text of it reaches Markdown
through ``text()`` (localized, then escaped)."""

from __future__ import annotations

from pathlib import Path

import folium
import streamlit as st

from . import appstate, mapview, navigation
from .. import i18n, partnermap
from .. import partnerships as pt
from ..errors import InputError
from ..i18n import t
from .widgets import code, link, md


# ------------------------------------------------------------- cached reading and map
@st.cache_data(max_entries=4, show_spinner=False)
def _load_cached(path: str, mtime_ns: int) -> pt.Partnerships:
    return pt.load(Path(path))


def _file_key() -> tuple[str, int] | None:
    path = pt.configured_path()
    if path is None:
        return None
    return str(path), path.stat().st_mtime_ns if path.exists() else 0


def current() -> pt.Partnerships | None:
    """The configured city's partnerships (cached per file version); None when the city
    has none. Raises InputError when the file is missing or invalid."""
    key = _file_key()
    return None if key is None else _load_cached(*key)


@st.cache_resource(max_entries=8, show_spinner=False)
def _world_map(key: tuple, _data: pt.Partnerships, city: str, lang: str, static_url: str,
               tiles: str, include_former: bool, attribution: str) -> folium.Map:
    with i18n.language(lang):
        home, partners = pt.map_places(_data, city, include_former)
        return partnermap.partner_map(home, partners, static_url=static_url,
                                      attribution=attribution, tiles=tiles)


def world_map(data: pt.Partnerships, city: str, *, static_url: str, tiles: str = "none",
              include_former: bool = False) -> tuple[folium.Map, tuple]:
    """The cached world map of the partnerships and its cache key (for mapview.show_map,
    which never mutates it)."""
    lang = i18n.current()
    shown = [p for p in data.partnerships if p.current or include_former]
    docs = [data.home_source.document] + [p.coordinates_source.document for p in shown]
    names = dict.fromkeys(pt.localized(d.publisher or d.title) for d in docs)
    attribution = t("Ligging van de steden: {source}", source="; ".join(names))
    key = (_file_key(), city, lang, static_url, tiles, include_former)
    return _world_map(key, data, city, lang, static_url, tiles, include_former,
                      attribution), key


MAP_HEIGHT = 440


def text(value) -> str:
    """A text of the partnerships file in the current language, escaped for Markdown."""
    return md(pt.localized(value))


def source_caption(source, derived=None, fact=None) -> None:
    """'Bron: …', after the reasoning of what is derived, and for a date the source gives
    only in part its own words and why the missing part is taken to be so."""
    parts = []
    if derived:
        parts.append(t("Afgeleid: {reason}", reason=text(derived)))
    if fact is not None and fact.stated:
        parts.append(t("In de bron: “{stated}”.", stated=md(fact.stated)))
    if fact is not None and fact.inferred:
        parts.append(t("Jaartal afgeleid: {reason}", reason=text(fact.inferred.reasoning)))
    parts.append(t("Bron: {source}", source=md(source.label())))
    st.caption(" ".join(parts))


def facts(partnership) -> None:
    """The dated facts of one partnership, each with its source."""
    for fact in partnership.facts:
        date = pt.fact_date(fact)
        label = text(fact.label)
        head = f"**{label}**" + (f" — {md(date)}" if date else "") if label else ""
        body = text(fact.text)
        st.markdown(t("{label}: {value}", label=head, value=body) if head else body)
        source_caption(fact.source, fact.derived, fact)


def page() -> None:
    """City partnerships: the agreements, the world map, exchange themes with figures."""
    st.title(t("Stedenbanden"))
    city = appstate.city_name()
    try:
        data = current()
    except InputError as exc:
        st.error(t("Het bestand met stedenbanden kon niet gelezen worden:") + "\n\n"
                 + "\n".join(f"- {md(p)}" for p in exc.problems))
        st.stop()
    if data is None:
        st.info(t("Voor {city} zijn geen stedenbanden ingesteld: de stadsconfiguratie noemt geen "
                  "bestand met stedenbanden ('partnerships_file').", city=md(city)))
        st.stop()
    st.write(t("De stedenbanden van {city}: wat is afgesproken, waarover de steden expertise "
               "uitwisselen, en de cijfers van {city} op dit bord over die thema's. Elk feit "
               "vermeldt zijn bron; wat uit de bronnen volgt zonder er letterlijk te staan, is "
               "gemarkeerd als afgeleid.", city=md(city)))
    _agreements(data, city)
    _world(data, city)
    _exchanges(data, city)
    _former_and_context(data)
    _sources(data)


def _agreements(data, city: str) -> None:
    for p in data.current:
        st.header(t("{city} – {partner} ({country})", city=md(city), partner=md(p.name),
                    country=text(p.country)))
        st.markdown(f"**{text(p.kind)}**")
        if p.themes:
            st.markdown(t("Thema's: {themes}", themes=", ".join(map(text, p.themes))))
            source_caption(p.themes_source)
        facts(p)
        if p.visits:
            st.markdown(t("Werkbezoeken tijdens het bezoek van de delegatie: {visits}",
                          visits="; ".join(map(text, p.visits))))
            source_caption(p.visits_source)


def _world(data, city: str) -> None:
    a = appstate.app()
    st.header(t("Op de wereldkaart"))
    c1, c2 = st.columns(2)
    former = c1.toggle(t("Toon ook vroegere stedenbanden"), key="partner_former") \
        if data.former else False
    osm = c2.toggle(t("OpenStreetMap als achtergrond (vraagt internet)"),
                    value=a.settings.tiles == "osm", key="partner_osm")
    world, map_key = world_map(data, city, static_url=a.settings.static_url,
                               tiles="osm" if osm else "none", include_former=former)
    mapview.show_map(world, ("partners",) + map_key, key="partner_map", height=MAP_HEIGHT)
    st.caption(t("Elke stad is een cirkel met een vast label; de lijn volgt de kortste weg over "
                 "de aardbol. {distances}. Zonder achtergrondkaart (offline) blijft de kaart "
                 "leesbaar.", distances="; ".join(
                     t("{home} – {partner}: {km} km in vogelvlucht", home=md(city),
                       partner=md(name), km=km) for name, km in pt.distances(data, former))))


def _exchanges(data, city: str) -> None:
    version = appstate.data_version()
    statuses = appstate.statuses(version)
    sp_names = dict(zip(appstate.spearheads(version)["id"].astype(int),
                        appstate.spearheads(version)["name"]))
    for p in data.current:
        if not p.exchanges:
            continue
        st.header(t("Uitwisseling met {partner} en de cijfers van {city}", partner=md(p.name),
                    city=md(city)))
        st.write(t("Per thema van de werksessies: de indicatoren van dit bord over dat thema, "
                   "met hun laatste stadscijfer en hun status tegenover het doelpad van de "
                   "nota."))
        for exchange in p.exchanges:
            st.subheader(text(exchange.title))
            st.markdown(text(exchange.text))
            source_caption(exchange.source)
            if exchange.indicators:
                table, unknown = pt.theme_figures(statuses, exchange.indicators)
                st.dataframe(table, hide_index=True, width="stretch")
                if unknown:
                    st.warning(t("Niet in de catalogus van dit bord: {ids}",
                                 ids=", ".join(map(md, unknown))))
                for sp_id in sorted(set(table[t("Speerpunt")])):
                    st.page_link(navigation.spearhead_link(sp_id),
                                 label=t("Speerpunt {n}: {name}", n=sp_id,
                                         name=md(sp_names.get(sp_id, ""))),
                                 icon=":material/arrow_forward:")
            if exchange.no_indicator:
                st.info(text(exchange.no_indicator.text))
                source_caption(exchange.no_indicator.source)


def _former_and_context(data) -> None:
    if data.former:
        st.header(t("Vroegere stedenbanden"))
        for p in data.former:
            st.subheader(t("{partner} ({country})", partner=md(p.name),
                           country=text(p.country)))
            st.markdown(f"**{text(p.kind)}**")
            facts(p)
    if data.context:
        st.header(t("Stedenbanden en de duurzame ontwikkelingsdoelen"))
        for item in data.context:
            st.subheader(text(item.title))
            st.markdown(text(item.text))
            source_caption(item.source)
        st.page_link("app_pages/sdg.py", label=t("Welke speerpunten en indicatoren van dit bord "
                                                 "bij welke SDG horen"),
                     icon=":material/public:")


def _sources(data) -> None:
    st.header(t("Bronnen"))
    for doc in data.documents.values():
        parts = [f"**{text(doc.title)}**"]
        if doc.publisher:
            parts.append(text(doc.publisher))
        if doc.url:
            parts.append(link(doc.url, doc.url))
        if doc.reference:
            parts.append(t("archief: {reference}", reference=code(doc.reference)))
        st.markdown("- " + " — ".join(parts)
                    + (f"  \n  {text(doc.note)}" if doc.note else ""))
