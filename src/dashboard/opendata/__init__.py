"""Open data out: the board's figures as CSV, Parquet and GeoJSON, with metadata (pure).

A package: ``schema`` (fields, formats, the Board), ``collect``, ``formats`` (CSV,
Parquet, GeoJSON), ``metadata`` (Frictionless), ``bundle`` (files, ZIP, folder).

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
- **Actions** (``acties.*``): the note's actions, one row per action with its status as
  it stood (codes and Dutch words), as CSV, Parquet and GeoJSON of the located ones, with
  a Data Resource ``acties.json`` (see :mod:`.actions`).
- **Metadata**: per indicator a Frictionless Data Resource (JSON) with its Table Schema
  and the indicator's catalog facts, licence, attribution and provenance; for the whole
  export a Frictionless Data Package (``datapackage.json``).

Output is deterministic: the same data give the same bytes; only the ``created`` field of
the JSON metadata (the generation time) differs, and it can be fixed with ``created=``.
"""


from .schema import (ARROW_SCHEMA, BOARD_NAME, Board, COLUMNS, COORD_DECIMALS, CSV_DIALECT,
                     EXPORTED_QUALITIES, FIELDS, FORMATS, GEOMETRY_QUALITY_MEANING,
                     ILLUSTRATIVE_MEANING, INDICATOR_DIR, LEVEL_ORDER, PACKAGE_FILE, PRIMARY_KEY)
from .collect import collect, geometry_json, ordered_levels
from .formats import (board_map, csv_bytes, geojson_bytes, indicator_ids, parquet_bytes, records,
                      rows)
from .metadata import (board_files, datapackage, indicator_files, indicator_metadata,
                       metadata_bytes, package_name, table_schema)
from .bundle import export_files, file_name, write_export, zip_bytes
from .actions import (ACTION_COLUMNS, ACTION_FIELDS, ACTIONS_NAME, action_files, action_rows,
                      actions_csv, actions_geojson, actions_parquet)
from .metadata import actions_resource

__all__ = ["ARROW_SCHEMA", "BOARD_NAME", "Board", "COLUMNS", "COORD_DECIMALS", "CSV_DIALECT",
           "EXPORTED_QUALITIES", "FIELDS", "FORMATS", "GEOMETRY_QUALITY_MEANING",
           "ILLUSTRATIVE_MEANING", "INDICATOR_DIR", "LEVEL_ORDER", "PACKAGE_FILE", "PRIMARY_KEY",
           "collect", "geometry_json", "ordered_levels", "board_map", "csv_bytes", "geojson_bytes",
           "indicator_ids", "parquet_bytes", "records", "rows", "board_files", "datapackage",
           "indicator_files", "indicator_metadata", "metadata_bytes", "package_name",
           "table_schema", "export_files", "file_name", "write_export", "zip_bytes",
           "ACTION_COLUMNS", "ACTION_FIELDS", "ACTIONS_NAME", "action_files", "action_rows",
           "actions_csv", "actions_geojson", "actions_parquet", "actions_resource"]
