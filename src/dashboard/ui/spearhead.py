"""Page composition for the spearhead pages: widgets → pure functions → rendering.

The pages in ``pages/`` call :func:`spearhead_page`; everything here reads through
:mod:`dashboard.appstate` (cached) and renders what the pure builders return.

Every part of the page (status, spotlights, each map section, the area profile, the
indicator table, the charts) is built inside :func:`guarded`: data the page cannot draw
costs that part only (a logged exception and a short notice there), never the page.
Texts from the catalog, geodata or loads reach Markdown through ``md`` (escaped).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import folium
import pandas as pd
import streamlit as st

from .. import charts, maps, overview, state
from . import actions, appstate, exports, frame, mapview, widgets
from ..board import MapData, View, text_summary
from ..cityconfig import MapSection
from ..i18n import t
from ..safety import markdown_text as md
from ..status import FORECAST_POINTS, STATUS_ICON, method_text, status_label
from ..goaltypes import goal_type_label
from ..tables import format_number, level_name, level_plural

log = logging.getLogger(__name__)

MAP_HEIGHT = 460


@contextlib.contextmanager
def guarded(part: str) -> Iterator[None]:
    """Render one part of a page; if building it raises, log the exception and show a
    short notice where the part stopped (what it drew before stays, e.g. its title), and
    the rest of the page runs.

    No container of its own: every block is one more node for the browser to lay out on
    each update, and the notice lands in the part's place anyway. Streamlit's own control
    flow (``st.rerun``, ``st.stop``) derives from BaseException and passes through."""
    try:
        yield
    except Exception:  # noqa: BLE001 - one part's failure must not take the page down
        log.exception("page part %r could not be shown", part)
        st.warning(t("Dit onderdeel kan nu niet getoond worden: de gegevens ervan konden "
                      "niet verwerkt worden. De rest van de pagina werkt wel; de fout is "
                      "gemeld aan de beheerders."))


def _district_indicators(inds: pd.DataFrame) -> list[str]:
    return [i for i, lv in zip(inds["id"], inds["levels"]) if "wijk" in lv]


def _init_from_url(page_key: str, view: state.ViewState) -> None:
    """Seed the widgets from the deep link once per session and page."""
    marker = f"_init_{page_key}"
    if st.session_state.get(marker):
        return
    st.session_state[marker] = True
    st.session_state[f"{page_key}_level"] = view.level
    if view.year is not None:
        st.session_state[f"{page_key}_year"] = view.year
    if view.indicator:
        st.session_state[f"{page_key}_ind"] = view.indicator
    if view.area:
        st.session_state[f"{page_key}_area"] = view.area
    if view.section:
        st.session_state[f"{page_key}_section"] = view.section
    if view.chart:
        st.session_state[f"{page_key}_detail"] = True
    if view.part:
        st.session_state[f"_{page_key}_part_id"] = view.part
        st.session_state.pop(f"{page_key}_part", None)
    for n in view.notices:
        st.toast(n)
    st.session_state[f"{page_key}_notices"] = view.notices


def spearhead_page(spearhead_id: int) -> None:
    version = appstate.data_version()
    summary = appstate.spearhead_summary(version).set_index("id")
    if spearhead_id not in summary.index:
        st.error(t("Speerpunt {n} bestaat niet in de catalogus.", n=spearhead_id))
        return
    sp = summary.loc[spearhead_id]
    page_key = f"sp{spearhead_id}"
    st.title(t("Speerpunt {n}: {name}", n=spearhead_id, name=md(sp["name"])))
    widgets.startup_notices()

    inds = appstate.indicators(version, spearhead_id)
    if inds.empty:  # a spearhead the catalog names before its indicators
        st.info(t("Dit speerpunt heeft nog geen indicatoren in de catalogus."))
        return
    goals = appstate.goals(version)
    statuses = appstate.statuses(version, spearhead_id)
    district_ids = _district_indicators(inds)
    st.session_state[f"_{page_key}_has_years"] = bool(district_ids)  # the URL names a year
    areas = appstate.areas(version)
    areas_by_level = {lv: list(areas.loc[areas["level"] == lv, "code"])
                      for lv in state.LEVEL_CHOICES}
    years = sorted({int(y) for i in district_ids
                    for y in appstate.measurements(version, i, "wijk")["period"]})
    sections = appstate.map_sections(spearhead_id)
    st.session_state[f"_{page_key}_has_maps"] = bool(sections)  # the first part: the maps
    view = state.parse(st.query_params, indicators=list(inds["id"]),
                       areas_by_level=areas_by_level, years=years,
                       default_indicator=str(inds["id"].iloc[0]) if len(inds) else None,
                       sections={sec.key: sec.indicators for sec in sections})
    _init_from_url(page_key, view)
    for n in st.session_state.get(f"{page_key}_notices", []):
        st.info(n)

    with guarded("status"):
        _status_summary(statuses, sp["sdgs"])
        exports.report_button([spearhead_id], key=f"{page_key}_pdf")
    _spotlights(version, spearhead_id, inds)

    if not sections:
        st.info(t("De indicatoren van dit speerpunt zijn **alleen gekend voor de hele stad**; "
                  "er is geen kaart per wijk of sector."))
    # One part at a time (stateful tabs: only the open one is built and sent), so a
    # first visit mounts the maps and not the tables and the action list as well.
    parts = _part_labels(bool(sections))
    tabs = dict(zip(parts, st.tabs(list(parts.values()), key=_part_key(page_key, parts),
                                   on_change="rerun")))
    if "kaart" in tabs and tabs["kaart"].open:
        with tabs["kaart"]:
            _maps_part(page_key, spearhead_id, sections, years, inds)
    if tabs["indicatoren"].open:
        with tabs["indicatoren"]:
            with guarded("indicator table"):
                _indicator_table(page_key, statuses)
            _indicator_detail(page_key, inds, goals, statuses)
    if tabs["acties"].open:
        with tabs["acties"], guarded("actions"):
            actions.spearhead_section(page_key, spearhead_id)
    _write_url(page_key)


def _part_labels(with_maps: bool) -> dict[str, str]:
    """The tabs of a spearhead page: part (``deel`` in the URL) → label."""
    labels = {"kaart": t("Kaarten per gebied"), "indicatoren": t("Alle indicatoren"),
              "acties": t("Acties")}
    return {k: v for k, v in labels.items() if with_maps or k != "kaart"}


def _part_key(page_key: str, parts: dict[str, str]) -> str:
    """The tabs' session key, its value set to the remembered part's label in this
    language (the tabs hold a label; a language switch changes every label)."""
    key = f"{page_key}_part"
    by_label = {v: k for k, v in parts.items()}
    part = by_label.get(st.session_state.get(key)) or st.session_state.get(f"_{key}_id")
    if part not in parts:
        part = next(iter(parts))
    st.session_state[key] = parts[part]
    st.session_state[f"_{key}_id"] = part
    return key


def _current_part(page_key: str) -> str | None:
    """The part shown, for the URL (None: the first, the default). Read from what
    :func:`_part_key` recorded at the start of this run (a click on a tab reruns)."""
    part = st.session_state.get(f"_{page_key}_part_id")
    first = "kaart" if st.session_state.get(f"_{page_key}_has_maps") else "indicatoren"
    return None if part in (None, first) else part


def _maps_part(page_key: str, spearhead_id: int, sections: list[MapSection],
               years: list[int], inds: pd.DataFrame) -> None:
    """The maps part: level, year and background, the chosen map and the area profile.
    Its choices keep their values while another part is shown (``persist_state``)."""
    keep = {"persist_state": "page"}
    # One under the other, not in columns: two fewer blocks for the browser to lay out,
    # and a phone shows them so anyway.
    level = st.radio(t("Gebiedsniveau"), list(state.LEVEL_CHOICES), horizontal=True,
                     format_func=level_plural, key=f"{page_key}_level", **keep)
    if st.session_state.get(f"{page_key}_year") not in years and years:
        st.session_state[f"{page_key}_year"] = years[-1]
    # Years as radio buttons (one bundle for every choice on the page; a slider is
    # another script bundle for the browser to fetch and run on a first visit).
    year = (st.radio(t("Jaar"), years, key=f"{page_key}_year", horizontal=True, **keep)
            if len(years) > 1 else (years[0] if years else None))
    _maps_and_profile(page_key, spearhead_id, sections, level, year, inds)


def _spotlights(version: str, spearhead_id: int, inds: pd.DataFrame) -> None:
    """Figures of one source document together (e.g. the Plan Samenleven on spearhead 3):
    latest city value, year and source of each."""
    spots = appstate.spotlights(spearhead_id)
    if not spots:
        return
    city = appstate.city_measurements(version)
    known = inds.set_index("id")
    docs = {d["key"]: d for d in appstate.documents()}
    for spot in spots:
        with guarded(f"spotlight {spot.get('key')}"):
            _spotlight(spot, city, known, docs)


def _spotlight(spot: dict, city: pd.DataFrame, known: pd.DataFrame, docs: dict) -> None:
    """One spotlight: its title, intro, a box per indicator and the document."""
    st.header(md(spot["title"]))
    if spot["intro"]:
        st.markdown(md(spot["intro"]))
    ids = [i for i in spot.get("indicators", []) if i in known.index]
    for ind_id, column in zip(ids, widgets.grid(len(ids), min(len(ids), 3) or 1)):
        ind = known.loc[ind_id]
        rows = city[city["indicator_id"] == ind_id].sort_values("period")
        box = column.container(border=True)
        if rows.empty:
            box.metric(md(ind["name"]), "—", help=md(ind["definition"]))
            continue
        last = rows.iloc[-1]
        # The unit goes under the figure (a long unit would truncate the figure).
        percent = ind["unit"] == "%"
        box.metric(md(ind["name"]),
                   format_number(last["value"]) + (" %" if percent else ""),
                   help=md(ind["definition"]))
        year = (t("{year} (illustratief)", year=int(last["period"]))
                if last["illustrative"] else str(int(last["period"])))
        box.caption(md(year if percent else f"{ind['unit']} · {year}"))
    doc = docs.get(spot.get("document"))
    if doc is not None:
        source = f"{doc['title']} ({doc.get('date', '')}), {doc.get('publisher', '')}"
        st.caption(t("Bron: {source}", source=md(source)))


def _status_summary(statuses: pd.DataFrame, sdgs) -> None:
    """The SDG badges, the status counts and the judgement rules under them: one HTML
    element (one node for the browser instead of three; every text escaped)."""
    counts = statuses["status"].value_counts()
    late = int(statuses["late"].sum()) if "late" in statuses else 0
    rules = (method_text() + " " + t("{n} contextindicatoren zonder doel.",
                                     n=int(counts.get("no_goal", 0)))
             + (" " + t("{n} cijfers worden verwacht maar zijn er nog niet.", n=late)
                if late else ""))
    st.html('<div style="margin-bottom:0.75rem">' + widgets.sdg_badges(sdgs) + "</div>"
            + widgets.count_strip(
        [(f"{STATUS_ICON[code]} {status_label(code)}", int(counts.get(code, 0)))
         for code in ("on_track", "behind", "far_behind", "baseline_only", "no_data")])
            + widgets.small_print(rules))


@st.fragment
def _maps_and_profile(page_key: str, spearhead_id: int, sections: list[MapSection],
                      level: str, year: int | None, inds: pd.DataFrame) -> None:
    """The chosen map section (one map mounted: every map is its own component frame
    with its own Leaflet) plus the district profile: a click or a switch of map reruns
    only this part."""
    version = appstate.data_version()
    tiles = widgets.basemap()  # chosen in the map's own box (a choice reruns this part)
    area_key = f"{page_key}_area"
    selected = st.session_state.get(area_key)
    geo = appstate.geometry(level)
    codes = list(geo["code"])
    if selected not in codes:
        selected = None
        st.session_state[area_key] = None
    by_key = {sec.key: sec for sec in sections}
    section_key = f"{page_key}_section"
    if st.session_state.get(section_key) not in by_key:
        st.session_state[section_key] = sections[0].key
    if len(sections) > 1:
        st.radio(t("Kaart"), list(by_key), key=section_key, horizontal=True,
                 format_func=lambda k: md(by_key[k].title), persist_state="page")
    section = by_key[st.session_state[section_key]]
    clicked = None
    result = None
    with guarded(f"map section {section.key}"):
        result = _map_section(page_key, section, level, year, inds, selected, version,
                              tiles)
    drawing = (result or {}).get("last_active_drawing") or {}
    code = (drawing.get("properties") or {}).get("code")
    last_key = f"{page_key}_{section.key}_lastclick"
    if code and code in codes and st.session_state.get(last_key) != code:
        st.session_state[last_key] = code
        clicked = code
    if clicked and clicked != selected:
        st.session_state[area_key] = clicked
        st.rerun(scope="fragment")

    with guarded("area profile"):
        _area_choice(page_key, spearhead_id, area_key, geo, codes, level, inds, version)
    # The URL once, at the end (a fragment rerun does not reach the page's own write).
    frame.write_params(_view_params(page_key))


def _area_choice(page_key: str, spearhead_id: int, area_key: str, geo, codes: list[str],
                 level: str, inds: pd.DataFrame, version: View) -> None:
    names = dict(zip(geo["code"], geo["name"]))
    # The list of areas is a select box, its own script bundle in the browser: until an
    # area is chosen (a click on the map, a shared link) it waits in a closed box whose
    # label says what to do (one element on a first visit, not a heading and a button).
    if not st.session_state.get(area_key):
        with widgets.on_request(t("Gebiedsprofiel: klik op een gebied op de kaart, of kies "
                                  "het hier uit de lijst"), f"{area_key}_list") as box:
            if box.open:
                _area_select(area_key, codes, names)
        return
    st.subheader(t("Gebiedsprofiel"))
    choice = _area_select(area_key, codes, names)
    if choice:
        _profile(spearhead_id, choice, names[choice], level, inds, version)


def _area_select(area_key: str, codes: list[str], names: dict) -> str | None:
    return st.selectbox(t("Kies een gebied (of klik op de kaart)"), options=[None] + codes,
                        format_func=lambda c: "—" if c is None else names[c], key=area_key,
                        placeholder=widgets.choose(), persist_state="page")


def _map_section(page_key: str, section: MapSection, level: str, year: int | None,
                 inds: pd.DataFrame, selected: str | None, version: View, tiles: str
                 ) -> dict | None:
    ind_by_id = inds.set_index("id")
    options = [i for i in section.indicators if i in ind_by_id.index]
    # Title and intro in one Markdown element (one node fewer to lay out on each update).
    st.markdown(widgets.heading(section.title, section.intro))
    key = f"{page_key}_{section.key}"
    default = st.session_state.get(f"{page_key}_ind")
    if len(options) > 1:
        if default in options and f"{key}_ind" not in st.session_state:
            st.session_state[f"{key}_ind"] = default
        indicator_id = st.radio(t("Indicator"), options, key=f"{key}_ind", horizontal=True,
                                format_func=lambda i: md(ind_by_id.loc[i, "name"]),
                                persist_state="page")
    else:
        indicator_id = options[0]
    m, data = section_map(version, section, indicator_id, level, year, tiles)
    if year is not None and data.year != year:
        st.caption(t("Voor {year} zijn er geen cijfers; de kaart toont {shown}.", year=year,
                     shown=data.year))
    if selected:
        m = _highlighted(version, section, indicator_id, level, year, tiles, selected)
    result = mapview.show_map(m, (version, section.key, indicator_id, level, year, tiles,
                                  selected), key=f"{key}_map_{level}", height=MAP_HEIGHT,
                              returned_objects=["last_active_drawing"])
    geo = appstate.geometry(level)
    names = dict(zip(geo["code"], geo["name"]))
    # What the map says in words, then its source and geometry note: one caption.
    st.caption(text_summary(data, names) + "  \n" + widgets.map_source(level))
    # The figures and the exports in one box built when opened: the data grid and the
    # download button are script bundles a first visit does not need.
    with widgets.on_request(t("Achtergrondkaart, cijfers, CSV en PNG van deze kaart"),
                            f"{key}_table") as box:
        if box.open:
            widgets.basemap_choice()
            _map_table(data, names)
            exports.map_exports(m, version, indicator_id, data.values, names, data.year,
                                data.illustrative, key=f"{key}_{level}_export")
    return result


def _map_table(data: MapData, names: dict) -> None:
    table = pd.DataFrame({
        t("Gebied"): [names.get(c, c) for c in data.values],
        f"{data.title} ({data.unit})": [format_number(v) for v in data.values.values()],
        t("Jaar"): data.year,
        t("Illustratief"): t("ja") if data.illustrative else t("nee"),
    })
    st.dataframe(table, hide_index=True, width="stretch")


@st.cache_resource(max_entries=48, show_spinner=False)
def section_map(version: View, section: MapSection, indicator_id: str, level: str,
                year: int | None, tiles: str) -> tuple[folium.Map, MapData]:
    """One section's map (drawn once per view and choice) and the data behind it."""
    b = appstate.board()
    data = b.section_map(version, section, indicator_id, level, year)
    return b.draw(data, tiles), data


