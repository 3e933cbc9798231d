"""Streamlit glue: one store per process, cached geometry and queries.

Pages call these functions; they never open files or run SQL themselves. The Store object
is kept with ``st.cache_resource`` (one per process); it holds the database file only
while a query runs, so a scheduled load in another process can write meanwhile. Query
results are cached with ``st.cache_data`` and a bounded ``max_entries``, keyed on the data
version read from the ``meta`` table (:func:`data_version`), so a load made by any
process shows on the next rerun.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field, replace

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from .. import cityconfig, clock, geodata, i18n, maps
from ..board import Board, View
from ..board.board import city_name_of, documents_of
from ..build import build
from ..errors import InputError
from ..settings import Settings, current_settings, env_fingerprint
from ..store import DatabaseBusy, Store


@dataclass
class App:
    settings: Settings
    store: Store
    manifest: dict
    problems: list[str] = field(default_factory=list)
    board: Board = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.board = Board(self.store, self.settings, self.manifest)


@st.cache_resource(show_spinner=False)
def _open(key: tuple) -> App:
    settings = current_settings()
    maps.install_leaflet(settings.static_dir)
    problems: list[str] = []
    store = Store(settings.db_path, lock_wait=settings.db_lock_wait)
    try:
        build(settings, store)
    except InputError as exc:
        # Official geodata configured but unusable: say why, run on what we have.
        problems = [str(p) for p in exc.problems]
        if geodata.read_manifest(settings.geo_dir) is None:
            geodata.write_store(geodata.schematic_layers(settings), settings,
                                {"source": "schematic"})
        build(replace(settings, geodata_dir=None), store)
    manifest = geodata.read_manifest(settings.geo_dir) or {}
    return App(settings, store, manifest, problems)


@st.cache_resource(show_spinner=False)
def _replica(snapshot_dir: str):
    from ..snapshot import Replica

    return Replica(snapshot_dir)


@st.cache_resource(max_entries=2, show_spinner=False)
def _open_snapshot(key: tuple, folder: str) -> App:
    """A public replica: the published snapshot ``folder`` (verified), read-only, no build."""
    settings = current_settings()
    maps.install_leaflet(settings.static_dir)
    replica = _replica(str(settings.snapshot_dir))
    store = replica.store_at(folder) or replica.store()
    settings = replace(settings, db_path=store.path, geo_dir=store.path.parent / "geo")
    manifest = geodata.read_manifest(settings.geo_dir) or {}
    return App(settings, store, manifest, [])


def _refuse_uploads() -> None:
    """A public replica has no file uploader, so it takes no upload of any size.

    ``deploy/config.toml`` (the image's configuration) already sets
    ``server.maxUploadSize = 0``; this makes a public replica started with another
    configuration (the development ``.streamlit/config.toml``, a stray
    ``STREAMLIT_SERVER_MAX_UPLOAD_SIZE``) refuse uploads too, from its first script run on.
    Streamlit 1.67 reads the option on every ``PUT /_stcore/upload_file`` request.
    """
    import logging

    from streamlit import config

    try:
        if config.get_option("server.maxUploadSize") != 0:
            config.set_option("server.maxUploadSize", 0, "dashboard: PUBLIC_MODE")
            logging.getLogger(__name__).warning(
                "PUBLIC_MODE: server.maxUploadSize set to 0 (the configuration allowed "
                "uploads; use deploy/config.toml)")
    except Exception:  # noqa: BLE001 (a Streamlit without the option: the proxy blocks)
        logging.getLogger(__name__).exception("PUBLIC_MODE: could not refuse uploads")


def _database_busy(exc: Exception) -> bool:
    import duckdb

    return isinstance(exc, DatabaseBusy) or (
        isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower())


def _stop_database_busy(settings: Settings) -> None:
    st.error(i18n.t(
        "Het monitoringsbord kan zijn databank niet openen: {path} is in gebruik door een "
        "ander proces (een tweede server of een lopend 'python -m dashboard'-commando). "
        "Stop dat proces of geef deze server een eigen databank (DASHBOARD_DB_PATH) of een "
        "gepubliceerde momentopname (DASHBOARD_SNAPSHOT_DIR), en herlaad dan de pagina.",
        path=str(settings.db_path)))
    st.stop()


def app() -> App:
    key = env_fingerprint()
    settings = current_settings()
    if settings.public_mode:
        _refuse_uploads()
    if settings.public_mode and settings.snapshot_dir is not None:
        from ..snapshot import NoSnapshot

        try:
            store = _replica(str(settings.snapshot_dir)).store()
        except NoSnapshot as exc:
            if exc.published:
                st.error(i18n.t("De gepubliceerde momentopname is onvolledig of beschadigd "
                                "en er is geen eerdere goede; het bord toont de gegevens "
                                "zodra een goede momentopname gepubliceerd is ('python -m "
                                "dashboard publish' of de pagina Geschiedenis)."))
            else:
                st.error(i18n.t("Er is nog geen momentopname gepubliceerd; de redactie "
                                "publiceert er een met 'python -m dashboard publish' of op "
                                "de pagina Geschiedenis."))
            st.stop()
        return _open_snapshot(key, str(store.path.parent))
    try:
        if st.session_state.get("_app_opened") == key:
            return _open(key)
        with st.spinner(i18n.t("Het monitoringsbord wordt klaargezet …")):  # first build
            opened = _open(key)
    except Exception as exc:
        if not _database_busy(exc):
            raise
        _stop_database_busy(settings)
    st.session_state["_app_opened"] = key
    return opened


AS_OF_KEY = "as_of"  # session state: the pinned moment, set by frame.py from the URL


def board() -> Board:
    """The process's board layer (everything pages show is assembled there)."""
    return app().board


def view() -> View:
    """This session's view (data version, pinned moment, language): part of every cache
    key, so a load by any process (a scheduled CLI import too) shows on the next rerun,
    and a pinned or translated view never meets a cached object of another view."""
    a = app()
    try:
        version = a.board.data_version()
    except DatabaseBusy:
        _stop_database_busy(a.settings)
    return View(version, as_of(), i18n.current())


data_version = view  # the name the editor pages use


def version_at(moment: dt.datetime | None) -> View:
    """This session's view, but pinned at ``moment`` (None: now)."""
    return view().at(moment)


def as_of() -> dt.datetime | None:
    """The pinned moment of this session's view (None: the current data)."""
    value = st.session_state.get(AS_OF_KEY)
    return value if isinstance(value, dt.datetime) else None


# Cached reads: st.cache_data hands every caller its own copy of what the board built.
@st.cache_data(max_entries=8, show_spinner=False)
def spearhead_summary(v: View) -> pd.DataFrame:
    return board().spearhead_summary(v)


@st.cache_data(max_entries=16, show_spinner=False)
def indicators(v: View, spearhead_id: int | None = None) -> pd.DataFrame:
    """The catalog's indicators with their texts in the view's language."""
    return board().indicators(v, spearhead_id)


def indicator(v: View, indicator_id: str) -> dict | None:
    """One indicator (texts in the view's language)."""
    return board().indicator(v, indicator_id)


@st.cache_data(max_entries=8, show_spinner=False)
def spearheads(v: View) -> pd.DataFrame:
    return board().spearheads(v)


@st.cache_data(max_entries=8, show_spinner=False)
def goals(v: View) -> pd.DataFrame:
    return board().goals(v)


@st.cache_data(max_entries=8, show_spinner=False)
def batches(v: View) -> pd.DataFrame:
    return board().batches(v)


def geometry(level: str) -> gpd.GeoDataFrame:
    """A level's geometry (shared, read-only)."""
    return board().geometry(level)


@st.cache_resource(max_entries=4, show_spinner=False)
def _home_map(v: View, tiles: str) -> folium.Map:
    return board().home_map(v, tiles)


def home_map_indicator(v: View) -> dict | None:
    return board().home_map_indicator(v)


def home_map() -> folium.Map:
    """The cached home map (show it with mapview.show_map, which never mutates it)."""
    return _home_map(view(), app().settings.tiles)


def fresh(m: folium.Map) -> folium.Map:
    """A copy of a cached map: st_folium renames elements while rendering, so a cached
    map must never be rendered twice (the second session would get an empty map)."""
    return copy.deepcopy(m)


def attribution() -> str:
    return board().attribution(view())


def geometry_quality(level: str) -> str:
    return board().geometry_quality(level)


@st.cache_data(max_entries=64, show_spinner=False)
def measurements(v: View, indicator_id: str, level: str | None = None) -> pd.DataFrame:
    return board().measurements(v, indicator_id, level)


@st.cache_data(max_entries=16, show_spinner=False)
def city_measurements(v: View) -> pd.DataFrame:
    """Every city-level measurement of the view (for status and charts)."""
    return board().city_measurements(v)


@st.cache_data(max_entries=16, show_spinner=False)
def layer(v: View, name: str) -> pd.DataFrame:
    return board().layer(v, name)


@st.cache_data(max_entries=8, show_spinner=False)
def areas(v: View) -> pd.DataFrame:
    return board().areas(v)


@st.cache_data(max_entries=16, show_spinner=False)
def statuses(v: View, spearhead_id: int | None = None) -> pd.DataFrame:
    """Computed status of every indicator (of one spearhead)."""
    return board().statuses(v, spearhead_id)


def map_sections(spearhead_id: int) -> list[cityconfig.MapSection]:
    return board().sections(view(), spearhead_id)


def spotlights(spearhead_id: int) -> list[dict]:
    """The spotlights of a spearhead page, title and intro in the current language."""
    return board().spotlights(view(), spearhead_id)


def district_goal_indicators() -> set[str]:
    return board().district_goal_indicators()


@st.cache_data(max_entries=8, show_spinner=False)
def spearhead_cards(v: View) -> list[dict]:
    """Per spearhead: name, SDGs, status counts and up to three headline figures."""
    return board().spearhead_cards(v)


def city_name() -> str:
    """The municipality's name from the city configuration (no database needed), in the
    current language where it has its own (Courtrai)."""
    return city_name_of(current_settings().city, i18n.current())


def documents() -> list[dict]:
    """The configured source documents, their texts in the current language."""
    return documents_of(current_settings().city, i18n.current())


def has_district_generator() -> bool:
    """Whether the city's district series come from an illustrative generator."""
    return bool(current_settings().city.district_generator)


@st.cache_data(max_entries=8, show_spinner=False)
def values_at(v: View) -> pd.DataFrame:
    """Every value (all areas and years) of the view's moment."""
    return board().values_at(v)


def meetings() -> pd.DataFrame:
    """Recorded meetings (pinned moments, local time), latest first (small: not cached)."""
    table = app().store.meetings()
    table["as_of"] = [clock.to_local(m.to_pydatetime()) for m in table["as_of"]]
    return table


def add_meeting(title: str, moment: dt.datetime, who: str) -> str:
    """Record a meeting pinned at ``moment`` (local time; editor instance only)."""
    import uuid

    meeting_id = f"vergadering-{moment:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    app().store.add_meeting(meeting_id, title, clock.to_utc(moment), who)
    return meeting_id
