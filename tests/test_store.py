"""The store: bound parameters, all-or-nothing transactions, current views."""

from __future__ import annotations

import pytest

from dashboard.store import Store


@pytest.fixture
def store(built_copy):
    with Store(built_copy.db_path) as s:
        yield s


def test_values_are_bound_not_interpolated(store):
    before = store.table_checksums()
    evil = "x'; DROP TABLE indicator; --"
    assert store.indicator(evil) is None
    assert store.measurements(evil).empty
    assert store.areas(evil).empty
    assert store.table_checksums() == before
    assert store.indicator("laadpunten")["unit"]


def test_transaction_rolls_back_everything_on_error(store):
    before = store.table_checksums()
    with pytest.raises(RuntimeError), store.transaction() as cur:
        cur.execute("DELETE FROM measurement")
        cur.execute("DELETE FROM indicator")
        raise RuntimeError("boom")
    assert store.table_checksums() == before


def test_replaced_and_undone_rows_leave_the_current_view(store):
    m = store.measurements("laadpunten", level="gemeente", period=2024)
    batch = m["batch_id"].iloc[0]
    with store.transaction() as cur:
        cur.execute("UPDATE measurement SET replaced_by = 'later' WHERE batch_id = ? AND "
                    "indicator_id = 'laadpunten' AND area_code = '34022'", [batch])
    assert store.measurements("laadpunten", level="gemeente", period=2024).empty
    with store.transaction() as cur:
        cur.execute("UPDATE measurement SET replaced_by = NULL WHERE replaced_by = 'later'")
        cur.execute("UPDATE batch SET undone_at = now() WHERE id = ?", [batch])
    assert store.measurements("laadpunten", level="gemeente", period=2024).empty


def test_spearhead_summary_counts(store):
    summary = store.spearhead_summary()
    assert list(summary["id"]) == [1, 2, 3, 4, 5, 6]
    assert summary["indicators"].sum() == len(store.indicators())
    assert (summary["with_data"] <= summary["indicators"]).all()
    assert summary["with_data"].sum() > 0


def test_a_version_1_file_is_migrated_keeping_its_areas(tmp_path):
    """Schema 1 refused level 'peer' in a CHECK constraint DuckDB cannot alter; opening
    such a file copies the area table into the new definition, rows kept."""
    import duckdb

    from dashboard import store as store_mod

    v1 = store_mod.SCHEMA.replace(
        "CHECK (level IN ('sector', 'wijk', 'deelgemeente', 'gemeente', 'peer'))",
        "CHECK (level IN ('sector', 'wijk', 'deelgemeente', 'gemeente'))")
    assert v1 != store_mod.SCHEMA
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute(v1)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO area VALUES ('34022', 'gemeente', 'Kortrijk', [], 'official')")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO area VALUES ('36015', 'peer', 'Roeselare', [], 'official')")
    con.close()
    with Store(path) as s:
        assert s.meta("schema_version") == store_mod.SCHEMA_VERSION == "5"
        with s.transaction() as cur:
            cur.execute("INSERT INTO area VALUES ('36015', 'peer', 'Roeselare', [], 'official')")
        assert s.areas()[["code", "level"]].values.tolist() == [
            ["34022", "gemeente"], ["36015", "peer"]]
