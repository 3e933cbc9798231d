"""The open-data export's schema: fields, formats, constants and the Board it is built from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from ..i18n import t
from ..store import TOP_DOWN


# Top-down: the city first, then ever smaller areas, then the benchmark group's other
# municipalities (``peer``); a level the store gains later sorts after these.
LEVEL_ORDER: tuple[str, ...] = TOP_DOWN
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
    # The note's actions as the board assembles them (Dutch), as they stood at ``as_of``
    # (None: the store has no actions); the title of the document they come from.
    actions: pd.DataFrame | None = None
    action_source: str = ""


def _iso(moment: dt.datetime | None) -> str | None:
    """A naive UTC moment as ISO 8601 with ``Z``."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def frictionless_schema(fields, enums: dict[str, list[str]], primary_key: list[str]) -> dict:
    """A Frictionless Table Schema from (name, type, _, required, description) rows;
    ``enums``: field name → the allowed values."""
    out = []
    for name, kind, _, required, description in fields:
        f: dict = {"name": name, "type": kind, "description": description}
        constraints: dict = {"required": True} if required else {}
        if name in enums:
            constraints["enum"] = list(enums[name])
        if kind == "boolean":
            f["trueValues"], f["falseValues"] = ["true"], ["false"]
        if constraints:
            f["constraints"] = constraints
        out.append(f)
    return {"$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
            "fields": out, "primaryKey": list(primary_key), "missingValues": [""]}