@st.cache_resource(max_entries=32, show_spinner=False)
def indicator_map(version: View, indicator_id: str, tiles: str) -> tuple[folium.Map, MapData]:
    """An indicator's map outside its page (the presentation): the same data as its
    section's map on the page, at wijk level, the latest year."""
    b = appstate.board()
    data = b.indicator_map(version, indicator_id)
    return b.draw(data, tiles), data


@st.cache_resource(max_entries=48, show_spinner=False)
def _highlighted(version: View, section: MapSection, indicator_id: str, level: str,
                 year: int | None, tiles: str, selected: str) -> folium.Map:
    """The section's map with the chosen area outlined (a copy; the base stays cached)."""
    m = appstate.fresh(section_map(version, section, indicator_id, level, year, tiles)[0])
    geo = appstate.geometry(level)
    return maps.highlight(m, geo[geo["code"] == selected],
                          served=appstate.board().served(level))


def _profile(spearhead_id: int, code: str, name: str, level: str, inds: pd.DataFrame,
             version: View) -> None:
    table = appstate.board().district_profile(version, spearhead_id, code, level)
    st.markdown(f"**{md(name)}** ({md(level_name(level))})")
    with guarded("district actions"):
        actions.district_section(spearhead_id, code, level)
    if table.empty:
        st.write(t("Geen cijfers voor dit gebied."))
        return
    st.dataframe(table, hide_index=True, width="stretch")
    fig = _profile_chart(version, _district_indicators(inds)[0], level, code, name)
    if fig is not None:
        st.plotly_chart(fig, key=f"profile_chart_{code}")


