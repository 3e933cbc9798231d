"""The only module that talks to DuckDB.

A :class:`Store` names one database file and holds it only for the moments it reads or
writes: every call attaches the file (read-only for reads, read-write for
:meth:`Store.transaction`) to the process's in-memory DuckDB host, runs on its own
cursor, and detaches it when no other call of the process still uses it. Between calls
the file is free, so a scheduled ``python -m dashboard import`` (another process) can
write while the app serves visitors; a file another process holds is waited for with
backoff, up to ``lock_wait`` seconds, then :class:`DatabaseBusy` names it (see
docs/architecture.md, "Sharing the database file"). Every query binds its parameters (no
SQL is ever built from values), and writers go through :meth:`Store.transaction`, so a
failed write leaves nothing behind. The store knows nothing of Streamlit: the app keeps
one Store object per process with ``st.cache_resource`` (see :mod:`dashboard.appstate`).

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

import datetime as dt
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .errors import StoreWriteError
from .i18n import t
from .safety import bytes_sha256

LEVELS: tuple[str, ...] = ("sector", "wijk", "deelgemeente", "gemeente")
# Area levels: the city's own levels plus ``peer``, the other members of the benchmark
# group (e.g. the 13 centrumsteden), which carry comparison values only.
PEER = "peer"
AREA_LEVELS: tuple[str, ...] = (*LEVELS, PEER)
# The same levels top-down (the city first), then the benchmark group: the one order every
# table, export and layer list is sorted by.
TOP_DOWN: tuple[str, ...] = (*reversed(LEVELS), PEER)
GOAL_KINDS: tuple[str, ...] = ("baseline", "intermediate", "target")
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
GEOMETRY_QUALITIES: tuple[str, ...] = ("official", "approximate", "schematic")

# What is current, the one rule: a row ``{row}`` of batch ``b`` (replaced, if at all, by
# batch ``r``) is in force at moment ``{ts}`` (NULL: now) when its batch is (base data
# always, a coordinator load once loaded at or before then), the batch was not undone by
# then (only loads can be) and the row was not replaced by then. The macros
# ``*_at(ts)`` and the views ``current_*`` (the rule at NULL) are all made from it.
_IN_FORCE = """(b.kind <> 'load' OR b.loaded_at <= coalesce({ts}, 'infinity'::TIMESTAMP))
      AND (b.undone_at IS NULL OR b.undone_at > coalesce({ts}, 'infinity'::TIMESTAMP))
      AND ({row}.replaced_by IS NULL OR r.loaded_at > coalesce({ts}, 'infinity'::TIMESTAMP))"""


def _in_force(row: str, ts: str) -> str:
    return _IN_FORCE.format(row=row, ts=ts)


def _in_batch(table: str, alias: str) -> str:
    return (f"SELECT {alias}.* FROM {table} {alias} JOIN batch b ON b.id = {alias}.batch_id"
            f"\n        LEFT JOIN batch r ON r.id = {alias}.replaced_by")


def _rows_at(name: str, table: str, alias: str, partition: str | None,
             rank: str = "row_number") -> str:
    """A macro ``name(ts)``: the rows of ``table`` in force at ``ts``; per ``partition``
    only those of the most recently loaded batch (``rank``: one row, or the whole batch
    with ``dense_rank``); no partition: every row in force."""
    sql = (f"CREATE OR REPLACE MACRO {name}(ts) AS TABLE\n    {_in_batch(table, alias)}"
           f"\n    WHERE {_in_force(alias, 'ts')}")
    if partition is None:
        return sql + ";"
    return (sql + f"\n    QUALIFY {rank}() OVER (\n        PARTITION BY {partition}"
            "\n        ORDER BY CASE WHEN b.kind = 'load' THEN b.loaded_at"
            f"\n                      ELSE '-infinity'::TIMESTAMP END DESC, {alias}.batch_id"
            " DESC) = 1;")


def _current(name: str, table: str, alias: str) -> str:
    """A view ``name``: the rows of ``table`` in force now."""
    return (f"CREATE OR REPLACE VIEW {name} AS\n    {_in_batch(table, alias)}"
            f"\n    WHERE {_in_force(alias, 'NULL::TIMESTAMP')};")


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
    position INTEGER NOT NULL,
    -- Goal semantics and data calendar (see goaltypes.py and calendar.py).
    goal_type VARCHAR NOT NULL DEFAULT 'none',
    goal_areas VARCHAR[],
    derived_from VARCHAR,
    cadence VARCHAR,
    lag_months INTEGER,
    assumption VARCHAR
);
CREATE TABLE IF NOT EXISTS goal (
    indicator_id VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('baseline', 'intermediate', 'target')),
    source_section VARCHAR NOT NULL,
    note VARCHAR,
    -- a goal made up to illustrate (a new city's example catalog), shown "illustratief"
    illustrative BOOLEAN DEFAULT false,
    PRIMARY KEY (indicator_id, year, kind)
);
CREATE TABLE IF NOT EXISTS area (
    code VARCHAR PRIMARY KEY,
    level VARCHAR NOT NULL
        CHECK (level IN ('sector', 'wijk', 'deelgemeente', 'gemeente', 'peer')),
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
-- The note's actions (dashboard.actions): the catalog part, rebuilt from actions.csv.
CREATE TABLE IF NOT EXISTS action (
    id VARCHAR PRIMARY KEY,
    spearhead_id INTEGER NOT NULL,
    section VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    target_year INTEGER,
    quantity VARCHAR,
    places VARCHAR[] NOT NULL,
    source_section VARCHAR NOT NULL,
    position INTEGER NOT NULL
);
-- What is tracked per action, one full row per batch (long format, like measurement):
-- the build's base row (nothing assessed: status NULL) and every coordinator change.
CREATE TABLE IF NOT EXISTS action_state (
    action_id VARCHAR NOT NULL,
    status VARCHAR CHECK (status IS NULL OR status IN
        ('not_started', 'preparing', 'in_progress', 'done', 'stopped')),
    phase VARCHAR CHECK (phase IS NULL OR phase IN
        ('explore', 'design', 'execute', 'follow_up')),
    start_year INTEGER,
    end_year INTEGER,
    service VARCHAR,
    contact VARCHAR,
    indicator_ids VARCHAR[] NOT NULL,
    area_codes VARCHAR[] NOT NULL,
    location VARCHAR,
    batch_id VARCHAR NOT NULL,
    replaced_by VARCHAR
);
-- Dated status updates with a short text (never replaced; an undone batch hides its own).
CREATE TABLE IF NOT EXISTS action_update (
    action_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    text VARCHAR NOT NULL,
    status VARCHAR,
    who VARCHAR NOT NULL,
    batch_id VARCHAR NOT NULL,
    replaced_by VARCHAR
);
CREATE TABLE IF NOT EXISTS meeting (
    id VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    as_of TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    who VARCHAR NOT NULL
);
-- The data as they stood at moment ``ts`` (NULL: now): the rows in force then (the rule
-- ``_IN_FORCE`` above; base data are the catalog and the deterministic illustrative
-- series, rebuilt from versioned files). Per key the most recently loaded row wins,
-- which is exactly what the load rules make current.
{measurement_at}
-- A layer load replaces the whole layer: per layer, the features of the latest batch in
-- force at ts.
{layer_feature_at}
-- Per action, the tracked row of the latest batch in force at ts; every update in force.
{action_state_at}
{action_update_at}
-- Now: the same rule at NULL. No ranking is needed: a load marks the rows it replaces
-- and its undo clears the marks, so at most one row per key (one batch per layer) is
-- left (the macros rank because a past moment cannot read the cleared marks).
{current_measurement}
{current_layer_feature}
{current_action_state}
""".format(
    measurement_at=_rows_at("measurement_at", "measurement", "m",
                            "m.indicator_id, m.area_code, m.period"),
    layer_feature_at=_rows_at("layer_feature_at", "layer_feature", "f", "f.layer",
                              rank="dense_rank"),
    action_state_at=_rows_at("action_state_at", "action_state", "s", "s.action_id"),
    action_update_at=_rows_at("action_update_at", "action_update", "u", None),
    current_measurement=_current("current_measurement", "measurement", "m"),
    current_layer_feature=_current("current_layer_feature", "layer_feature", "f"),
    current_action_state=_current("current_action_state", "action_state", "s"))

