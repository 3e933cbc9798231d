"""Open data out: the board's figures as CSV, Parquet and GeoJSON, with metadata (pure).

Everything here is built from a :class:`Board`, collected once from the store, the city
configuration and the geometry store (:func:`collect`), as the data stood at ``as_of``
(naive UTC, as the store keeps moments; None: now). No Streamlit, no SQL: the store's
named queries only.

Formats (see docs/opendata.md):

- **Tidy table** (CSV and Parquet), one row per (indicator, area, period), columns
  :data:`FIELDS`, sorted by indicator (catalog order), level (gemeente first), area code
  and period. CSV: UTF-8 without BOM, comma separated, ``\\n`` line ends, a header row,
  ``.`` decimals written as Python's shortest round-trip repr, booleans ``true``/``false``,
  an empty note for none. Parquet: the same columns with explicit Arrow types.
- **GeoJSON** (RFC 7946: WGS84 longitude/latitude, counter-clockwise outer rings, no
  ``crs`` member, coordinates rounded to 6 decimals). Per indicator: one feature per
  table row whose area has real geometry (city rows get the gemeente polygon), properties
  = the table's columns plus ``geometry_quality``. Whole board: one feature per area with
  its measurements nested in ``properties.measurements`` (geometry written once, not once
  per row). Areas whose geometry is only *schematic* (no official layer imported) get no
  feature: a made-up grid is no open geodata.
- **Metadata**: per indicator a Frictionless Data Resource (JSON) with its Table Schema
  and the indicator's catalog facts, licence, attribution and provenance; for the whole
  export a Frictionless Data Package (``datapackage.json``).

Output is deterministic: the same data give the same bytes; only the ``created`` field of
the JSON metadata (the generation time) differs, and it can be fixed with ``created=``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from shapely.geometry import mapping

from . import clock, geodata, safety
from .i18n import t
from .safety import csv_cell
from .settings import Settings
from .store import Store, utc_now

# Top-down: the city first, then ever smaller areas, then the benchmark group's other
# municipalities (``peer``); a level the store gains later sorts after these.
LEVEL_ORDER: tuple[str, ...] = ("gemeente", "deelgemeente", "wijk", "sector", "peer")
# Geometry qualities worth publishing; ``schematic`` is a placeholder grid.
EXPORTED_QUALITIES: frozenset[str] = frozenset({"official", "approximate"})
COORD_DECIMALS = 6  # ~0.1 m; the stored polygons are simplified at 8-10 m anyway

# The tidy table: (name, Table Schema type, Arrow type, required, description). The
# descriptions are Dutch message ids (``lang="nl"``): the files always carry the Dutch
# text, the page shows them through t() in the reader's language.
FIELDS: tuple[tuple[str, str, pa.DataType, bool, str], ...] = (
    ("indicator_id", "string", pa.string(), True,
     t("Id van de indicator (zie de metadata per indicator).", lang="nl")),
    ("area_code", "string", pa.string(), True,
     t("Code van het gebied: NIS-code van de gemeente of deelgemeente, code van de wijk of "
       "van de statistische sector.", lang="nl")),
    ("area_name", "string", pa.string(), True, t("Naam van het gebied.", lang="nl")),
    ("level", "string", pa.string(), True,
     t("Niveau van het gebied: gemeente, deelgemeente, wijk, sector of peer (een andere "
       "gemeente van de vergelijkingsgroep).", lang="nl")),
    ("period", "integer", pa.int32(), True,
     t("Kalenderjaar waarop de waarde slaat.", lang="nl")),
    ("value", "number", pa.float64(), True,
     t("De waarde, in de eenheid van kolom unit.", lang="nl")),
    ("unit", "string", pa.string(), True, t("Eenheid van de waarde.", lang="nl")),
    ("illustrative", "boolean", pa.bool_(), True,
     t("true: illustratief cijfer, gegenereerd om kaarten en vergelijkingen te kunnen "
       "tonen, geen officieel cijfer; false: cijfer uit de vermelde bron.", lang="nl")),
    ("source", "string", pa.string(), True,
     t("Bron van deze waarde: document en hoofdstuk, de generator van illustratieve "
       "cijfers of het geladen bestand.", lang="nl")),
    ("note", "string", pa.string(), False,
     t("Opmerking bij de waarde (leeg: geen).", lang="nl")),
)
COLUMNS: tuple[str, ...] = tuple(f[0] for f in FIELDS)
PRIMARY_KEY = ["indicator_id", "area_code", "period"]
ARROW_SCHEMA = pa.schema([pa.field(n, a, nullable=not req,
                                   metadata={"description": d})
                          for n, _, a, req, d in FIELDS])
CSV_DIALECT = {"delimiter": ",", "lineTerminator": "\n", "quoteChar": '"',
               "doubleQuote": True, "header": True}

ILLUSTRATIVE_MEANING = (
    "Rijen met illustrative = true zijn illustratieve cijfers: waar (nog) geen "
    "gepubliceerde reeksen bestaan (per wijk of sector, per gemeente van de "
    "vergelijkingsgroep) worden ze deterministisch gegenereerd en afgestemd op de "
    "gepubliceerde cijfers, om kaarten en vergelijkingen te kunnen tonen. Het zijn geen "
    "officiële cijfers; gebruik ze niet als feiten over een gebied. Rijen met "
    "illustrative = false komen uit de vermelde bron.")
GEOMETRY_QUALITY_MEANING = {
    "official": "de polygonen van de uitgever (vereenvoudigd, gedeelde grenzen behouden)",
    "approximate": "benaderd: geen officiële polygonen beschikbaar; elke wijk is verdeeld "
                   "in zoveel cellen als ze sectoren telt. Codes en namen zijn echt, de "
                   "vormen niet.",
    "schematic": "schematisch raster, niet uitgevoerd",
}

BOARD_NAME = "alle-indicatoren"
INDICATOR_DIR = "indicatoren"
PACKAGE_FILE = "datapackage.json"
FORMATS: dict[str, tuple[str, str]] = {  # format → (file suffix, media type)
    "csv": (".csv", "text/csv"),
    "parquet": (".parquet", "application/vnd.apache.parquet"),
    "geojson": (".geojson", "application/geo+json"),
    "json": (".json", "application/json"),
    "zip": (".zip", "application/zip"),
}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed entry times: same data, same ZIP bytes


@dataclass(frozen=True)
class Board:
    """Everything an export needs, as it stood at ``as_of``. Treat it as read-only."""

    table: pd.DataFrame                 # tidy, COLUMNS, sorted (see module docstring)
    indicators: pd.DataFrame            # the catalog's indicators, catalog order
    goals: pd.DataFrame
    spearheads: pd.DataFrame
    areas: pd.DataFrame                 # code, name, level, geometry_quality (exported)
    geometry: dict[str, str]            # area code → GeoJSON geometry text (RFC 7946)
    city: dict                          # name, nis_code
    open_data: dict                     # licence, licence_url, publisher (may be empty)
    attribution: str                    # of the geometry ("" without)
    level_quality: dict[str, str]       # level → quality of the geometry store
    level_source: dict[str, str]        # level → the file it came from (no local paths)
    as_of: dt.datetime | None           # naive UTC; None: the data as they are now
    timezone: str = "Europe/Brussels"
    levels: tuple[str, ...] = LEVEL_ORDER  # the store's area levels, top-down
    # indicator id → its rows of ``table`` / its catalog row (precomputed: slicing a
    # frame per indicator and per format is what made exports slow)
    by_indicator: dict[str, pd.DataFrame] = field(default_factory=dict)
    records: dict[str | None, list[tuple]] = field(default_factory=dict)  # None: all
    catalog: dict[str, dict] = field(default_factory=dict)
    goals_of: dict[str, pd.DataFrame] = field(default_factory=dict)
    # indicator id → the board's own map of it (board.MapData: level, year, classes,
    # goal), as the page, the presentation and the PDF draw it; written into its GeoJSON
    maps: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------ collecting
def collect(store: Store, settings: Settings, as_of: dt.datetime | None = None,
            geometries: dict[str, gpd.GeoDataFrame] | None = None,
            maps: dict[str, Any] | None = None) -> Board:
    """Read the store and the geometry store once; ``geometries`` (level → frame) may be
    given by a caller that already holds them (default: read from ``settings.geo_dir``);
    ``maps``: indicator id → the board's map of it (:meth:`dashboard.board.Board.
    open_data` passes them), described in each indicator's GeoJSON."""
    indicators = store.indicators().reset_index(drop=True)
    areas = store.areas()[["code", "name", "level"]]
    values = store.values_at(as_of)
    order = {ind: i for i, ind in enumerate(indicators["id"])}
    units = dict(zip(indicators["id"], indicators["unit"]))

    table = values.merge(areas.rename(columns={"code": "area_code", "name": "area_name"}),
                         on="area_code", how="left")
    table["unit"] = table["indicator_id"].map(units)
    table["_ind"] = table["indicator_id"].map(order).fillna(len(order))
    levels = ordered_levels(areas["level"])
    table["_lvl"] = table["level"].map({lv: i for i, lv in enumerate(levels)}
                                       ).fillna(len(levels))
    table = table.sort_values(["_ind", "_lvl", "area_code", "period"], kind="stable")
    table = table[list(COLUMNS)].reset_index(drop=True)
    table["period"] = table["period"].astype("int32")
    table["value"] = table["value"].astype("float64")
    table["illustrative"] = table["illustrative"].astype(bool)

    manifest = geodata.read_manifest(settings.geo_dir) or {}
    shapes, quality = _geometry(settings.geo_dir, dict(zip(areas["code"], areas["level"])),
                                levels, geometries)
    exported = areas[areas["code"].isin(shapes)].copy()
    exported["geometry_quality"] = exported["code"].map(quality)
    exported["_lvl"] = exported["level"].map({lv: i for i, lv in enumerate(levels)})
    exported = exported.sort_values(["_lvl", "code"]).drop(columns="_lvl").reset_index(
        drop=True)
    level_quality = {lv: info.get("quality", "") for lv, info in
                     (manifest.get("levels") or {}).items()}
    level_source = {lv: Path(str(info.get("source", ""))).name for lv, info in
                    (manifest.get("levels") or {}).items()}
    if manifest.get("benchmark"):  # the benchmark group's boundaries (level peer)
        level_quality.setdefault("peer", manifest["benchmark"].get("quality", ""))
        level_source.setdefault("peer", Path(str(manifest["benchmark"].get("source", "")
                                                 )).name)
    groups = table.groupby("indicator_id", sort=False).indices
    every = list(zip(*(table[c].tolist() for c in COLUMNS)))
    records: dict[str | None, list[tuple]] = {None: every}
    records.update({ind: [every[i] for i in idx] for ind, idx in groups.items()})
    goals = store.goals()
    city = settings.city
    attribution = " ".join(city.geodata.attribution.split())
    return Board(
        table=table, indicators=indicators, goals=goals,
        spearheads=store.spearheads(), areas=exported, geometry=shapes,
        city={"name": city.name, "nis_code": city.nis_code},
        open_data=city.open_data.as_dict(), attribution=attribution,
        level_quality=level_quality, level_source=level_source,
        as_of=as_of, timezone=settings.timezone, levels=levels,
        by_indicator={ind: table.iloc[idx].reset_index(drop=True)
                      for ind, idx in groups.items()},
        records=records,
        catalog={r["id"]: r for r in indicators.to_dict("records")},
        goals_of={ind: g.sort_values(["year", "kind"]).reset_index(drop=True)
                  for ind, g in goals.groupby("indicator_id")},
        maps=dict(maps or {}))


def ordered_levels(levels) -> tuple[str, ...]:
    """The given area levels top-down (:data:`LEVEL_ORDER`), unknown ones after, sorted."""
    present = {str(lv) for lv in levels}
    return tuple([lv for lv in LEVEL_ORDER if lv in present]
                 + sorted(present - set(LEVEL_ORDER)))


def _geometry(geo_dir: Path, level_of: dict[str, str], levels: tuple[str, ...],
              given: dict[str, gpd.GeoDataFrame] | None
              ) -> tuple[dict[str, str], dict[str, str]]:
    """Area code → RFC 7946 geometry text, and area code → quality, for every area with
    publishable geometry (a code counts only in the layer of its own level: the benchmark
    layer also holds this city, which is the gemeente polygon)."""
    shapes: dict[str, str] = {}
    quality: dict[str, str] = {}
    for level in levels:
        if given is not None and level in given:
            gdf = given[level]
        elif (Path(geo_dir) / f"{level}.parquet").exists():
            gdf = geodata.load_level(geo_dir, level)
        else:
            continue
        if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
            gdf = gdf.to_crs(4326)
        for code, q, geom in zip(gdf["code"], gdf["quality"], gdf.geometry):
            if (level_of.get(str(code)) != level or q not in EXPORTED_QUALITIES
                    or geom is None or geom.is_empty):
                continue
            shapes[str(code)] = geometry_json(geom)
            quality[str(code)] = str(q)
    return shapes, quality


def geometry_json(geom) -> str:
    """RFC 7946 geometry text: outer rings counter-clockwise, holes clockwise,
    coordinates rounded to :data:`COORD_DECIMALS`."""
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    return _dumps(_round(mapping(oriented)))


def _round(obj):
    if isinstance(obj, float):
        return round(obj, COORD_DECIMALS)
    if isinstance(obj, (list, tuple)):
        return [_round(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    return obj


def _dumps(obj, indent: int | None = None) -> str:
    """Strict JSON (no NaN), UTF-8 text, stable key order (insertion)."""
    if indent is None:
        return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, indent=indent)


# ----------------------------------------------------------------------------- tables
def indicator_ids(board: Board) -> list[str]:
    return list(board.indicators["id"])


def rows(board: Board, indicator_id: str | None = None) -> pd.DataFrame:
    """The tidy table of one indicator (None: every indicator)."""
    if indicator_id is None:
        return board.table
    _indicator(board, indicator_id)
    found = board.by_indicator.get(indicator_id)
    return board.table.iloc[0:0] if found is None else found


def records(board: Board, indicator_id: str | None = None) -> list[tuple]:
    """The rows of :func:`rows` as tuples in :data:`COLUMNS` order (fast to iterate)."""
    if indicator_id is not None:
        _indicator(board, indicator_id)
    return board.records.get(indicator_id, [])


def _indicator(board: Board, indicator_id: str) -> dict:
    found = board.catalog.get(indicator_id)
    if found is None:
        raise KeyError(f"onbekende indicator '{indicator_id}'")
    return found


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else str(value)


def _number(value: float) -> str:
    value = float(value)
    return repr(value) if math.isfinite(value) else ""


def csv_bytes(board: Board, indicator_id: str | None = None) -> bytes:
    """RFC 4180-style CSV (UTF-8, no BOM, ``\\n`` line ends), see :data:`CSV_DIALECT`."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in records(board, indicator_id):
        ind, code, name, level, period, value, unit, illus, source, note = r
        writer.writerow([csv_cell(ind), csv_cell(code), csv_cell(_text(name)),
                         _text(level), int(period), _number(value), csv_cell(_text(unit)),
                         "true" if illus else "false", csv_cell(_text(source)),
                         csv_cell(_text(note))])
    return out.getvalue().encode("utf-8")


def _arrow(frame: pd.DataFrame) -> pa.Table:
    data = {
        name: [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v
               for v in frame[name].tolist()] if arrow == pa.string() else frame[name]
        for name, _, arrow, _, _ in FIELDS
    }
    return pa.Table.from_pydict(data, schema=ARROW_SCHEMA)


def parquet_bytes(board: Board, indicator_id: str | None = None) -> bytes:
    """The tidy table as Parquet (explicit Arrow types, field descriptions and the
    licence in the file's metadata)."""
    table = _arrow(rows(board, indicator_id)).replace_schema_metadata({
        "licence": board.open_data.get("licence", "") or "",
        "licence_url": board.open_data.get("licence_url", "") or "",
        "publisher": board.open_data.get("publisher", "") or "",
        "as_of": _iso(board.as_of) or "",
    })
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


# ---------------------------------------------------------------------------- GeoJSON
def _properties(r: tuple) -> dict:
    ind, code, name, level, period, value, unit, illus, source, note = r
    return {"indicator_id": ind, "area_code": code, "area_name": _none(name),
            "level": _none(level), "period": int(period), "value": _json_number(value),
            "unit": _none(unit), "illustrative": bool(illus), "source": _none(source),
            "note": _none(note)}


def _none(value):
    text = _text(value)
    return text if text != "" else None


def _json_number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _collection(board: Board, features: list[str], name: str,
                extra: dict | None = None) -> bytes:
    """A FeatureCollection, one feature per line; foreign members name the licence
    (and ``extra`` ones, e.g. the board's map)."""
    head = {"type": "FeatureCollection", "name": name,
            "licence": board.open_data.get("licence") or None,
            "licence_url": board.open_data.get("licence_url") or None,
            "attribution": board.attribution or None, "as_of": _iso(board.as_of),
            **(extra or {})}
    text = _dumps(head)[:-1] + ',"features":[\n' + ",\n".join(features) + "\n]}\n"
    return text.encode("utf-8")


def board_map(board: Board, indicator_id: str) -> dict | None:
    """The board's map of an indicator as a GeoJSON foreign member: the section, level
    and year it shows, the classification (scheme and upper class bounds) and the goal
    with the areas it applies to. Each feature of that level and year carries
    ``map_class`` (0 = lowest class) and ``map_goal`` (whether the goal is drawn on it)."""
    m = board.maps.get(indicator_id)
    if m is None or m.year is None:
        return None
    return {"section": m.section, "level": m.level, "period": int(m.year),
            "scheme": m.scheme, "class_breaks": [_json_number(b) for b in m.bins],
            "goal": None if m.goal is None else {"year": int(m.goal[0]),
                                                 "value": _json_number(m.goal[1])},
            "goal_areas": sorted(m.goal_areas)}


def geojson_bytes(board: Board, indicator_id: str | None = None) -> bytes:
    """Per indicator: one feature per row of an area with geometry. Whole board (None):
    one feature per area with geometry, its rows in ``properties.measurements``."""
    if indicator_id is None:
        return _board_geojson(board)
    quality = dict(zip(board.areas["code"], board.areas["geometry_quality"]))
    shown = board_map(board, indicator_id)
    m = board.maps.get(indicator_id) if shown else None
    goal_areas = set(shown["goal_areas"]) if shown else set()
    features = []
    for r in records(board, indicator_id):
        code = r[1]
        shape = board.geometry.get(code)
        if shape is None:
            continue
        props = _properties(r)
        props["geometry_quality"] = quality[code]
        if m is not None:
            on_map = r[3] == m.level and int(r[4]) == m.year and code in m.values
            props["map_class"] = m.class_of(code) if on_map else None
            props["map_goal"] = (code in goal_areas) if on_map else None
        features.append('{"type":"Feature","id":' + _dumps(f"{r[0]}/{code}/{int(r[4])}")
                        + ',"geometry":' + shape + ',"properties":' + _dumps(props) + "}")
    return _collection(board, features, indicator_id,
                       {"board_map": shown} if shown else None)


def _board_geojson(board: Board) -> bytes:
    by_area: dict[str, list[dict]] = {}
    for r in records(board):
        if r[1] in board.geometry:
            props = _properties(r)
            for key in ("area_code", "area_name", "level"):
                del props[key]
            by_area.setdefault(r[1], []).append(props)
    features = []
    for a in board.areas.itertuples():
        props = {"area_code": a.code, "area_name": a.name, "level": a.level,
                 "geometry_quality": a.geometry_quality,
                 "measurements": by_area.get(a.code, [])}
        features.append('{"type":"Feature","id":' + _dumps(a.code) + ',"geometry":'
                        + board.geometry[a.code] + ',"properties":' + _dumps(props) + "}")
    return _collection(board, features, BOARD_NAME)


# --------------------------------------------------------------------------- metadata
def _iso(moment: dt.datetime | None) -> str | None:
    """A naive UTC moment as ISO 8601 with ``Z``."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def table_schema(levels: tuple[str, ...] = LEVEL_ORDER) -> dict:
    """The tidy table's Frictionless Table Schema (``levels``: the allowed levels)."""
    fields = []
    for name, kind, _, required, description in FIELDS:
        f: dict = {"name": name, "type": kind, "description": description}
        constraints: dict = {"required": True} if required else {}
        if name == "level":
            constraints["enum"] = list(levels)
        if kind == "boolean":
            f["trueValues"], f["falseValues"] = ["true"], ["false"]
        if constraints:
            f["constraints"] = constraints
        fields.append(f)
    return {"$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
            "fields": fields, "primaryKey": PRIMARY_KEY, "missingValues": [""]}


def _licenses(board: Board) -> list[dict]:
    od = board.open_data
    if not od.get("licence"):
        return []
    item = {"title": od["licence"]}
    if od.get("licence_url"):
        item["path"] = od["licence_url"]
    return [item]


def _moment(board: Board) -> dict:
    local = clock.to_local(board.as_of, board.timezone) if board.as_of else None
    return {"as_of": _iso(board.as_of),
            "as_of_local": local.isoformat(timespec="seconds") if local else None,
            "timezone": board.timezone,
            "as_of_meaning": ("de cijfers zoals ze op dit moment (UTC) op het bord stonden"
                              if board.as_of else
                              "de actuele cijfers op het moment van aanmaak (created)")}


def _geometry_meta(board: Board, levels: list[str] | None = None) -> dict:
    levels = [lv for lv in board.levels if levels is None or lv in levels]
    return {
        "crs": "EPSG:4326 (WGS84, lengte/breedte, RFC 7946)",
        "attribution": board.attribution or None,
        "source": {lv: board.level_source.get(lv) or None for lv in levels},
        "quality": {lv: board.level_quality.get(lv) for lv in levels},
        "quality_meaning": {q: GEOMETRY_QUALITY_MEANING[q]
                            for q in sorted({board.level_quality.get(lv) for lv in levels}
                                            & set(GEOMETRY_QUALITY_MEANING))},
    }


def _file_entry(path: str, data: bytes, fmt: str) -> dict:
    return {"path": path, "format": fmt, "mediatype": FORMATS[fmt][1], "bytes": len(data),
            "hash": "sha256:" + hashlib.sha256(data).hexdigest()}


def _list(value) -> list:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [v.item() if hasattr(v, "item") else v for v in list(value)]


def _opt(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def indicator_metadata(board: Board, indicator_id: str,
                       created: dt.datetime | None = None,
                       files: dict[str, bytes] | None = None) -> dict:
    """A Frictionless Data Resource describing ``<id>.csv`` (with Parquet and GeoJSON as
    alternative distributions) plus the indicator's catalog facts."""
    ind = _indicator(board, indicator_id)
    recs = records(board, indicator_id)
    files = files or indicator_files(board, indicator_id)
    sp = board.spearheads[board.spearheads["id"] == ind["spearhead_id"]]
    goals = board.goals_of.get(indicator_id, board.goals.iloc[0:0])
    n_illus = sum(1 for r in recs if r[7])
    levels = {r[3] for r in recs}
    sources: dict[str, int] = {}
    for r in recs:
        sources[r[8]] = sources.get(r[8], 0) + 1
    comparison = None
    if _opt(ind.get("comparison_value")) is not None:
        comparison = {"label": _opt(ind.get("comparison_label")),
                      "value": float(ind["comparison_value"]),
                      "year": _opt(ind.get("comparison_year"))}
    doc, section = str(ind["source_document"]), str(ind["source_section"])
    base = f"{indicator_id}"
    return {
        "$schema": "https://datapackage.org/profiles/2.0/dataresource.json",
        "name": indicator_id,
        "type": "table",
        "title": ind["name"],
        "description": ind["definition"],
        **_file_entry(base + ".csv", files["csv"], "csv"),
        "encoding": "utf-8",
        "dialect": CSV_DIALECT,
        "schema": table_schema(board.levels),
        "rows": len(recs),
        "licenses": _licenses(board),
        "sources": [{"title": f"{doc}, {section}"}]
                   + ([{"title": board.attribution}] if board.attribution else []),
        "distributions": [_file_entry(base + ".parquet", files["parquet"], "parquet"),
                          _file_entry(base + ".geojson", files["geojson"], "geojson")],
        "indicator": {
            "id": indicator_id,
            "name": ind["name"],
            "unit": ind["unit"],
            "direction": ind["direction"],
            "direction_meaning": "hoger is beter" if ind["direction"] == "higher"
                                 else "lager is beter",
            "definition": ind["definition"],
            "spearhead": {"id": int(ind["spearhead_id"]),
                          "name": None if sp.empty else sp.iloc[0]["name"],
                          "sdgs": [] if sp.empty else _list(sp.iloc[0]["sdgs"])},
            "sdgs": _list(ind["sdgs"]),
            "levels": _list(ind["levels"]),
            "levels_in_data": [lv for lv in board.levels if lv in levels],
            "periods": sorted({int(r[4]) for r in recs}),
            "goals": [{"year": int(g.year), "value": float(g.value), "kind": g.kind,
                       "source_section": g.source_section, "note": _opt(g.note)}
                      for g in goals.itertuples()],
            "source": {"document": doc, "section": section},
            "comparison": comparison,
        },
        "illustrative": {"rows": n_illus, "rows_official": len(recs) - n_illus,
                         "meaning": ILLUSTRATIVE_MEANING},
        "row_sources": [{"source": s, "rows": n} for s, n in sorted(sources.items())],
        "geometry": _geometry_meta(board, [lv for lv in board.levels if lv in levels]),
        "city": board.city,
        "publisher": board.open_data.get("publisher") or None,
        **_moment(board),
        "created": _iso(created or utc_now()),
    }


def metadata_bytes(meta: dict) -> bytes:
    return (_dumps(meta, indent=2) + "\n").encode("utf-8")


def indicator_files(board: Board, indicator_id: str) -> dict[str, bytes]:
    """Format → bytes of one indicator's data files (csv, parquet, geojson)."""
    return {"csv": csv_bytes(board, indicator_id),
            "parquet": parquet_bytes(board, indicator_id),
            "geojson": geojson_bytes(board, indicator_id)}


def _slug(text: str) -> str:
    return safety.file_slug(text, "open-data", limit=200)


def package_name(board: Board) -> str:
    """The data package's name, from the configured publisher (else the city)."""
    return _slug(board.open_data.get("publisher") or f"{board.city['name']} open data")


def datapackage(board: Board, created: dt.datetime | None = None,
                files: dict[str, bytes] | None = None) -> dict:
    """The whole export as a Frictionless Data Package: the whole-board files as
    resources, every indicator with its metadata file and data files."""
    files = files if files is not None else board_files(board)
    schema = table_schema(board.levels)
    n_illus = int(board.table["illustrative"].sum())
    documents = sorted({f"{d}" for d in board.indicators["source_document"]})
    indicators = []
    counts = board.table["indicator_id"].value_counts()
    illus = board.table.groupby("indicator_id")["illustrative"].sum()
    for ind in board.indicators.itertuples():
        base = f"{INDICATOR_DIR}/{ind.id}"
        indicators.append({
            "id": ind.id, "name": ind.name, "unit": ind.unit,
            "spearhead": int(ind.spearhead_id), "rows": int(counts.get(ind.id, 0)),
            "illustrative_rows": int(illus.get(ind.id, 0)),
            "metadata": base + ".json",
            "files": {fmt: base + FORMATS[fmt][0] for fmt in ("csv", "parquet", "geojson")},
        })
    name = board.open_data.get("publisher") or board.city["name"]
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": package_name(board),
        "title": f"{name}: open data",
        "description": ("Alle cijfers van het monitoringsbord van "
                        f"{board.city['name']} (NIS {board.city['nis_code']}): per "
                        "indicator, gebied en jaar, met eenheid, bron en de vlag "
                        "illustrative. Metadata per indicator in "
                        f"{INDICATOR_DIR}/<id>.json."),
        "licenses": _licenses(board),
        "contributors": ([{"title": board.open_data["publisher"], "roles": ["publisher"]}]
                         if board.open_data.get("publisher") else []),
        "sources": [{"title": d} for d in documents]
                   + ([{"title": board.attribution}] if board.attribution else []),
        "keywords": ["monitoring", "indicatoren", board.city["name"]],
        "city": board.city,
        **_moment(board),
        "illustrative": {"rows": n_illus, "rows_official": len(board.table) - n_illus,
                         "meaning": ILLUSTRATIVE_MEANING},
        "geometry": _geometry_meta(board),
        "resources": [
            {"name": BOARD_NAME, "type": "table",
             **_file_entry(BOARD_NAME + ".csv", files["csv"], "csv"),
             "encoding": "utf-8", "dialect": CSV_DIALECT, "rows": len(board.table),
             "schema": schema},
            {"name": BOARD_NAME + "-parquet", "type": "table",
             **_file_entry(BOARD_NAME + ".parquet", files["parquet"], "parquet"),
             "rows": len(board.table), "schema": schema},
            {"name": BOARD_NAME + "-geojson",
             **_file_entry(BOARD_NAME + ".geojson", files["geojson"], "geojson"),
             "description": ("Eén feature per gebied met geometrie; de metingen van dat "
                             "gebied in properties.measurements (velden zoals in de tabel, "
                             "zonder area_code, area_name en level).")},
        ],
        "indicators": indicators,
        "created": _iso(created or utc_now()),
    }


def board_files(board: Board) -> dict[str, bytes]:
    """Format → bytes of the whole board's data files (csv, parquet, geojson)."""
    return {"csv": csv_bytes(board), "parquet": parquet_bytes(board),
            "geojson": geojson_bytes(board)}


# ---------------------------------------------------------------------------- bundles
def export_files(board: Board, indicator_id: str | None = None,
                 created: dt.datetime | None = None) -> dict[str, bytes]:
    """Relative path → bytes of a whole export (None) or of one indicator's four files.

    Whole export: ``datapackage.json``, ``alle-indicatoren.{csv,parquet,geojson}`` and
    ``indicatoren/<id>.{csv,parquet,geojson,json}`` for every indicator.
    """
    created = created or utc_now()
    out: dict[str, bytes] = {}
    ids = [indicator_id] if indicator_id is not None else indicator_ids(board)
    prefix = "" if indicator_id is not None else INDICATOR_DIR + "/"
    for ind in ids:
        files = indicator_files(board, ind)
        for fmt, data in files.items():
            out[f"{prefix}{ind}{FORMATS[fmt][0]}"] = data
        out[f"{prefix}{ind}.json"] = metadata_bytes(
            indicator_metadata(board, ind, created, files))
    if indicator_id is None:
        files = board_files(board)
        for fmt, data in files.items():
            out[BOARD_NAME + FORMATS[fmt][0]] = data
        out[PACKAGE_FILE] = metadata_bytes(datapackage(board, created, files))
    return dict(sorted(out.items()))


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A ZIP of ``files`` (path → bytes) with fixed entry times and sorted names."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[path])
    return buf.getvalue()


def write_export(board: Board, out_dir: Path, indicator_id: str | None = None,
                 created: dt.datetime | None = None) -> dict[str, int]:
    """Write an export to ``out_dir``; returns path → size in bytes."""
    files = export_files(board, indicator_id, created)
    out_dir = Path(out_dir)
    for path, data in files.items():
        target = out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return {path: len(data) for path, data in files.items()}


def file_name(fmt: str, indicator_id: str | None = None, board: Board | None = None
              ) -> str:
    """The download name of one file: ``<id>.<ext>``, ``alle-indicatoren.<ext>``, the
    package's ``datapackage.json`` or ``<package>-open-data[-stand-<date>].zip``."""
    if fmt == "zip":
        stamp = ""
        if board is not None and board.as_of is not None:
            local = clock.to_local(board.as_of, board.timezone)
            stamp = f"-stand-{local:%Y%m%d-%H%M}"
        name = package_name(board) if board is not None else "open-data"
        return f"{name}{stamp}.zip"
    if fmt == "json" and indicator_id is None:
        return PACKAGE_FILE
    return (indicator_id or BOARD_NAME) + FORMATS[fmt][0]