@st.cache_resource(max_entries=64, show_spinner=False)
def _profile_chart(version: str, indicator_id: str, level: str, code: str, name: str):
    """The small chart of a district profile (built once per district and data version)."""
    series = appstate.measurements(version, indicator_id, level)
    series = series[series["area_code"] == code]
    if len(series) < 2:
        return None
    ind = appstate.indicator(version, indicator_id)
    return charts.indicator_chart({**ind, "comparison_value": None}, series,
                                  appstate.goals(version).iloc[0:0],
                                  title=f"{ind['name']} – {name}", height=260)


@st.fragment
def _indicator_table(page_key: str, statuses: pd.DataFrame) -> None:
    """Every indicator at a glance (a plain table: status, pace, last value, next figure),
    and on request every column in the interactive table (its bundle is fetched then)."""
    ill = " " + t("(ill.)")
    values = [("—" if pd.isna(v) else f"{format_number(v)} {u}".rstrip()) + (ill if f else "")
              for v, u, f in zip(statuses["value"], statuses["unit"],
                                 statuses["illustrative"])]
    years = [("" if pd.isna(y) else str(int(y))) for y in statuses["year"]]
    late = [overview.late_text(r) for r in statuses.to_dict("records")]
    st.markdown(widgets.markdown_table(
        [t("Indicator"), t("Status"), t("Tempo"), t("Laatste waarde"), t("Jaar"),
         t("Doelen"), t("Volgend cijfer")],
        [list(r) for r in zip(statuses["name"], statuses["status_label"],
                              statuses["pace_label"], values, years, statuses["goals"],
                              late)]))
    with widgets.on_request(t("Alle kolommen (doeltype, aanname, vergelijking, bron)"),
                            f"{page_key}_all_columns") as box:
        if box.open:
            _full_indicator_table(statuses, years, late)


