"""The only module that talks to DuckDB.

One :class:`Store` wraps one connection; every call takes its own cursor, every query
binds its parameters (no SQL is ever built from values), and writers go through
:meth:`Store.transaction`, so a failed write leaves nothing behind. The store knows
nothing of Streamlit: the app holds one Store per process with ``st.cache_resource``
(see :mod:`dashboard.appstate`).

Data model (long format, in the spirit of kausal-watch's Indicator / IndicatorValue /
IndicatorGoal):

- ``spearhead``: the six speerpunten with their SDGs.
- ``indicator``: what is measured, unit, direction, levels, SDGs, source.
- ``goal``: (indicator, year, value, kind) with kind baseline / intermediate / target.
- ``area``: every district at every level, with parent codes and geometry quality.
- ``measurement``: (indicator, area, period, value) with source, ``illustrative`` flag
  and the batch that brought it. Rows are never updated in place: a replaced value is
  marked ``replaced_by`` the batch that replaced it, so history and undo stay possible.
- ``layer_feature``: point/line/polygon layers (charging points, heat network,
  unsealing projects) as GeoJSON in WGS84, with the same provenance columns.
- ``batch``: one row per load (catalog, generator, geometry, coordinator upload).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

LEVELS: tuple[str, ...] = ("sector", "wijk", "deelgemeente", "gemeente")
GOAL_KINDS: tuple[str, ...] = ("baseline", "intermediate", "target")
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
GEOMETRY_QUALITIES: tuple[str, ...] = ("official", "approximate", "schematic")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS batch (
    id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('catalog', 'illustrative', 'areas', 'load')),
    loaded_at TIMESTAMP NOT NULL,
    who VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    row_count INTEGER NOT NULL,
    warnings_confirmed VARCHAR,
    undone_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS spearhead (
    id INTEGER PRIMARY KEY,
    slug VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    sdgs INTEGER[] NOT NULL,
    source_section VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS indicator (
    id VARCHAR PRIMARY KEY,
    spearhead_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    direction VARCHAR NOT NULL CHECK (direction IN ('higher', 'lower')),
    levels VARCHAR[] NOT NULL,
    sdgs INTEGER[] NOT NULL,
    definition VARCHAR NOT NULL,
    source_document VARCHAR NOT NULL,
    source_section VARCHAR NOT NULL,
    comparison_label VARCHAR,
    comparison_value DOUBLE,
    comparison_year INTEGER,
    plausible_min DOUBLE,
    plausible_max DOUBLE,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS goal (
    indicator_id VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('baseline', 'intermediate', 'target')),
    source_section VARCHAR NOT NULL,
    note VARCHAR,
    PRIMARY KEY (indicator_id, year, kind)
);
CREATE TABLE IF NOT EXISTS area (
    code VARCHAR PRIMARY KEY,
    level VARCHAR NOT NULL CHECK (level IN ('sector', 'wijk', 'deelgemeente', 'gemeente')),
    name VARCHAR NOT NULL,
    parent_codes VARCHAR[] NOT NULL,
    geometry_quality VARCHAR NOT NULL
        CHECK (geometry_quality IN ('official', 'approximate', 'schematic'))
);
CREATE TABLE IF NOT EXISTS measurement (
    indicator_id VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    period INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    source VARCHAR NOT NULL,
    illustrative BOOLEAN NOT NULL,
    batch_id VARCHAR NOT NULL,
    replaced_by VARCHAR,
    note VARCHAR
);
CREATE TABLE IF NOT EXISTS layer_feature (
    layer VARCHAR NOT NULL,
    feature_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    area_code VARCHAR,
    properties VARCHAR NOT NULL,
    geometry VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    illustrative BOOLEAN NOT NULL,
    batch_id VARCHAR NOT NULL,
    replaced_by VARCHAR
);
CREATE OR REPLACE VIEW current_measurement AS
    SELECT m.* FROM measurement m JOIN batch b ON b.id = m.batch_id
    WHERE m.replaced_by IS NULL AND b.undone_at IS NULL;
CREATE OR REPLACE VIEW current_layer_feature AS
    SELECT f.* FROM layer_feature f JOIN batch b ON b.id = f.batch_id
    WHERE f.replaced_by IS NULL AND b.undone_at IS NULL;
"""

# Every table with the constant query that dumps it in a stable order (for checksums).
TABLE_DUMPS: dict[str, str] = {
    "meta": "SELECT * FROM meta ORDER BY ALL",
    "batch": "SELECT * FROM batch ORDER BY ALL",
    "spearhead": "SELECT * FROM spearhead ORDER BY ALL",
    "indicator": "SELECT * FROM indicator ORDER BY ALL",
    "goal": "SELECT * FROM goal ORDER BY ALL",
    "area": "SELECT * FROM area ORDER BY ALL",
    "measurement": "SELECT * FROM measurement ORDER BY ALL",
    "layer_feature": "SELECT * FROM layer_feature ORDER BY ALL",
}
SCHEMA_VERSION = "1"


