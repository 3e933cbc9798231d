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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from . import cityconfig, clock, geodata, i18n, maps
from .build import build
from .errors import InputError
from .settings import Settings, env_fingerprint, load_settings
from .store import DatabaseBusy, Store


@dataclass
class App:
    settings: Settings
    store: Store
    manifest: dict
    problems: list[str] = field(default_factory=list)


@st.cache_resource(show_spinner=False)
def _open(key: tuple) -> App:
    settings = load_settings()
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
    from .snapshot import Replica

    return Replica(snapshot_dir)


@st.cache_resource(max_entries=2, show_spinner=False)
def _open_snapshot(key: tuple, folder: str) -> App:
    """A public replica: the published snapshot ``folder`` (verified), read-only, no build."""
    settings = load_settings()
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
    settings = load_settings()
    if settings.public_mode:
        _refuse_uploads()
    if settings.public_mode and settings.snapshot_dir is not None:
        from .snapshot import NoSnapshot

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
VERSION_KEYS = ("areas_sha256", "catalog_sha256", "illustrative_sha256", "loads_version")
INDICATOR_TEXT = ("name", "unit", "definition", "comparison_label", "assumption")


# Per database file: (file signature, meta table) of the last read (see _meta).
_META: dict[str, tuple[tuple, dict[str, str]]] = {}


def _file_signature(path: Path) -> tuple:
    """What changes with every commit to a DuckDB file, by any process: the WAL gets the
    commit, a checkpoint rewrites the file (and empties the WAL)."""
    out = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st_ = p.stat()
        except OSError:
            out.append(None)
            continue
        out.append((st_.st_ino, st_.st_size, st_.st_mtime_ns))
    return tuple(out)


def _meta(store: Store) -> dict[str, str]:
    """The meta table, read again only when the file changed (two ``stat`` calls instead
    of attaching the file for every ``data_version`` call of a rerun)."""
    key = str(store.path)
    signature = _file_signature(store.path)  # before the read: a commit meanwhile re-reads
    seen = _META.get(key)
    if seen is not None and seen[0] == signature:
        return seen[1]
    meta = store.all_meta()
    _META[key] = (signature, meta)
    return meta


def data_version() -> str:
    """The key of what a page shows, part of every cache key: it changes whenever the data
    change (build or load, in this process or another: a scheduled CLI import shows on
    the next rerun), and it carries the pinned moment (``stand``) and the language, so a
    pinned or translated view never meets a cached object of another view."""
    a = app()
    try:
        meta = _meta(a.store)
    except DatabaseBusy:
        _stop_database_busy(a.settings)
    base = "|".join(str(meta.get(k)) for k in VERSION_KEYS)
    pinned = as_of()
    return f"{base}@{pinned.isoformat() if pinned else ''}#{i18n.current()}"


def version_at(moment: dt.datetime | None) -> str:
    """The version key of this session's view, but pinned at ``moment`` (None: now)."""
    base = data_version().rsplit("@", 1)[0]
    return f"{base}@{moment.isoformat() if moment else ''}#{i18n.current()}"


def as_of() -> dt.datetime | None:
    """The pinned moment of this session's view (None: the current data)."""
    value = st.session_state.get(AS_OF_KEY)
    return value if isinstance(value, dt.datetime) else None


def _as_of(version: str) -> dt.datetime | None:
    """The pinned moment carried by a version key, in UTC (as the store keeps moments);
    the key itself carries local time, as in the link."""
    stamp = version.rsplit("@", 1)[-1].split("#", 1)[0] if "@" in version else ""
    return clock.to_utc(dt.datetime.fromisoformat(stamp)) if stamp else None


def _lang(version: str) -> str:
    return version.rsplit("#", 1)[-1] if "#" in version else i18n.DEFAULT


@st.cache_data(max_entries=8, show_spinner=False)
def spearhead_summary(version: str) -> pd.DataFrame:
    return i18n.translate_frame(app().store.spearhead_summary(), "spearhead", ("name",),
                                lang=_lang(version))


@st.cache_data(max_entries=16, show_spinner=False)
def indicators(version: str, spearhead_id: int | None = None) -> pd.DataFrame:
    """The catalog's indicators with their texts in the view's language."""
    return i18n.translate_frame(app().store.indicators(spearhead_id), "indicator",
                                INDICATOR_TEXT, lang=_lang(version))


def indicator(version: str, indicator_id: str) -> dict | None:
    """One indicator (texts in the view's language)."""
    table = indicators(version)
    row = table[table["id"] == indicator_id]
    return None if row.empty else row.iloc[0].to_dict()


@st.cache_data(max_entries=8, show_spinner=False)
def spearheads(version: str) -> pd.DataFrame:
    return i18n.translate_frame(app().store.spearheads(), "spearhead", ("name",),
                                lang=_lang(version))


@st.cache_data(max_entries=8, show_spinner=False)
def goals(version: str) -> pd.DataFrame:
    return app().store.goals()


@st.cache_data(max_entries=8, show_spinner=False)
def batches(version: str) -> pd.DataFrame:
    return app().store.batches()


@st.cache_resource(max_entries=8, show_spinner=False)
def level_geometry(geo_dir: str, level: str, imported_at: str) -> gpd.GeoDataFrame:
    return geodata.load_level(geo_dir, level)


def geometry(level: str) -> gpd.GeoDataFrame:
    a = app()
    return level_geometry(str(a.settings.geo_dir), level, str(a.manifest.get("imported_at")))


