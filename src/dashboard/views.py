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

from . import appstate, charts, exportviews, frame, i18n, mapview, maps, overview, state, ui
from .cityconfig import MapSection
from .i18n import t
from .safety import markdown_text as md
from .status import FORECAST_POINTS, STATUS_ICON, method_text, status_label
from .goaltypes import goal_type_label
from .tables import format_number, level_name, level_plural

log = logging.getLogger(__name__)

MAP_HEIGHT = 460
# Properties of the feature layers (loads.LAYERS) in tooltips: Dutch message ids
# (``lang="nl"`` keeps them Dutch at import time), translated when a map is built.
PROPERTY_LABEL = {"aantal": t("aantal", lang="nl"), "vermogen_kw": t("vermogen kW", lang="nl"),
                  "type": t("type", lang="nl"),
                  "doel_aandeel_2040": t("doel aandeel 2040", lang="nl"),
                  "m2": t("m²", lang="nl"), "jaar": t("jaar", lang="nl")}


@contextlib.contextmanager
def guarded(part: str) -> Iterator[None]:
    """Render one part of a page in its own container; if building it raises, log the
    exception and show a short notice in that part instead (the rest of the page runs).

    Streamlit's own control flow (``st.rerun``, ``st.stop``) derives from BaseException
    and passes through."""
    box = st.container()
    try:
        with box:
            yield
    except Exception:  # noqa: BLE001 - one part's failure must not take the page down
        log.exception("page part %r could not be shown", part)
        box.warning(t("Dit onderdeel kan nu niet getoond worden: de gegevens ervan konden "
                      "niet verwerkt worden. De rest van de pagina werkt wel; de fout is "
                      "gemeld aan de beheerders."))


def _district_indicators(inds: pd.DataFrame) -> list[str]:
    return [i for i, lv in zip(inds["id"], inds["levels"]) if "wijk" in lv]


def _sections(spearhead_id: int, district_ids: list[str]) -> list[dict]:
    """The map sections of a spearhead, title and intro in the current language."""
    configured = appstate.map_sections(spearhead_id)
    if configured:
        return [{**s.as_dict(), "title": i18n.content("section", s.key, "title", s.title),
                 "intro": i18n.content("section", s.key, "intro", s.intro)}
                for s in configured if any(i in district_ids for i in s.indicators)]
    if not district_ids:
        return []
    return [{"key": "kaart", "title": t("Kaart"), "intro": "", "indicators": district_ids,
             "scheme": "natural_breaks", "district_goal": "all", "layers": {}}]


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
    for n in view.notices:
        st.toast(n)
    st.session_state[f"{page_key}_notices"] = view.notices