class Store:
    """One DuckDB connection; a cursor per call; bound parameters only."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path), read_only=read_only)
        self._write_lock = threading.Lock()
        if not read_only:
            self._con.execute(SCHEMA)
            self._con.execute(
                "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                [SCHEMA_VERSION],
            )

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- low level -------------------------------------------------------------------
    def _df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        cur = self._con.cursor()
        try:
            return cur.execute(sql, list(params)).df()
        finally:
            cur.close()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cur = self._con.cursor()
        try:
            return cur.execute(sql, list(params)).fetchall()
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside BEGIN … COMMIT; any exception rolls everything back."""
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                cur.close()
                raise
            cur.execute("COMMIT")
            cur.close()
        self.checkpoint()

    def checkpoint(self) -> None:
        cur = self._con.cursor()
        try:
            cur.execute("CHECKPOINT")
        finally:
            cur.close()

    # -- catalog ---------------------------------------------------------------------
    def spearheads(self) -> pd.DataFrame:
        return self._df("SELECT * FROM spearhead ORDER BY id")

    def indicators(self, spearhead_id: int | None = None) -> pd.DataFrame:
        return self._df(
            "SELECT * FROM indicator WHERE ? IS NULL OR spearhead_id = ? "
            "ORDER BY spearhead_id, position",
            [spearhead_id, spearhead_id],
        )

    def indicator(self, indicator_id: str) -> dict | None:
        df = self._df("SELECT * FROM indicator WHERE id = ?", [indicator_id])
        return None if df.empty else df.iloc[0].to_dict()

    def goals(self, indicator_id: str | None = None) -> pd.DataFrame:
        return self._df(
            "SELECT * FROM goal WHERE ? IS NULL OR indicator_id = ? ORDER BY indicator_id, year",
            [indicator_id, indicator_id],
        )

    def spearhead_summary(self) -> pd.DataFrame:
        """Per spearhead: indicator count, goals, indicators with city-level data."""
        return self._df(
            """
            SELECT s.id, s.slug, s.name, s.sdgs,
                   count(DISTINCT i.id) AS indicators,
                   count(DISTINCT g.indicator_id) AS with_goal,
                   count(DISTINCT m.indicator_id) AS with_data
            FROM spearhead s
            LEFT JOIN indicator i ON i.spearhead_id = s.id
            LEFT JOIN goal g ON g.indicator_id = i.id
            LEFT JOIN current_measurement m ON m.indicator_id = i.id
                 AND m.area_code = ? AND NOT m.illustrative
            GROUP BY ALL ORDER BY s.id
            """,
            [self.meta("nis_code")],
        )

    # -- areas and measurements --------------------------------------------------------
    def areas(self, level: str | None = None) -> pd.DataFrame:
        return self._df(
            "SELECT * FROM area WHERE ? IS NULL OR level = ? ORDER BY level, code",
            [level, level],
        )

    def area_counts(self) -> dict[str, int]:
        return dict(self._rows("SELECT level, count(*) FROM area GROUP BY level"))

    def measurements(
        self,
        indicator_id: str,
        level: str | None = None,
        period: int | None = None,
    ) -> pd.DataFrame:
        return self._df(
            """
            SELECT m.indicator_id, m.area_code, a.name AS area_name, a.level,
                   m.period, m.value, m.source, m.illustrative, m.batch_id
            FROM current_measurement m JOIN area a ON a.code = m.area_code
            WHERE m.indicator_id = ? AND (? IS NULL OR a.level = ?)
              AND (? IS NULL OR m.period = ?)
            ORDER BY m.period, a.code
            """,
            [indicator_id, level, level, period, period],
        )

    def city_measurements(self) -> pd.DataFrame:
        """Every current measurement at the municipality level."""
        return self._df(
            "SELECT indicator_id, period, value, source, illustrative, batch_id "
            "FROM current_measurement WHERE area_code = ? ORDER BY indicator_id, period",
            [self.meta("nis_code")],
        )

    def periods(self, indicator_id: str, level: str) -> list[int]:
        rows = self._rows(
            "SELECT DISTINCT m.period FROM current_measurement m JOIN area a "
            "ON a.code = m.area_code WHERE m.indicator_id = ? AND a.level = ? ORDER BY 1",
            [indicator_id, level],
        )
        return [r[0] for r in rows]

    def layer_features(self, layer: str) -> pd.DataFrame:
        return self._df(
            "SELECT * FROM current_layer_feature WHERE layer = ? ORDER BY feature_id", [layer]
        )

    def batches(self) -> pd.DataFrame:
        return self._df("SELECT * FROM batch ORDER BY loaded_at, id")

    # -- meta --------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", [key])
        return rows[0][0] if rows else None

    def all_meta(self) -> dict[str, str]:
        return dict(self._rows("SELECT key, value FROM meta ORDER BY key"))

    # -- integrity ---------------------------------------------------------------------
    def table_checksums(self) -> dict[str, str]:
        """A sha256 per table over its rows in a stable order (for 'nothing changed')."""
        out = {}
        for table, sql in TABLE_DUMPS.items():
            rows = self._rows(sql)
            out[table] = hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()
        return out


def set_meta(cur: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Write one meta value inside a transaction."""
    cur.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
