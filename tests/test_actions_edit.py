"""The coordinator edits the action portfolio (issue 14 point 4) in the editor: one
action's status with a comment, the Excel round trip (download, edit, upload, preview,
confirm), the history listing these batches and undo restoring exactly what was there."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard.actions import edit, model, sheet
from dashboard.board import Board
from dashboard.settings import PROJECT_ROOT
from dashboard.store import Store

from .conftest import PASSWORD, run_app

ACTION = "a1.1.01"


def _login(at: AppTest) -> AppTest:
    at.text_input[0].set_value(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _actions_part(mode: str = "one") -> AppTest:
    at = _login(run_app("app_pages/load.py"))
    at.radio(key="load_kind").set_value("actions").run()
    assert not at.exception, [e.value for e in at.exception]
    if mode != "one":
        at.radio(key="actions_mode").set_value(mode).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def _states(settings) -> pd.DataFrame:
    with Store(settings.db_path) as s:
        return s.action_states()


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Every column of every action equal (lists compared as lists)."""
    assert list(a.columns) == list(b.columns)
    assert a.astype(str).to_dict("records") == b.astype(str).to_dict("records")


def _by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def _history_undo(batch_id: str) -> AppTest:
    hist = _login(run_app("app_pages/history.py"))
    table = hist.dataframe[0].value
    row = table[table["Lading"] == batch_id]
    assert len(row) == 1, table
    _by_label(hist.selectbox, "Lading ongedaan maken").set_value(batch_id)
    _by_label(hist.button, "Ongedaan maken").click().run()
    assert not hist.exception, [e.value for e in hist.exception]
    assert any("ongedaan gemaakt" in s.value for s in hist.success), \
        [e.value for e in hist.error]
    return hist, row.iloc[0]


def test_status_change_in_the_editor_history_and_undo(editor_env):
    before = _states(editor_env)
    at = _actions_part()
    at.text_input(key="act_search").set_value(ACTION).run()
    assert at.selectbox(key="act_id").value == ACTION
    current = next(d.value for d in at.dataframe if "Huidige waarde" in d.value.columns)
    assert current.set_index("Veld").loc["Status", "Huidige waarde"] == "nog niet beoordeeld"
    # a comment is required: nothing is written without one, the error names the field
    _by_label(at.selectbox, "Nieuwe status").set_value("in_progress")
    _by_label(at.button, "Wijziging opslaan").click().run()
    assert any("Toelichting" in e.value for e in at.error), [e.value for e in at.error]
    _same(_states(editor_env), before)
    # end before start: refused, naming the field
    _by_label(at.selectbox, "Nieuwe status").set_value("in_progress")
    _by_label(at.text_input, "Startjaar").set_value("2027")
    _by_label(at.text_input, "Eindjaar").set_value("2025")
    _by_label(at.text_area, "Toelichting (verplicht)").set_value("Gestart met de werven")
    _by_label(at.button, "Wijziging opslaan").click().run()
    assert any("Eindjaar" in e.value for e in at.error), [e.value for e in at.error]
    _same(_states(editor_env), before)
    # a good change: one batch
    _by_label(at.selectbox, "Nieuwe status").set_value("in_progress")
    _by_label(at.text_input, "Startjaar").set_value("2026")
    _by_label(at.text_input, "Eindjaar").set_value("2030")
    _by_label(at.text_input, "Dienst").set_value("Dienst Kinderopvang")
    _by_label(at.text_area, "Toelichting (verplicht)").set_value("Gestart met de werven")
    _by_label(at.button, "Wijziging opslaan").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Opgeslagen als actions-" in s.value for s in at.success), \
        [e.value for e in at.error]
    batch_id = next(s.value for s in at.success if "Opgeslagen" in s.value).split()[2][:-1]
    after = _states(editor_env).set_index("action_id").loc[ACTION]
    assert (after["status"], after["start_year"], after["end_year"], after["service"]) == \
        ("in_progress", 2026, 2030, "Dienst Kinderopvang")
    current = next(d.value for d in at.dataframe if "Huidige waarde" in d.value.columns)
    assert current.set_index("Veld").loc["Status", "Huidige waarde"] == "in uitvoering"
    with Store(editor_env.db_path) as s:
        notes = s.action_updates(action_id=ACTION)
    assert notes["text"].tolist() == ["Gestart met de werven"]

    hist, row = _history_undo(batch_id)
    assert row["Wat"] == "acties: 1 gewijzigd, 1 update"
    assert row["Bestand"] == "editor"
    _same(_states(editor_env), before)
    with Store(editor_env.db_path) as s:
        assert s.action_updates(action_id=ACTION).empty