def spearhead_page(spearhead_id: int) -> None:
    a = appstate.app()
    version = appstate.data_version()
    summary = appstate.spearhead_summary(version).set_index("id")
    if spearhead_id not in summary.index:
        st.error(t("Speerpunt {n} bestaat niet in de catalogus.", n=spearhead_id))
        return
    sp = summary.loc[spearhead_id]
    page_key = f"sp{spearhead_id}"
    st.title(t("Speerpunt {n}: {name}", n=spearhead_id, name=md(sp["name"])))
    st.markdown(ui.sdg_badges(sp["sdgs"]), unsafe_allow_html=True)
    ui.startup_notices()

    inds = appstate.indicators(version, spearhead_id)
    goals = appstate.goals(version)
    statuses = appstate.statuses(version, spearhead_id)
    district_ids = _district_indicators(inds)
    areas = appstate.areas(version)
    areas_by_level = {lv: list(areas.loc[areas["level"] == lv, "code"])
                      for lv in state.LEVEL_CHOICES}
    years = sorted({int(y) for i in district_ids
                    for y in appstate.measurements(version, i, "wijk")["period"]})
    view = state.parse(st.query_params, indicators=list(inds["id"]),
                       areas_by_level=areas_by_level, years=years,
                       default_indicator=str(inds["id"].iloc[0]) if len(inds) else None)
    _init_from_url(page_key, view)
    for n in st.session_state.get(f"{page_key}_notices", []):
        st.info(n)

    with guarded("status"):
        _status_summary(statuses)
        exportviews.report_button([spearhead_id], key=f"{page_key}_pdf")
    _spotlights(version, spearhead_id, inds)

    st.header(t("Kaarten per gebied"))
    sections = _sections(spearhead_id, district_ids)
    if not sections:
        st.info(t("De indicatoren van dit speerpunt zijn **alleen gekend voor de hele stad**; "
                  "er is geen kaart per wijk of sector."))
    else:
        c1, c2 = st.columns([1, 2])
        level = c1.radio(t("Gebiedsniveau"), list(state.LEVEL_CHOICES), horizontal=True,
                         format_func=level_plural, key=f"{page_key}_level")
        if st.session_state.get(f"{page_key}_year") not in years and years:
            st.session_state[f"{page_key}_year"] = years[-1]
        year = c2.select_slider(t("Jaar"), options=years, key=f"{page_key}_year") if len(
            years) > 1 else (years[0] if years else None)
        if st.session_state.get("basemap") not in maps.BASEMAPS:
            st.session_state["basemap"] = a.settings.tiles
        tiles = st.sidebar.selectbox(
            t("Achtergrondkaart"), list(maps.BASEMAPS), key="basemap",
            format_func=maps.basemap_label,
            help=t("Zonder internet blijft 'geen achtergrond' de enige die laadt; de gebieden "
                   "blijven altijd leesbaar."))
        _maps_and_profile(page_key, sections, level, year, inds, goals, tiles)

    st.header(t("Alle indicatoren"))
    with guarded("indicator table"):
        _indicator_table(statuses)
    _indicator_detail(page_key, inds, goals, statuses)
    _write_url(page_key, district_ids)


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
    for ind_id, column in zip(ids, ui.grid(len(ids), min(len(ids), 3) or 1)):
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


def _status_summary(statuses: pd.DataFrame) -> None:
    counts = statuses["status"].value_counts()
    ui.metric_row([(f"{STATUS_ICON[code]} {status_label(code)}", int(counts.get(code, 0)))
                   for code in ("on_track", "behind", "far_behind", "baseline_only",
                                "no_data")])
    late = int(statuses["late"].sum()) if "late" in statuses else 0
    st.caption(method_text() + " " + t("{n} contextindicatoren zonder doel.",
                                       n=int(counts.get("no_goal", 0)))
               + (" " + t("{n} cijfers worden verwacht maar zijn er nog niet.", n=late)
                  if late else ""))


@st.fragment
def _maps_and_profile(page_key: str, sections: list[dict], level: str, year: int | None,
                      inds: pd.DataFrame, goals: pd.DataFrame, tiles: str) -> None:
    """All maps of the page plus the district profile: a click reruns only this part."""
    version = appstate.data_version()
    area_key = f"{page_key}_area"
    selected = st.session_state.get(area_key)
    geo = appstate.geometry(level)
    codes = list(geo["code"])
    if selected not in codes:
        selected = None
        st.session_state[area_key] = None
    clicked = None
    for section in sections:
        result = None
        with guarded(f"map section {section['key']}"):
            result = _map_section(page_key, section, level, year, inds, goals, selected,
                                  version, tiles)
        drawing = (result or {}).get("last_active_drawing") or {}
        code = (drawing.get("properties") or {}).get("code")
        last_key = f"{page_key}_{section['key']}_lastclick"
        if code and code in codes and st.session_state.get(last_key) != code:
            st.session_state[last_key] = code
            clicked = code
    if clicked and clicked != selected:
        st.session_state[area_key] = clicked
        st.rerun(scope="fragment")

    with guarded("area profile"):
        _area_choice(page_key, area_key, geo, codes, level, inds, goals, version)


