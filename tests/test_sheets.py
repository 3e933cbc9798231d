"""Sheets as city services send them (issue 12, point 4).

Real workbooks built here with openpyxl, loaded into private copies of the real build
(tests/conftest.py), through the Python API, the command line (a subprocess) and the editor
(Streamlit AppTest): title rows above the header, the service's own headers, Dutch
decimals, area names with spelling variants instead of codes, years as columns and one
indicator per column. A bad row is reported by the sheet's own row number and column
header and writes nothing; unknown areas come with their closest candidates; a mapping
saved by one of CLI and editor is used by the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from dashboard import loads
from dashboard.loads import columns
from dashboard.store import Store

from .conftest import make_env
from .test_editor import _login, _page


# The sheet of the issue: refused before with "kolom 'gebied' ontbreekt, kolom 'waarde'
# ontbreekt".
LAADPUNTEN = [
    ["Laadpunten per sector"],
    [],
    ["Sector", "Sectorcode", "Jaar", "Aantal laadpunten", "Eenheid", "Opmerking"],
    ["Kortrijk-Centrum", "34022A00-", 2025, 41, "aantal", "telling Fluvius"],
    ["Houtmarkt", "34022A01-", 2025, 12, "aantal", None],
    ["Buda", "34022A03-", 2025, 10, "aantal", None],
    ["Oude Sint-Janswijk", "34022A04-", 2025, 2, "aantal", None],
]
LAADPUNTEN_VALUES = {"34022A00-": 41.0, "34022A01-": 12.0, "34022A03-": 10.0,
                     "34022A04-": 2.0}

# A messy one: two title rows and a blank one, own headers, names written loosely, years as
# columns, Dutch decimals as text, a footnote below the table.
MESSY = [
    ["Stad Kortrijk - dienst Mobiliteit"],
    ["Publieke laadpunten per statistische sector, 2021-2023"],
    [],
    ["Statistische sector", 2021, 2022, 2023, "Bron"],
    ["KORTRIJK-CENTRUM", "30", "35,5", "1.234", "Fluvius"],
    ["houtmarkt  ", 8, 9, 11, "Fluvius"],
    ["Oude St.-Janswijk", "1", "1", "2", None],
    ["Nieuwe St Janswijk", "2", None, "3", None],       # a blank cell: no value that year
    ["Gentse  Poort", "4,0", "4,5", "5", None],
    ["Kortrijk-Station – Gerechtshof", 6, 7, 8, None],
    ["Sint-Élisabeth", 1, 2, 3, None],
    ["Bron: Fluvius, telling op 1 januari"],           # a footnote, not data
]
MESSY_EXPECTED = {
    ("34022A00-", 2021): 30.0, ("34022A00-", 2022): 35.5, ("34022A00-", 2023): 1234.0,
    ("34022A01-", 2023): 11.0, ("34022A04-", 2023): 2.0, ("34022A101", 2021): 2.0,
    ("34022A051", 2022): 4.5, ("34022A021", 2021): 6.0, ("34022A201", 2023): 3.0,
}
MESSY_ROWS = 20  # 7 areas x 3 years, one blank cell


def _bad_messy() -> list[list]:
    rows = [list(r) for r in MESSY]
    rows[5][2] = "n.b."               # sheet row 6, column '2022': not a number
    rows[7][0] = "Doorniksewyk"       # sheet row 8: an unknown area (Doorniksewijk)
    return rows


def _xlsx(path: Path, rows: list[list], sheet: str = "Blad1") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checksums(db: Path) -> dict[str, str]:
    with Store(db, read_only=True) as store:
        return store.table_checksums()


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    root = settings.db_path.parent.parent
    env = {**os.environ, **make_env(root)}
    env.pop("DASHBOARD_GEODATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=180)


def _current(db: Path, indicator: str = "laadpunten") -> dict[tuple[str, int], float]:
    with Store(db, read_only=True) as store:
        cur = store.current_values([indicator])
    return {(a, int(p)): float(v) for a, p, v in zip(cur["area_code"], cur["period"],
                                                    cur["value"])}


def _errors(v) -> list[tuple[int, str, str]]:
    e = v.errors
    return [(int(r), str(f), str(why)) for r, f, why in zip(e["row"], e["field"], e["reason"])]


# ------------------------------------------------------------------- detection (pure)
def _grid(rows: list[list]) -> list[list[str]]:
    return [[("" if c is None else str(c)) for c in r] for r in rows]


@pytest.fixture(scope="module")
def context(built_official) -> columns.Context:
    with Store(built_official.db_path, read_only=True) as store:
        return columns.Context(store.areas(), store.indicators())


def test_the_issue_sheet_is_mapped_from_its_headers_and_content(context):
    res = columns.detect("laadpunten.xlsx", _grid(LAADPUNTEN), context)
    assert not res.problems and res.header_row == 3
    named = {r: res.label(i) for r, i in res.roles.items()}
    # Both 'Sector' and 'Sectorcode' fit the area; the codes fit best.
    assert named == {"area": "Sectorcode", "period": "Jaar", "value": "Aantal laadpunten",
                     "unit": "Eenheid", "note": "Opmerking"}
    assert res.wide == "none" and not res.standard
    assert "--column area=Sectorcode" in res.flags()
    assert '--column value="Aantal laadpunten"' in res.flags()


@pytest.mark.parametrize("header, role", [
    ("gebied", "area"), ("Wijk", "area"), ("Deelgemeente", "area"), ("NIS-code", "area"),
    ("Quartier", "area"), ("Secteur statistique", "area"), ("District", "area"),
    ("Sectornaam", "area"), ("Année", "period"), ("Periode", "period"), ("Year", "period"),
    ("Valeur", "value"), ("Nombre", "value"), ("Count", "value"), ("Aantal inwoners", "value"),
    ("Unité", "unit"), ("Maateenheid", "unit"), ("Bronvermelding", "source"),
    ("Source", "source"), ("Toelichting", "note"), ("Remarque", "note"),
    ("Comment", "note"), ("Indicateur", "indicator"),
])
def test_header_vocabulary(header, role):
    assert columns.header_score(header, role) >= 2
    assert max(columns.ROLES, key=lambda r: columns.header_score(header, r)) == role


def test_roles_from_content_when_headers_say_nothing(context):
    rows = [["Overzicht"], ["A", "B", "C", "D"], ["34022", "2024", "1.234,5", "x"],
            ["34022A00-", "2023", "12", "y"]]
    res = columns.detect("x.csv", _grid(rows), context, columns.Mapping(header_row=2))
    assert {r: res.label(i) for r, i in res.roles.items() if r in {"area", "period", "value"}
            } == {"area": "A", "period": "B", "value": "C"}
    assert res.detected >= {"area", "period", "value"}


@pytest.mark.parametrize("written, code", [
    ("Oude St.-Janswijk", "34022A04-"), ("oude sint janswijk", "34022A04-"),
    ("Oude St Janswijk", "34022A04-"), ("Oude St-Janswijk", "34022A04-"),
    ("  Gentse   Poort ", "34022A051"), ("Sint-Élisabeth", "34022A201"),
    ("Kortrijk-Station – Gerechtshof", "34022A021"), ("34022a00-", "34022A00-"),
    ("KORTRIJK", "34022"),
])
def test_areas_match_by_code_exact_and_normalised_name(context, written, code):
    assert context.area(written.strip())[0] == code


def test_wide_indicators_become_long_rows(built_copy):
    rows = [["Sectorcode", "Jaar", "laadpunten", "Laadpuntequivalenten per 100 inwoners"],
            ["34022A00-", 2025, 41, "1,5"], ["34022A01-", 2025, 12, "0,75"]]
    data = _xlsx(built_copy.db_path.parent / "breed.xlsx", rows).read_bytes()
    with Store(built_copy.db_path) as store:
        v = loads.validate_file(data, "breed.xlsx", store)
    assert v.ok, v.errors
    assert v.columns.wide == "indicator"
    got = sorted(zip(v.rows["indicator_id"], v.rows["area_code"], v.rows["value"]))
    assert got == [("laadpunten", "34022A00-", 41.0), ("laadpunten", "34022A01-", 12.0),
                   ("laadpunten_per_100_inw", "34022A00-", 1.5),
                   ("laadpunten_per_100_inw", "34022A01-", 0.75)]


def test_the_board_template_is_a_shape_the_importer_reads(built_copy):
    with Store(built_copy.db_path) as store:
        text = loads.template_csv(store.indicator("laadpunten"), store.areas(),
                                  2025).decode("utf-8-sig")
        lines = text.splitlines()
        filled = "\n".join([lines[0], *[ln.replace(";2025;;", ";2025;5;") for ln in lines[2:6]]])
        v = loads.validate_file(filled.encode("utf-8"), "sjabloon.csv", store)
    assert v.ok, v.errors
    assert v.columns.standard and len(v.rows) == 4


def test_saved_mappings_are_checked(tmp_path):
    folder = tmp_path / "kolomindelingen"
    m = columns.Mapping({"area": "Sectorcode", "note": ""}, "none", header_row=3,
                        indicator="laadpunten")
    columns.save_mapping(folder, "laadpunten-sector", m)
    assert columns.list_mappings(folder) == ["laadpunten-sector"]
    assert columns.load_mapping(folder, "laadpunten-sector") == m
    for name in ("../buiten", "a/b", "", ".verborgen", "x" * 65):
        with pytest.raises(columns.InputError):
            columns.save_mapping(folder, name, m)
    (folder / "kapot.json").write_text('{"kind": "kolomindeling", "columns": {"rm": "x"}}')
    with pytest.raises(columns.InputError, match="ongeldige rollen"):
        columns.load_mapping(folder, "kapot")
    (folder / "groot.json").write_text(" " * (columns.MAX_MAPPING_BYTES + 1))
    with pytest.raises(columns.InputError, match="groter dan"):
        columns.load_mapping(folder, "groot")
    with pytest.raises(columns.InputError, match="bestaat niet"):
        columns.load_mapping(folder, "onbekend")


# ------------------------------------------------------------------------- the API
def test_messy_workbook_loads_through_the_api(built_copy):
    data = _xlsx(built_copy.db_path.parent / "messy.xlsx", MESSY).read_bytes()
    with Store(built_copy.db_path) as store:
        v = loads.validate_file(data, "messy.xlsx", store, indicator="laadpunten")
        assert v.ok, v.errors
        assert v.columns.wide == "period" and v.columns.header_row == 4
        assert len(v.rows) == MESSY_ROWS
        got = {(a, int(p)): x for a, p, x in zip(v.rows["area_code"], v.rows["period"],
                                                 v.rows["value"])}
        assert {k: got[k] for k in MESSY_EXPECTED} == MESSY_EXPECTED
        assert ("34022A101", 2022) not in got   # the blank cell
        loads.commit(store, v, who="test", confirm_warnings=True)
    cur = _current(built_copy.db_path)
    assert {k: cur[k] for k in MESSY_EXPECTED} == MESSY_EXPECTED


def test_bad_rows_are_reported_by_sheet_row_and_column_and_write_nothing(built_copy):
    data = _xlsx(built_copy.db_path.parent / "fout.xlsx", _bad_messy()).read_bytes()
    before = _checksums(built_copy.db_path)
    with Store(built_copy.db_path) as store:
        v = loads.validate_file(data, "fout.xlsx", store, indicator="laadpunten")
        with pytest.raises(loads.LoadRefused):
            loads.commit(store, v, who="test", confirm_warnings=True)
    assert _errors(v) == [
        (6, "2022", "'n.b.' is geen getal"),
        (8, "Statistische sector", "onbekend gebied 'Doorniksewyk'; het meest gelijkend: "
                                   "Doorniksewijk (34022A30-)"),
    ]
    assert v.unmatched.to_dict("records") == [
        {"value": "Doorniksewyk", "rows": "8", "candidates": "Doorniksewijk (34022A30-)"}]
    assert _checksums(built_copy.db_path) == before


def test_every_unmatched_area_is_listed_with_candidates(built_copy):
    rows = [["Wijk", "Jaar", "Aantal"], ["Kortrijk Centrm", 2025, 5], ["Heulle Centrum", 2025, 3],
            ["Atlantis", 2025, 1], ["Kortrijk Centrm", 2024, 4]]
    data = _xlsx(built_copy.db_path.parent / "wijken.xlsx", rows).read_bytes()
    with Store(built_copy.db_path) as store:
        v = loads.validate_file(data, "wijken.xlsx", store, indicator="laadpunten")
    u = v.unmatched.set_index("value")
    assert list(u.index) == ["Kortrijk Centrm", "Heulle Centrum", "Atlantis"]
    assert u.loc["Kortrijk Centrm", "rows"] == "2, 5"
    assert "Kortrijk Centrum (34022WM)" in u.loc["Kortrijk Centrm", "candidates"]
    assert u.loc["Heulle Centrum", "candidates"].startswith("Heule Centrum (34022WB)")
    assert u.loc["Atlantis", "candidates"] == ""
    assert (4, "Wijk", "onbekend gebied 'Atlantis'") in _errors(v)


# ------------------------------------------------------------------- command line
def test_cli_issue_sheet_needs_a_confirmed_mapping_then_loads(built_copy):
    path = _xlsx(built_copy.db_path.parent.parent / "laadpunten.xlsx", LAADPUNTEN,
                 "Laadpunten per sector")
    before, sha = _checksums(built_copy.db_path), _sha(built_copy.db_path)
    p = _cli(built_copy, "import", str(path), "--indicator", "laadpunten", "--who", "test",
             "--confirm-warnings")
    assert p.returncode == 3, p.stderr
    assert "area) = 'Sectorcode'" in p.stdout and "niet bevestigd" in p.stderr
    assert "--column area=Sectorcode" in p.stderr
    assert _checksums(built_copy.db_path) == before
    p = _cli(built_copy, "import", str(path), "--indicator", "laadpunten", "--who", "test",
             "--column", "area=Sectorcode", "--column", "value=Aantal laadpunten",
             "--confirm-warnings")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    cur = _current(built_copy.db_path)
    assert {a: cur[(a, 2025)] for a in LAADPUNTEN_VALUES} == LAADPUNTEN_VALUES
    assert sha != _sha(built_copy.db_path)


def test_cli_bad_row_is_reported_and_nothing_is_written(built_copy):
    path = _xlsx(built_copy.db_path.parent.parent / "fout.xlsx", _bad_messy())
    before, sha = _checksums(built_copy.db_path), _sha(built_copy.db_path)
    p = _cli(built_copy, "import", str(path), "--indicator", "laadpunten",
             "--column", "area=Statistische sector", "--wide", "period", "--confirm-warnings")
    assert p.returncode == 2, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    lines = p.stderr.splitlines()
    assert "  fout.xlsx, rij 6, kolom '2022': 'n.b.' is geen getal" in lines
    assert any(ln.startswith("  fout.xlsx, rij 8, kolom 'Statistische sector': onbekend "
                             "gebied 'Doorniksewyk'") for ln in lines)
    assert "  'Doorniksewyk' (rij 8): Doorniksewijk (34022A30-)" in lines
    assert _checksums(built_copy.db_path) == before
    assert _sha(built_copy.db_path) == sha


def test_cli_missing_column_names_the_headers_and_the_flag(built_copy):
    rows = [["Titel"], ["Gebied", "Periode", "Opmerking"], ["34022", 2025, "x"]]
    path = _xlsx(built_copy.db_path.parent.parent / "zonder.xlsx", rows)
    p = _cli(built_copy, "import", str(path), "--indicator", "laadpunten")
    assert p.returncode == 2
    assert "  zonder.xlsx, kolom 'waarde': kolom ontbreekt" in p.stderr.splitlines()
    assert "--column ROL=KOLOM" in p.stderr and "'Periode'" in p.stderr
    p = _cli(built_copy, "import", str(path), "--indicator", "laadpunten",
             "--column", "value=Bestaat niet")
    assert p.returncode == 2
    assert "kolom 'Bestaat niet' staat niet in de kopregel (rij 2)" in p.stderr


def test_mapping_saved_by_the_cli_is_used_by_the_cli_and_the_editor(built_copy, editor_env):
    root = built_copy.db_path.parent.parent
    path = _xlsx(root / "messy.xlsx", MESSY)
    p = _cli(built_copy, "import", str(path), "--indicator", "laadpunten", "--dry-run",
             "--column", "area=Statistische sector", "--save-mapping", "laadpunten-sectoren")
    assert p.returncode == 1, p.stderr
    saved = columns.mapping_dir(built_copy) / "laadpunten-sectoren.json"
    stored = json.loads(saved.read_text(encoding="utf-8"))
    assert stored["columns"]["area"] == "Statistische sector" and stored["wide"] == "period"
    assert stored["indicator"] == "laadpunten"
    # Next year's sheet: one more year column; the saved mapping alone is enough.
    nxt = [list(r) for r in MESSY]
    nxt[3] = [*nxt[3][:4], 2024, "Bron"]
    for r in nxt[4:11]:
        r[4:5] = [r[3], r[4]]
    path2 = _xlsx(root / "messy2.xlsx", nxt)
    p = _cli(built_copy, "import", str(path2), "--mapping", "laadpunten-sectoren",
             "--confirm-warnings", "--who", "test")
    assert p.returncode == 0, p.stdout + p.stderr
    cur = _current(built_copy.db_path)
    assert cur[("34022A00-", 2024)] == 1234.0 and cur[("34022A00-", 2021)] == 30.0

    # The editor offers it; with it chosen the file needs no further confirmation.
    at = _login(_page("app_pages/load.py"))
    assert "laadpunten-sectoren" in at.selectbox(key="mapping_name").options
    at.selectbox(key="mapping_name").set_value("laadpunten-sectoren").run()
    changed = [list(r) for r in MESSY]
    changed[4][1] = "31"
    at.get("file_uploader")[0].set_value(
        ("messy3.xlsx", _xlsx(root / "messy3.xlsx", changed).read_bytes(),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="map_area").value == "Statistische sector"
    assert not [c for c in at.checkbox if c.key == "map_ok"]
    _confirm_and_load(at)
    assert _current(built_copy.db_path)[("34022A00-", 2021)] == 31.0


def _confirm_and_load(at) -> None:
    for box in at.checkbox:
        if box.key == "map_ok" or "waarschuwingen" in box.label:
            box.check().run()
    assert not at.exception, [e.value for e in at.exception]
    button = next(b for b in at.button if b.label == "Laden")
    assert not button.disabled
    button.click().run()
    assert any("Geladen als load-" in s.value for s in at.success), (
        [s.value for s in at.success], [e.value for e in at.error])


# ------------------------------------------------------------------------ the editor
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(at, name: str, data: bytes):
    at.get("file_uploader")[0].set_value((name, data, XLSX)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frame(at, column: str):
    """The table on the page that has ``column``."""
    frames = [d.value for d in at.dataframe]
    found = [f for f in frames if column in f.columns]
    assert found, [list(f.columns) for f in frames]
    return found[0]


def _choose_indicator(at, indicator: str):
    box = next(s for s in at.selectbox if s.label.startswith("Indicator"))
    box.set_value(indicator).run()
    return at


def test_editor_maps_the_messy_workbook_and_loads_it(editor_env, tmp_path):
    data = _xlsx(tmp_path / "messy.xlsx", MESSY).read_bytes()
    at = _choose_indicator(_login(_page("app_pages/load.py")), "laadpunten")
    _upload(at, "messy.xlsx", data)
    assert at.selectbox(key="map_area").value == "Statistische sector"
    assert at.selectbox(key="map_wide").value == "period"
    assert at.selectbox(key="map_source").value == "Bron"
    assert at.number_input(key="map_header_row").value == 4
    preview = at.table[0].value
    assert list(preview.columns[:3]) == ["Statistische sector", "2021", "2022"]
    assert list(preview.index[:2]) == [5, 6]
    assert preview.iloc[0, 2] == "35,5"
    # Detected, not the template's own headers: the load waits for the confirmation.
    assert next(b for b in at.button if b.label == "Laden").disabled
    _confirm_and_load(at)
    cur = _current(editor_env.db_path)
    assert {k: cur[k] for k in MESSY_EXPECTED} == MESSY_EXPECTED


def test_editor_issue_sheet_and_a_saved_mapping_for_the_cli(editor_env, tmp_path):
    data = _xlsx(tmp_path / "laadpunten.xlsx", LAADPUNTEN).read_bytes()
    at = _choose_indicator(_login(_page("app_pages/load.py")), "laadpunten")
    _upload(at, "laadpunten.xlsx", data)
    assert at.selectbox(key="map_area").value == "Sectorcode"
    assert at.selectbox(key="map_value").value == "Aantal laadpunten"
    # A person may choose another column: the names instead of the codes.
    at.selectbox(key="map_area").set_value("Sector").run()
    at.text_input(key="mapping_save_name").set_value("laadpunten-namen").run()
    next(b for b in at.button if b.label == "Kolomindeling bewaren").click().run()
    assert any("bewaard als 'laadpunten-namen'" in s.value for s in at.success)
    _confirm_and_load(at)
    cur = _current(editor_env.db_path)
    assert {a: cur[(a, 2025)] for a in LAADPUNTEN_VALUES} == LAADPUNTEN_VALUES
    stored = json.loads((columns.mapping_dir(editor_env) / "laadpunten-namen.json")
                        .read_text(encoding="utf-8"))
    assert stored["columns"]["area"] == "Sector" and stored["indicator"] == "laadpunten"
    # The CLI uses the editor's mapping (names, not codes) on a new sheet.
    rows = [list(r) for r in LAADPUNTEN]
    rows[3][1:4] = ["", 2024, 40]   # no code: the name must be read
    path = _xlsx(editor_env.db_path.parent.parent / "volgend.xlsx", rows)
    p = _cli(editor_env, "import", str(path), "--mapping", "laadpunten-namen",
             "--confirm-warnings")
    assert p.returncode == 0, p.stdout + p.stderr
    assert _current(editor_env.db_path)[("34022A00-", 2024)] == 40.0


def test_editor_bad_row_lists_problems_and_candidates_and_writes_nothing(editor_env,
                                                                          tmp_path):
    data = _xlsx(tmp_path / "fout.xlsx", _bad_messy()).read_bytes()
    before = _checksums(editor_env.db_path)
    at = _choose_indicator(_login(_page("app_pages/load.py")), "laadpunten")
    _upload(at, "fout.xlsx", data)
    assert "niets geschreven" in at.error[0].value
    problems = _frame(at, "Probleem")
    assert list(zip(problems["Rij"], problems["Kolom"])) == [(6, "2022"),
                                                             (8, "Statistische sector")]
    unmatched = _frame(at, "Meest gelijkend")
    assert unmatched.iloc[0].tolist() == ["Doorniksewyk", "8", "Doorniksewijk (34022A30-)"]
    assert not [b for b in at.button if b.label == "Laden"]
    assert _checksums(editor_env.db_path) == before


def test_editor_header_row_and_columns_can_be_corrected(editor_env, tmp_path):
    rows = [["Overzicht"], ["A", "B", "C"], ["34022", 2025, "700"]]
    data = _xlsx(tmp_path / "kaal.xlsx", rows).read_bytes()
    at = _choose_indicator(_login(_page("app_pages/load.py")), "laadpunten")
    _upload(at, "kaal.xlsx", data)
    assert any("geen kopregel gevonden" in str(v) for v in _frame(at, "Probleem")["Probleem"])
    at.number_input(key="map_header_row").set_value(2).run()
    assert at.selectbox(key="map_area").value == "A"
    assert at.selectbox(key="map_period").value == "B"
    assert at.selectbox(key="map_value").value == "C"
    _confirm_and_load(at)
    assert _current(editor_env.db_path)[("34022", 2025)] == 700.0
