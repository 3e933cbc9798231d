"""The data files: the tidy table as CSV and Parquet, and GeoJSON."""

from __future__ import annotations

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..safety import csv_cell
from .collect import _dumps
from .schema import ARROW_SCHEMA, BOARD_NAME, COLUMNS, FIELDS, Board, _iso


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