def _area_choice(page_key: str, area_key: str, geo, codes: list[str], level: str,
                 inds: pd.DataFrame, goals: pd.DataFrame, version: str) -> None:
    st.subheader(t("Gebiedsprofiel"))
    names = dict(zip(geo["code"], geo["name"]))
    choice = st.selectbox(t("Kies een gebied (of klik op de kaart)"), options=[None] + codes,
                          format_func=lambda c: "—" if c is None else names[c], key=area_key)
    if choice:
        st.query_params[state.PARAMS["area"]] = choice
    elif state.PARAMS["area"] in st.query_params:
        del st.query_params[state.PARAMS["area"]]
    if choice:
        _profile(choice, names[choice], level, inds, goals, version)


def _map_section(page_key: str, section: dict, level: str, year: int | None,
                 inds: pd.DataFrame, goals: pd.DataFrame, selected: str | None,
                 version: str, tiles: str) -> dict | None:
    ind_by_id = inds.set_index("id")
    options = [i for i in section["indicators"] if i in ind_by_id.index]
    st.subheader(md(section["title"]))
    if section.get("intro"):
        st.markdown(md(section["intro"]))
    key = f"{page_key}_{section['key']}"
    default = st.session_state.get(f"{page_key}_ind")
    if len(options) > 1:
        if default in options and f"{key}_ind" not in st.session_state:
            st.session_state[f"{key}_ind"] = default
        indicator_id = st.radio(t("Indicator"), options, key=f"{key}_ind", horizontal=True,
                                format_func=lambda i: md(ind_by_id.loc[i, "name"]))
    else:
        indicator_id = options[0]
    ind = ind_by_id.loc[indicator_id]
    m, values, shown_year, illustrative = section_map(version, section["key"], indicator_id,
                                                     level, year, tiles)
    if year is not None and shown_year != year:
        st.caption(t("Voor {year} zijn er geen cijfers; de kaart toont {shown}.", year=year,
                     shown=shown_year))
    if selected:
        m = _highlighted(version, section["key"], indicator_id, level, year, tiles, selected)
    result = mapview.show_map(m, (version, section["key"], indicator_id, level, year, tiles,
                                  selected), key=f"{key}_map_{level}", height=MAP_HEIGHT,
                              returned_objects=["last_active_drawing"])
    ui.map_caption(level)
    geo = appstate.geometry(level)
    summary = _text_summary(ind["name"], ind["unit"], values, dict(zip(geo["code"], geo["name"])),
                            shown_year, illustrative)
    st.caption(summary)
    if st.toggle(t("Toon de cijfers als tabel"), key=f"{key}_table"):
        names = dict(zip(geo["code"], geo["name"]))
        table = pd.DataFrame({
            t("Gebied"): [names.get(c, c) for c in values],
            f"{ind['name']} ({ind['unit']})": [format_number(v) for v in values.values()],
            t("Jaar"): shown_year,
            t("Illustratief"): t("ja") if illustrative else t("nee"),
        })
        st.dataframe(table, hide_index=True, width="stretch")
    exportviews.map_exports(m, version, indicator_id, values,
                            dict(zip(geo["code"], geo["name"])), shown_year, illustrative,
                            key=f"{key}_{level}_export")
    return result