@st.cache_resource(max_entries=4, show_spinner=False)
def _home_map(version: str, imported_at: str) -> folium.Map:
    a = app()
    wijken = geometry("wijk")
    tooltips: dict[str, list[tuple[str, str]]] = {}
    shown = home_map_indicator(version)
    if shown is not None:
        latest = a.store.measurements(shown["id"], level="wijk", as_of=_as_of(version))
        year = int(latest["period"].max()) if not latest.empty else None
        with i18n.language(_lang(version)):
            for row in latest[latest["period"] == year].itertuples():
                flag = " (" + i18n.t("illustratief") + ")" if row.illustrative else ""
                tooltips[row.area_code] = [(f"{shown['name']} {year}{flag}",
                                            i18n.fmt_number(row.value))]
    return maps.area_map(
        wijken, static_url=a.settings.static_url, attribution=attribution(),
        quality=a.manifest["levels"]["wijk"]["quality"], tooltips=tooltips,
        tiles=a.settings.tiles)


def home_map_indicator(version: str) -> dict | None:
    """The indicator in the home map's tooltips (``home_map_indicator`` in the city
    configuration), when it exists in the catalog."""
    indicator_id = app().settings.city.home_map_indicator
    return indicator(version, indicator_id) if indicator_id else None


def home_map() -> folium.Map:
    """The cached home map (show it with mapview.show_map, which never mutates it)."""
    return _home_map(data_version(), str(app().manifest.get("imported_at")))


def fresh(m: folium.Map) -> folium.Map:
    """A copy of a cached map: st_folium renames elements while rendering, so a cached
    map must never be rendered twice (the second session would get an empty map)."""
    return copy.deepcopy(m)


def attribution() -> str:
    m = app().manifest
    if m.get("source") == "schematic":
        return i18n.t("Schematische indeling (geen officiële geodata geladen)")
    return m.get("attribution", "")


def geometry_quality(level: str) -> str:
    return app().manifest.get("levels", {}).get(level, {}).get("quality", "schematic")


# ------------------------------------------------------------------ spearhead pages
@st.cache_data(max_entries=64, show_spinner=False)
def measurements(version: str, indicator_id: str, level: str | None = None) -> pd.DataFrame:
    return app().store.measurements(indicator_id, level=level, as_of=_as_of(version))


@st.cache_data(max_entries=16, show_spinner=False)
def city_measurements(version: str) -> pd.DataFrame:
    """Every city-level measurement of the view (for status and charts)."""
    return app().store.city_measurements(as_of=_as_of(version))


@st.cache_data(max_entries=16, show_spinner=False)
def layer(version: str, name: str) -> pd.DataFrame:
    return app().store.layer_features(name, as_of=_as_of(version))


@st.cache_data(max_entries=8, show_spinner=False)
def areas(version: str) -> pd.DataFrame:
    return app().store.areas()


@st.cache_data(max_entries=16, show_spinner=False)
def statuses(version: str, spearhead_id: int | None = None) -> pd.DataFrame:
    """Computed status of every indicator (of one spearhead)."""
    from . import overview

    inds = indicators(version, spearhead_id)
    # share_in_areas goals are judged per named area: their area series are read too.
    return overview.indicator_statuses(
        inds, app().store.goals(), city_measurements(version),
        overview.area_series(app().store, inds, _as_of(version)), areas(version))


def map_sections(spearhead_id: int) -> tuple[cityconfig.MapSection, ...]:
    return app().settings.city.sections_of(spearhead_id)


def spotlights(spearhead_id: int) -> list[dict]:
    """The spotlights (figures of one source document grouped) of a spearhead page, their
    title and intro in the current language."""
    out = []
    for config in load_settings().city.spotlights_of(spearhead_id):
        spot = {"key": config.key, "title": config.title, "intro": config.intro,
                "indicators": list(config.indicators), "document": config.document}
        for f in ("title", "intro"):
            text = " ".join(str(spot[f] or "").split())
            spot[f] = i18n.content("spotlight", spot["key"], f, text) if text else ""
        out.append(spot)
    return out


def district_goal_indicators() -> set[str]:
    return set(app().settings.city.district_goal_indicators)


@st.cache_data(max_entries=8, show_spinner=False)
def spearhead_cards(version: str) -> list[dict]:
    """Per spearhead: name, SDGs, status counts and up to three headline figures."""
    from . import overview

    all_statuses = statuses(version)
    counts = overview.status_counts(all_statuses)
    cards = []
    for sp in spearheads(version).itertuples():
        mine = all_statuses[all_statuses["spearhead_id"] == sp.id]
        cards.append({
            "id": int(sp.id), "name": sp.name, "sdgs": list(sp.sdgs),
            "counts": counts.loc[sp.id].to_dict() if sp.id in counts.index else {},
            "headlines": overview.headlines(mine),
        })
    return cards


def city_name() -> str:
    """The municipality's name from the city configuration (no database needed), in the
    current language where it has its own (Courtrai)."""
    city = load_settings().city
    return i18n.content("city", city.nis_code, "name", city.name)


def documents() -> list[dict]:
    """The configured source documents, their texts in the current language."""
    out = []
    for config in load_settings().city.documents:
        doc = {k: v for k, v in asdict(config).items() if v}
        for f in ("subtitle", "publisher", "date", "description"):
            if doc.get(f):
                doc[f] = i18n.content("document", doc["key"], f, doc[f])
        out.append(doc)
    return out


def has_district_generator() -> bool:
    """Whether the city's district series come from an illustrative generator."""
    return bool(load_settings().city.district_generator)


@st.cache_data(max_entries=8, show_spinner=False)
def values_at(version: str) -> pd.DataFrame:
    """Every value (all areas and years) of the view's moment."""
    return app().store.values_at(_as_of(version))


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
