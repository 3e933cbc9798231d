"""Frictionless metadata: per indicator a Data Resource, for the export a Data Package."""

from __future__ import annotations

from __future__ import annotations

import datetime as dt
import hashlib
import math

import pandas as pd

from .. import clock, safety
from ..store import utc_now
from .collect import _dumps
from .formats import _indicator, csv_bytes, geojson_bytes, parquet_bytes, records
from .schema import (BOARD_NAME, CSV_DIALECT, FIELDS, FORMATS, GEOMETRY_QUALITY_MEANING,
                     ILLUSTRATIVE_MEANING, INDICATOR_DIR, LEVEL_ORDER, PRIMARY_KEY, Board,
                     _iso, frictionless_schema)


# --------------------------------------------------------------------------- metadata
def table_schema(levels: tuple[str, ...] = LEVEL_ORDER) -> dict:
    """The tidy table's Frictionless Table Schema (``levels``: the allowed levels)."""
    return frictionless_schema(FIELDS, {"level": list(levels)}, PRIMARY_KEY)


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


def actions_resource(board: Board, files: dict[str, bytes] | None = None) -> dict:
    """The Data Resource of the note's actions (``acties.json``). It has no ``created``
    (the package's is the generation time), so the same data give the same bytes and
    the package can list the file with its hash."""
    from .actions import action_files, actions_metadata

    files = files if files is not None else action_files(board)
    return actions_metadata(board, files, _licenses(board), _moment(board))


def _action_resources(board: Board, files: dict[str, bytes]) -> list[dict]:
    from .actions import ACTIONS_NAME, actions_schema, file_names

    names = file_names()
    rows = 0 if board.actions is None else len(board.actions)
    meta = metadata_bytes(actions_resource(board, files))
    return [
        {"name": ACTIONS_NAME, "type": "table", **_file_entry(names["csv"], files["csv"],
                                                                "csv"),
         "encoding": "utf-8", "dialect": CSV_DIALECT, "rows": rows,
         "schema": actions_schema(),
         "description": "De acties van de nota met hun status; metadata in "
                        + names["json"] + "."},
        {"name": ACTIONS_NAME + "-parquet", "type": "table",
         **_file_entry(names["parquet"], files["parquet"], "parquet"), "rows": rows,
         "schema": actions_schema()},
        {"name": ACTIONS_NAME + "-geojson",
         **_file_entry(names["geojson"], files["geojson"], "geojson"),
         "description": "Eén feature per actie met een locatie of gekoppelde gebieden."},
        {"name": ACTIONS_NAME + "-metadata", **_file_entry(names["json"], meta, "json")},
    ]


def datapackage(board: Board, created: dt.datetime | None = None,
                files: dict[str, bytes] | None = None,
                action_data: dict[str, bytes] | None = None) -> dict:
    """The whole export as a Frictionless Data Package: the whole-board files as
    resources, every indicator with its metadata file and data files, and the note's
    actions (when the board has them)."""
    files = files if files is not None else board_files(board)
    created = created or utc_now()
    if board.actions is not None and action_data is None:
        from .actions import action_files

        action_data = action_files(board)
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
        ] + (_action_resources(board, action_data) if action_data else []),
        "indicators": indicators,
        "created": _iso(created or utc_now()),
    }


def board_files(board: Board) -> dict[str, bytes]:
    """Format → bytes of the whole board's data files (csv, parquet, geojson)."""
    return {"csv": csv_bytes(board), "parquet": parquet_bytes(board),
            "geojson": geojson_bytes(board)}
