"""The note's actions as open data: a table (CSV, Parquet), GeoJSON of the located ones
and their Frictionless metadata (pure).

The rows are the board's own assembly of the actions
(:func:`dashboard.actions.portfolio.assemble`, in Dutch) as they stood at the export's
moment, so a pinned export carries the statuses as they were. The editor's name
(``changed_by``) is not published, only when a row changed.

GeoJSON geometry of an action: its own location when the coordinator gave one (the point
or polygon as given), else the union of the publishable geometry of its linked areas
(official or approximate; schematic areas are no open geodata); ``geometry_source`` in
each feature says which (``location`` or ``areas``). Actions without either get no
feature (they stay in the table with ``located`` false).
"""

from __future__ import annotations

import csv
import io
import json
import math

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..i18n import language, t
from ..safety import csv_cell
from .collect import _dumps, geometry_json
from .schema import CSV_DIALECT, FORMATS, Board, _iso, frictionless_schema

ACTIONS_NAME = "acties"

# (name, Table Schema type, Arrow type, required, description): Dutch message ids.
ACTION_FIELDS: tuple[tuple[str, str, pa.DataType, bool, str], ...] = (
    ("id", "string", pa.string(), True,
     t("Id van de actie: a<speerpunt>.<hoofdstuk>.<volgnummer>.", lang="nl")),
    ("spearhead_id", "integer", pa.int32(), True, t("Nummer van het speerpunt.", lang="nl")),
    ("section", "string", pa.string(), True,
     t("Hoofdstuk van de nota waarin de actie staat.", lang="nl")),
    ("title", "string", pa.string(), True, t("Korte titel van de actie.", lang="nl")),
    ("text", "string", pa.string(), True, t("De zin van de nota.", lang="nl")),
    ("target_year", "integer", pa.int32(), False,
     t("Jaartal dat de nota noemt (leeg: geen).", lang="nl")),
    ("quantity", "string", pa.string(), False,
     t("Hoeveelheid die de nota noemt (leeg: geen).", lang="nl")),
    ("places", "string", pa.string(), False,
     t("Plaatsen die de nota noemt, gescheiden door ';'.", lang="nl")),
    ("status", "string", pa.string(), False,
     t("Statuscode: not_started, preparing, in_progress, done of stopped; leeg: nog "
       "niet beoordeeld.", lang="nl")),
    ("status_label", "string", pa.string(), True,
     t("De status in woorden (Nederlands).", lang="nl")),
    ("phase", "string", pa.string(), False,
     t("Fasecode: explore, design, execute of follow_up; leeg: nog niet "
       "beoordeeld.", lang="nl")),
    ("start_year", "integer", pa.int32(), False, t("Startjaar (leeg: onbekend).", lang="nl")),
    ("end_year", "integer", pa.int32(), False,
     t("Geplande eindjaar (leeg: onbekend).", lang="nl")),
    ("due_year", "integer", pa.int32(), False,
     t("Jaar waarin de actie klaar moet zijn: het eindjaar, anders het jaartal van de "
       "nota.", lang="nl")),
    ("late", "boolean", pa.bool_(), True,
     t("true: het jaar is voorbij en de actie is niet afgerond of stopgezet.", lang="nl")),
    ("service", "string", pa.string(), False,
     t("Verantwoordelijke dienst (leeg: niet ingevuld).", lang="nl")),
    ("indicator_ids", "string", pa.string(), False,
     t("Gekoppelde indicatoren, gescheiden door ';'.", lang="nl")),
    ("area_codes", "string", pa.string(), False,
     t("Codes van de gekoppelde gebieden, gescheiden door ';'.", lang="nl")),
    ("area_names", "string", pa.string(), False,
     t("Namen van de gekoppelde gebieden, gescheiden door ';'.", lang="nl")),
    ("located", "boolean", pa.bool_(), True,
     t("true: de actie heeft een locatie of gekoppelde gebieden.", lang="nl")),
    ("changed_at", "datetime", pa.string(), True,
     t("Wanneer deze gegevens van de actie laatst wijzigden (UTC, ISO 8601).", lang="nl")),
)
ACTION_COLUMNS: tuple[str, ...] = tuple(f[0] for f in ACTION_FIELDS)
ACTION_ARROW = pa.schema([pa.field(n, a, nullable=not req, metadata={"description": d})
                          for n, _, a, req, d in ACTION_FIELDS])
GEOMETRY_RULE = ("De eigen locatie van de actie (punt of polygoon zoals opgegeven), anders "
                 "de unie van de geometrie van haar gekoppelde gebieden (officieel of "
                 "benaderd); geometry_source zegt welke. Acties zonder locatie of "
                 "gebied met geometrie krijgen geen feature.")
LIST_FIELDS = ("places", "indicator_ids", "area_codes", "area_names")
INT_FIELDS = ("spearhead_id", "target_year", "start_year", "end_year", "due_year")


def _items(value) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [str(v) for v in list(value)]


