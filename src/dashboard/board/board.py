"""The board layer: everything the board shows, for one :class:`View`, without Streamlit.

Screen (``appstate`` caches and ``views`` renders these results), presentation, PDF
report, PNG, open data and the benchmarks all read through one :class:`Board`, so a map,
a judgement or a series is assembled in exactly one place.

A Board keeps a small bounded memo of what it read, keyed by the view (the data version
is part of every key, so a load by any process is never served stale). Returned frames
and objects are shared: treat them as read-only (the Streamlit layer hands pages copies).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from .. import catalog, geodata, i18n, overview
from ..cityconfig import MapSection
from ..settings import Settings
from ..store import Store
from . import mapdata
from .mapdata import MapData
from .view import View

VERSION_KEYS = ("areas_sha256", "catalog_sha256", "illustrative_sha256", "loads_version")
INDICATOR_TEXT = catalog.TRANSLATED_FIELDS["indicator"]
DEFAULT_SECTION = "kaart"  # the one map of a spearhead without configured sections


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


def city_name_of(city, lang: str) -> str:
    """The municipality's name, in ``lang`` where it has its own (Courtrai)."""
    return i18n.content("city", city.nis_code, "name", city.name, lang=lang)


def documents_of(city, lang: str) -> list[dict]:
    """The configured source documents, their texts in ``lang``."""
    out = []
    for config in city.documents:
        doc = {k: v for k, v in asdict(config).items() if v}
        for f in ("subtitle", "publisher", "date", "description"):
            if doc.get(f):
                doc[f] = i18n.content("document", doc["key"], f, doc[f], lang=lang)
        out.append(doc)
    return out


