"""Coordinator loads: named bad inputs are refused clearly and change nothing.

Every case is a small real file in ``tests/load_cases/``. Each one goes through

- the Python API (``loads.validate_file`` / ``loads.validate_layer_file`` on a Store opened
  on a private copy of the real build), which must report the expected Dutch message at the
  expected row and column, refuse ``loads.commit`` with ``LoadRefused`` and leave
  ``Store.table_checksums()`` unchanged; and
- the command line (``python -m dashboard import FILE ...`` in a subprocess on its own copy),
  which must exit 2 without a traceback, print the same message with ``rij``/``kolom``, and
  leave the tables unchanged (``table_checksums``) and the ``.duckdb`` file byte-for-byte
  unchanged (sha256).

A few good-path tests check that real-looking files commit, that undo restores exactly the
previous values and that warnings need ``--confirm-warnings``.

Cases that once showed app bugs stay as regression tests (see the comments above CASES).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from dashboard import geodata, loads
from dashboard.store import Store

from .conftest import make_env

CASES_DIR = Path(__file__).parent / "load_cases"
YEAR = dt.date.today().year
CLI_WORKERS = 2  # the machine has two cores; each CLI run is one Python process


# ------------------------------------------------------------------------------ cases
class AnyOf(tuple):
    """An expected phrase that may be any one of several (for bugs whose fix may word it)."""

    def __new__(cls, *phrases: str):
        return super().__new__(cls, phrases)


def _has(phrase, reason: str) -> bool:
    if isinstance(phrase, AnyOf):
        return any(p in reason for p in phrase)
    if isinstance(phrase, tuple):
        return all(p in reason for p in phrase)
    return phrase in reason


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    # (row, field, phrase): row 0 / field "" = the whole file; None = any row / field
    expect: tuple = ()
    indicator: str | None = None
    sheet: str | None = None
    layer: str | None = None
    exact: bool = True  # the (row, field) pairs reported must be exactly the expected ones
    bug: str | None = None  # set when the app gets this case wrong (xfail strict)

    @property
    def path(self) -> Path:
        return CASES_DIR / self.file

    def cli_args(self) -> list[str]:
        args = ["import", str(self.path), "--who", "test"]
        if self.indicator:
            args += ["--indicator", self.indicator]
        if self.sheet:
            args += ["--sheet", self.sheet]
        if self.layer:
            args += ["--layer", self.layer]
        return args


NO_HEADER = "geen kopregel gevonden in de eerste 20 rijen"
BAD_CSV = "onleesbare CSV (te veel velden of ongesloten aanhalingsteken)"
NOT_XLSX = "geen geldig .xlsx-bestand (beschadigd of ander formaat)"

# Bugs these cases found (all fixed; the cases stay as regressions):
#
# read.py read_csv_bytes: when the FIRST data row has more cells than the header (e.g. an
#   unquoted Dutch decimal comma '76,4' in a comma CSV) pandas turns the extra column into
#   the index and `frame.index + header_at + 2` raises TypeError: validate_file raises
#   instead of reporting, the CLI prints a traceback (exit 1).
BUG_CSV_EXTRA_FIRST_ROW = "BUG read_csv_bytes: extra cell in first data row -> TypeError"
# layers.py validate_layer_file: a feature whose id is null reads as NaN (pandas str
#   dtype); `astype(str)` keeps NaN, so the 'id ontbreekt' check (fid == '' or 'None')
#   never fires; validation passes and commit_layer dies on the NOT NULL constraint of
#   layer_feature.feature_id (duckdb.ConstraintException, CLI traceback, exit 1).
BUG_LAYER_NULL_ID = "BUG validate_layer_file: null id passes, commit_layer ConstraintException"
# geodata.py read_layer: shapely.errors.GEOSException (polygon ring not closed, LineString
#   with one point) is not among the caught exceptions, so validate_layer_file raises and
#   the CLI prints a traceback.
BUG_LAYER_GEOS = "BUG read_layer: GEOSException (unclosed ring / 1-point line) escapes"
# read.py _to_frame: openpyxl pads every row (and the header) to the sheet width, so a cell
#   right of the last header is never flagged 'meer cellen dan kolommen in de kopregel';
#   the stray value is silently dropped and the load commits.
BUG_XLSX_EXTRA_CELLS = "BUG _to_frame: xlsx cell right of the header silently dropped"
# store.py Store.__init__ runs SCHEMA on every read-write open; its CREATE OR REPLACE VIEW
#   statements rewrite the catalog, so every `python -m dashboard import` (even a refused
#   one, or --dry-run) changes the bytes of the .duckdb file although no table changed.
#   `CREATE VIEW IF NOT EXISTS`, or opening the store read-only to validate, keeps them.
BUG_DB_BYTES = "BUG Store.__init__: CREATE OR REPLACE VIEW rewrites the .duckdb on every open"

CASES: list[Case] = [
    # -- indicators
    Case("unknown_indicator", "unknown_indicator.csv",
         ((3, "indicator", "onbekende indicator 'werkzaamheid'"),)),
    Case("unknown_indicator_option", "unknown_indicator_option.csv",
         ((0, "indicator", "onbekende indicator 'bestaat_niet'"),), indicator="bestaat_niet"),
    Case("indicator_option_mismatch", "indicator_option_mismatch.csv",
         ((3, "indicator", "andere indicator dan gekozen ('inwoners')"),),
         indicator="werkzaamheidsgraad"),
    Case("wrong_level_for_indicator", "wrong_level_for_indicator.csv",
         ((3, "gebied", "indicator 'kinderopvang_per_100' bestaat niet op niveau sector"),)),
    # -- areas
    Case("unknown_area_code", "unknown_area_code.csv",
         ((3, "gebied", "onbekend gebied '34022Z99'"),)),
    Case("unknown_area_name", "unknown_area_name.csv",
         ((3, "gebied", "onbekend gebied 'Atlantis'"),)),
    Case("ambiguous_area_name", "ambiguous_area_name.csv",
         ((2, "gebied", "naam 'Bissegem' komt meer dan eens voor; geef de code of de kolom "
                        "niveau"),)),
    Case("ambiguous_area_name_with_level", "ambiguous_area_name_with_level.csv",
         ((3, "gebied", "naam 'Industriegebied - Kanaal' komt meer dan eens voor"),)),
    Case("area_name_wrong_level", "area_name_wrong_level.csv",
         ((2, "gebied", "onbekend gebied 'Heule'"),)),
    Case("empty_area", "empty_area.csv", ((2, "gebied", "gebied ontbreekt"),)),
    Case("cp1252_unknown_area", "cp1252_unknown_area.csv",
         ((3, "gebied", "onbekend gebied 'Kortrijk-Café'"),
          (3, "waarde", "waarde 1.234,5 buiten het plausibele bereik 0 – 100"))),
    # -- values
    Case("non_numeric_value", "non_numeric_value.csv",
         ((2, "waarde", "'ongeveer 77' is geen getal"),)),
    Case("empty_value", "empty_value.csv", ((3, "waarde", "'' is geen getal"),)),
    Case("negative_impossible", "negative_impossible.csv",
         ((2, "waarde", "negatieve waarde kan niet voor deze indicator"),)),
    Case("above_plausible_max", "above_plausible_max.csv",
         ((2, "waarde", "waarde 150 buiten het plausibele bereik 0 – 100"),)),
    Case("wrong_unit", "wrong_unit.csv",
         ((3, "eenheid", "eenheid 'aantal personen' verschilt van '%'"),)),
    Case("duplicate_in_file", "duplicate_in_file.csv",
         ((4, "gebied+jaar", "dubbel: zelfde indicator, gebied en jaar als rij 2"),)),
    Case("duplicate_code_and_name", "duplicate_code_and_name.csv",
         ((3, "gebied+jaar", "dubbel: zelfde indicator, gebied en jaar als rij 2"),)),
    # -- years
    Case("future_year", "future_year.csv", ((2, "jaar", f"jaar 2099 valt buiten 2000–{YEAR}"),)),
    Case("year_before_2000", "year_before_2000.csv",
         ((2, "jaar", f"jaar 1999 valt buiten 2000–{YEAR}"),)),
    Case("non_integer_year", "non_integer_year.csv", ((2, "jaar", "'2022.5' is geen jaartal"),)),
    Case("text_year", "text_year.csv", ((2, "jaar", "'vorig jaar' is geen jaartal"),)),
    Case("many_errors_at_once", "many_errors.csv",
         ((3, "indicator", "onbekende indicator 'bestaat_niet'"),
          (4, "gebied", "onbekend gebied 'Nergensland'"),
          (4, "jaar", f"jaar 1990 valt buiten 2000–{YEAR}"),
          (4, "waarde", "'abc' is geen getal"),
          (5, "waarde", "negatieve waarde kan niet voor deze indicator"))),
    # -- columns and headers
    Case("missing_column_gebied", "missing_column_gebied.csv", ((0, "gebied", "kolom ontbreekt"),)),
    Case("missing_column_jaar", "missing_column_jaar.csv", ((0, "jaar", "kolom ontbreekt"),)),
    Case("missing_column_waarde", "missing_column_waarde.csv", ((0, "waarde", "kolom ontbreekt"),)),
    Case("missing_column_indicator", "missing_column_indicator.csv",
         ((0, "indicator", "kolom ontbreekt"),)),
    Case("xlsx_missing_indicator_column", "xlsx_missing_indicator_column.xlsx",
         ((0, "indicator", "kolom ontbreekt"),)),
    Case("duplicate_column", "duplicate_column.csv",
         ((1, "value", "kolom 'value' komt twee keer voor"),)),
    Case("header_not_found", "header_not_found.csv",
         ((0, "", (NO_HEADER, "verwacht kolommen zoals: ", "gebied", "waarde")),)),
    Case("header_below_row_20", "header_below_row_20.csv", ((0, "", NO_HEADER),)),
    # -- empty, garbage, file types
    Case("empty_file", "empty.csv", ((0, "", "leeg bestand"),)),
    Case("whitespace_only", "whitespace_only.csv", ((0, "", "leeg bestand"),)),
    Case("header_only", "header_only.csv", ((0, "", "geen gegevensrijen"),)),
    Case("binary_garbage_csv", "binary_garbage.csv",
         ((0, "", "tekstcodering niet herkend (verwacht UTF-8 of Windows-1252)"),)),
    Case("unknown_type_ods", "spreadsheet.ods",
         ((0, "", "onbekend bestandstype '.ods'; verwacht .csv of .xlsx"),)),
    Case("unknown_type_pdf", "not_a_table.pdf",
         ((0, "", "onbekend bestandstype '.pdf'; verwacht .csv of .xlsx"),)),
    Case("unterminated_quote", "unterminated_quote.csv",
         ((0, "", (BAD_CSV, "EOF inside string")),)),
    Case("too_many_fields", "too_many_fields.csv",
         ((3, "", "meer cellen dan kolommen in de kopregel"),)),
    # -- Excel
    Case("xlsx_truncated", "xlsx_truncated.xlsx", ((0, "", NOT_XLSX),)),
    Case("xlsx_is_really_csv", "xlsx_is_really_csv.xlsx", ((0, "", NOT_XLSX),)),
    Case("xlsx_zip_without_workbook", "xlsx_zip_without_workbook.xlsx",
         ((0, "", "onleesbaar Excel-bestand"),)),
    Case("xlsx_sheet_missing", "xlsx_two_sheets.xlsx",
         ((0, "", "werkblad 'Data' bestaat niet; wel: Gegevens, Toelichting"),), sheet="Data"),
    Case("xlsx_empty_sheet", "xlsx_empty_sheet.xlsx", ((0, "", "werkblad 'Blad1' is leeg"),)),
    # A workbook written by a program (openpyxl here) holds formulas without the value
    # Excel would calculate: read as empty cells, row 6 would have vanished without a word.
    Case("xlsx_formula_without_value", "xlsx_formula_without_value.xlsx",
         ((5, "waarde", "formule zonder berekende waarde"),
          (6, "jaar", "formule zonder berekende waarde"))),
    Case("xlsx_title_row_bad_rows", "xlsx_bad_rows.xlsx",
         ((5, "waarde", "'veel' is geen getal"),
          (6, "gebied", "naam 'Bissegem' komt meer dan eens voor"))),
    # -- GIS layers
    Case("layer_point_outside", "layer_point_outside.geojson",
         ((2, "geometry", "object 2 (id lp-2): ligt (deels) buiten de gemeente"),),
         layer="laadpunten"),
    Case("layer_duplicate_ids", "layer_duplicate_ids.geojson",
         ((3, "id", "object 3 (id lp-1): dubbele id (ook object 1)"),), layer="laadpunten"),
    Case("layer_bowtie_zone", "layer_bowtie_zone.geojson",
         ((1, "geometry", "object 1 (id wz-1): ongeldige geometrie (Self-intersection"),),
         layer="warmtenet_zone"),
    Case("layer_polygon_for_points", "layer_polygon_for_points.geojson",
         ((1, "geometry", "object 1 (id lp-1): Polygon, verwacht Point"),), layer="laadpunten"),
    Case("layer_missing_id_column", "layer_missing_id_column.geojson",
         ((0, "id", "kolom 'id' ontbreekt"),), layer="laadpunten"),
    Case("layer_empty_geometry", "layer_empty_geometry.geojson",
         ((2, "geometry", "object 2 (id lp-2): lege geometrie"),), layer="laadpunten"),
    Case("layer_non_numeric_property", "layer_non_numeric_property.geojson",
         ((1, "aantal", "object 1: 'vier' is geen getal"),), layer="laadpunten"),
    Case("layer_no_features", "layer_no_features.geojson",
         ((0, "", "bevat geen objecten"),), layer="laadpunten"),
    Case("layer_lambert_without_crs", "layer_lambert_without_crs.geojson",
         ((0, "crs", "coördinaten passen niet bij WGS84"),), layer="laadpunten"),
    Case("layer_truncated_json", "layer_truncated.geojson",
         ((0, "", "onleesbaar als geodata"),), layer="warmtenet_leiding"),
    Case("layer_unknown_type_kml", "layer_wrong_type.kml",
         ((0, "", "onbekend bestandstype '.kml'"),), layer="ontharding_project"),
    # -- cases that showed bugs (fixed; kept as regressions)
    Case("dutch_decimal_comma_in_comma_csv", "dutch_decimal_comma_in_comma_csv.csv",
         ((None, None, AnyOf("te veel velden", "meer cellen dan kolommen")),), exact=False,
         ),
    Case("xlsx_extra_cells", "xlsx_extra_cells.xlsx",
         ((4, "", "meer cellen dan kolommen in de kopregel"),)),
    Case("layer_missing_id_value", "layer_missing_id_value.geojson",
         ((2, "id", "id ontbreekt"),), layer="laadpunten"),
    Case("layer_unclosed_ring", "layer_unclosed_ring.geojson",
         ((None, None, AnyOf("ongeldige geometrie", "onleesbaar als geodata")),),
         layer="warmtenet_zone", exact=False),
    Case("layer_single_point_line", "layer_single_point_line.geojson",
         ((None, None, AnyOf("ongeldige geometrie", "onleesbaar als geodata")),),
         layer="warmtenet_leiding", exact=False),
]


def _params(cases: list[Case]):
    return [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.bug)]
                         if c.bug else []) for c in cases]


def test_case_files_are_all_used_and_present():
    used = {c.file for c in CASES} | GOOD_FILES | BUG_FILES
    on_disk = {p.name for p in CASES_DIR.iterdir()}
    assert used <= on_disk, f"missing case files: {sorted(used - on_disk)}"
    assert on_disk <= used, f"unused case files: {sorted(on_disk - used)}"
    assert len({c.id for c in CASES}) == len(CASES) >= 30
    for p in CASES_DIR.iterdir():
        assert p.stat().st_size < 20_000, f"{p.name} is not small"


# ------------------------------------------------------------------------------ helpers
def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_build(built, root: Path) -> Path:
    """A private copy of the real build under ``root``; returns the .duckdb path."""
    shutil.copytree(built.db_path.parent, root / "data")
    shutil.copytree(built.geo_dir, root / "geo")
    return root / "data" / built.db_path.name


def _checksums(db: Path) -> dict[str, str]:
    with Store(db, read_only=True) as store:  # read-only: opening must not touch the file
        return store.table_checksums()


def _cli(root: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, **make_env(root)}
    env.pop("DASHBOARD_GEODATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _errors(v) -> list[tuple[int, str, str]]:
    e = v.errors
    return [(int(r), str(f), str(why)) for r, f, why in zip(e["row"], e["field"], e["reason"])]


def _assert_errors(got: list[tuple[int, str, str]], case: Case) -> None:
    for row, fld, phrase in case.expect:
        hits = [g for g in got if (row is None or g[0] == row) and (fld is None or g[1] == fld)
                and _has(phrase, g[2])]
        assert hits, f"{case.id}: expected ({row}, {fld!r}, {phrase!r}); got {got}"
    if case.exact:
        assert {(r, f) for r, f, _ in got} == {(r, f) for r, f, _ in case.expect}, (
            f"{case.id}: unexpected (row, column) pairs: {got}")


def _cli_line_prefix(case: Case, row, fld) -> str:
    where = "  " + case.path.name
    if row:
        where += f", rij {row}"
    if fld:
        where += f", kolom '{fld}'"
    return where + ": "


def _assert_cli_errors(stderr: str, case: Case) -> None:
    lines = stderr.splitlines()
    for row, fld, phrase in case.expect:
        if row is None or fld is None:
            hits = [ln for ln in lines if ln.startswith("  " + case.path.name) and _has(phrase, ln)]
        else:
            prefix = _cli_line_prefix(case, row, fld)
            hits = [ln for ln in lines if ln.startswith(prefix) and _has(phrase, ln[len(prefix):])]
        assert hits, f"{case.id}: no stderr line for ({row}, {fld!r}, {phrase!r}):\n{stderr}"


# ------------------------------------------------------------------------------ fixtures
@dataclass
class Api:
    store: Store
    municipality: object
    sectors: object

    def validate(self, case: Case):
        data = case.path.read_bytes()
        if case.layer:
            return loads.validate_layer_file(data, case.path.name, case.layer,
                                             self.municipality, self.sectors)
        return loads.validate_file(data, case.path.name, self.store, indicator=case.indicator,
                                   sheet=case.sheet)


@pytest.fixture(scope="module")
def api(built_official, tmp_path_factory):
    """One Store per module on a private copy (safe: every test proves it changed nothing)."""
    root = tmp_path_factory.mktemp("loads_bad_api")
    db = _copy_build(built_official, root)
    store = Store(db)
    yield Api(store, geodata.load_level(root / "geo", "gemeente"),
              geodata.load_level(root / "geo", "sector"))
    store.close()


@dataclass
class CliRun:
    proc: subprocess.CompletedProcess
    sha_before: str
    sha_after: str
    checksums_before: dict
    checksums_after: dict


@pytest.fixture(scope="module")
def cli_runs(built_official, tmp_path_factory):
    """Every case through the CLI, each on its own copy, two at a time (started lazily)."""
    pool = ThreadPoolExecutor(max_workers=CLI_WORKERS)

    roots = {case.id: tmp_path_factory.mktemp("cli_" + case.id) for case in CASES}

    def run(case: Case) -> CliRun:
        root = roots[case.id]
        db = _copy_build(built_official, root)
        sha_before, checks_before = _sha(db), _checksums(db)
        proc = _cli(root, *case.cli_args())
        return CliRun(proc, sha_before, _sha(db), checks_before, _checksums(db))

    futures = {case.id: pool.submit(run, case) for case in CASES}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("case", _params(CASES))
def test_api_refuses_with_message_and_changes_nothing(case: Case, api: Api):
    before = api.store.table_checksums()
    v = api.validate(case)
    assert not v.ok, f"{case.id}: validation passed; rows:\n{getattr(v, 'rows', None)}"
    _assert_errors(_errors(v), case)
    with pytest.raises(loads.LoadRefused, match="fout"):
        loads.commit(api.store, v, who="test", confirm_warnings=True)
    assert api.store.table_checksums() == before


@pytest.mark.parametrize("case", _params(CASES))
def test_cli_refuses_with_message_and_changes_nothing(case: Case, cli_runs):
    run = cli_runs[case.id].result()
    out, err = run.proc.stdout, run.proc.stderr
    assert "Traceback" not in err, err
    assert run.proc.returncode == 2, (run.proc.returncode, out, err)
    assert "niets geschreven" in err, err
    assert "Geladen als" not in out
    _assert_cli_errors(err, case)
    assert run.checksums_after == run.checksums_before


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_cli_leaves_database_file_byte_for_byte_unchanged(case: Case, cli_runs):
    run = cli_runs[case.id].result()
    assert run.proc.returncode != 0
    assert run.sha_after == run.sha_before


def test_cli_import_subcommand_is_reachable(tmp_path):
    proc = _cli(tmp_path, "import", "--help")
    assert proc.returncode == 0, proc.stderr
    assert "--confirm-warnings" in proc.stdout and "--layer" in proc.stdout


def test_cli_missing_file_is_refused(built_official, tmp_path):
    db = _copy_build(built_official, tmp_path)
    sha = _sha(db)
    proc = _cli(tmp_path, "import", str(tmp_path / "bestaat_niet.csv"))
    assert proc.returncode == 2
    assert "bestaat_niet.csv: bestand niet gevonden; niets geschreven." in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _sha(db) == sha


# ------------------------------------------------------------------------------ good paths
GOOD_FILES = {"good_semicolon_cp1252.csv", "good_template_title_row.xlsx", "good_replace.csv",
              "good_formula_with_cached_value.xlsx",
              "warning_jump.csv", "layer_good_laadpunten.geojson"}


def _value(store: Store, indicator: str, area: str, period: int) -> float:
    m = store.measurements(indicator, period=period)
    m = m[m["area_code"] == area]
    assert len(m) == 1, m
    return float(m["value"].iloc[0])


def _loaded_batch(proc) -> str:
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    match = re.search(r"Geladen als (load-\S+):", proc.stdout)
    assert match, proc.stdout
    return match.group(1)


def test_semicolon_cp1252_csv_with_dutch_numbers_and_names_commits(built_copy):
    path = CASES_DIR / "good_semicolon_cp1252.csv"
    proc = _cli(built_copy.db_path.parent.parent, "import", str(path), "--who", "tester")
    batch = _loaded_batch(proc)
    assert "5 rijen, 0 vervangen" in proc.stdout
    with Store(built_copy.db_path, read_only=True) as store:
        assert _value(store, "inwoners", "34022", 2021) == 77500        # 'Kortrijk', '77.500'
        assert _value(store, "inwoners", "34022C", 2025) == 5402        # Bissegem deelgemeente
        assert _value(store, "inwoners", "34022B001", 2025) == 815      # sector 'Heule-Kern'
        assert _value(store, "huurprijs_appartement", "34022", 2023) == 612.5   # '612,50'
        assert _value(store, "werkzaamheidsgraad", "34022", 2022) == 76.4       # '76,4'
        rows = store._rows("SELECT indicator_id, source, note FROM current_measurement "
                           "WHERE batch_id = ? ORDER BY indicator_id, area_code", [batch])
        assert ("werkzaamheidsgraad", "Steunpunt Werk", "één cijfer, café-enquête") in rows
        assert ("huurprijs_appartement", "Stadsmonitor", "huur per maand in €") in rows
        b = store.batches().set_index("id").loc[batch]
        assert (b["who"], b["file_name"], b["row_count"]) == ("tester", path.name, 5)
        assert b["sha256"] == _sha(path)


def test_excel_formula_with_its_calculated_value_reads_that_value(built_copy):
    """A formula that Excel calculated and stored (``<v>``) is read as its value."""
    path = CASES_DIR / "good_formula_with_cached_value.xlsx"
    with Store(built_copy.db_path) as store:
        v = loads.validate_file(path.read_bytes(), path.name, store)
    assert v.ok, v.errors
    assert list(v.rows["_row"]) == [4, 5]
    assert [float(x) for x in v.rows["value"]] == [77.2, 77.7]


def test_excel_template_with_title_row_commits(built_copy):
    path = CASES_DIR / "good_template_title_row.xlsx"
    with Store(built_copy.db_path) as store:
        v = loads.validate_file(path.read_bytes(), path.name, store)
        assert v.ok, v.errors
        assert v.sheet == "Gegevens"
        assert list(v.rows["_row"]) == [4, 5, 6]  # title row 1, blank row 2, header row 3
    proc = _cli(built_copy.db_path.parent.parent, "import", str(path))
    _loaded_batch(proc)
    with Store(built_copy.db_path, read_only=True) as store:
        assert _value(store, "werkzaamheidsgraad", "34022", 2022) == 77.2
        assert _value(store, "sociale_cohesie", "34022", 2025) == 50
        assert _value(store, "inwoners", "34022F", 2025) == 3350  # 'Rollegem' deelgemeente


def test_undo_through_cli_restores_exactly_the_previous_values(built_copy):
    root = built_copy.db_path.parent.parent
    indicators = ["huurprijs_appartement", "inwoners"]
    with Store(built_copy.db_path, read_only=True) as store:
        before = {i: store.measurements(i) for i in indicators}
        checks_before = store.table_checksums()
    batch = _loaded_batch(_cli(root, "import", str(CASES_DIR / "good_replace.csv")))
    with Store(built_copy.db_path, read_only=True) as store:
        assert _value(store, "huurprijs_appartement", "34022", 2022) == 600
        assert _value(store, "inwoners", "34022C", 2024) == 5400
        assert _value(store, "inwoners", "34022", 2021) == 77500
    undo = _cli(root, "undo", batch)
    assert undo.returncode == 0, undo.stderr
    assert f"Lading {batch} ongedaan gemaakt; 2 vorige waarden terug." in undo.stdout
    with Store(built_copy.db_path, read_only=True) as store:
        for i in indicators:
            pd.testing.assert_frame_equal(store.measurements(i), before[i])
        after = store.table_checksums()
    # nothing is deleted: the batch and its rows stay, marked undone
    assert after["measurement"] != checks_before["measurement"]
    assert after["batch"] != checks_before["batch"]
    second = _cli(root, "undo", batch)
    assert second.returncode == 2 and "is al ongedaan gemaakt" in second.stderr


def test_undo_through_api_restores_exactly_the_previous_values(built_copy):
    path = CASES_DIR / "good_semicolon_cp1252.csv"
    with Store(built_copy.db_path) as store:
        indicators = ["inwoners", "huurprijs_appartement", "werkzaamheidsgraad"]
        before = {i: store.measurements(i) for i in indicators}
        v = loads.validate_file(path.read_bytes(), path.name, store)
        result = loads.commit(store, v, who="test")
        assert result["rows"] == 5
        assert not store.measurements("werkzaamheidsgraad").equals(before["werkzaamheidsgraad"])
        store.undo_batch(result["batch_id"])
        for i in indicators:
            pd.testing.assert_frame_equal(store.measurements(i), before[i])


def test_jump_warning_needs_confirm_warnings(built_copy):
    root = built_copy.db_path.parent.parent
    path = CASES_DIR / "warning_jump.csv"
    checks = _checksums(built_copy.db_path)
    proc = _cli(root, "import", str(path))
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert ("Waarschuwing: warning_jump.csv, rij 2, kolom 'waarde': sprong van -61% t.o.v. "
            "2021 (76 → 30)") in proc.stderr
    assert "1 waarschuwing niet bevestigd: niets geschreven" in proc.stderr
    assert _checksums(built_copy.db_path) == checks
    batch = _loaded_batch(_cli(root, "import", str(path), "--confirm-warnings"))
    with Store(built_copy.db_path, read_only=True) as store:
        assert _value(store, "werkzaamheidsgraad", "34022", 2022) == 30
        confirmed = store.batches().set_index("id").loc[batch, "warnings_confirmed"]
    assert "sprong van -61%" in confirmed


def test_filled_in_template_csv_commits(built_copy):
    with Store(built_copy.db_path) as store:
        template = loads.template_csv(store.indicator("werkzaamheidsgraad"), store.areas(), 2022)
        text = template.decode("utf-8-sig")
        assert text.splitlines()[1] == "werkzaamheidsgraad;34022;Kortrijk;gemeente;2022;;%;;"
        filled = text.replace(";2022;;%;", ";2022;77,1;%;").encode("utf-8-sig")
        v = loads.validate_file(filled, "sjabloon.csv", store)
        assert v.ok, v.errors
        loads.commit(store, v, who="test")
        assert _value(store, "werkzaamheidsgraad", "34022", 2022) == 77.1


def test_dry_run_validates_and_writes_nothing(built_copy):
    checks = _checksums(built_copy.db_path)
    proc = _cli(built_copy.db_path.parent.parent, "import",
                str(CASES_DIR / "good_semicolon_cp1252.csv"), "--dry-run")
    assert proc.returncode == 1, proc.stderr
    assert "Proefrun (--dry-run): niets geschreven." in proc.stdout
    assert "toegevoegd" in proc.stdout  # the preview table
    assert _checksums(built_copy.db_path) == checks


def test_good_layer_commits_and_replaces_the_layer(built_copy):
    proc = _cli(built_copy.db_path.parent.parent, "import",
                str(CASES_DIR / "layer_good_laadpunten.geojson"), "--layer", "laadpunten")
    batch = _loaded_batch(proc)
    with Store(built_copy.db_path, read_only=True) as store:
        f = store.layer_features("laadpunten")
    assert list(f["feature_id"]) == ["lp-1", "lp-2"]
    assert set(f["batch_id"]) == {batch}
    assert f["area_code"].notna().all()


# ------------------------------------------------------------------------------ more bugs
BUG_FILES = {"xlsx_numeric_three_decimals.xlsx", "csv_leading_zero_decimal.csv",
             "dutch_thousands_only.csv", "dutch_thousands_mixed.csv",
             "semicolon_commas_in_notes.csv", "title_with_form_feed.csv"}


def _values(api: Api, name: str) -> list[float]:
    path = CASES_DIR / name
    v = loads.validate_file(path.read_bytes(), path.name, api.store)
    assert v.ok, v.errors
    return list(v.rows["value"])


# measurements.py parse_numbers returns pd.to_numeric as is when EVERY value of the file is
# a plain number, and otherwise reads 'd.ddd' as a Dutch thousands group. So '77.500' is
# 77500 in a file that also holds '612,50' but 77.5 in a file that does not (silently; the
# docstring promises '56.211' -> 56211).
def test_dutch_thousands_do_not_depend_on_other_rows(api: Api):
    alone = _values(api, "dutch_thousands_only.csv")[0]
    mixed = _values(api, "dutch_thousands_mixed.csv")[0]
    assert alone == mixed == 77500


# read.py _cell turns a numeric Excel cell into str(float) ('125.375'); as soon as another
# cell of the file is Dutch-formatted text, parse_numbers reads the dot followed by three
# digits as a thousands separator: 125.375 m³ becomes 125375 (silently: within range).
def test_excel_numeric_cell_with_three_decimals_keeps_its_value(api: Api):
    assert _values(api, "xlsx_numeric_three_decimals.xlsx") == [125.375, 310.125, 1250.0]


# parse_numbers: _THOUSANDS_DOT accepts a leading group '0', so in a file that also holds
# Dutch text '0.125' becomes 125 (a thousands group never starts with 0) and the row is
# refused as 'waarde 0.125 buiten het plausibele bereik 0 – 15'.
def test_csv_leading_zero_decimal_is_a_decimal(api: Api):
    assert _values(api, "csv_leading_zero_decimal.csv") == [0.125, 1250.5]


# read.py read_csv_bytes picks the delimiter by counting ';' against ',' over the whole
# sample: a valid semicolon CSV with Dutch decimal commas and comma-rich notes is read as
# comma-separated and refused with 'geen kopregel gevonden' (its header line alone is
# unambiguous).
def test_semicolon_csv_with_commas_in_notes_is_read(api: Api):
    assert _values(api, "semicolon_commas_in_notes.csv") == [76.4, 48.5]


# read.py read_csv_bytes counts header lines with str.splitlines() (which also splits on
# \f, \v, \x1c-\x1e, \x85, U+2028/9) but pandas skips skiprows=header_at+1 real lines: a
# form feed in a title line makes the first data row disappear silently.
def test_form_feed_in_title_line_keeps_every_row(api: Api):
    path = CASES_DIR / "title_with_form_feed.csv"
    v = loads.validate_file(path.read_bytes(), path.name, api.store)
    assert list(v.rows["indicator_id"]) == ["werkzaamheidsgraad", "sociale_cohesie", "inwoners"]


# read.py _find_header requires gebied, jaar and waarde together, so a file lacking one of
# them gets 'geen kopregel gevonden' without naming the missing column; the 'kolom
# ontbreekt' error of measurements.validate is unreachable for these three.
@pytest.mark.parametrize("column", ["gebied", "jaar", "waarde"])
def test_missing_column_is_named(column: str, api: Api):
    path = CASES_DIR / f"missing_column_{column}.csv"
    v = loads.validate_file(path.read_bytes(), path.name, api.store)
    assert (0, column, "kolom ontbreekt") in _errors(v)


def test_template_of_a_compared_indicator_lists_the_peers_and_commits(built_copy):
    """Values per benchmark city are loaded like any other: the template lists the peers
    (level 'peer') for an indicator the note compares with the centrumsteden."""
    with Store(built_copy.db_path) as store:
        template = loads.template_csv(store.indicator("personenwagens_per_1000"),
                                      store.areas(), 2024).decode("utf-8-sig")
        lines = template.splitlines()
        assert lines[1].startswith("personenwagens_per_1000;34022;Kortrijk;gemeente;2024")
        peers = [line for line in lines if ";peer;" in line]
        assert len(peers) == 12 and any(";36015;Roeselare;peer;" in p for p in peers)
        filled = "\n".join([lines[0], *[p.replace(";2024;;", ";2024;480;") for p in peers]])
        v = loads.validate_file(filled.encode("utf-8"), "centrumsteden.csv", store)
        assert v.ok, v.errors
        loads.commit(store, v, who="test")
        peer = store.peer_measurements()
        cars = peer[(peer["indicator_id"] == "personenwagens_per_1000") & (peer["period"] == 2024)]
        assert len(cars) == 12 and (cars["value"] == 480).all() and not cars["illustrative"].any()
        # An indicator without a comparison gets no peer rows and refuses them.
        assert ";peer;" not in loads.template_csv(store.indicator("werkzaamheidsgraad"),
                                                  store.areas(), 2022).decode("utf-8-sig")
        bad = "indicator;gebied;jaar;waarde\nwerkzaamheidsgraad;36015;2022;70\n"
        v = loads.validate_file(bad.encode("utf-8"), "fout.csv", store)
        assert not v.ok and "bestaat niet op niveau" in v.errors["reason"].iloc[0]


@pytest.mark.parametrize("template", [
    "dubbel: zelfde indicator, gebied en jaar als rij {row}",
    "jaar {value} valt buiten {first}–{last}",
    "{{letterlijk}} {value}{row}",
    "{value!r} {row:>4}",          # conversions and specs: the row-by-row path
])
def test_messages_built_column_wise_equal_format_row_by_row(template):
    """``_each`` builds the per-row messages column by column; the text must be exactly
    what ``str.format`` gives for each row (Arrow strings, missing values, other indexes)."""
    from dashboard.loads.measurements import _each

    columns = {
        "value": pd.Series(["2031", "x{y}", None, "é"], dtype="string[pyarrow]"),
        "row": pd.Series([5, 6, 7, 8], index=[40, 41, 42, 43]).astype(str),
        "first": [2000] * 4,
        "last": [2026, 2026.0, float("nan"), None],
    }
    used = {k: v for k, v in columns.items() if "{" + k in template}
    expected = [template.format(**dict(zip(used, row))) for row in zip(*used.values())]
    assert _each(template, **used) == expected
    assert len(expected) == 4