@st.cache_resource(max_entries=48, show_spinner=False)
def section_map(version: str, section_key: str, indicator_id: str, level: str,
               year: int | None, tiles: str
               ) -> tuple[folium.Map, dict, int | None, bool]:
    """Build (and cache) one section's map; geometry is read once per level."""
    a = appstate.app()
    section = a.settings.city.section(section_key) or MapSection(
        spearhead=0, key=section_key, title="", indicators=())
    ind = appstate.indicator(version, indicator_id)
    meas = appstate.measurements(version, indicator_id, level)
    values, shown_year = overview.district_values(meas, year)
    illustrative = bool(meas["illustrative"].any()) if len(meas) else False
    geo = appstate.geometry(level)
    layers = section.layers
    outlines = lines = points = None
    zone_codes: set[str] = set()
    if layers.outlines:
        zones = appstate.layer(version, layers.outlines)
        zone_codes = set(zones["area_code"])
        sectors = appstate.geometry("sector")
        outlines = sectors[sectors["code"].isin(zone_codes)]
    if layers.lines:
        import json
        line_features = appstate.layer(version, layers.lines)
        lines = [(n, json.loads(g)) for n, g in
                 zip(line_features["name"], line_features["geometry"])]
    if layers.points:
        points = _points(appstate.layer(version, layers.points), layers.size_field)
    extra: dict[str, list[tuple[str, str]]] = {}
    if indicator_id in appstate.district_goal_indicators() and shown_year is not None:
        g = appstate.goals(version)
        g = g[g["indicator_id"] == indicator_id]
        target = g[g["kind"] != "baseline"].sort_values("year")
        if len(target):
            t_year, t_value = int(target["year"].iloc[-1]), float(target["value"].iloc[-1])
            line = [(t("Doel {year}", year=t_year), f"{format_number(t_value)} {ind['unit']}")]
            if section.district_goal == "zones":
                parents = appstate.areas(version).set_index("code")["parent_codes"]
                for code in geo["code"]:
                    in_zone = code in zone_codes or any(
                        code in list(parents.get(z, [])) for z in zone_codes)
                    if in_zone:
                        extra[code] = line
            else:
                extra = {code: line for code in geo["code"]}
    m = maps.choropleth(
        geo, values, title=ind["name"], unit=ind["unit"], fmt=format_number,
        scheme=section.scheme, static_url=a.settings.static_url,
        attribution=appstate.attribution(), quality=appstate.geometry_quality(level),
        illustrative=illustrative, extra_tooltip=extra,
        outlines=outlines, lines=lines, points=points,
        points_label=layers.points or "", tiles=tiles)
    return m, values, shown_year, illustrative


@st.cache_resource(max_entries=48, show_spinner=False)
def _highlighted(version: str, section_key: str, indicator_id: str, level: str,
                 year: int | None, tiles: str, selected: str) -> folium.Map:
    """The section's map with the chosen area outlined (a copy; the base stays cached)."""
    m = appstate.fresh(section_map(version, section_key, indicator_id, level, year, tiles)[0])
    geo = appstate.geometry(level)
    return maps.highlight(m, geo[geo["code"] == selected])


def _points(features: pd.DataFrame, size_field: str | None) -> list[dict]:
    import json
    import math

    out = []
    for name, props, geom, flag in zip(features["name"], features["properties"],
                                       features["geometry"], features["illustrative"]):
        p = json.loads(props)
        g = json.loads(geom)
        size = float(p.get(size_field, 1)) if size_field else 1.0
        if size_field == "m2":
            radius = 3 + math.sqrt(size) / 8
        else:
            radius = 3 + 2.5 * math.sqrt(size)
        lines = [(_property_label(k), v) for k, v in sorted(p.items())]
        if flag:
            lines.append(("", t("illustratief")))
        if g.get("type") != "Point":  # a project area (loads/layers.py): a point inside it
            import shapely.geometry

            inside = shapely.geometry.shape(g).representative_point()
            g = {"coordinates": [inside.x, inside.y]}
        out.append({"lat": g["coordinates"][1], "lon": g["coordinates"][0],
                    "radius": round(min(radius, 16), 1), "name": name, "lines": lines})
    return out


def _property_label(key: str) -> str:
    """A layer property's name for tooltips ('vermogen_kw' → 'vermogen kw'), translated."""
    return t(PROPERTY_LABEL[key]) if key in PROPERTY_LABEL else key.replace("_", " ")


def _text_summary(name: str, unit: str, values: dict, names: dict, year, illustrative) -> str:
    """A sentence describing the map for screen readers and print (Markdown: the names and
    the unit are escaped)."""
    name, unit = md(name), md(unit)
    if not values:
        return t("Geen cijfers voor {name}.", name=name)
    hi = max(values, key=values.get)
    lo = min(values, key=values.get)
    text = t("Samenvatting: {name} in {year}, {count} gebieden. Hoogste: {high} ({high_value} "
             "{unit}); laagste: {low} ({low_value} {unit}).", name=name, year=year,
             count=len(values), high=md(names.get(hi, hi)),
             high_value=format_number(values[hi]), low=md(names.get(lo, lo)),
             low_value=format_number(values[lo]), unit=unit)
    return text + (" " + t("Illustratieve cijfers.") if illustrative else "")