def _full_indicator_table(statuses: pd.DataFrame, years: list[str], late: list[str]
                          ) -> None:
    ill = " " + t("(ill.)")
    table = pd.DataFrame({
        t("Indicator"): statuses["name"],
        t("Status"): statuses["status_label"],
        t("Tempo"): statuses["pace_label"],
        t("Laatste waarde"): [("—" if pd.isna(v) else format_number(v)) + (ill if f else "")
                              for v, f in zip(statuses["value"], statuses["illustrative"])],
        t("Eenheid"): statuses["unit"],
        t("Jaar"): years,
        t("Volgend cijfer"): late,
        t("Doeltype"): [goal_type_label(g) for g in statuses["goal_type"]],
        t("Doelen"): statuses["goals"],
        t("Aanname"): statuses["assumption"],
        t("Vergelijking"): statuses["comparison"],
        t("Bron"): statuses["source"],
    })
    st.dataframe(table, hide_index=True, width="stretch")


@st.fragment
def _indicator_detail(page_key: str, inds: pd.DataFrame, goals: pd.DataFrame,
                      statuses: pd.DataFrame) -> None:
    """Per indicator: status, judgement, definition, source, chart and figures, in a box
    opened on request (``grafiek=1`` in a shared link opens it): the select box, the
    chart and plotly's bundle are sent only then."""
    names = dict(zip(inds["id"], inds["name"]))
    ids = list(inds["id"])
    current = st.session_state.get(f"{page_key}_ind")
    if current not in ids:
        st.session_state[f"{page_key}_ind"] = ids[0]
    with widgets.on_request(t("Grafiek, definitie en bron per indicator"),
                            f"{page_key}_detail") as box:
        if box.open:
            _detail_body(page_key, ids, names, inds, statuses)
    frame.write_params(_view_params(page_key))  # a fragment rerun updates the URL too


