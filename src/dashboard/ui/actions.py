"""The note's actions on screen (issue 14 point 3): the "Acties" section of a spearhead
page (roll-up in counts, filters, the filtered list), the actions of a chosen district,
and the page of one action (``/actie?id=…``).

Everything is read through the Board for the session's view, so a pinned view
(``?stand=``) shows every status as it stood then. Text from data reaches Markdown
through ``md`` (escaped); the one HTML piece (the roll-up bar) carries only colours and
numbers.
"""

from __future__ import annotations

from urllib.parse import quote

import folium
import pandas as pd
import streamlit as st

from .. import maps, state
from . import appstate, frame, mapview, navigation, widgets
from ..actions import model, portfolio
from ..board import View
from ..board.mapdata import action_markers
from ..maps.choropleths import action_layer
from ..i18n import t, tn
from ..safety import markdown_text as md

ACTION_MAP_HEIGHT = 360
_URL_SAFE = "?=&/%"


# ---------------------------------------------------------------------- shared pieces
def action_href(action_id: str) -> str:
    """The relative address of an action's page, keeping language and pinned moment."""
    return quote(state.action_link(action_id, frame.global_params()), safe=_URL_SAFE)


def title_link(action_id: str, title: str) -> str:
    """A Markdown link from an action's title (escaped) to its page."""
    return f"[{md(title)}](<{action_href(action_id)}>)"


def rollup_text(rollup: dict) -> str:
    """The roll-up in words and counts, never a bare percentage: "55 acties · 3 in
    uitvoering · … · 51 nog niet beoordeeld · 0 te laat"."""
    labels = model.status_labels()
    parts = [tn("{n} actie", "{n} acties", rollup["total"])]
    parts += [f"{rollup['counts'].get(key, 0)} {labels[key]}"
              for key in portfolio.ROLLUP_ORDER
              if rollup["counts"].get(key, 0) or key in ("in_progress", "done",
                                                         model.NOT_ASSESSED)]
    parts.append(t("{n} te laat", n=rollup["late"]))
    return " · ".join(parts)


def rollup_bar(rollup: dict) -> str:
    """A stacked bar of the counts (decorative: the counts are written next to it)."""
    total = max(rollup["total"], 1)
    cells = "".join(
        f'<div style="flex:{n};background:{portfolio.STATUS_COLOURS[key]}"></div>'
        for key in portfolio.ROLLUP_ORDER if (n := int(rollup["counts"].get(key, 0))))
    return (f'<div aria-hidden="true" style="display:flex;height:0.8rem;width:100%;'
            f'border:1px solid #555;border-radius:3px;overflow:hidden" '
            f'data-total="{int(total)}">{cells}</div>')


def _dash(value) -> str:
    return "—" if value is None or (not isinstance(value, str) and pd.isna(value)) \
        else str(value)


def action_table(frame_: pd.DataFrame) -> str:
    """The actions as a Markdown table: title (a link to its page), status, due year and
    responsible service; every value from data escaped."""
    head = (f"| {t('Actie')} | {t('Status')} | {t('Einde of doeljaar')} | {t('Dienst')} |\n"
            "|---|---|---|---|\n")
    rows = []
    for r in frame_.itertuples():
        late = " " + t("(te laat)") if r.late else ""
        service = md(r.service) if isinstance(r.service, str) and r.service else \
            t("nog niet beoordeeld")
        rows.append(f"| {title_link(r.id, r.title)} | {md(r.status_label)}{late} | "
                    f"{md(_dash(r.due_year))} | {service} |")
    return head + "\n".join(rows)


# ---------------------------------------------------------------------- spearhead page
LIST_PAGE = 10  # actions listed before "Toon alle … acties"
def spearhead_section(page_key: str, spearhead_id: int) -> None:
    """The "Acties" section of a spearhead page (below the maps)."""
    st.header(t("Acties"))
    _portfolio(page_key, spearhead_id)


@st.fragment
def _portfolio(page_key: str, spearhead_id: int) -> None:
    """Roll-up, filters and list: a filter change reruns only this part."""
    v = appstate.view()
    b = appstate.board()
    every = b.actions(v, spearhead_id)
    if every.empty:
        st.info(t("De nota noemt voor dit speerpunt geen acties."))
        return
    rollup = b.action_rollup(v, spearhead_id)
    st.markdown(md(rollup_text(rollup)))
    st.html(rollup_bar(rollup))
    shown = _filtered(page_key, spearhead_id, every, v)
    st.caption(tn("{n} van de {total} acties getoond.", "{n} van de {total} acties getoond.",
                  len(shown), total=len(every)))
    if shown.empty:
        st.info(t("Geen acties voor deze filters."))
        return
    # A long list (spearhead 5 has 55) starts with its first LIST_PAGE actions: the filters
    # narrow it, the box under it holds the rest, built when opened (a lighter first visit).
    st.markdown(action_table(shown.head(LIST_PAGE)))
    if len(shown) > LIST_PAGE:
        with widgets.on_request(tn("Toon de andere {n} actie", "Toon de andere {n} acties",
                                   len(shown) - LIST_PAGE),
                                f"{page_key}_act_all") as rest:
            if rest.open:
                st.markdown(action_table(shown.iloc[LIST_PAGE:]))


