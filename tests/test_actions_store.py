"""The action portfolio in the store and the board: catalog build, tracked rows in long
format, pinned views, exact undo, rebuilds that keep the coordinator's changes, the
schema migration, and the actions drawn on the spearhead maps (real build, real
geodata)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import time

import duckdb
import pandas as pd
import pytest

from dashboard import clock
from dashboard import store as store_mod
from dashboard.actions import edit, model, portfolio
from dashboard.board.board import Board
from dashboard.build import build
from dashboard.errors import InputError
from dashboard.store import Store

from .conftest import SHARED_GEO

pytestmark = pytest.mark.skipif(not SHARED_GEO.exists(), reason="needs ../shared/geo")

HEAT = {"Gentse Poort", "Venning", "Kortrijk-Centrum", "Drie Hofsteden", "Sint-Elisabeth"}
DAY = dt.date(2026, 11, 30)


def _board(settings) -> tuple[Store, Board]:
    store = Store(settings.db_path)
    return store, Board(store, settings)


def _states(store: Store) -> list[dict]:
    frame = store.action_states().drop(columns=["changed_at", "batch_kind", "changed_by"])
    return [{k: (list(v) if hasattr(v, "tolist") else v) for k, v in r.items()}
            for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]


def test_build_writes_every_action_unassessed_with_its_places(built_official):
    store, board = _board(built_official)
    frame = board.actions(board.view())
    assert len(frame) == 247
    assert frame["status"].isna().all()
    roll = board.action_rollup(board.view())
    assert roll["total"] == 247 == sum(roll["counts"].values())
    assert roll["counts"][model.NOT_ASSESSED] == 247 and roll["assessed"] == 0
    heat = board.action(board.view(), "a5.3.07")
    assert set(heat["area_names"]) == HEAT
    assert heat["status_label"] == "nog niet beoordeeld"
    assert "warmtenet_aandeel_gebouwen" in heat["indicator_ids"]
    assert board.action(board.view(), "a5.7.06")["area_names"] == ["Kortrijk Zuid"]
    # a place that is no official area name is left unlocated, not guessed
    hangar = board.action(board.view(), "a1.2.01")
    assert hangar["places"].tolist() == ["Hangar K"] and not hangar["located"]


def test_translated_titles_follow_the_view(built_official):
    store, board = _board(built_official)
    nl = board.action(board.view(), "a1.1.01")["title"]
    en = board.action(board.view(lang="en"), "a1.1.01")["title"]
    fr = board.action(board.view(lang="fr"), "a1.1.01")
    assert nl != en and "childcare" in en
    assert fr["status_label"] != "nog niet beoordeeld"


def test_status_change_is_pinned_undone_exactly_and_kept_by_a_rebuild(built_copy):
    store, board = _board(built_copy)
    original = _states(store)
    first = edit.set_status(store, "a5.3.07", "in uitvoering", "tracé vastgelegd", DAY,
                            "test", dienst="Klimaat", start="2025", einde="2032")
    time.sleep(0.01)
    between = clock.to_local(store_mod.utc_now())  # local, with microseconds
    time.sleep(0.01)
    after_first = _states(store)
    second = edit.set_status(store, "a5.3.07", "afgerond", "opgeleverd", DAY, "test")
    now = board.view()
    assert board.action(now, "a5.3.07")["status"] == "done"
    assert board.action(now, "a5.3.07")["service"] == "Klimaat"   # kept from the first
    pinned = board.view(as_of=between)
    assert board.action(pinned, "a5.3.07")["status"] == "in_progress"
    assert len(board.action_updates(pinned, "a5.3.07")) == 1
    assert len(board.action_updates(now, "a5.3.07")) == 2
    # the earlier change cannot be undone while a later one changed the same action
    with pytest.raises(ValueError, match=second["batch_id"]):
        store.undo_batch(first["batch_id"])
    store.undo_batch(second["batch_id"])
    assert _states(store) == after_first
    # a rebuild with a changed action catalog keeps the coordinator's change in force
    csv = built_copy.catalog_dir / "actions.csv"
    assert csv.exists()
    store.undo_batch(first["batch_id"])
    assert _states(store) == original
    third = edit.set_status(store, "a1.1.01", "niet gestart", "gepland", DAY, "test")
    with store.transaction() as cur:  # force the actions part to be rewritten
        store_mod.set_meta(cur, "actions_sha256", "stale")
    assert "actions" in build(built_copy, store).changed
    assert board.action(board.view(), "a1.1.01")["status"] == "not_started"
    store.undo_batch(third["batch_id"])
    assert board.action(board.view(), "a1.1.01")["status"] is None


def test_unchanged_rows_write_no_batch(built_copy):
    store, _ = _board(built_copy)
    batches = len(store.batches())
    ctx = edit.Context(store)
    checked = edit.check([(2, {"id": "a5.3.07", "status": ""})], "x.xlsx", ctx)
    assert checked.ok and checked.states.empty
    assert edit.commit(store, checked, "test")["batch_id"] is None
    assert len(store.batches()) == batches


def test_bad_changes_name_row_and_column_and_write_nothing(built_copy):
    store, _ = _board(built_copy)
    before = store.table_checksums()
    ctx = edit.Context(store)
    checked = edit.check([
        (2, {"id": "a5.3.07", "status": "half klaar"}),
        (3, {"id": "a5.3.08", "start": "2030", "einde": "2028"}),
        (4, {"id": "a5.4.01", "indicatoren": "geen_indicator"}),
        (5, {"id": "a9.9.99"}),
        (6, {"id": "a5.4.02", "locatie": "95, 3"}),
        (7, {"id": "a5.4.03", "update_datum": "2099-01-01", "update_tekst": "later"}),
        (8, {"id": "a5.4.04", "gebieden": "Atlantis"}),
    ], "acties.xlsx", ctx, today=DAY)
    where = {(p.row, p.field) for p in checked.problems}
    assert where == {(2, "status"), (3, "einde"), (4, "indicatoren"), (5, "id"),
                     (6, "locatie"), (7, "update_datum"), (8, "gebieden")}
    assert all(p.file == "acties.xlsx" for p in checked.problems)
    with pytest.raises(InputError):
        edit.commit(store, checked, "test")
    assert store.table_checksums() == before


def test_statuses_are_read_in_three_languages():
    assert model.parse_status("In uitvoering") == "in_progress"
    assert model.parse_status("done") == "done"
    assert model.parse_status("in progress") == "in_progress"
    assert model.parse_status("en cours") == "in_progress"
    assert model.parse_status("nog niet beoordeeld") is None
    assert model.parse_status("") is None
    with pytest.raises(ValueError):
        model.parse_status("bijna")


def test_locations_and_areas_put_actions_on_the_map(built_copy):
    store, board = _board(built_copy)
    edit.set_status(store, "a5.3.06", "in voorbereiding", "verkenning", DAY, "test",
                    locatie="50.8068, 3.2860")
    view = board.view()
    found = {p["id"]: p for p in board.action_positions(view, 5)}
    assert set(found) == {"a5.3.06", "a5.3.07", "a5.7.06"}
    assert (found["a5.3.06"]["lat"], found["a5.3.06"]["lon"]) == (50.8068, 3.286)
    section = board.sections(view, 5)[0]
    data = board.section_map(view, section, section.indicators[0], "wijk")
    assert {a["id"] for a in data.actions} == set(found)
    html = board.draw(data).get_root().render()
    assert html.count('"kind": "action"') == 3
    # the district of a located point lists it; another district does not
    zuid = board.district_actions(view, "34022WG", "wijk", 5)
    assert set(zuid["id"]) >= {"a5.7.06"}
    oost = board.district_actions(view, "34022WE", "wijk", 5)
    assert "a5.3.07" in set(oost["id"]) and "a5.7.06" not in set(oost["id"])
    # filters
    frame = board.actions(view, 5)
    kept = portfolio.filter_actions(frame, statuses=["preparing"])
    assert list(kept["id"]) == ["a5.3.06"]
    areas = board.areas(view)
    kept = portfolio.filter_actions(frame, district=portfolio.descendants("34022WE", areas))
    assert list(kept["id"]) == ["a5.3.07"]


def test_a_hostile_action_title_reaches_the_map_as_text(built_copy):
    """Loaded text is data in the map template too: braces and markup in a title are
    escaped in the marker tooltip (fails when action_markers passes raw text)."""
    store, board = _board(built_copy)
    hostile = '{{ 7*7 }}<img src=x onerror=alert(1)>{% raw %}'
    with store.transaction() as cur:
        cur.execute("UPDATE action SET title = ? WHERE id = 'a5.7.06'", [hostile])
    view = board.view()
    section = board.sections(view, 5)[0]
    html = board.draw(board.section_map(view, section, section.indicators[0], "wijk")
                      ).get_root().render()
    assert "<img src=x" not in html and "{{ 7*7 }}" not in html and "{% raw" not in html
    assert "\\u0026lt;img src=x" in html  # escaped, then JSON-encoded


def test_the_location_reader_takes_pairs_and_geojson_and_refuses_the_rest():
    assert model.parse_location("50.83, 3.27") == model.parse_location("50,83; 3,27")
    assert '"Polygon"' in model.parse_location(
        '{"type":"Polygon","coordinates":[[[3.2,50.8],[3.3,50.8],[3.3,50.9],[3.2,50.8]]]}')
    for bad in ("abc", "95, 3", '{"type":"LineString","coordinates":[[0,0],[1,1]]}',
                "[" * 30_000):
        with pytest.raises(ValueError):
            model.parse_location(bad)


def test_a_version_4_file_gets_the_action_tables(tmp_path, built_official):
    """An older database (schema 4, no action tables) is migrated on open, keeping its
    data; the next build fills the actions."""
    path = tmp_path / "v4.duckdb"
    shutil.copy(built_official.db_path, path)
    con = duckdb.connect(str(path))
    for name in ("action_state_at", "action_update_at"):
        con.execute(f"DROP MACRO TABLE {name}")
    con.execute("DROP VIEW current_action_state")
    for table in ("action", "action_state", "action_update"):
        con.execute(f"DROP TABLE {table}")
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    measurements = con.execute("SELECT count(*) FROM measurement").fetchone()[0]
    con.close()
    with Store(path) as s:
        assert s.meta("schema_version") == "5"
        assert s.actions().empty and len(s.action_states()) == 0
        assert len(s._df("SELECT * FROM measurement")) == measurements
    with Store(path) as s:
        build(dataclasses.replace(built_official, db_path=path), s)
        assert len(s.actions()) == 247 and len(s.action_states()) == 247


def test_a_catalog_row_problem_names_file_row_and_field(tmp_path):
    folder = tmp_path
    pd.DataFrame([{c: "" for c in model.CATALOG_COLUMNS} | {
        "id": "a1.1.01", "spearhead_id": "9", "section": "1.1", "title": "t", "text": "x",
        "indicator_ids": "onbekend"}]).to_csv(folder / "actions.csv", index=False)
    with pytest.raises(InputError) as err:
        model.read_catalog(folder, {1}, {"inwoners"})
    assert {(p.row, p.field) for p in err.value.problems} == {
        (2, "spearhead_id"), (2, "indicator_ids")}