def test_future_date_is_refused(editor_env):
    import datetime as dt

    with Store(editor_env.db_path) as s:
        before = s.table_checksums()
        try:
            edit.set_status(s, ACTION, "done", "klaar", dt.date.today() + dt.timedelta(days=3),
                            "test")
        except Exception as exc:  # noqa: BLE001
            assert "update_datum" in str(exc) and "toekomst" in str(exc)
        else:
            raise AssertionError("a future date was accepted")
        assert s.table_checksums() == before


# ------------------------------------------------------------------ the Excel round trip
def _download(settings) -> bytes:
    with Store(settings.db_path) as s:
        board = Board(s, settings)
        return sheet.to_xlsx(board.actions(board.view(None, "nl")))


def _edit(data: bytes, changes: dict[str, dict[str, object]], text: bool = True) -> bytes:
    """The workbook with some cells changed (action id → column → value)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[sheet.SHEET]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        cells = changes.get(row[0].value)
        for column, value in (cells or {}).items():
            cell = row[header.index(column)]
            cell.value = value
            if text and isinstance(value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.get("file_uploader")[0].set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


BAD_ROWS = {"a1.1.01": {"status": "half klaar"},
            "a1.1.02": {"start": 2030, "einde": 2026},
            "a1.1.03": {"indicatoren": "kinderopvang_per_100;bestaat_niet"}}


def test_bad_sheet_lists_file_row_column_and_writes_nothing(editor_env):
    data = _edit(_download(editor_env), BAD_ROWS)
    with Store(editor_env.db_path) as s:
        before = s.table_checksums()
    at = _upload(_actions_part("sheet"), "acties_fout.xlsx", data)
    assert any("niets geschreven" in e.value for e in at.error), [e.value for e in at.error]
    problems = next(d.value for d in at.dataframe if "Probleem" in d.value.columns)
    # the sheet's rows: header on 1, the actions in the note's order from 2
    found = set(zip(problems["Bestand"], problems["Rij"].astype(int), problems["Kolom"]))
    assert found == {("acties_fout.xlsx", 2, "status"), ("acties_fout.xlsx", 3, "einde"),
                     ("acties_fout.xlsx", 4, "indicatoren")}, problems
    assert not [b for b in at.button if b.label == "Wijzigingen opslaan"]
    with Store(editor_env.db_path) as s:
        assert s.table_checksums() == before


def test_good_sheet_previews_commits_one_batch_and_undo_restores(editor_env):
    before = _states(editor_env)
    with Store(editor_env.db_path) as s:
        batches_before = len(s.batches())
    changes = {"a1.1.01": {"status": "in uitvoering"}, "a1.1.02": {"status": "afgerond",
                                                                   "fase": "opvolging"},
               "a2.1.01": {"status": "stopgezet", "update_tekst": "Geen budget meer",
                           "update_datum": "2026-11-30"}}
    ids = set(changes)
    data = _edit(_download(editor_env), changes)
    at = _upload(_actions_part("sheet"), "acties.xlsx", data)
    assert not at.error, [e.value for e in at.error]
    preview = next(d.value for d in at.dataframe if "Voor" in d.value.columns)
    rows = set(zip(preview["Actie"], preview["Veld"], preview["Voor"], preview["Na"]))
    assert ("a1.1.02", "Status", "nog niet beoordeeld", "afgerond") in rows
    assert ("a1.1.02", "Fase", "", "opvolging") in rows
    assert set(preview["Actie"]) == ids and len(rows) == 4
    updates = next(d.value for d in at.dataframe if "Update" in d.value.columns)
    assert updates["Update"].tolist() == ["Geen budget meer"]
    _by_label(at.button, "Wijzigingen opslaan").click().run()
    assert any("Opgeslagen als actions-" in s.value for s in at.success), \
        [e.value for e in at.error]
    with Store(editor_env.db_path) as s:
        batches = s.batches()
        now = s.action_states().set_index("action_id")
    assert len(batches) == batches_before + 1
    batch_id = batches.iloc[-1]["id"]
    assert batch_id.startswith("actions-") and batches.iloc[-1]["file_name"] == "acties.xlsx"
    assert now.loc[["a1.1.01", "a1.1.02", "a2.1.01"], "status"].tolist() == \
        ["in_progress", "done", "stopped"]
    assert set(now[now["batch_id"] == batch_id].index) == ids

    _hist, row = _history_undo(batch_id)
    assert row["Wat"] == "acties: 3 gewijzigd, 1 update"
    _same(_states(editor_env), before)


def test_unchanged_download_reports_no_changes(editor_env):
    with Store(editor_env.db_path) as s:
        before = s.table_checksums()
    at = _upload(_actions_part("sheet"), "acties.xlsx", _download(editor_env))
    assert any("geen wijzigingen" in i.value for i in at.info), [e.value for e in at.error]
    assert not [b for b in at.button if b.label == "Wijzigingen opslaan"]
    with Store(editor_env.db_path) as s:
        assert s.table_checksums() == before


def test_formula_text_stays_text(editor_env):
    link = '=HYPERLINK("https://evil.example/x","klik")'
    data = _edit(_download(editor_env), {ACTION: {"dienst": link}})
    with Store(editor_env.db_path) as s:
        checked = sheet.read(data, "acties.xlsx", edit.Context(s))
        assert checked.ok, checked.problems
        edit.commit(s, checked, "test")
        assert s.action_states().set_index("action_id").loc[ACTION, "service"] == link
    again = openpyxl.load_workbook(io.BytesIO(_download(editor_env)))[sheet.SHEET]
    column = list(sheet.HEADER).index("dienst") + 1
    cell = next(r[column - 1] for r in again.iter_rows(min_row=2) if r[0].value == ACTION)
    assert cell.value == link and cell.data_type == "s"
    # typed as Excel does (a formula cell, no cached value): its text, not an empty cell
    other = '=HYPERLINK("https://example.org","site")'
    data = _edit(_download(editor_env), {"a1.1.02": {"contact": other}}, text=False)
    assert openpyxl.load_workbook(io.BytesIO(data))[sheet.SHEET].cell(
        3, list(sheet.HEADER).index("contact") + 1).data_type == "f"
    with Store(editor_env.db_path) as s:
        checked = sheet.read(data, "acties.xlsx", edit.Context(s))
        assert checked.ok, checked.problems
        assert checked.changes[["action_id", "field", "after"]].values.tolist() == \
            [["a1.1.02", "contact", other]]


def test_disguised_file_gets_a_clear_message(editor_env):
    with Store(editor_env.db_path) as s:
        before = s.table_checksums()
    at = _upload(_actions_part("sheet"), "acties.xlsx", bytes(range(256)) * 8)
    assert any("niets geschreven" in e.value for e in at.error), [e.value for e in at.error]
    problems = next(d.value for d in at.dataframe if "Probleem" in d.value.columns)
    assert "geen geldig .xlsx-bestand" in problems["Probleem"].iloc[0]
    with Store(editor_env.db_path) as s:
        assert s.table_checksums() == before
    # the statuses' words in every language are accepted (the sheet is Dutch)
    assert model.parse_status("in progress") == model.parse_status("in uitvoering")


def test_public_mode_offers_no_action_editing(editor_env, monkeypatch):
    monkeypatch.setenv("PUBLIC_MODE", "1")
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    at.switch_page("app_pages/load.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.get("file_uploader") and not at.get("download_button")
    assert not [r for r in at.radio if r.key in {"load_kind", "actions_mode"}]
    assert not [b for b in at.button if b.label in {"Wijziging opslaan",
                                                    "Wijzigingen opslaan"}]