def _filtered(page_key: str, spearhead_id: int, every: pd.DataFrame, v: View
              ) -> pd.DataFrame:
    """The filters (in a box opened on request; its select boxes are their own script
    bundle in the browser) and the actions that pass them. A filter keeps its choice
    while the box is closed (``persist_state``), and the caption under the box says how
    many actions it lets through."""
    b = appstate.board()
    with widgets.on_request(t("Filter de acties (status, onderdeel, dienst, indicator, "
                              "wijk)"), f"{page_key}_act_filters") as box:
        if box.open:
            _filter_widgets(page_key, every, v)
    get = st.session_state.get
    shown = portfolio.filter_actions(every, statuses=get(f"{page_key}_act_status") or [],
                                     sections=get(f"{page_key}_act_section") or [],
                                     services=get(f"{page_key}_act_service") or [],
                                     indicator=get(f"{page_key}_act_indicator"))
    district = get(f"{page_key}_act_district")
    if district:
        inside = set(b.district_actions(v, district, "wijk", spearhead_id)["id"])
        shown = shown[shown["id"].isin(inside)]
    return shown


def _filter_widgets(page_key: str, every: pd.DataFrame, v: View) -> None:
    labels = model.status_labels()
    keep = {"persist_state": "page"}
    c1, c2, c3 = st.columns(3)
    c1.multiselect(t("Status"), list(portfolio.ROLLUP_ORDER),
                   format_func=lambda k: labels[k], key=f"{page_key}_act_status",
                   placeholder=t("Alle statussen"), **keep)
    c2.multiselect(t("Onderdeel"), sorted(every["section"].dropna().unique()),
                   key=f"{page_key}_act_section",
                   placeholder=t("Alle onderdelen"), **keep)
    c3.multiselect(
        t("Verantwoordelijke dienst"),
        sorted({s for s in every["service"] if isinstance(s, str) and s}),
        key=f"{page_key}_act_service",
        placeholder=t("Kies een dienst") if every["service"].notna().any()
        else t("Nog geen diensten toegewezen"), **keep)
    c4, c5 = st.columns(2)
    names = dict(zip(appstate.indicators(v)["id"], appstate.indicators(v)["name"]))
    linked = sorted({i for ids in every["indicator_ids"] for i in ids},
                    key=lambda i: names.get(i, i))
    c4.selectbox(t("Gekoppelde indicator"), [None, *linked],
                 format_func=lambda i: t("alle") if i is None
                 else names.get(i, i), key=f"{page_key}_act_indicator",
                 placeholder=widgets.choose(), **keep)
    wijken = appstate.geometry("wijk")
    wijk_names = dict(zip(wijken["code"], wijken["name"]))
    c5.selectbox(t("Wijk"), [None, *sorted(wijk_names, key=wijk_names.get)],
                 format_func=lambda c: t("alle") if c is None else wijk_names[c],
                 key=f"{page_key}_act_district",
                 placeholder=widgets.choose(), **keep)


def district_section(spearhead_id: int, code: str, level: str) -> None:
    """The actions located in a chosen district (in its profile)."""
    v = appstate.view()
    found = appstate.board().district_actions(v, code, level, spearhead_id)
    st.markdown("**" + t("Acties in dit gebied") + "**")
    if found.empty:
        st.caption(t("De nota legt geen acties van dit speerpunt in dit gebied."))
        return
    st.markdown(action_table(found))


# ---------------------------------------------------------------------- action page
def action_page() -> None:
    v = appstate.view()
    b = appstate.board()
    every = b.actions(v)
    action_id, notice = state.parse_action(st.query_params, list(every["id"]))
    if action_id is None:
        st.title(t("Actie"))
        st.warning(notice)
        _back_links(None)
        return
    a = b.action(v, action_id)
    st.title(md(a["title"]))
    st.markdown(md(a["text"]))
    if v.as_of is not None:
        st.info(t("Zoals het stond op {moment}.", moment=state.format_as_of(v.as_of)))
    _where_in_note(v, a)
    _tracked(a)
    _updates(v, action_id)
    _indicators(v, a)
    _location(v, a)
    _back_links(int(a["spearhead_id"]))


def _where_in_note(v: View, a: dict) -> None:
    spearheads = appstate.spearheads(v).set_index("id")
    n = int(a["spearhead_id"])
    name = spearheads.loc[n, "name"] if n in spearheads.index else ""
    st.markdown(t("**Speerpunt {n}**: {name} · **Onderdeel**: {section} · **Actie** {id}",
                  n=n, name=md(name), section=md(a["section"]), id=md(a["id"])))


def _value(value, unassessed: str | None = None) -> str:
    if value is None or (not isinstance(value, str | list) and pd.isna(value)) or value == "":
        return unassessed if unassessed is not None else t("nog niet beoordeeld")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return md(value)


