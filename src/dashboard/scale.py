"""A store at Flanders scale, for load benchmarks and the 1,000,000-row kill test
(synthetic: nothing here is loaded into the city's own store).

Kortrijk's own key space is small: 99 indicators (92 of them city-level only) × 136 areas
× 27 years, plus the 12 benchmark peers of 9 compared indicators, allow at most 31,104
distinct valid rows, so a valid 1,000,000-row file cannot
exist for it. At the scale of issue 6 (all 2,730 wijken of Flanders and Brussels, from
``../shared/geo/vlaanderen_wijken_2024.geojson``), the first 14 catalog indicators defined
at wijk level give 14 × 2,731 × 27 = 1,032,318 distinct keys. This module builds such a
store (real catalog, real wijk codes and names; no geometry needed for loads) directly
through the store's own writers. Nothing derived from ../shared is written into the
project: the store lives in a temporary folder.

Issue 6, point 7 ("Scale") adds two builders used by ``bench/scale_bench.py`` and
``tests/test_scale_browser.py`` (one definition, no copies; public, so the tests do not
import ``bench/``):

- :func:`flanders_map`: the 2,730 Flemish wijken on one choropleth built by the app's own
  ``dashboard.maps.choropleth`` (Leaflet served locally, no tiles), coloured by an
  ILLUSTRATIVE Flanders-wide indicator (:func:`illustrative_values`, seeded numpy);
- :func:`fill_measurements`: about ten million measurement rows (every catalog indicator ×
  2,730 wijken × 38 years) written into a store with the app's real schema, in either of two
  row orders, with deterministic illustrative values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .catalog import read_catalog, write_catalog
from .settings import load_settings
from .store import Store, utc_now

WIJK_INDICATORS = 14
FLANDERS_WIJKEN = "vlaanderen_wijken_2024.geojson"
FLANDERS_WIJK_COUNT = 2_730


def scale_store(db_path: Path, shared_geo: Path,
                wijk_indicators: int = WIJK_INDICATORS) -> Store:
    """Create a store whose areas are the gemeente 34022 and every Flemish wijk.

    The first ``wijk_indicators`` catalog indicators are declared at wijk level too."""
    settings = load_settings({})
    cat = read_catalog(settings.catalog_dir)
    ind = cat.indicators.copy()
    ind["levels"] = [["gemeente", "wijk"] if i < wijk_indicators else list(lv)
                     for i, lv in enumerate(ind["levels"])]
    cat = type(cat)(cat.spearheads, ind, cat.goals, cat.measurements, cat.sha256)
    data = json.loads((shared_geo / FLANDERS_WIJKEN).read_text("utf-8"))
    wijken = pd.DataFrame([f["properties"] for f in data["features"]])
    areas = pd.concat([
        pd.DataFrame({"code": ["34022"], "level": ["gemeente"], "name": ["Kortrijk"],
                      "parent_codes": [[]], "geometry_quality": ["official"]}),
        pd.DataFrame({"code": wijken["wijk_code"].astype(str), "level": "wijk",
                      "name": wijken["wijk_naam"].astype(str),
                      "parent_codes": [["34022"]] * len(wijken),
                      "geometry_quality": "official"}),
    ], ignore_index=True)
    store = Store(db_path)
    now = utc_now().replace(microsecond=0)
    with store.transaction() as cur:
        cur.execute("INSERT INTO batch (id, kind, loaded_at, who, file_name, sha256, "
                    "row_count) VALUES ('catalog-scale', 'catalog', ?, 'bench', "
                    "'data/catalog/*.csv', ?, ?)", [now, cat.sha256, len(cat.measurements)])
        write_catalog(cur, cat, "catalog-scale", "34022")
        frame = areas  # noqa: F841 (read by DuckDB by name)
        cur.execute("INSERT INTO area SELECT code, level, name, parent_codes, "
                    "geometry_quality FROM frame")
        cur.execute("INSERT INTO meta VALUES ('nis_code', '34022') ON CONFLICT DO NOTHING")
    return store


# --------------------------------------------------------------------- the Flanders map
# The illustrative Flanders-wide indicator of the map (no such official series is loaded).
FLANDERS_TITLE = "Aandeel verharde oppervlakte"
FLANDERS_UNIT = "%"
ILLUSTRATIVE_SEED = 2040
ATTRIBUTION = ("Wijken voor omgevingsanalyse. © gemeentebesturen, verzameld door Data & "
               "Analyse van de Vlaamse provincies")


def flanders_wijken(shared_geo: Path, tolerance_m: float | None = None):
    """The 2,730 wijken of Flanders and Brussels as the app would draw them.

    Read with the app's reader (``geodata.read_layer``: CRS checked), coverage-simplified
    in Lambert 72 (``geodata.simplify_coverage``, shared borders stay shared; default
    tolerance the app's wijk tolerance ``geodata.TOLERANCE_M["wijk"]``, 0 = none), then
    reprojected to WGS84 for Leaflet. Columns ``code``, ``name``, ``geometry``."""
    from . import geodata

    gdf = geodata.read_layer(Path(shared_geo) / FLANDERS_WIJKEN)
    if gdf.crs.to_epsg() != geodata.WORK_CRS:
        gdf = gdf.to_crs(geodata.WORK_CRS)
    tol = geodata.TOLERANCE_M["wijk"] if tolerance_m is None else tolerance_m
    if tol > 0:
        gdf = geodata.simplify_coverage(gdf, tol)
    gdf = gdf.rename(columns={"wijk_code": "code", "wijk_naam": "name"})
    gdf["code"] = gdf["code"].astype(str)
    gdf["name"] = gdf["name"].astype(str)
    return gdf[["code", "name", "geometry"]].to_crs(geodata.STORE_CRS)


def illustrative_values(codes, seed: int = ILLUSTRATIVE_SEED) -> dict[str, float]:
    """ILLUSTRATIVE values (5-85 %, one decimal) per area code: seeded numpy, assigned in
    sorted code order, so the same codes always get the same values."""
    import numpy as np

    ordered = sorted(set(map(str, codes)))
    rng = np.random.default_rng(seed)
    values = np.round(5 + 80 * rng.beta(2.0, 3.0, size=len(ordered)), 1)
    return dict(zip(ordered, values.tolist()))


def _fmt(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def flanders_map(wijken, *, static_url: str, geometry_encoding: str = "polyline",
                 seed: int = ILLUSTRATIVE_SEED):
    """The Flanders-wide wijk choropleth (``dashboard.maps.choropleth``, no base tiles).

    ``wijken``: :func:`flanders_wijken`'s frame. ``geometry_encoding``: ``"polyline"``
    (compact, what the target is met with) or ``"geojson"`` (the builder's default)."""
    from . import maps

    return maps.choropleth(
        wijken, illustrative_values(wijken["code"], seed), title=FLANDERS_TITLE,
        unit=FLANDERS_UNIT, fmt=_fmt, scheme="quantiles", static_url=static_url,
        attribution=ATTRIBUTION, quality="official", illustrative=True, tiles="none",
        geometry_encoding=geometry_encoding)


# ------------------------------------------------------------- ten million measurements
FIRST_PERIOD, LAST_PERIOD = 1987, 2024  # 38 years
SCALE_BATCH = "illustrative-scale"
SCALE_SOURCE = "Illustratief: schaaltest (dashboard/scale.py), geen officiële cijfers"
ROW_ORDERS = ("arrival", "sorted")


def fill_measurements(store: Store, order: str = "arrival") -> dict:
    """Write one illustrative value per (indicator, wijk, year) into ``measurement``.

    Every catalog indicator × every wijk of the store × 1987..2024 (99 × 2,730 × 38 =
    10,270,260 rows with the catalog of November 2026) with the store's real schema, one
    ``illustrative`` batch, in one transaction of the store. The gemeente row keeps only
    the catalog's own figures. The value is a fixed function of the three keys' positions
    (indicator id, wijk code and year in sorted order), so both orders hold exactly the
    same rows:

    - ``arrival``: area by area (each wijk's whole series, then the next wijk), the order
      a per-district generator or per-municipality loads would write them;
    - ``sorted``: by (indicator_id, period, area_code), the order the queries group and
      filter by (DuckDB's per-row-group min/max "zone maps" can then skip row groups).

    Rows come from ``range()`` in that order (no ORDER BY, so no sort memory) and DuckDB
    keeps insertion order."""
    if order not in ROW_ORDERS:
        raise ValueError(f"order must be one of {ROW_ORDERS}")
    ind = sorted(store.indicators()["id"].astype(str))
    areas = sorted(store.areas("wijk")["code"].astype(str))
    n_i, n_a, n_p = len(ind), len(areas), LAST_PERIOD - FIRST_PERIOD + 1
    if order == "arrival":
        keys = (f"(r // {n_p}) % {n_i}", f"r // ({n_i} * {n_p})", f"r % {n_p}")
    else:
        keys = (f"r // ({n_p} * {n_a})", f"r % {n_a}", f"(r // {n_a}) % {n_p}")
    now = utc_now().replace(microsecond=0)
    total = n_i * n_a * n_p
    with store.transaction() as cur:
        cur.execute("INSERT INTO batch (id, kind, loaded_at, who, file_name, sha256, "
                    "row_count) VALUES (?, 'illustrative', ?, 'bench', 'dashboard/scale.py', "
                    "'-', ?)", [SCALE_BATCH, now, total])
        cur.execute(
            f"""
            INSERT INTO measurement
            SELECT ind[i + 1], area[a + 1], {FIRST_PERIOD} + p,
                   round(50 + 45 * sin(i * 12.9898 + a * 78.233 + p * 0.37), 2),
                   ?, true, ?, NULL, NULL
            FROM (SELECT {keys[0]} AS i, {keys[1]} AS a, {keys[2]} AS p,
                         ?::VARCHAR[] AS ind, ?::VARCHAR[] AS area
                  FROM range({total}) t(r))
            """,
            [SCALE_SOURCE, SCALE_BATCH, ind, areas])
    return {"indicators": n_i, "areas": n_a, "periods": n_p, "rows": total,
            "order": order}
