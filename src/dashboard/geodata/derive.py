"""Derived layers: the sector table, approximate sectors inside official wijken, the
schematic grid, coarser levels dissolved from sectors, and the coverage simplification
the store applies to every level."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from ..errors import GeodataError
from ..i18n import t
from ..settings import Settings
from .read import PEER_LEVEL, STORE_CRS, WORK_CRS, _mib, expected_areas

# Simplification tolerance in metres per level (coverage-preserving).
TOLERANCE_M = {"sector": 8.0, "wijk": 8.0, "deelgemeente": 10.0, "gemeente": 10.0}
TOLERANCE_M[PEER_LEVEL] = 60.0
# The sector table (Statbel's, one city: a few kB).
MAX_TABLE_BYTES = 20 * 1024 * 1024
# Which of a sector's parent codes (areas table, ``parent_codes``) is its area of a level.
PARENT_INDEX = {"wijk": 0, "deelgemeente": 1, "gemeente": 2}


def sector_table(folder: Path | None, settings: Settings) -> pd.DataFrame:
    """Sector codes, names and their wijk: Statbel's CSV if given, else the project table."""
    table = settings.city.geodata.sector_table
    expected = expected_areas(settings)
    sectors = expected[expected["level"] == "sector"].copy()
    sectors["wijk_code"] = sectors["parent_codes"].map(lambda p: p[0])
    if folder is not None and table and (folder / table).exists():
        path = folder / table
        if path.stat().st_size > MAX_TABLE_BYTES:
            raise GeodataError.single(str(path), t("bestand is groter dan {limit}",
                                                   limit=_mib(MAX_TABLE_BYTES)))
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise GeodataError.single(str(path), t("onleesbare CSV: {error}",
                                                   error=str(exc)[:200])) from None
        needed = {"sector_code", "sector_naam", "wijk_code"}
        if not needed <= set(raw.columns):
            raise GeodataError.single(str(path), t("kolommen sector_code, sector_naam, "
                                                   "wijk_code verwacht"))
        raw = raw[raw["wijk_code"].isin(set(sectors["wijk_code"]))]
        if set(raw["sector_code"]) != set(sectors["code"]):
            diff = set(raw["sector_code"]) ^ set(sectors["code"])
            raise GeodataError.single(str(path), t("sectorcodes wijken af van de verwachte: "
                                                   "{codes}", codes=", ".join(sorted(diff)[:10])),
                                      field="sector_code")
        sectors = sectors.merge(raw[["sector_code", "sector_naam"]], left_on="code",
                                right_on="sector_code")
        sectors["name"] = sectors["sector_naam"]
    return sectors[["code", "name", "wijk_code"]].sort_values("code").reset_index(drop=True)


