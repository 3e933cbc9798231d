"""The note's actions in every output (issue 14 point 5): the presentation's action
steps, the PDF's action section, "what changed" for action statuses and the open-data
export of the actions (CSV, Parquet, GeoJSON, metadata), on a real database."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from pathlib import Path

import pandas as pd
import pytest

from dashboard import changes
from dashboard.actions import edit
from dashboard.store import Store, utc_now

from .conftest import make_env, run_app

ACTION = "a5.3.07"
DAY = dt.date(2026, 1, 15)


def _tick() -> dt.datetime:
    """A moment strictly between two batches (batch times have microseconds)."""
    time.sleep(0.01)
    moment = utc_now()
    time.sleep(0.01)
    return moment


def _use(settings, monkeypatch) -> None:
    for key, value in make_env(settings.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)


# ------------------------------------------------------------------ what changed
def test_changes_list_a_status_change_and_nothing_before_it(built_copy):
    with Store(built_copy.db_path) as store:
        t0 = _tick()
        edit.set_status(store, ACTION, "in uitvoering", "gestart", DAY, "coördinator")
        t1 = _tick()
        nothing = changes.action_status_changes(store.action_states(t0),
                                                store.action_states(t0))
        assert nothing.empty
        first = store.action_states(None)
        diff = changes.action_status_changes(store.action_states(t0),
                                             store.action_states(t1), store.actions())
        assert diff["action_id"].tolist() == [ACTION]
        row = diff.iloc[0]
        assert row["status_old"] is None and row["status_new"] == "in_progress"
        assert row["changed_by"] == "coördinator" and row["spearhead_id"] == 5
        assert pd.Timestamp(t0) < pd.Timestamp(row["changed_at"]) < pd.Timestamp(t1)
        # A second change: from t1 on only that one; from t0 old status is still None.
        edit.set_status(store, ACTION, "afgerond", "klaar", DAY, "coördinator")
        later = changes.action_status_changes(store.action_states(t1), first)
        assert later.empty  # ``first`` was read before the second change
        now = store.action_states(None)
        assert changes.action_status_changes(store.action_states(t1), now)[
            ["status_old", "status_new"]].values.tolist() == [["in_progress", "done"]]
        assert changes.action_status_changes(store.action_states(t0), now)[
            ["status_old", "status_new"]].values.tolist() == [[None, "done"]]


def test_changes_page_shows_the_action_status_change(built_copy, clean_env, monkeypatch):
    _use(built_copy, monkeypatch)
    with Store(built_copy.db_path) as store:
        edit.set_status(store, ACTION, "in uitvoering", "gestart", dt.date.today(),
                        "coördinator")
    at = run_app("app_pages/changes.py")
    tables = [d.value for d in at.dataframe if "Actie" in d.value.columns]
    assert tables, [h.value for h in at.header]
    shown = tables[0]
    assert shown["Actie"].tolist() == [ACTION]
    assert shown["Status was"].tolist() == ["nog niet beoordeeld"]
    assert shown["Status nu"].tolist() == ["in uitvoering"]
    assert "1 actie kreeg een andere status" in [h.value for h in at.header]


# ------------------------------------------------------------------ open data
def _export(settings, as_of=None):
    from dashboard import opendata
    from dashboard.board import Board, View

    with Store(settings.db_path, read_only=True) as store:
        board = Board(store, settings)
        view = View(lang="nl") if as_of is None else board.view(as_of)
        od = board.open_data(view)
        return od, opendata.export_files(od, created=dt.datetime(2026, 1, 1)), \
            board.actions(view)


def test_open_data_actions_csv_is_formula_safe(built_copy):
    from dashboard import opendata

    with Store(built_copy.db_path) as store:
        edit.set_status(store, ACTION, "in uitvoering", "gestart", DAY, "test",
                        service="=cmd|' /C calc'!A0")
    od, files, shown = _export(built_copy)
    text = files["acties.csv"].decode("utf-8")
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert len(table) == 247 == len(shown)
    assert list(table.columns) == list(opendata.ACTION_COLUMNS)
    assert table["id"].tolist() == shown["id"].tolist()
    row = table.set_index("id").loc[ACTION]
    assert row["service"] == "'=cmd|' /C calc'!A0"      # no formula for a spreadsheet
    assert (row["status"], row["status_label"]) == ("in_progress", "in uitvoering")
    assert "=cmd" not in text.replace("'=cmd", "")
    # Not assessed: an empty code, the Dutch words; the editor's name is not published.
    other = table.set_index("id").drop(ACTION)
    assert set(other["status"]) == {""} and set(other["status_label"]) == {
        "nog niet beoordeeld"}
    assert "changed_by" not in table.columns and "test" not in set(table["changed_at"])
    # The bundle names the files in the data package with their hashes; the metadata
    # gives the statuses as codes with their words, the licence and the source.
    package = json.loads(files["datapackage.json"])
    paths = {r["path"] for r in package["resources"]}
    assert {"acties.csv", "acties.parquet", "acties.geojson", "acties.json"} <= paths
    meta = json.loads(files["acties.json"])
    assert meta["rows"] == 247 and meta["counts"]["in_progress"] == 1
    assert meta["counts"]["not_assessed"] == 246
    assert {"code": "in_progress", "label": "in uitvoering"} in meta["statuses"]
    assert meta["sources"] == [{"title": "Inspiratienota Kortrijk 2040"}]
    assert meta["licenses"][0]["title"] == built_copy.city.open_data.licence
    assert [f["name"] for f in meta["schema"]["fields"]] == list(opendata.ACTION_COLUMNS)


def test_open_data_actions_parquet_round_trips(built_official):
    import pyarrow.parquet as pq

    _, files, shown = _export(built_official)
    back = pq.read_table(io.BytesIO(files["acties.parquet"])).to_pandas()
    csv_table = pd.read_csv(io.BytesIO(files["acties.csv"]), dtype=str,
                            keep_default_na=False)
    assert back["id"].tolist() == shown["id"].tolist() == csv_table["id"].tolist()
    assert back["title"].tolist() == shown["title"].tolist()
    assert back["spearhead_id"].tolist() == shown["spearhead_id"].tolist()
    assert back["late"].tolist() == shown["late"].tolist()
    years = [None if pd.isna(v) else int(v) for v in back["target_year"]]
    assert years == [None if pd.isna(v) else int(v) for v in shown["target_year"]]
    assert back["indicator_ids"].tolist() == [";".join(v) for v in shown["indicator_ids"]]
    meta = pq.read_schema(io.BytesIO(files["acties.parquet"])).metadata
    assert meta[b"source"] == b"Inspiratienota Kortrijk 2040"


def test_open_data_actions_geojson_has_the_located_ones(built_copy):
    import shapely.geometry

    point = '{"type":"Point","coordinates":[3.2650,50.8277]}'
    with Store(built_copy.db_path) as store:
        edit.set_status(store, "a1.1.01", "in voorbereiding", "plek gekozen", DAY, "test",
                        location="50.8277, 3.2650")
    od, files, shown = _export(built_copy)
    geo = json.loads(files["acties.geojson"])
    assert geo["type"] == "FeatureCollection" and "crs" not in geo
    located = shown[shown["located"]]
    assert len(located) >= 3
    by_id = {f["id"]: f for f in geo["features"]}
    assert set(by_id) == set(located["id"])  # every located action, nothing else
    for f in geo["features"]:
        shape = shapely.geometry.shape(f["geometry"])
        assert shape.is_valid and not shape.is_empty
        minx, miny, maxx, maxy = shape.bounds
        assert 2.5 < minx <= maxx < 6.5 and 49.5 < miny <= maxy < 51.6  # Belgium, lon/lat
    own = by_id["a1.1.01"]
    assert own["properties"]["geometry_source"] == "location"
    assert shapely.geometry.shape(own["geometry"]).equals(
        shapely.geometry.shape(json.loads(point)))
    assert own["properties"]["status"] == "preparing"
    by_areas = [f for f in geo["features"] if f["properties"]["geometry_source"] == "areas"]
    assert by_areas
    for f in by_areas:  # the union of its areas' published geometry
        from shapely.ops import unary_union

        codes = f["properties"]["area_codes"].split(";")
        union = unary_union([shapely.geometry.shape(json.loads(od.geometry[c]))
                             for c in codes if c in od.geometry])
        assert shapely.geometry.shape(f["geometry"]).symmetric_difference(union).area \
            < 1e-8
    assert "Inspiratienota" in geo["source"] and geo["geometry_rule"]


def test_pinned_export_shows_the_old_status(built_copy):
    with Store(built_copy.db_path) as store:
        edit.set_status(store, ACTION, "in uitvoering", "gestart", DAY, "test")
        time.sleep(1.1)  # links and pins carry whole seconds
        from dashboard import clock

        pinned = clock.to_local(utc_now()).replace(microsecond=0)
        time.sleep(1.1)
        edit.set_status(store, ACTION, "afgerond", "klaar", DAY, "test")
    _, then, _ = _export(built_copy, pinned)
    _, now, _ = _export(built_copy)

    def status(files):
        table = pd.read_csv(io.BytesIO(files["acties.csv"]), dtype=str,
                            keep_default_na=False).set_index("id")
        return table.loc[ACTION, "status"], table.loc[ACTION, "status_label"]

    assert status(then) == ("in_progress", "in uitvoering")
    assert status(now) == ("done", "afgerond")
    assert json.loads(then["acties.json"])["as_of"] is not None


# ------------------------------------------------------------------ PDF report
CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing")


def _assess_three(store: Store) -> None:
    edit.set_status(store, ACTION, "in uitvoering", "gestart", DAY, "test")
    edit.set_status(store, "a5.1.01", "in voorbereiding", "vertraagd", DAY, "test",
                    end_year="2020")   # due before this year, not done: late
    edit.set_status(store, "a5.1.02", "afgerond", "klaar", DAY, "test", end_year="2020")


def test_report_html_has_the_actions_of_the_spearhead(built_copy):
    from dashboard import report
    from dashboard.board import Board, View

    with Store(built_copy.db_path) as store:
        _assess_three(store)
    with Store(built_copy.db_path, read_only=True) as store:
        board = Board(store, built_copy)
        view = View(lang="nl")
        part = report._action_part(board, view, 5, "Zuurstofrijke stad")
        rollup = board.action_rollup(view, 5)
    assert part.rollup == rollup and rollup["total"] == 55 and rollup["assessed"] == 3
    assert part.assessed["id"].tolist() == ["a5.1.01", "a5.1.02", ACTION]  # note order
    assert part.assessed["late"].tolist() == [True, False, False]
    page = report.actions_html(part)
    assert "Acties van speerpunt 5: Zuurstofrijke stad" in page
    assert "55 acties in de nota, waarvan 3 beoordeeld, 52 nog niet beoordeeld en 1 te " \
           "laat." in page
    assert "<td>in uitvoering</td><td>1</td>" in page
    assert "<td>nog niet beoordeeld</td><td>52</td>" in page
    # Not-assessed actions are counted, not listed.
    assert "a5.1.03" not in page and page.count("<tr><td>a5.") == 3


@needs_chromium
def test_pdf_contains_the_actions_section_with_counts(built_copy):
    from pypdf import PdfReader

    from dashboard import report
    from dashboard.board import Board, View

    with Store(built_copy.db_path) as store:
        _assess_three(store)
    with Store(built_copy.db_path, read_only=True) as store:
        data = report.build_pdf(Board(store, built_copy), View(lang="nl"), [5])
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Acties van speerpunt 5: Zuurstofrijke stad" in text
    assert "55 acties in de nota, waarvan 3 beoordeeld, 52 nog niet beoordeeld en 1 te " \
           "laat." in text
    assert "in uitvoering 1" in text and "nog niet beoordeeld 52" in text
    for action in ("a5.1.01", "a5.1.02", ACTION):
        assert action in text
    assert "a5.1.03" not in text
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top[0] == "Speerpunt 5: Zuurstofrijke stad"
    assert "Actiesvanspeerpunt5:Zuurstofrijkestad" in ["".join(x.split()) for x in top]


# ------------------------------------------------------------------ presentation
def _texts(at) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.markdown]
    parts += [e.value for e in at.caption]
    return "\n".join(str(p) for p in parts)


def test_presentation_steps_through_the_actions(built_copy, clean_env, monkeypatch):
    _use(built_copy, monkeypatch)
    with Store(built_copy.db_path) as store:
        edit.set_status(store, "a5.1.01", "in uitvoering", "gestart", DAY, "test",
                        end_year="2020")
        n_ind = len(store.indicators(5))
    total = n_ind + 1 + 7  # 55 actions: the roll-up, then 7 screens of at most 8
    params = {"presentatie": "1", "sp": "5"}
    at = run_app("app_pages/presentation.py", params | {"stap": str(n_ind)})
    assert f"scherm {n_ind} van {total}" in _texts(at)
    assert at.title[0].value != "Acties van het speerpunt"  # the last indicator
    [b for b in at.button if b.key == "pres_next"][0].click().run()
    assert at.query_params["stap"] in (str(n_ind + 1), [str(n_ind + 1)])
    assert at.title[0].value == "Acties van het speerpunt"
    text = _texts(at)
    assert "**55** acties in de nota, waarvan **1** beoordeeld." in text
    assert "- in uitvoering: **1**" in text and "- nog niet beoordeeld: **54**" in text
    assert "**1** actie is te laat." in text
    [b for b in at.button if b.key == "pres_next"][0].click().run()
    assert at.title[0].value == "Acties (1 van 7)"
    listed = [m.value for m in at.markdown if "- a5." in m.value][0]
    assert listed.count("\n- a5.") == 7  # 8 lines
    assert "- a5.1.01 " in listed and "**in uitvoering** · **te laat**" in listed
    assert "**nog niet beoordeeld**" in listed
    # The shared link opens the same screen; beyond the last it stops at the last.
    at = run_app("app_pages/presentation.py", params | {"stap": str(n_ind + 3)})
    assert at.title[0].value == "Acties (2 van 7)"
    assert "a5.1.01" not in _texts(at)
    at = run_app("app_pages/presentation.py", params | {"stap": "999"})
    assert at.title[0].value == "Acties (7 van 7)"
    assert f"scherm {total} van {total}" in _texts(at)
    assert [b for b in at.button if b.key == "pres_next"][0].disabled
    # Chosen indicators (``ind``) show those only, no action screens.
    with Store(built_copy.db_path, read_only=True) as store:
        first = store.indicators(5)["id"].iloc[0]
    at = run_app("app_pages/presentation.py", {"presentatie": "1", "ind": first,
                                                "stap": "5"})
    assert "scherm 1 van 1" in _texts(at)