# The tracked fields of an action (a row of ``action_state`` without its batch columns).
ACTION_STATE_COLUMNS: tuple[str, ...] = (
    "action_id", "status", "phase", "start_year", "end_year", "service", "contact",
    "indicator_ids", "area_codes", "location")

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
    "meeting": "SELECT * FROM meeting ORDER BY ALL",
    "action": "SELECT * FROM action ORDER BY ALL",
    "action_state": "SELECT * FROM action_state ORDER BY ALL",
    "action_update": "SELECT * FROM action_update ORDER BY ALL",
}
# The statement that copies a fetched table (the local variable ``data``) into each table
# (table names from the constant list above, never from input).
INSERT_FROM_DATA: dict[str, str] = {name: f"INSERT INTO {name} SELECT * FROM data"
                                    for name in TABLE_DUMPS}
MACROS = {"measurement_at", "layer_feature_at", "action_state_at", "action_update_at"}
VIEWS = {"current_measurement", "current_layer_feature", "current_action_state"}
SCHEMA_VERSION = "5"
# Version 2 lets the area table hold benchmark peers (level 'peer'): DuckDB cannot alter a
# CHECK constraint, so the table is copied into the new definition, in one transaction.
MIGRATIONS: dict[str, str] = {
    "1": """
    CREATE TABLE area_v2 (
        code VARCHAR PRIMARY KEY,
        level VARCHAR NOT NULL
            CHECK (level IN ('sector', 'wijk', 'deelgemeente', 'gemeente', 'peer')),
        name VARCHAR NOT NULL,
        parent_codes VARCHAR[] NOT NULL,
        geometry_quality VARCHAR NOT NULL
            CHECK (geometry_quality IN ('official', 'approximate', 'schematic'))
    );
    INSERT INTO area_v2 SELECT * FROM area;
    DROP TABLE area;
    ALTER TABLE area_v2 RENAME TO area;
    UPDATE meta SET value = '2' WHERE key = 'schema_version';
    """,
    # Version 3 adds the goal type, derived-series formula and data calendar per indicator.
    "2": """
    ALTER TABLE indicator ADD COLUMN IF NOT EXISTS goal_type VARCHAR DEFAULT 'none';
    ALTER TABLE indicator ADD COLUMN IF NOT EXISTS goal_areas VARCHAR[];
    ALTER TABLE indicator ADD COLUMN IF NOT EXISTS derived_from VARCHAR;
    ALTER TABLE indicator ADD COLUMN IF NOT EXISTS cadence VARCHAR;
    ALTER TABLE indicator ADD COLUMN IF NOT EXISTS lag_months INTEGER;
    ALTER TABLE indicator ADD COLUMN IF NOT EXISTS assumption VARCHAR;
    UPDATE meta SET value = '3' WHERE key = 'schema_version';
    """,
    # Version 4: goals can be flagged illustrative, like measurements.
    "3": """
    ALTER TABLE goal ADD COLUMN IF NOT EXISTS illustrative BOOLEAN DEFAULT false;
    UPDATE meta SET value = '4' WHERE key = 'schema_version';
    """,
    # Version 5: the action tables, macros and view (created by SCHEMA, which runs first
    # on a file that lacks them); the next build writes the actions (no fingerprint yet).
    "4": """
    DELETE FROM meta WHERE key = 'actions_sha256';
    UPDATE meta SET value = '5' WHERE key = 'schema_version';
    """,
}


