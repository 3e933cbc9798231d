"""The benchmark page: cached reads of the board layer (``Board.benchmark_*``) and the
page's rendering. Logic and builders live in :mod:`dashboard.benchmark` (pure).

Every cache is keyed by the session's :class:`View` (data, pinned moment, language).
"""

from __future__ import annotations


import folium
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from .. import benchmark, i18n, state
from . import appstate, exports, frame, mapview, widgets
from ..board import View
from ..cityconfig import Benchmark
from ..geodata import PEER_LEVEL
from ..i18n import t
from ..safety import markdown_text as md
from ..settings import current_settings

SELECT_KEY = "bench_ind"
INIT_KEY = "_init_bench"
MAP_HEIGHT = 520


# ------------------------------------------------------------------------ configuration
def config() -> Benchmark:
    """The city configuration's ``benchmark`` entry (an empty group when there is none;
    read without opening the database)."""
    return current_settings().city.benchmark or Benchmark(group="")


def group_name() -> str:
    """The group's name (``benchmark.group``) in the current language where it has one
    (the same content key as the navigation's page title)."""
    return i18n.content("benchmark", current_settings().nis_code, "group",
                        config().group)


def members() -> dict[str, str]:
    return config().member_names


def context_ids() -> tuple[str, ...]:
    return tuple(sorted(config().context_indicators))


def has_geometry() -> bool:
    """True when the geometry store holds the group's boundaries (manifest ``benchmark``)."""
    return "benchmark" in appstate.app().manifest


# ------------------------------------------------------------ cached board reads
@st.cache_data(max_entries=8, show_spinner=False)
def _peer_values(version: View) -> pd.DataFrame:
    return appstate.board().peer_values(version)


def peer_values() -> pd.DataFrame:
    """Every value of the group's other members as the view stands."""
    return _peer_values(appstate.view())


@st.cache_data(max_entries=8, show_spinner=False)
def _table(version: View) -> pd.DataFrame:
    return appstate.board().benchmark_table(version)


def table() -> pd.DataFrame:
    """The comparison table (:func:`benchmark.comparison_table`) of the view."""
    return _table(appstate.view())


@st.cache_data(max_entries=8, show_spinner=False)
def _overview_chart(version: View) -> go.Figure:
    b = appstate.board()
    return benchmark.comparison_chart(b.benchmark_table(version), b.peer_values(version),
                                      b.city_name(version))


def overview_chart() -> go.Figure:
    return _overview_chart(appstate.view())


@st.cache_data(max_entries=32, show_spinner=False)
def _member_values(version: View, indicator_id: str) -> pd.DataFrame:
    return appstate.board().benchmark_members(version, indicator_id)


def member_values(indicator_id: str) -> pd.DataFrame:
    """Per member (city included) the value shown for one indicator."""
    return _member_values(appstate.view(), indicator_id)


@st.cache_data(max_entries=32, show_spinner=False)
def _ranking_chart(version: View, indicator_id: str) -> go.Figure:
    b = appstate.board()
    return benchmark.ranking_chart(b.benchmark_row(version, indicator_id),
                                   b.benchmark_members(version, indicator_id),
                                   b.settings.nis_code)


def ranking_chart(indicator_id: str) -> go.Figure:
    return _ranking_chart(appstate.view(), indicator_id)


def _attribution() -> str:
    """Source of the municipal boundaries: ``benchmark.geodata.attribution`` when the city
    configuration gives one, else the imported file's name."""
    configured = config().geodata.attribution if config().geodata else ""
    if configured:  # the credit, under the label in the reader's language
        credit = " ".join(str(configured).split()).removeprefix("Gemeentegrenzen:").strip()
        return t("Gemeentegrenzen: {source}", source=credit)
    source = appstate.app().manifest.get("benchmark", {}).get("source", "")
    return t("Gemeentegrenzen: {source}", source=source)


@st.cache_resource(max_entries=16, show_spinner=False)
def _map(version: View, indicator_id: str, tiles: str, imported_at: str) -> folium.Map:
    b = appstate.board()
    areas = b.geometry(PEER_LEVEL)
    code, city = b.settings.nis_code, b.city_name(version)
    areas = areas.assign(name=[city if c == code else n
                               for c, n in zip(areas["code"].astype(str), areas["name"])])
    return benchmark.benchmark_map(
        areas, b.benchmark_members(version, indicator_id),
        b.benchmark_row(version, indicator_id), city_code=code,
        static_url=b.settings.static_url, attribution=_attribution(),
        quality=b.manifest.get("benchmark", {}).get("quality", "official"), tiles=tiles)


def group_map(indicator_id: str, tiles: str) -> tuple[folium.Map, tuple]:
    """The cached map of the group for one indicator and its cache key (for show_map)."""
    key = (appstate.view(), indicator_id, tiles,
           str(appstate.app().manifest.get("imported_at")))
    return _map(*key), ("benchmark", *key)


def _choose_indicator(tab: pd.DataFrame) -> str:
    """The indicator selector, seeded once per session from ``ind=`` in the URL."""
    ids = list(tab["indicator_id"])
    names = dict(zip(tab["indicator_id"], tab["name"]))
    if not st.session_state.get(INIT_KEY):
        st.session_state[INIT_KEY] = True
        view = state.parse({"ind": st.query_params.get(state.PARAMS["indicator"])},
                           indicators=ids, areas_by_level={}, years=[],
                           default_indicator=ids[0])
        st.session_state[SELECT_KEY] = view.indicator
        for n in view.notices:
            st.toast(n)
    if st.session_state.get(SELECT_KEY) not in ids:
        st.session_state[SELECT_KEY] = ids[0]
    chosen = st.selectbox(t("Indicator"), ids, format_func=lambda i: names[i], key=SELECT_KEY,
                          placeholder=widgets.choose())
    frame.write_params({state.PARAMS["indicator"]: chosen})
    return chosen


