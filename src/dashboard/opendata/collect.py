"""Collecting the export from the store and the geometry store, once."""

from __future__ import annotations

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import mapping

from .. import geodata
from ..settings import Settings
from ..store import Store
from .schema import Board, COLUMNS, COORD_DECIMALS, EXPORTED_QUALITIES, LEVEL_ORDER


# ------------------------------------------------------------------------ collecting
def collect(store: Store, settings: Settings, as_of: dt.datetime | None = None,
            geometries: dict[str, gpd.GeoDataFrame] | None = None,
            maps: dict[str, Any] | None = None,
            actions: pd.DataFrame | None = None) -> Board:
    """Read the store and the geometry store once; ``geometries`` (level → frame) may be
    given by a caller that already holds them (default: read from ``settings.geo_dir``);
    ``maps``: indicator id → the board's map of it (:meth:`dashboard.board.Board.
    open_data` passes them), described in each indicator's GeoJSON; ``actions``: the
    board's action frame of the moment in Dutch (``Board.actions``; None or empty: the
    export has no actions)."""
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
    if actions is not None and actions.empty:
        actions = None
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
        maps=dict(maps or {}), actions=actions,
        action_source=city.documents[0].title if city.documents else "")


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