def _tracked(a: dict) -> None:
    """Status, phase, years, service and contact (unassessed: "nog niet beoordeeld"),
    and what the note itself says (target year, quantity)."""
    st.subheader(t("Opvolging"))
    rows = [
        (t("Status"), md(a["status_label"]) + (" " + t("(te laat)") if a["late"] else "")),
        (t("Fase"), _value(a["phase_label"])),
        (t("Startjaar"), _value(a["start_year"])),
        (t("Eindjaar"), _value(a["end_year"])),
        (t("Verantwoordelijke dienst"), _value(a["service"])),
        (t("Contact"), _value(a["contact"])),
        (t("Doeljaar in de nota"), _value(a["target_year"], t("niet vermeld"))),
        (t("Hoeveelheid in de nota"), _value(a["quantity"], t("niet vermeld"))),
    ]
    st.markdown(f"| {t('Veld')} | {t('Waarde')} |\n|---|---|\n"
                + "\n".join(f"| {k} | {val} |" for k, val in rows))
    if a.get("changed_by") and a.get("batch_kind") != "catalog":
        st.caption(t("Laatst gewijzigd door {who} op {when}.", who=md(a["changed_by"]),
                     when=md(str(a["changed_at"])[:16])))


def _updates(v: View, action_id: str) -> None:
    st.subheader(t("Voortgang"))
    updates = appstate.board().action_updates(v, action_id)
    if updates.empty:
        st.caption(t("Nog geen updates."))
        return
    labels = model.status_labels()
    lines = []
    for u in updates.itertuples():  # newest first (the board's order)
        status = (" · " + md(labels.get(u.status, u.status))) if isinstance(u.status, str) \
            else ""
        lines.append(f"- **{md(str(u.day)[:10])}**{status}: {md(u.text)} "
                     f"({md(u.who)})")
    st.markdown("\n".join(lines))


def _indicators(v: View, a: dict) -> None:
    st.subheader(t("Gekoppelde indicatoren"))
    ids = list(a["indicator_ids"])
    if not ids:
        st.caption(t("De nota koppelt deze actie aan geen indicator."))
        return
    statuses = appstate.board().statuses(v).set_index("id")
    lines = []
    for i in ids:
        if i not in statuses.index:
            lines.append(f"- {md(i)}: " + t("niet in de catalogus"))
            continue
        row = statuses.loc[i]
        lines.append(t("- **{name}**: {status} · tempo: {pace}", name=md(row["name"]),
                       status=md(row["status_label"]), pace=md(row["pace_label"])))
    st.markdown("\n".join(lines))


def _location(v: View, a: dict) -> None:
    st.subheader(t("Waar"))
    if not a["located"]:
        st.caption(t("De nota legt deze actie niet op een plaats vast."))
        return
    if a["area_names"]:
        st.markdown(t("Gebieden: {names}", names=md(", ".join(a["area_names"]))))
    tiles = widgets.basemap()
    m = action_map(v, a["id"], tiles)
    if m is None:
        st.caption(t("De kaart kan voor deze actie niet getekend worden."))
        return
    mapview.show_map(m, ("action", v, a["id"], tiles), key=f"action_map_{a['id']}",
                     height=ACTION_MAP_HEIGHT)
    st.caption(t("Ring: de plaats van de actie, kleur naar status; de gekleurde gebieden "
                 "zijn de gebieden die de nota noemt."))


@st.cache_resource(max_entries=32, show_spinner=False)
def action_map(v: View, action_id: str, tiles: str) -> folium.Map | None:
    """A small map of one action: its linked areas (else the city's wijken) and its
    ringed marker, drawn with the maps' own builders."""
    b = appstate.board()
    a = b.action(v, action_id)
    marker = [p for p in b.action_positions(v, int(a["spearhead_id"]))
              if p["id"] == action_id]
    if not marker:
        return None
    levels = dict(zip(b.areas(v)["code"], b.areas(v)["level"]))
    parts = []
    for level in state.LEVEL_CHOICES:
        codes = [c for c in a["area_codes"] if levels.get(c) == level]
        if codes:
            geo = b.geometry(level)
            parts.append(geo[geo["code"].isin(codes)])
    if parts:
        areas = pd.concat(parts, ignore_index=True)
        quality = b.geometry_quality(next(lv for lv in state.LEVEL_CHOICES
                                          if any(levels.get(c) == lv
                                                 for c in a["area_codes"])))
    else:
        areas = b.geometry("wijk")
        quality = b.geometry_quality("wijk")
    import geopandas as gpd

    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=areas.crs)
    m = maps.area_map(areas, static_url=b.settings.static_url,
                      attribution=b.attribution(v), quality=quality, tiles=tiles)
    action_layer(m, action_markers(tuple(marker)))
    return m


def _back_links(spearhead_id: int | None) -> None:
    if spearhead_id is not None:
        page = navigation.spearhead_link(spearhead_id)
        if page is not None:
            st.page_link(page, label=t("Terug naar speerpunt {n}", n=spearhead_id))
            return
    page = navigation.page("home.py")
    if page is not None:
        st.page_link(page, label=t("Naar het overzicht"))