def _counts(tab: pd.DataFrame) -> None:
    counts = tab["judgement"].value_counts()
    widgets.metric_row([(benchmark.judgement_label(code), int(counts.get(code, 0)))
                   for code in ("better", "worse", "equal", "context")])


def page() -> None:
    bench = config()
    if not bench.members:
        st.title(t("Vergelijking met andere steden"))
        st.info(t("Voor deze stad is geen vergelijkingsgroep ingesteld (sleutel `benchmark` "
                  "in data/city.yaml); er is niets te vergelijken."))
        st.stop()
    city, group = appstate.city_name(), group_name()
    # Plain names for file names and chart configs, escaped ones for Markdown.
    md_city, md_group = md(city), md(group)
    st.title(t("Vergelijking: {group}", group=md_group))
    version = appstate.data_version()
    tab = table()
    if tab.empty:
        st.info(t("Geen enkele indicator in de catalogus heeft een gemiddelde van de {group}.",
                  group=md_group))
        st.stop()
    documents = ", ".join(sorted(set(appstate.indicators(version).set_index("id")
                                     .loc[list(tab["indicator_id"]), "source_document"])))
    st.write(t("Hoe staat {city} tegenover het gemiddelde van de {group} ({n} steden)? Voor "
               "{k} indicatoren geeft de bron naast het cijfer van {city} ook dat gemiddelde: "
               "de {documents}, per indicator in de sectie die in de kolom Bron staat. Het "
               "oordeel houdt rekening met de richting: bij misdrijven of personenwagens is "
               "lager beter. Contextindicatoren krijgen geen oordeel.",
               city=md_city, group=md_group, n=len(members()), k=len(tab),
               documents=md(documents)))
    peers = peer_values()
    compared = peers[peers["indicator_id"].isin(tab["indicator_id"])]
    illustrative = int(compared["illustrative"].sum()) if len(compared) else 0
    if illustrative:
        st.warning(t(
            "De waarden per andere stad zijn **illustratief**: de bron geeft alleen het "
            "gemiddelde van de {group}. Ze zijn zo gegenereerd dat ze het gepubliceerde "
            "gemiddelde opleveren: over alle {n} steden, {city} inbegrepen, of zonder {city} "
            "waar de bron het gemiddelde van de andere steden geeft. Ze dienen alleen om de "
            "kaart en de rangschikking te tonen. Ze blijven illustratief tot de coördinator "
            "echte cijfers laadt via de pagina *Gegevens laden* (gebied = de NIS-code van de "
            "stad, niveau 'peer', alleen voor indicatoren met een gemiddelde). Nu nog "
            "{k} van de {total} waarden illustratief.",
            group=md_group, n=len(members()), k=illustrative, total=len(compared),
            city=md_city))
    elif len(compared):
        st.caption(t("Alle {total} waarden van de andere steden zijn geladen door de "
                     "coördinator.", total=len(compared)))

    _counts(tab)
    st.header(t("{city} tegenover het gemiddelde", city=md_city))
    st.dataframe(benchmark.display_table(tab, city), hide_index=True, width="stretch")
    exports.csv_button(benchmark.csv_table(tab, city),
                           t("vergelijking {group}", group=group), key="bench_csv")
    st.plotly_chart(overview_chart(), key="bench_overview",
                    config=exports.chart_config(t("vergelijking {group}", group=group)))
    st.caption(t("Afstand tot het gemiddelde in procent van dat gemiddelde (de eenheden "
                 "verschillen per indicator). Groot teken: {city}, met kleur, vorm en woord "
                 "volgens het oordeel; kleine open cirkels: de andere steden.", city=md_city))

    st.header(t("Per indicator: de {group} op een rij en op de kaart", group=md_group))
    chosen = _choose_indicator(tab)
    row = tab[tab["indicator_id"] == chosen].iloc[0].to_dict()
    # summary_text writes the row's texts into a sentence: escape them on the way in.
    st.markdown(benchmark.summary_text(
        {**row, **{k: md(row[k]) for k in ("name", "unit", "average_label") if k in row}},
        md_city, md_group))
    st.caption(t("Bron van het gemiddelde: {source}.", source=md(row["source"])))
    st.plotly_chart(ranking_chart(chosen), key="bench_ranking",
                    config=exports.chart_config(row["name"]))
    if not has_geometry():
        st.info(t("De gemeentegrenzen van de {group} zijn niet geladen, dus er is geen kaart. "
                  "Laad ze met `python -m dashboard geodata --from MAP` (bestand volgens "
                  "benchmark.geodata in data/city.yaml).", group=md_group))
        return
    m, key = group_map(chosen, widgets.basemap())
    mapview.show_map(m, key, key=f"bench_map_{chosen}", height=MAP_HEIGHT)
    st.caption(md(_attribution()) + " — " + (
        t("Kleur: afstand tot het gemiddelde, gericht volgens de richting (blauwgroen beter, "
          "bruin slechter); {city} dik omlijnd.", city=md_city) if not row["context"] else
        t("Contextindicator: paars, donkerder is meer; geen oordeel. {city} dik omlijnd.",
          city=md_city)))