def _opt(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def action_rows(board: Board) -> list[dict]:
    """One dict per action in :data:`ACTION_COLUMNS` (lists joined with ';', codes and
    Dutch labels), in the note's order."""
    frame = board.actions if board.actions is not None else pd.DataFrame()
    out = []
    for r in frame.to_dict("records"):
        row = {}
        for name in ACTION_COLUMNS:
            value = r.get(name)
            if name in LIST_FIELDS:
                value = ";".join(_items(value))
            elif name in INT_FIELDS:
                value = None if _opt(value) is None else int(value)
            elif name in ("late", "located"):
                value = bool(value)
            elif name == "changed_at":
                value = None if _opt(value) is None else _iso(
                    pd.Timestamp(value).to_pydatetime())
            else:
                value = _opt(value)
                value = None if value in (None, "") else str(value)
            row[name] = value
        out.append(row)
    return out


def actions_csv(board: Board) -> bytes:
    """CSV as the tidy table's (:data:`CSV_DIALECT`); text that a spreadsheet would read
    as a formula is neutralised (a leading apostrophe)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ACTION_COLUMNS)
    for row in action_rows(board):
        cells = []
        for name, kind, *_ in ACTION_FIELDS:
            value = row[name]
            if value is None:
                cells.append("")
            elif kind == "boolean":
                cells.append("true" if value else "false")
            elif kind == "integer":
                cells.append(str(value))
            else:
                cells.append(csv_cell(str(value)))
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def actions_parquet(board: Board) -> bytes:
    rows = action_rows(board)
    data = {name: [r[name] for r in rows] for name in ACTION_COLUMNS}
    table = pa.Table.from_pydict(data, schema=ACTION_ARROW).replace_schema_metadata({
        "licence": board.open_data.get("licence", "") or "",
        "source": board.action_source, "as_of": _iso(board.as_of) or ""})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


def action_geometry(board: Board, row: dict) -> tuple[str, str] | None:
    """(GeoJSON geometry text, ``location`` | ``areas``) of an action, or None."""
    import shapely.geometry
    from shapely.ops import unary_union

    location = _opt(row.get("location"))
    if isinstance(location, str) and location:
        return geometry_json(shapely.geometry.shape(json.loads(location))), "location"
    parts = [shapely.geometry.shape(json.loads(board.geometry[c]))
             for c in _items(row.get("area_codes")) if c in board.geometry]
    if not parts:
        return None
    return geometry_json(unary_union(parts)), "areas"


def actions_geojson(board: Board) -> bytes:
    """One feature per located action with geometry (see the module docstring)."""
    frame = board.actions if board.actions is not None else pd.DataFrame()
    features = []
    for source, props in zip(frame.to_dict("records"), action_rows(board)):
        found = action_geometry(board, source)
        if found is None:
            continue
        shape, how = found
        features.append('{"type":"Feature","id":' + _dumps(props["id"]) + ',"geometry":'
                        + shape + ',"properties":' + _dumps(props | {
                            "geometry_source": how}) + "}")
    head = {"type": "FeatureCollection", "name": ACTIONS_NAME,
            "licence": board.open_data.get("licence") or None,
            "licence_url": board.open_data.get("licence_url") or None,
            "source": board.action_source or None,
            "attribution": board.attribution or None, "as_of": _iso(board.as_of),
            "geometry_rule": GEOMETRY_RULE}
    text = _dumps(head)[:-1] + ',"features":[\n' + ",\n".join(features) + "\n]}\n"
    return text.encode("utf-8")


def action_files(board: Board) -> dict[str, bytes]:
    """Format → bytes of the actions' data files (csv, parquet, geojson)."""
    return {"csv": actions_csv(board), "parquet": actions_parquet(board),
            "geojson": actions_geojson(board)}


def actions_schema() -> dict:
    from ..actions import model

    return frictionless_schema(ACTION_FIELDS, {"status": list(model.STATUSES),
                                               "phase": list(model.PHASES)}, ["id"])


def actions_metadata(board: Board, files: dict[str, bytes], licenses: list[dict],
                     moment: dict) -> dict:
    """A Frictionless Data Resource for ``acties.csv`` (Parquet and GeoJSON as
    distributions): fields, statuses and phases as codes with their Dutch words, the
    geometry rule, licence and source."""
    from ..actions import model
    from .metadata import _file_entry

    with language("nl"):
        statuses = model.status_labels()
        phases = model.phase_labels()
    rows = action_rows(board)
    counts = {c: sum(1 for r in rows if r["status"] == c) for c in model.STATUSES}
    geo = json.loads(files["geojson"])
    return {
        "$schema": "https://datapackage.org/profiles/2.0/dataresource.json",
        "name": ACTIONS_NAME, "type": "table",
        "title": f"Acties van de {board.action_source}" if board.action_source else "Acties",
        "description": ("De acties van de nota, één rij per actie, met hun status zoals "
                        "die op het bord stond (zie as_of)."),
        **_file_entry(ACTIONS_NAME + ".csv", files["csv"], "csv"),
        "encoding": "utf-8", "dialect": CSV_DIALECT, "schema": actions_schema(),
        "rows": len(rows), "licenses": licenses,
        "sources": [{"title": board.action_source}] if board.action_source else [],
        "distributions": [_file_entry(ACTIONS_NAME + ".parquet", files["parquet"], "parquet"),
                          _file_entry(ACTIONS_NAME + ".geojson", files["geojson"], "geojson")],
        "statuses": [{"code": c, "label": statuses[c]} for c in model.STATUSES]
                    + [{"code": "", "label": statuses[model.NOT_ASSESSED]}],
        "phases": [{"code": c, "label": phases[c]} for c in model.PHASES],
        "counts": {"total": len(rows), "not_assessed": sum(1 for r in rows if not r["status"]),
                   "late": sum(1 for r in rows if r["late"]), **counts},
        "geometry": {"crs": "EPSG:4326 (WGS84, lengte/breedte, RFC 7946)",
                     "rule": GEOMETRY_RULE, "features": len(geo["features"])},
        "city": board.city, "publisher": board.open_data.get("publisher") or None,
        **moment,
    }


def file_names() -> dict[str, str]:
    """Format → the file name of the actions in the bundle."""
    return {fmt: ACTIONS_NAME + FORMATS[fmt][0] for fmt in ("csv", "parquet", "geojson",
                                                              "json")}