def _profile(code: str, name: str, level: str, inds: pd.DataFrame, goals: pd.DataFrame,
             version: str) -> None:
    district_ids = _district_indicators(inds)
    level_meas = {i: appstate.measurements(version, i, level) for i in district_ids}
    table = overview.district_profile(code, level_meas, inds, goals,
                                      appstate.district_goal_indicators())
    st.markdown(f"**{md(name)}** ({md(level_name(level))})")
    if table.empty:
        st.write(t("Geen cijfers voor dit gebied."))
        return
    st.dataframe(table, hide_index=True, width="stretch")
    fig = _profile_chart(version, district_ids[0], level, code, name)
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


def _indicator_table(statuses: pd.DataFrame) -> None:
    ill = " " + t("(ill.)")
    table = pd.DataFrame({
        t("Indicator"): statuses["name"],
        t("Status"): statuses["status_label"],
        t("Tempo"): statuses["pace_label"],
        t("Laatste waarde"): [("—" if pd.isna(v) else format_number(v)) + (ill if f else "")
                              for v, f in zip(statuses["value"], statuses["illustrative"])],
        t("Eenheid"): statuses["unit"],
        t("Jaar"): [("" if pd.isna(y) else str(int(y))) for y in statuses["year"]],
        t("Volgend cijfer"): [overview.late_text(r) for r in statuses.to_dict("records")],
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
    names = dict(zip(inds["id"], inds["name"]))
    ids = list(inds["id"])
    current = st.session_state.get(f"{page_key}_ind")
    if current not in ids:
        st.session_state[f"{page_key}_ind"] = ids[0]
    choice = st.selectbox(t("Grafiek van indicator"), ids, format_func=lambda i: names[i],
                          key=f"{page_key}_ind")
    st.query_params[state.PARAMS["indicator"]] = choice  # a fragment rerun updates the URL too
    version = appstate.data_version()
    with guarded(f"chart {choice}"):
        _chart_detail(page_key, version, choice, names, inds, statuses)
    if st.toggle(t("Toon de grafieken van alle indicatoren"), key=f"{page_key}_all_charts"):
        for ind_id, column in zip(ids, ui.grid(len(ids), 2)):
            with column, guarded(f"chart {ind_id}"):
                row = statuses.set_index("id").loc[ind_id]
                st.plotly_chart(indicator_chart(version, ind_id),
                                key=f"{page_key}_chart_{ind_id}",
                                config=exportviews.chart_config(names[ind_id]))
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
    st.plotly_chart(indicator_chart(version, choice), key=f"{page_key}_chart",
                    config=exportviews.chart_config(names[choice]))
    st.caption(t("Trend: rechte lijn door de laatste {n} gemeten punten, doorgetrokken tot het "
                 "doeljaar; geen voorspelling.", n=FORECAST_POINTS))
    exportviews.chart_data(version, choice, key=f"{page_key}_chart_data")


@st.cache_resource(max_entries=256, show_spinner=False)
def indicator_chart(version: str, indicator_id: str):
    """One indicator's chart (built once per data version; plotly figures are not mutated)."""
    ind = appstate.indicator(version, indicator_id)
    city = appstate.city_measurements(version)
    goals = appstate.goals(version)
    return charts.indicator_chart(ind, overview.city_series(ind, city),
                                  goals[goals["indicator_id"] == indicator_id],
                                  title=ind["name"], height=300)


def _write_url(page_key: str, district_ids: list[str]) -> None:
    view = state.ViewState(
        indicator=st.session_state.get(f"{page_key}_ind"),
        level=st.session_state.get(f"{page_key}_level", "wijk"),
        area=st.session_state.get(f"{page_key}_area"),
        year=st.session_state.get(f"{page_key}_year") if district_ids else None,
    )
    params = {**view.to_params(), **frame.global_params()}
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)