# How long a Store waits for a database file another process holds (seconds; the app and
# the CLI pass the setting DASHBOARD_DB_LOCK_WAIT), and the backoff between attempts.
LOCK_WAIT = 30.0
FIRST_RETRY = 0.01
MAX_RETRY = 0.25


class DatabaseBusy(Exception):
    """Another process held the database file for longer than the Store's bounded wait;
    nothing was read or written by the call that waited. The message names the file."""

    def __init__(self, path: Path, waited: float) -> None:
        self.path = Path(path)
        self.waited = waited
        super().__init__(t(
            "de databank {path} is in gebruik door een ander proces, ook na {seconds} s "
            "wachten; er is niets geschreven. Probeer het later opnieuw (of stop dat proces).",
            path=str(path), seconds=f"{waited:g}"))


def _is_lock_conflict(exc: BaseException) -> bool:
    """DuckDB's 'Could not set lock on file …: Conflicting lock is held in …'."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


_HOST_LOCK = threading.Lock()
_HOST: list[duckdb.DuckDBPyConnection] = []  # the process's in-memory DuckDB host (one)
_GATES: dict[Path, _Gate] = {}


def _host_cursor() -> duckdb.DuckDBPyConnection:
    """A new cursor (own client context) on the process's in-memory DuckDB instance, to
    which database files are attached. Attaching a file costs about a millisecond;
    ``duckdb.connect(file)`` builds a whole database instance each time (about 15 ms)."""
    with _HOST_LOCK:
        if not _HOST:
            _HOST.append(duckdb.connect(":memory:"))
        return _HOST[0].cursor()


def _gate(path: Path) -> _Gate:
    key = Path(path).resolve()
    with _HOST_LOCK:
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = _Gate(key)
        return gate


def _sql_literal(text: str) -> str:
    # ATTACH takes no bound parameter for its path: the one statement built from a value,
    # a path from the settings (never from a visitor), quoted as a SQL string literal.
    return "'" + text.replace("'", "''") + "'"


class _Gate:
    """One database file in this process: whether it is attached to the host and how,
    and how many calls use the attachment now.

    Readers share the attachment (read-only, or read-write while a write runs); a writer
    of this process waits until the readers of a read-only attachment are done, and new
    readers wait behind a waiting writer, so in-process writers are not starved. The last
    user detaches the file, which releases DuckDB's lock on it for other processes. A
    file another process holds is retried with backoff (10 ms doubling to 250 ms) until
    the caller's wait runs out.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.alias = "db_" + bytes_sha256(str(path).encode("utf-8"))[:16]
        self.cond = threading.Condition()
        self.attached = False
        self.writable = False
        self.users = 0
        self.writers_waiting = 0
        self.local = threading.local()  # per thread: how many nested uses it holds

    def acquire(self, write: bool, wait: float, pin: bool = False) -> None:
        depth = 0 if pin else getattr(self.local, "depth", 0)
        with self.cond:
            if depth and self.attached and (self.writable or not write):
                self._enter(depth, pin)  # nested in a call of this thread: share
                return
            if depth:
                raise RuntimeError("a write inside a read of the same thread (open the "
                                   "session with write=True)")
            deadline = time.monotonic() + wait
            delay = FIRST_RETRY
            self.writers_waiting += write
            try:
                while True:
                    pause: float | None = None
                    if self.attached and (self.writable or (not write
                                                            and not self.writers_waiting)):
                        break
                    if self.attached and self.users == 0:
                        self._detach()  # a leftover (failed detach) or a pin released
                    if not self.attached and (write or not self.writers_waiting):
                        try:
                            self._attach(write)
                            break
                        except duckdb.IOException as exc:
                            if not _is_lock_conflict(exc):
                                raise
                            pause, delay = delay, min(delay * 2, MAX_RETRY)
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise DatabaseBusy(self.path, wait)
                    self.cond.wait(remaining if pause is None else min(pause, remaining))
            finally:
                self.writers_waiting -= write
                if write:
                    self.cond.notify_all()
            self._enter(depth, pin)

    def _enter(self, depth: int, pin: bool) -> None:
        self.users += 1
        if not pin:
            self.local.depth = depth + 1

    def release(self, pin: bool = False) -> None:
        with self.cond:
            self.users -= 1
            if not pin:
                self.local.depth -= 1
            if self.users == 0:
                self._detach()
                self.cond.notify_all()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = _host_cursor()
        cur.execute(f"USE {self.alias}")
        return cur

    def _attach(self, write: bool) -> None:
        cur = _host_cursor()
        try:
            cur.execute(f"ATTACH {_sql_literal(str(self.path))} AS {self.alias}"
                        + ("" if write else " (READ_ONLY)"))
        finally:
            cur.close()
        self.attached, self.writable = True, write

    def _detach(self) -> None:
        cur = _host_cursor()
        try:
            cur.execute(f"DETACH {self.alias}")  # checkpoints a writable file, frees the lock
        finally:
            cur.close()
        self.attached = self.writable = False