class Board:
    """The read side of one city's board: a store, its settings and geometry store."""

    def __init__(self, store: Store, settings: Settings, manifest: dict | None = None,
                 memo_size: int = 1024,
                 geometry: Callable[[str], gpd.GeoDataFrame] | None = None):
        """``geometry``: level → WGS84 geometry, instead of the geometry store's simplified
        layers (the benchmarks' unsimplified polygons); None: the geometry store."""
        self.store = store
        self.settings = settings
        self.manifest = (manifest if manifest is not None
                         else geodata.read_manifest(settings.geo_dir) or {})
        self._memo: OrderedDict[tuple, Any] = OrderedDict()
        self._memo_size = memo_size
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.RLock] = {}
        self._meta_seen: tuple[tuple, dict[str, str]] | None = None
        self._geometry: dict[tuple[str, str], gpd.GeoDataFrame] = {}
        self._geometry_source = geometry
        self._served: dict[tuple[str, str], Any] = {}

    # ------------------------------------------------------------------ the view
    def meta(self) -> dict[str, str]:
        """The meta table, read again only when the database file changed (two ``stat``
        calls instead of attaching the file for every view of a rerun)."""
        signature = _file_signature(self.store.path)  # before the read: a commit meanwhile
        seen = self._meta_seen                         # re-reads next time
        if seen is not None and seen[0] == signature:
            return seen[1]
        meta = self.store.all_meta()
        self._meta_seen = (signature, meta)
        return meta

    def data_version(self) -> str:
        meta = self.meta()
        return "|".join(str(meta.get(k)) for k in VERSION_KEYS)

    def view(self, as_of=None, lang: str | None = None) -> View:
        """The view of the data as they are now (or pinned at ``as_of``, local time)."""
        return View(self.data_version(), as_of, lang or i18n.DEFAULT)

    def _cached(self, key: tuple, build: Callable[[], Any]) -> Any:
        """``build()``'s value, made once per ``key``: sessions that ask for the same key
        while it is being made wait for that one build (a crowd arriving on a cold
        replica builds each part once, not once per visitor)."""
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
            building = self._building.setdefault(key, threading.RLock())
        with building:
            with self._lock:
                if key in self._memo:
                    return self._memo[key]
            try:
                value = build()
                with self._lock:
                    self._memo[key] = value
                    while len(self._memo) > self._memo_size:
                        self._memo.popitem(last=False)
            finally:
                with self._lock:
                    self._building.pop(key, None)
        return value

    # ------------------------------------------------------------------ the catalog
    def spearheads(self, view: View) -> pd.DataFrame:
        return self._cached(("spearheads", view), lambda: i18n.translate_frame(
            self.store.spearheads(), "spearhead", ("name",), lang=view.lang))

    def spearhead_summary(self, view: View) -> pd.DataFrame:
        return self._cached(("spearhead_summary", view), lambda: i18n.translate_frame(
            self.store.spearhead_summary(), "spearhead", ("name",), lang=view.lang))

    def indicators(self, view: View, spearhead_id: int | None = None) -> pd.DataFrame:
        """The catalog's indicators (of one spearhead), texts in the view's language."""
        return self._cached(("indicators", view, spearhead_id), lambda: i18n.translate_frame(
            self.store.indicators(spearhead_id), "indicator", INDICATOR_TEXT,
            lang=view.lang))

    def indicator(self, view: View, indicator_id: str) -> dict | None:
        """One indicator's catalog row (a fresh dict: callers may change it)."""
        def build() -> dict[str, dict]:
            table = self.indicators(view)
            return {row["id"]: row.to_dict() for _, row in table.iterrows()}

        row = self._cached(("indicator_rows", view), build).get(indicator_id)
        return None if row is None else dict(row)

    def goals(self, view: View) -> pd.DataFrame:
        return self._cached(("goals", view.data), self.store.goals)

    def areas(self, view: View) -> pd.DataFrame:
        return self._cached(("areas", view.data), self.store.areas)

    def batches(self, view: View) -> pd.DataFrame:
        return self._cached(("batches", view.data), self.store.batches)

    # ------------------------------------------------------------------ the figures
    def measurements(self, view: View, indicator_id: str, level: str | None = None
                     ) -> pd.DataFrame:
        return self._cached(
            ("measurements", view.data, view.as_of, indicator_id, level),
            lambda: self.store.measurements(indicator_id, level=level, as_of=view.as_of_utc))

    def city_measurements(self, view: View) -> pd.DataFrame:
        """Every city-level measurement of the view (for judgements and charts)."""
        return self._cached(("city", view.data, view.as_of),
                            lambda: self.store.city_measurements(as_of=view.as_of_utc))

    def layer(self, view: View, name: str) -> pd.DataFrame:
        return self._cached(("layer", view.data, view.as_of, name),
                            lambda: self.store.layer_features(name, as_of=view.as_of_utc))

    def values_at(self, view: View) -> pd.DataFrame:
        """Every value (all areas and years) of the view's moment."""
        return self._cached(("values_at", view.data, view.as_of),
                            lambda: self.store.values_at(view.as_of_utc))

    def city_series(self, view: View, indicator_id: str) -> pd.DataFrame:
        """The city series an indicator is judged and charted on (derived ones computed)."""
        return overview.city_series(self.indicator(view, indicator_id),
                                    self.city_measurements(view))

    def statuses(self, view: View, spearhead_id: int | None = None) -> pd.DataFrame:
        """The judgement of every indicator (of one spearhead), in the view's language;
        the data calendar counts from the pinned day."""
        def build() -> pd.DataFrame:
            inds = self.indicators(view, spearhead_id)
            # share_in_areas goals are judged per named area: their area series are read.
            named = (inds.loc[inds["goal_type"] == "share_in_areas", "id"]
                     if "goal_type" in inds else [])
            series = {i: self.measurements(view, i) for i in named}
            with i18n.language(view.lang):
                return overview.indicator_statuses(
                    inds, self.goals(view), self.city_measurements(view), series,
                    self.areas(view), today=view.today())
        return self._cached(("statuses", view, spearhead_id, view.today()), build)

    def spearhead_cards(self, view: View) -> list[dict]:
        """Per spearhead: name, SDGs, status counts and up to three headline figures."""
        def build() -> list[dict]:
            every = self.statuses(view)
            counts = overview.status_counts(every)
            cards = []
            with i18n.language(view.lang):
                for sp in self.spearheads(view).itertuples():
                    mine = every[every["spearhead_id"] == sp.id]
                    cards.append({
                        "id": int(sp.id), "name": sp.name, "sdgs": list(sp.sdgs),
                        "counts": counts.loc[sp.id].to_dict() if sp.id in counts.index
                        else {},
                        "headlines": overview.headlines(mine)})
            return cards
        return self._cached(("cards", view, view.today()), build)

    # ------------------------------------------------------------------ configuration
    def city_name(self, view: View) -> str:
        return city_name_of(self.settings.city, view.lang)

    def documents(self, view: View) -> list[dict]:
        """The configured source documents, their texts in the view's language."""
        return documents_of(self.settings.city, view.lang)

    def spotlights(self, view: View, spearhead_id: int) -> list[dict]:
        """The spotlights of a spearhead page, title and intro in the view's language."""
        out = []
        for config in self.settings.city.spotlights_of(spearhead_id):
            spot = {"key": config.key, "title": config.title, "intro": config.intro,
                    "indicators": list(config.indicators), "document": config.document}
            for f in ("title", "intro"):
                text = " ".join(str(spot[f] or "").split())
                spot[f] = i18n.content("spotlight", spot["key"], f, text,
                                       lang=view.lang) if text else ""
            out.append(spot)
        return out

    def district_goal_indicators(self) -> set[str]:
        return set(self.settings.city.district_goal_indicators)

    def district_indicators(self, view: View, spearhead_id: int | None = None) -> list[str]:
        inds = self.indicators(view, spearhead_id)
        return [i for i, lv in zip(inds["id"], inds["levels"]) if "wijk" in lv]

    def sections(self, view: View, spearhead_id: int) -> list[MapSection]:
        """The map sections of a spearhead page (title and intro in the view's language):
        the configured ones that have an indicator with district figures, else one map of
        every such indicator (none without any)."""
        district = self.district_indicators(view, spearhead_id)
        configured = self.settings.city.sections_of(spearhead_id)
        if configured:
            return [replace(s, title=i18n.content("section", s.key, "title", s.title,
                                                  lang=view.lang),
                            intro=i18n.content("section", s.key, "intro", s.intro,
                                               lang=view.lang))
                    for s in configured if any(i in district for i in s.indicators)]
        if not district:
            return []
        with i18n.language(view.lang):
            title = i18n.t("Kaart")
        return [MapSection(spearhead=spearhead_id, key=DEFAULT_SECTION, title=title,
                           indicators=tuple(district))]

    def indicator_section(self, indicator_id: str) -> MapSection:
        """The section whose map an indicator is drawn on everywhere outside its page
        (presentation, PDF, open data): the first configured section that lists it, else
        the default map."""
        for s in self.settings.city.map_sections:
            if indicator_id in s.indicators:
                return s
        return MapSection(spearhead=0, key=DEFAULT_SECTION, title="",
                          indicators=(indicator_id,))

    # ------------------------------------------------------------------ geometry
    def geometry(self, level: str) -> gpd.GeoDataFrame:
        """The simplified WGS84 geometry of a level (read once per geometry import)."""
        key = (level, str(self.manifest.get("imported_at")))
        found = self._geometry.get(key)
        if found is None:
            found = self._geometry[key] = (
                geodata.load_level(self.settings.geo_dir, level)
                if self._geometry_source is None else self._geometry_source(level))
        return found

    def served(self, level: str):
        """The level's polygons as the static script the app's maps load
        (:func:`dashboard.maps.serve`), written once per geometry import."""
        from .. import maps

        key = (level, str(self.manifest.get("imported_at")))
        found = self._served.get(key)
        if found is None:
            found = self._served[key] = maps.serve(
                self.geometry(level), level, self.settings.static_dir,
                self.settings.static_url, maps._geometry)
        return found

    def attribution(self, view: View) -> str:
        if self.manifest.get("source") == "schematic":
            with i18n.language(view.lang):
                return i18n.t("Schematische indeling (geen officiële geodata geladen)")
        return self.manifest.get("attribution", "")

    def geometry_quality(self, level: str) -> str:
        return self.manifest.get("levels", {}).get(level, {}).get("quality", "schematic")

    # ------------------------------------------------------------------ maps
    def section_map(self, view: View, section: MapSection, indicator_id: str, level: str,
                    year: int | None = None) -> MapData:
        """What one section's map shows for one indicator, level and year (None: the
        latest year with figures)."""
        return self._cached(("section_map", view, section, indicator_id, level, year),
                            lambda: self._section_map(view, section, indicator_id, level,
                                                      year))

    def _section_map(self, view: View, section: MapSection, indicator_id: str, level: str,
                     year: int | None) -> MapData:
        ind = self.indicator(view, indicator_id)
        if ind is None:
            raise KeyError(f"onbekende indicator '{indicator_id}'")
        meas = self.measurements(view, indicator_id, level)
        values, shown_year = mapdata.latest_values(meas, year)
        codes = list(self.geometry(level)["code"])
        layers = section.layers
        zone_codes: set[str] = set()
        if layers.outlines:
            zone_codes = {str(c) for c in self.layer(view, layers.outlines)["area_code"]}
        lines: tuple = ()
        if layers.lines:
            import json

            found = self.layer(view, layers.lines)
            lines = tuple((n, json.loads(g)) for n, g in zip(found["name"], found["geometry"]))
        with i18n.language(view.lang):
            points = (mapdata.points(self.layer(view, layers.points), layers.size_field)
                      if layers.points else ())
        goal, goal_areas = None, ()
        if indicator_id in self.district_goal_indicators() and shown_year is not None:
            g = self.goals(view)
            goal = mapdata.goal_of(g[g["indicator_id"] == indicator_id])
            if goal is not None:
                if section.district_goal == "zones":
                    parents = self.areas(view).set_index("code")["parent_codes"]
                    goal_areas = mapdata.zone_areas(codes, zone_codes, parents)
                else:
                    goal_areas = tuple(codes)
        from .. import maps

        return MapData(
            section=section.key, indicator_id=indicator_id, level=level,
            title=ind["name"], unit=ind["unit"], year=shown_year, values=values,
            scheme=section.scheme, bins=tuple(maps.classify(list(values.values()),
                                                            section.scheme)),
            illustrative=bool(meas["illustrative"].any()) if len(meas) else False,
            attribution=self.attribution(view), quality=self.geometry_quality(level),
            goal=goal, goal_areas=goal_areas, outline_codes=tuple(sorted(zone_codes)),
            lines=lines, points=points, points_label=layers.points or "",
            actions=self.action_positions(view, section.spearhead)
            if section.spearhead else ())

    def indicator_map(self, view: View, indicator_id: str, level: str = "wijk") -> MapData:
        """An indicator's map outside its page (presentation, PDF, open data): its own
        section's classes, goal and overlays, the latest year."""
        return self.section_map(view, self.indicator_section(indicator_id), indicator_id,
                                level, None)

    def draw(self, data: MapData, tiles: str = "none", *, served: bool = True,
             **builder) -> folium.Map:
        """The folium map of ``data`` (a new object each call: callers may change it).
        ``served``: the polygons come from the level's static script (:meth:`served`,
        what every output of the app draws); False embeds them (the benchmarks'
        comparison)."""
        outlines = self.geometry("sector") if data.outline_codes else None
        if served:
            builder.setdefault("served", self.served(data.level))
            if outlines is not None:
                builder.setdefault("outlines_served", self.served("sector"))
        return mapdata.draw(data, self.geometry(data.level), outlines,
                            static_url=self.settings.static_url, tiles=tiles, **builder)

    def home_map_indicator(self, view: View) -> dict | None:
        """The indicator in the home map's tooltips (``home_map_indicator`` in the city
        configuration), when it exists in the catalog."""
        indicator_id = self.settings.city.home_map_indicator
        return self.indicator(view, indicator_id) if indicator_id else None

    def home_tooltips(self, view: View) -> dict[str, list[tuple[str, str]]]:
        """Area code → the home map's tooltip lines (the latest value of the home map's
        indicator per wijk)."""
        shown = self.home_map_indicator(view)
        if shown is None:
            return {}
        latest = self.measurements(view, shown["id"], "wijk")
        if latest.empty:
            return {}
        year = int(latest["period"].max())
        out = {}
        with i18n.language(view.lang):
            for row in latest[latest["period"] == year].itertuples():
                flag = " (" + i18n.t("illustratief") + ")" if row.illustrative else ""
                out[row.area_code] = [(f"{shown['name']} {year}{flag}",
                                       i18n.fmt_number(row.value))]
        return out

    def home_map(self, view: View, tiles: str | None = None) -> folium.Map:
        from .. import maps

        return maps.area_map(
            self.geometry("wijk"), served=self.served("wijk"),
            static_url=self.settings.static_url,
            attribution=self.attribution(view), quality=self.geometry_quality("wijk"),
            tooltips=self.home_tooltips(view),
            tiles=self.settings.tiles if tiles is None else tiles)

    # ------------------------------------------------------------------ district profile
    def district_profile(self, view: View, spearhead_id: int, code: str, level: str
                         ) -> pd.DataFrame:
        """Every district figure of one area on a spearhead page: latest value, rank,
        status where the city goal is a district goal too (once per area and view)."""
        def build() -> pd.DataFrame:
            figures = self._cached(
                ("level_figures", view.data, view.as_of, spearhead_id, level),
                lambda: overview.level_figures(
                    {i: self.measurements(view, i, level)
                     for i in self.district_indicators(view, spearhead_id)},
                    self.indicators(view, spearhead_id)))
            with i18n.language(view.lang):
                return overview.district_profile(
                    code, figures, self.indicators(view, spearhead_id), self.goals(view),
                    self.district_goal_indicators())

        return self._cached(("district_profile", view, view.today(), spearhead_id, code,
                             level), build)

    def years(self, view: View, spearhead_id: int) -> list[int]:
        """The years with district figures of any of a spearhead's indicators."""
        return sorted({int(y) for i in self.district_indicators(view, spearhead_id)
                       for y in self.measurements(view, i, "wijk")["period"]})

    # ------------------------------------------------------------------ actions
    def actions(self, view: View, spearhead_id: int | None = None) -> pd.DataFrame:
        """The note's actions (of one spearhead) with their tracked fields as the view
        stands (a pinned view: as they stood then), texts in the view's language; see
        :func:`dashboard.actions.portfolio.assemble` for the derived columns."""
        from ..actions import portfolio

        every = self._cached(("actions", view, view.today()), lambda: portfolio.assemble(
            self.store.actions(), self.store.action_states(view.as_of_utc),
            self.areas(view), view.today(), view.lang))
        if spearhead_id is None:
            return every
        return every[every["spearhead_id"] == spearhead_id].reset_index(drop=True)

    def action(self, view: View, action_id: str) -> dict | None:
        table = self.actions(view)
        row = table[table["id"] == action_id]
        return None if row.empty else row.iloc[0].to_dict()

    def action_updates(self, view: View, action_id: str | None = None) -> pd.DataFrame:
        """Dated status updates in force in the view (of one action), newest first."""
        return self._cached(("action_updates", view.data, view.as_of, action_id),
                            lambda: self.store.action_updates(view.as_of_utc, action_id))

    def action_rollup(self, view: View, spearhead_id: int | None = None) -> dict:
        from ..actions import portfolio

        return portfolio.rollup(self.actions(view, spearhead_id))

    def action_positions(self, view: View, spearhead_id: int | None = None) -> tuple:
        """A map marker per located action (of one spearhead)."""
        from ..actions import portfolio

        def build() -> tuple:
            levels = dict(zip(self.areas(view)["code"], self.areas(view)["level"]))
            return tuple(portfolio.positions(self.actions(view, spearhead_id), levels,
                                             self.geometry))
        return self._cached(("action_positions", view, spearhead_id), build)

    def district_actions(self, view: View, code: str, level: str,
                         spearhead_id: int | None = None) -> pd.DataFrame:
        """The actions located in one district (linked to it or an area inside it, or
        with a location inside it)."""
        from ..actions import portfolio

        def build() -> pd.DataFrame:
            frame = self.actions(view, spearhead_id)
            geo = self.geometry(level)
            shape = geo.loc[geo["code"] == code, "geometry"]
            mask = portfolio.in_district(frame, code, self.areas(view),
                                         shape.iloc[0] if len(shape) else None)
            return frame[mask].reset_index(drop=True)

        return self._cached(("district_actions", view, view.today(), code, level,
                             spearhead_id), build)

    # ------------------------------------------------------------------ outputs
    def open_data(self, view: View):
        """The open-data export of the view (:class:`dashboard.opendata.Board`), the
        board's own map of every indicator with district figures and its action frame
        (in Dutch, the export's language) included."""
        from .. import opendata

        def build():
            maps_ = {i: self.indicator_map(view, i)
                     for i in self.district_indicators(view)}
            return opendata.collect(self.store, self.settings, view.as_of_utc,
                                    maps=maps_,
                                    actions=self.actions(view.in_language("nl")))
        return self._cached(("open_data", view), build)

    # ------------------------------------------------------------------ benchmark group
    def peer_values(self, view: View) -> pd.DataFrame:
        """Every value of the benchmark group's other members as the view stands."""
        return self._cached(("peers", view.data, view.as_of),
                            lambda: self.store.peer_measurements(view.as_of_utc))

    def benchmark_context(self) -> tuple[str, ...]:
        group = self.settings.city.benchmark
        return tuple(sorted(group.context_indicators)) if group is not None else ()

    def benchmark_table(self, view: View) -> pd.DataFrame:
        """The comparison with the group (:func:`dashboard.benchmark.comparison_table`)."""
        from .. import benchmark

        def build() -> pd.DataFrame:
            with i18n.language(view.lang):
                return benchmark.comparison_table(
                    self.indicators(view), self.city_measurements(view),
                    self.peer_values(view), self.benchmark_context())
        return self._cached(("benchmark_table", view), build)

    def benchmark_row(self, view: View, indicator_id: str) -> dict:
        table = self.benchmark_table(view)
        return table[table["indicator_id"] == indicator_id].iloc[0].to_dict()

    def benchmark_members(self, view: View, indicator_id: str) -> pd.DataFrame:
        """Per member (the city included) the value the group map and ranking show."""
        from .. import benchmark

        def build() -> pd.DataFrame:
            row = self.benchmark_row(view, indicator_id)
            with i18n.language(view.lang):
                return benchmark.map_values(row, row["city_value"], row["city_year"],
                                            self.settings.nis_code, self.city_name(view),
                                            self.peer_values(view))
        return self._cached(("benchmark_members", view, indicator_id), build)