def _partition(polygon, n: int, seed: int):
    """Split ``polygon`` into ``n`` compact cells that exactly cover it.

    Deterministic: a regular grid of sample points inside the polygon, k-means (Lloyd)
    from a seeded start, then the Voronoi cells of the centres clipped to the polygon.
    """
    if n == 1:
        return [polygon]
    minx, miny, maxx, maxy = polygon.bounds
    step = max(maxx - minx, maxy - miny) / 60
    xs, ys = np.meshgrid(np.arange(minx, maxx, step), np.arange(miny, maxy, step))
    pts = np.column_stack([xs.ravel(), ys.ravel()])
    inside = shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])
    pts = pts[inside]
    rng = np.random.default_rng(seed)
    centres = pts[rng.choice(len(pts), size=n, replace=False)]
    for _ in range(30):
        d = ((pts[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        nearest = d.argmin(axis=1)
        for k in range(n):
            members = pts[nearest == k]
            if len(members):
                centres[k] = members.mean(axis=0)
    cells = shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=box(*polygon.bounds))
    parts = [c.intersection(polygon) for c in shapely.get_parts(cells)]
    # Order cells like their centres so assignment is stable.
    order = [next(i for i, p in enumerate(parts) if p.contains(shapely.Point(c)) or
                  p.distance(shapely.Point(c)) < 1e-6) for c in centres]
    return [parts[i] for i in order]


def approximate_sectors(wijken: gpd.GeoDataFrame, sectors: pd.DataFrame, centre_xy,
                        seed: int) -> gpd.GeoDataFrame:
    """Approximate sector polygons inside each real wijk polygon (flagged approximate).

    Within a wijk, cells nearer to the city centre get the lower sector codes (Statbel's
    numbering runs roughly outward from each core); this is a heuristic, nothing more.
    """
    rows = []
    cx, cy = centre_xy
    for wijk_code, group in sectors.groupby("wijk_code", sort=True):
        poly = wijken.loc[wijken["code"] == wijk_code].geometry.iloc[0]
        cells = _partition(poly, len(group), seed + int.from_bytes(wijk_code.encode(), "big") % 997)
        cells.sort(key=lambda c: (c.centroid.x - cx) ** 2 + (c.centroid.y - cy) ** 2)
        for (code, name), cell in zip(group[["code", "name"]].itertuples(index=False), cells):
            rows.append({"code": code, "name": name, "level": "sector",
                         "quality": "approximate", "geometry": cell})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)
    return out.sort_values("code").reset_index(drop=True)


def schematic_layers(settings: Settings) -> dict[str, gpd.GeoDataFrame]:
    """A labelled grid so the app works with no official geodata at all.

    Sectors are square cells grouped per wijk; wijken, deelgemeenten and the gemeente
    are unions of their sectors, so the hierarchy stays consistent.
    """
    areas = expected_areas(settings)
    sectors = sector_table(None, settings)
    lat, lon = settings.city.centre
    origin = gpd.GeoSeries([shapely.Point(lon, lat)], crs=STORE_CRS).to_crs(WORK_CRS).iloc[0]
    cell = 450.0
    rows = []
    wijk_codes = sorted(sectors["wijk_code"].unique())
    per_row = 4
    block = 4  # a wijk occupies a block of up to 4 x 4 cells
    for w_i, wijk_code in enumerate(wijk_codes):
        bx = (w_i % per_row) * (block + 1) * cell - 2 * (block + 1) * cell
        by = -(w_i // per_row) * (block + 1) * cell + 2 * (block + 1) * cell
        members = sectors[sectors["wijk_code"] == wijk_code].reset_index(drop=True)
        for s_i, (code, name) in enumerate(members[["code", "name"]].itertuples(index=False)):
            x = origin.x + bx + (s_i % block) * cell
            y = origin.y + by - (s_i // block) * cell
            rows.append({"code": code, "name": name, "level": "sector", "quality": "schematic",
                         "geometry": box(x, y - cell, x + cell, y)})
    sec = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)
    out = {"sector": sec.sort_values("code").reset_index(drop=True)}
    for level in PARENT_INDEX:
        out[level] = dissolve_sectors(sec, level, areas, "schematic")
    return out


def dissolve_sectors(sectors: gpd.GeoDataFrame, level: str, areas: pd.DataFrame,
                     quality: str) -> gpd.GeoDataFrame:
    """A coarser ``level`` as the union of its ``sectors`` (each sector's parent from the
    ``areas`` table, names from it too), every area flagged ``quality``: the one dissolve
    of the schematic grid and of official or approximate sectors."""
    parents = areas[areas["level"] == "sector"].set_index("code")["parent_codes"]
    idx = PARENT_INDEX[level]
    key = sectors["code"].map(lambda c: parents[c][idx])
    dissolved = sectors.assign(code=key).dissolve(by="code").reset_index()
    names = areas.set_index("code")["name"]
    return gpd.GeoDataFrame(
        {"code": dissolved["code"], "name": dissolved["code"].map(names), "level": level,
         "quality": quality}, geometry=dissolved.geometry.to_numpy(), crs=WORK_CRS)


def dissolve_from_sectors(sectors: gpd.GeoDataFrame, level: str, settings: Settings
                          ) -> gpd.GeoDataFrame:
    """A coarser level of an import as the union of its sectors (official sectors →
    official result, else approximate), its source naming the sectors'."""
    quality = "official" if (sectors["quality"] == "official").all() else "approximate"
    out = dissolve_sectors(sectors, level, expected_areas(settings), quality)
    out.attrs["source"] = f"samengevoegd uit sectoren ({sectors.attrs.get('source', '')})"
    return out


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Simplify a polygon coverage keeping shared borders shared (GEOS coverage simplify)."""
    geoms = shapely.coverage_simplify(gdf.geometry.to_numpy(), tolerance)
    geoms = shapely.make_valid(geoms)
    out = gdf.copy()
    out.geometry = geoms
    return out