class Store:
    """One database file, held only while a call runs; a cursor per call; bound
    parameters only.

    ``lock_wait``: seconds to wait (with backoff) for a file another process holds before
    :class:`DatabaseBusy`. ``keep_open``: hold the file from construction to
    :meth:`close` (published snapshots, which are never written, so nobody waits for
    them; queries skip the attach).
    """

    def __init__(self, path: str | Path, read_only: bool = False, *,
                 lock_wait: float = LOCK_WAIT, keep_open: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.lock_wait = float(lock_wait)
        self._gate = _gate(self.path)
        self._write_lock = threading.Lock()  # one write transaction of this Store at a time
        self._pinned = False
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if keep_open:
            self._gate.acquire(not read_only, self.lock_wait, pin=True)
            self._pinned = True
        if read_only:
            with self.session():  # opens now: a missing or damaged file fails here
                pass
            return
        # Only a new (or older) file gets the schema: opening an existing database writes
        # nothing, so a refused load leaves the file byte for byte unchanged.
        if self.path.exists():
            with self.session():
                current = not self._needs_schema() and self._version() not in MIGRATIONS
            if current:
                return
        with self.session(write=True):
            if self._needs_schema():
                with self._cursor() as cur:
                    cur.execute(SCHEMA)
                    cur.execute(
                        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                        [SCHEMA_VERSION],
                    )
            self._migrate()

    def _version(self) -> str:
        rows = self._rows("SELECT value FROM meta WHERE key = 'schema_version'")
        return rows[0][0] if rows else SCHEMA_VERSION

    def _migrate(self) -> None:
        """Bring an older database file to SCHEMA_VERSION (each step one transaction)."""
        while True:
            version = self._version()
            if version not in MIGRATIONS:
                return
            with self.transaction() as cur:
                cur.execute(MIGRATIONS[version])

    def _needs_schema(self) -> bool:
        names = {r[0] for r in self._rows(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = "
            "current_database()")}
        macros = {r[0] for r in self._rows(
            "SELECT function_name FROM duckdb_functions() WHERE function_type = 'table_macro' "
            "AND database_name = current_database()")}
        return not (set(TABLE_DUMPS) | VIEWS <= names and MACROS <= macros)

    def close(self) -> None:
        """Release a ``keep_open`` hold (other Stores hold the file only while they run)."""
        if self._pinned:
            self._pinned = False
            self._gate.release(pin=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- holding the file --------------------------------------------------------------
    @contextmanager
    def session(self, write: bool = False) -> Iterator[None]:
        """Hold the file across several calls (one attach instead of one per call);
        ``write=True`` when a write happens inside. Keep it short: while it is open,
        another process cannot write (any session) or read (a write session)."""
        write = write and not self.read_only
        self._gate.acquire(write, self.lock_wait)
        try:
            yield
        finally:
            self._gate.release()

    @contextmanager
    def _cursor(self, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.session(write):
            cur = self._gate.cursor()
            try:
                yield cur
            finally:
                cur.close()

    # -- low level -------------------------------------------------------------------
    def _df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self._cursor() as cur:
            return cur.execute(sql, list(params)).df()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._cursor() as cur:
            return cur.execute(sql, list(params)).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside BEGIN … COMMIT; any exception rolls everything back.

        The file is held read-write for the transaction and its checkpoint only. A write
        the disk refuses (full, read-only, I/O error), in the body or at COMMIT, raises
        :class:`~dashboard.errors.StoreWriteError`: DuckDB has then rolled back, so
        nothing of the transaction is in the file, and the store stays usable.
        """
        with self._write_lock, self.session(write=True):
            with self._cursor(write=True) as cur:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException as exc:
                    _rollback(cur)
                    if isinstance(exc, duckdb.IOException):
                        raise StoreWriteError(_first_line(exc)) from exc
                    raise
                try:
                    cur.execute("COMMIT")
                except duckdb.Error as exc:  # "Failed to commit: Could not write file …"
                    _rollback(cur)
                    raise StoreWriteError(_first_line(exc)) from exc
            self.checkpoint()

    def checkpoint(self) -> bool:
        """Fold the WAL into the database file; best effort.

        DuckDB refuses a CHECKPOINT while other transactions of this database are running
        (readers of other sessions): the commit is already durable in the WAL then, and
        DuckDB checkpoints by itself later (at the latest when the file is detached).
        Returns whether it ran now.
        """
        with self._cursor(write=True) as cur:
            try:
                cur.execute("CHECKPOINT")
                return True
            except (duckdb.TransactionException, duckdb.IOException,
                    duckdb.InvalidInputException):
                return False  # busy, read-only, or the disk refused: durable in the WAL

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
        as_of: dt.datetime | None = None,
    ) -> pd.DataFrame:
        """Measurements of one indicator as they stand now, or at ``as_of``."""
        if as_of is None:
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
        return self._df(
            """
            SELECT m.indicator_id, m.area_code, a.name AS area_name, a.level,
                   m.period, m.value, m.source, m.illustrative, m.batch_id
            FROM measurement_at(?::TIMESTAMP) m JOIN area a ON a.code = m.area_code
            WHERE m.indicator_id = ? AND (? IS NULL OR a.level = ?)
              AND (? IS NULL OR m.period = ?)
            ORDER BY m.period, a.code
            """,
            [as_of, indicator_id, level, level, period, period],
        )

    def city_measurements(self, as_of: dt.datetime | None = None) -> pd.DataFrame:
        """Every measurement at the municipality level, now or as it stood at ``as_of``."""
        if as_of is None:
            return self._df(
                "SELECT indicator_id, period, value, source, illustrative, batch_id "
                "FROM current_measurement WHERE area_code = ? ORDER BY indicator_id, period",
                [self.meta("nis_code")],
            )
        return self._df(
            "SELECT indicator_id, period, value, source, illustrative, batch_id "
            "FROM measurement_at(?::TIMESTAMP) WHERE area_code = ? "
            "ORDER BY indicator_id, period",
            [as_of, self.meta("nis_code")],
        )

    def values_at(self, as_of: dt.datetime | None) -> pd.DataFrame:
        """Every (indicator, area, period, value) as it stood at ``as_of`` (None: now)."""
        return self._df(
            "SELECT indicator_id, area_code, period, value, illustrative, batch_id, source, "
            "note FROM measurement_at(?::TIMESTAMP)", [as_of])

    def peer_measurements(self, as_of: dt.datetime | None = None) -> pd.DataFrame:
        """Every value of the benchmark peers (level 'peer'), now or as at ``as_of``."""
        return self._df(
            """
            SELECT m.indicator_id, m.area_code, a.name AS area_name, m.period, m.value,
                   m.source, m.illustrative, m.batch_id
            FROM measurement_at(?::TIMESTAMP) m JOIN area a ON a.code = m.area_code
            WHERE a.level = 'peer'
            ORDER BY m.indicator_id, m.period, a.code
            """,
            [as_of],
        )

    def periods(self, indicator_id: str, level: str) -> list[int]:
        rows = self._rows(
            "SELECT DISTINCT m.period FROM current_measurement m JOIN area a "
            "ON a.code = m.area_code WHERE m.indicator_id = ? AND a.level = ? ORDER BY 1",
            [indicator_id, level],
        )
        return [r[0] for r in rows]

    def layer_features(self, layer: str, as_of: dt.datetime | None = None) -> pd.DataFrame:
        if as_of is None:
            return self._df(
                "SELECT * FROM current_layer_feature WHERE layer = ? ORDER BY feature_id",
                [layer])
        return self._df(
            "SELECT * FROM layer_feature_at(?::TIMESTAMP) WHERE layer = ? ORDER BY feature_id",
            [as_of, layer])

    # -- meetings (pinned views) ---------------------------------------------------------
    def meetings(self) -> pd.DataFrame:
        return self._df("SELECT * FROM meeting ORDER BY as_of DESC, id")

    def add_meeting(self, meeting_id: str, title: str, as_of: dt.datetime, who: str) -> None:
        """Record a meeting pinned at ``as_of`` (naive UTC, like every stored moment)."""
        with self.transaction() as cur:
            cur.execute("INSERT INTO meeting VALUES (?, ?, ?, ?, ?)",
                        [meeting_id, title, as_of, utc_now(), who])

    def batches(self) -> pd.DataFrame:
        return self._df("SELECT * FROM batch ORDER BY loaded_at, id")

    # -- coordinator loads ---------------------------------------------------------------
    def current_values(self, indicator_ids: Sequence[str]) -> pd.DataFrame:
        """Current (indicator, area, period, value) rows of some indicators."""
        return self._df(
            "SELECT indicator_id, area_code, period, value, batch_id FROM current_measurement "
            "WHERE list_contains(?, indicator_id)",
            [list(indicator_ids)],
        )

    def preview_load(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Per indicator and year: rows added, replaced (other value) and unchanged."""
        frame = rows[["indicator_id", "area_code", "period", "value"]]  # noqa: F841
        with self._cursor() as cur:
            return cur.execute(
                """
                SELECT f.indicator_id, f.period,
                       count(*) FILTER (WHERE c.value IS NULL) AS toegevoegd,
                       count(*) FILTER (WHERE c.value IS NOT NULL AND c.value <> f.value)
                           AS vervangen,
                       count(*) FILTER (WHERE c.value = f.value) AS ongewijzigd
                FROM frame f LEFT JOIN current_measurement c
                  ON c.indicator_id = f.indicator_id AND c.area_code = f.area_code
                 AND c.period = f.period
                GROUP BY ALL ORDER BY 1, 2
                """
            ).df()

    def commit_load(self, batch: dict, rows: pd.DataFrame) -> dict[str, int]:
        """One transaction: batch row, mark replaced values, insert new ones.

        Rows equal to the current value are skipped. Returns counts.
        """
        frame = rows[["indicator_id", "area_code", "period", "value", "source", "note"]]  # noqa: F841
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO batch (id, kind, loaded_at, who, file_name, sha256, row_count, "
                "warnings_confirmed) VALUES (?, 'load', ?, ?, ?, ?, 0, ?)",
                [batch["id"], batch["loaded_at"], batch["who"], batch["file_name"],
                 batch["sha256"], batch.get("warnings_confirmed")],
            )
            cur.execute("CREATE TEMP TABLE load_rows AS SELECT f.* FROM frame f "
                        "LEFT JOIN current_measurement c ON c.indicator_id = f.indicator_id "
                        "AND c.area_code = f.area_code AND c.period = f.period "
                        "WHERE c.value IS NULL OR c.value <> f.value")
            replaced = cur.execute(
                """
                UPDATE measurement m SET replaced_by = ?
                FROM load_rows f
                WHERE m.indicator_id = f.indicator_id AND m.area_code = f.area_code
                  AND m.period = f.period AND m.replaced_by IS NULL
                  AND m.batch_id IN (SELECT id FROM batch WHERE undone_at IS NULL
                                     AND id <> ?)
                """,
                [batch["id"], batch["id"]],
            ).fetchone()[0]
            added = cur.execute(
                "INSERT INTO measurement SELECT indicator_id, area_code, period, value, "
                "CASE WHEN source = '' THEN ? ELSE source END, false, ?, NULL, "
                "NULLIF(note, '') FROM load_rows",
                [batch["file_name"], batch["id"]],
            ).fetchone()[0]
            cur.execute("UPDATE batch SET row_count = ? WHERE id = ?", [added, batch["id"]])
            cur.execute("DROP TABLE load_rows")
            set_meta(cur, "loads_version", batch["id"])
        return {"rows": int(added), "replaced": int(replaced),
                "unchanged": int(len(rows) - added)}

    def undo_batch(self, batch_id: str) -> dict[str, int]:
        """Undo a coordinator load: its rows leave the current view, replaced ones return.

        Refused when a later load replaced some of its rows (undo that one first).
        Nothing is deleted: the batch is marked undone. The checks run inside the write
        transaction, so no load can slip in between the check and the undo (a load
        committed by another connection meanwhile makes DuckDB abort this transaction
        with a conflict instead of leaving two current values).
        """
        with self.transaction() as cur:
            rows = cur.execute("SELECT kind, undone_at FROM batch WHERE id = ?",
                               [batch_id]).fetchall()
            if not rows:
                raise ValueError(f"lading '{batch_id}' bestaat niet")
            kind, undone = rows[0]
            if kind != "load":
                raise ValueError("alleen ladingen van de coördinator kunnen ongedaan gemaakt "
                                 "worden")
            if undone is not None:
                raise ValueError(f"lading '{batch_id}' is al ongedaan gemaakt")
            later = cur.execute(
                "SELECT DISTINCT replaced_by FROM measurement WHERE batch_id = ? AND "
                "replaced_by IS NOT NULL UNION SELECT DISTINCT replaced_by FROM layer_feature "
                "WHERE batch_id = ? AND replaced_by IS NOT NULL UNION SELECT DISTINCT "
                "replaced_by FROM action_state WHERE batch_id = ? AND replaced_by IS NOT NULL",
                [batch_id, batch_id, batch_id]).fetchall()
            if later:
                raise ValueError("latere lading(en) vervingen waarden van deze lading; maak "
                                 "eerst " + ", ".join(sorted(r[0] for r in later))
                                 + " ongedaan")
            restored = cur.execute("UPDATE measurement SET replaced_by = NULL WHERE "
                                   "replaced_by = ?", [batch_id]).fetchone()[0]
            restored += cur.execute("UPDATE layer_feature SET replaced_by = NULL WHERE "
                                    "replaced_by = ?", [batch_id]).fetchone()[0]
            restored += cur.execute("UPDATE action_state SET replaced_by = NULL WHERE "
                                    "replaced_by = ?", [batch_id]).fetchone()[0]
            cur.execute("UPDATE batch SET undone_at = ? WHERE id = ?", [utc_now(), batch_id])
            set_meta(cur, "loads_version", f"undo:{batch_id}")
        return {"restored": int(restored)}

    def commit_layer(self, batch: dict, layer: str, features: pd.DataFrame) -> dict[str, int]:
        """Replace a whole layer by the features of one load (one transaction)."""
        frame = features[["feature_id", "name", "area_code", "properties", "geometry"]]  # noqa: F841
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO batch (id, kind, loaded_at, who, file_name, sha256, row_count, "
                "warnings_confirmed) VALUES (?, 'load', ?, ?, ?, ?, ?, ?)",
                [batch["id"], batch["loaded_at"], batch["who"], batch["file_name"],
                 batch["sha256"], len(frame), batch.get("warnings_confirmed")],
            )
            replaced = cur.execute(
                "UPDATE layer_feature SET replaced_by = ? WHERE layer = ? AND replaced_by IS "
                "NULL AND batch_id IN (SELECT id FROM batch WHERE undone_at IS NULL AND id <> ?)",
                [batch["id"], layer, batch["id"]]).fetchone()[0]
            cur.execute(
                "INSERT INTO layer_feature SELECT ?, feature_id, name, area_code, properties, "
                "geometry, ?, false, ?, NULL FROM frame", [layer, batch["file_name"],
                                                           batch["id"]])
            set_meta(cur, "loads_version", batch["id"])
        return {"rows": len(frame), "replaced": int(replaced)}

    # -- actions (the note's initiatives) ------------------------------------------------
    def actions(self) -> pd.DataFrame:
        """The action catalog, in the note's order."""
        return self._df("SELECT * FROM action ORDER BY position")

    def action_states(self, as_of: dt.datetime | None = None) -> pd.DataFrame:
        """Per action the tracked fields in force at ``as_of`` (naive UTC; None: now),
        with the batch that set them and when."""
        return self._df(
            "SELECT s.*, b.kind AS batch_kind, b.loaded_at AS changed_at, b.who AS changed_by "
            "FROM action_state_at(?::TIMESTAMP) s JOIN batch b ON b.id = s.batch_id "
            "ORDER BY s.action_id", [as_of])

    def action_updates(self, as_of: dt.datetime | None = None,
                       action_id: str | None = None) -> pd.DataFrame:
        """Dated status updates in force at ``as_of``, newest first."""
        return self._df(
            "SELECT u.*, b.loaded_at AS recorded_at FROM action_update_at(?::TIMESTAMP) u "
            "JOIN batch b ON b.id = u.batch_id WHERE ?::VARCHAR IS NULL OR u.action_id = ? "
            "ORDER BY u.day DESC, b.loaded_at DESC, u.action_id", [as_of, action_id, action_id])

    def action_batch_counts(self) -> pd.DataFrame:
        """Per batch that wrote action rows: how many tracked rows and updates it added
        (what the history lists)."""
        return self._df(
            "SELECT b.id, (SELECT count(*) FROM action_state s WHERE s.batch_id = b.id) "
            "AS changed, (SELECT count(*) FROM action_update u WHERE u.batch_id = b.id) "
            "AS updates FROM batch b WHERE b.kind = 'load' AND (EXISTS (SELECT 1 FROM "
            "action_state s WHERE s.batch_id = b.id) OR EXISTS (SELECT 1 FROM action_update "
            "u WHERE u.batch_id = b.id)) ORDER BY b.id")

    def commit_actions(self, batch: dict, states: pd.DataFrame, updates: pd.DataFrame
                       ) -> dict[str, int]:
        """One transaction: a batch, the new tracked rows of the actions that changed
        (their current rows marked replaced) and the dated updates.

        ``states`` has every tracked column (:data:`ACTION_STATE_COLUMNS`); a row equal to
        the action's current row is skipped. Returns counts; a batch that would change
        nothing is not written (``{"changed": 0, "updates": 0}``).
        """
        frame = states[list(ACTION_STATE_COLUMNS)]  # noqa: F841 (read by DuckDB)
        notes = updates[["action_id", "day", "text", "status"]]  # noqa: F841
        with self.transaction() as cur:
            cur.execute(
                "CREATE TEMP TABLE action_rows AS SELECT f.* FROM frame f "
                "LEFT JOIN current_action_state c ON c.action_id = f.action_id "
                "WHERE c.action_id IS NULL OR ROW(c.status, c.phase, c.start_year, "
                "c.end_year, c.service, c.contact, c.indicator_ids, c.area_codes, "
                "c.location) IS DISTINCT FROM ROW(f.status, f.phase, f.start_year, "
                "f.end_year, f.service, f.contact, f.indicator_ids, f.area_codes, "
                "f.location)")
            changed = cur.execute("SELECT count(*) FROM action_rows").fetchone()[0]
            if changed == 0 and len(notes) == 0:
                cur.execute("DROP TABLE action_rows")
                return {"changed": 0, "updates": 0}
            cur.execute(
                "INSERT INTO batch (id, kind, loaded_at, who, file_name, sha256, row_count, "
                "warnings_confirmed) VALUES (?, 'load', ?, ?, ?, ?, ?, ?)",
                [batch["id"], batch["loaded_at"], batch["who"], batch["file_name"],
                 batch["sha256"], int(changed) + len(notes), batch.get("warnings_confirmed")])
            cur.execute(
                "UPDATE action_state s SET replaced_by = ? FROM action_rows f "
                "WHERE s.action_id = f.action_id AND s.replaced_by IS NULL "
                "AND s.batch_id IN (SELECT id FROM batch WHERE undone_at IS NULL AND id <> ?)",
                [batch["id"], batch["id"]])
            cur.execute(
                "INSERT INTO action_state SELECT action_id, status, phase, start_year, "
                "end_year, service, contact, indicator_ids, area_codes, location, ?, NULL "
                "FROM action_rows", [batch["id"]])
            cur.execute(
                "INSERT INTO action_update SELECT action_id, day, text, status, ?, ?, NULL "
                "FROM notes", [batch["who"], batch["id"]])
            cur.execute("DROP TABLE action_rows")
            set_meta(cur, "loads_version", batch["id"])
        return {"changed": int(changed), "updates": len(notes)}

    # -- snapshots ------------------------------------------------------------------------
    def export_copy(self, target: Path) -> None:
        """Write a consistent copy of every table to a new DuckDB file ``target``.

        All tables are read inside one read transaction (one snapshot of the data), then
        written to the new file with the same schema.
        """
        with self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            tables = {name: cur.sql(sql).to_arrow_table()
                      for name, sql in TABLE_DUMPS.items()}
            cur.execute("COMMIT")
        out = duckdb.connect(str(target))
        try:
            out.execute(SCHEMA)
            for name, data in tables.items():  # noqa: B007 (read by DuckDB by name)
                out.execute(INSERT_FROM_DATA[name])
            out.execute("CHECKPOINT")
        finally:
            out.close()

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
        with self.session():
            for table, sql in TABLE_DUMPS.items():
                rows = self._rows(sql)
                out[table] = bytes_sha256(repr(rows).encode("utf-8"))
        return out


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open (DuckDB ends it itself after a failed
    COMMIT)."""
    try:
        cur.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def utc_now() -> dt.datetime:
    """Every stored moment is naive UTC (the app converts to the city's time zone)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def set_meta(cur: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Write one meta value inside a transaction."""
    cur.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
