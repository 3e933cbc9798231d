"""A store at Flanders scale, for load benchmarks and the 1,000,000-row kill test.

Kortrijk's own key space is small: 97 indicators (90 of them city-level only) × 136 areas
× 27 years allow at most 28,134 distinct valid rows, so a valid 1,000,000-row file cannot
exist for it. At the scale of issue 6 (all 2,730 wijken of Flanders and Brussels, from
``../shared/geo/vlaanderen_wijken_2024.geojson``), the first 14 catalog indicators defined
at wijk level give 14 × 2,731 × 27 = 1,032,318 distinct keys. This module builds such a
store (real catalog, real wijk codes and names; no geometry needed for loads) directly
through the store's own writers. Nothing derived from ../shared is written into the
project: the store lives in a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from dashboard.catalog import read_catalog, write_catalog
from dashboard.settings import load_settings
from dashboard.store import Store

WIJK_INDICATORS = 14


def scale_store(db_path: Path, shared_geo: Path) -> Store:
    """Create a store whose areas are the gemeente 34022 and every Flemish wijk."""
    settings = load_settings({})
    cat = read_catalog(settings.catalog_dir)
    ind = cat.indicators.copy()
    ind["levels"] = [["gemeente", "wijk"] if i < WIJK_INDICATORS else list(lv)
                     for i, lv in enumerate(ind["levels"])]
    cat = type(cat)(cat.spearheads, ind, cat.goals, cat.measurements, cat.sha256)
    data = json.loads((shared_geo / "vlaanderen_wijken_2024.geojson").read_text("utf-8"))
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
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
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