def _detail_body(page_key: str, ids: list[str], names: dict, inds: pd.DataFrame,
                 statuses: pd.DataFrame) -> None:
    # persist_state: the choice survives the box being closed (the map and the URL
    # read it).
    choice = st.selectbox(t("Grafiek van indicator"), ids, format_func=lambda i: names[i],
                          key=f"{page_key}_ind", placeholder=widgets.choose(),
                          persist_state="page")
    version = appstate.data_version()
    with guarded(f"chart {choice}"):
        _chart_detail(page_key, version, choice, names, inds, statuses)
    if st.toggle(t("Toon de grafieken van alle indicatoren"), key=f"{page_key}_all_charts"):
        for ind_id, column in zip(ids, widgets.grid(len(ids), 2)):
            with column, guarded(f"chart {ind_id}"):
                row = statuses.set_index("id").loc[ind_id]
                st.plotly_chart(indicator_chart(version, ind_id),
                                key=f"{page_key}_chart_{ind_id}",
                                config=exports.chart_config(names[ind_id]))
                st.caption(t("Status: {status}. Bron: {source}.",
                             status=md(row["status_label"]), source=md(row["source"])))


def _chart_detail(page_key: str, version: str, choice: str, names: dict,
                  inds: pd.DataFrame, statuses: pd.DataFrame) -> None:
    """The chosen indicator: name and status, definition and source, chart and data."""
    ind = inds.set_index("id").loc[choice].to_dict()
    row = statuses.set_index("id").loc[choice]
    st.markdown(t("**{name}** — status: **{status}** · tempo: **{pace}**",
                  name=md(names[choice]), status=md(row["status_label"]),
                  pace=md(row["pace_label"])))
    for line in overview.judgement_lines(row.to_dict()):
        st.caption(md(line))
    st.caption(t("{definition} Bron: {source}.", definition=md(ind["definition"]),
                 source=md(row["source"])))
    # The box was opened to see this: the chart is shown (plotly's bundle, 1.4 MB
    # compressed, loads with it and never on a first visit).
    st.plotly_chart(indicator_chart(version, choice), key=f"{page_key}_chart",
                    config=exports.chart_config(names[choice]))
    st.caption(t("Trend: rechte lijn door de laatste {n} gemeten punten, doorgetrokken "
                 "tot het doeljaar; geen voorspelling.", n=FORECAST_POINTS))
    exports.chart_data(version, choice, key=f"{page_key}_chart_data")


@st.cache_resource(max_entries=256, show_spinner=False)
def indicator_chart(version: str, indicator_id: str):
    """One indicator's chart (built once per data version; plotly figures are not mutated)."""
    ind = appstate.indicator(version, indicator_id)
    city = appstate.city_measurements(version)
    goals = appstate.goals(version)
    return charts.indicator_chart(ind, overview.city_series(ind, city),
                                  goals[goals["indicator_id"] == indicator_id],
                                  title=ind["name"], height=300)


def _view_params(page_key: str) -> dict[str, str]:
    """The page's URL parameters from the session (what a copied link reopens)."""
    return state.ViewState(
        indicator=st.session_state.get(f"{page_key}_ind"),
        level=st.session_state.get(f"{page_key}_level", "wijk"),
        area=st.session_state.get(f"{page_key}_area"),
        year=st.session_state.get(f"{page_key}_year")
        if st.session_state.get(f"_{page_key}_has_years") else None,
        section=st.session_state.get(f"{page_key}_section"),
        chart=bool(st.session_state.get(f"{page_key}_detail")),
        part=_current_part(page_key),
    ).to_params()


def _write_url(page_key: str) -> None:
    frame.write_params(_view_params(page_key))
