"""The action portfolio on the command line (issue 14 point 4): ``python -m dashboard
actions export / load [--dry-run] / status``, undone through ``undo``."""

from __future__ import annotations

import io
import subprocess
import sys

import openpyxl

from dashboard import cli
from dashboard.actions import sheet
from dashboard.settings import PROJECT_ROOT
from dashboard.store import Store

from .conftest import make_env


def _edit(path, changes: dict[str, dict[str, object]]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet.SHEET]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        for column, value in (changes.get(row[0].value) or {}).items():
            row[header.index(column)].value = value
    wb.save(path)


def _env(settings, monkeypatch):
    env = make_env(settings.db_path.parent.parent)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=PROJECT_ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=300)


def test_export_edit_dry_run_load_status_undo(built_copy, clean_env, monkeypatch, tmp_path,
                                              capsys):
    env = _env(built_copy, monkeypatch)
    target = tmp_path / "acties.xlsx"
    done = _run("actions", "export", str(target), env=env)  # a real process
    assert done.returncode == 0, done.stderr
    assert "247 acties" in done.stdout
    wb = openpyxl.load_workbook(io.BytesIO(target.read_bytes()))
    assert wb.sheetnames == ["acties", "uitleg"]
    _edit(target, {"a1.1.01": {"status": "in uitvoering"},
                   "a3.1.01": {"status": "afgerond", "update_tekst": "Opgeleverd",
                               "update_datum": "2026-10-01"}})
    with Store(built_copy.db_path) as s:
        before_sums = s.table_checksums()
        before = s.action_states()

    assert cli.main(["actions", "load", str(target), "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "2 acties gewijzigd, 1 updates" in out
    assert "a1.1.01  status: nog niet beoordeeld → in uitvoering" in out
    assert "a3.1.01  update 2026-10-01: Opgeleverd" in out
    assert "niets geschreven" in out
    with Store(built_copy.db_path) as s:
        assert s.table_checksums() == before_sums

    assert cli.main(["actions", "load", str(target), "--who", "coördinator"]) == 0
    out = capsys.readouterr().out
    batch_id = out.split("Opgeslagen als ")[1].split(":")[0]
    with Store(built_copy.db_path) as s:
        now = s.action_states().set_index("action_id")
        batches = s.batches().set_index("id")
    assert now.loc[["a1.1.01", "a3.1.01"], "status"].tolist() == ["in_progress", "done"]
    assert batches.loc[batch_id, "who"] == "coördinator"
    assert set(now[now["batch_id"] == batch_id].index) == {"a1.1.01", "a3.1.01"}
    # the same file again changes nothing
    assert cli.main(["actions", "load", str(target)]) == 0
    assert "Geen wijzigingen" in capsys.readouterr().out

    assert cli.main(["actions", "status", "a1.1.02", "stopgezet", "--comment",
                     "Geen budget", "--date", "2026-11-02", "--service", "Dienst Welzijn"]) == 0
    out = capsys.readouterr().out
    status_batch = out.split("Opgeslagen als ")[1].split(":")[0]
    with Store(built_copy.db_path) as s:
        row = s.action_states().set_index("action_id").loc["a1.1.02"]
        notes = s.action_updates(action_id="a1.1.02")
    assert (row["status"], row["service"], row["batch_id"]) == \
        ("stopped", "Dienst Welzijn", status_batch)
    assert notes["text"].tolist() == ["Geen budget"] and str(notes["day"].iloc[0]) \
        .startswith("2026-11-02")
    # no comment, a date in the future, an unknown status: refused, nothing written
    with Store(built_copy.db_path) as s:
        sums = s.table_checksums()
    assert cli.main(["actions", "status", "a1.1.02", "afgerond", "--comment", " "]) == 2
    assert "update_tekst" in capsys.readouterr().err
    assert cli.main(["actions", "status", "a1.1.02", "afgerond", "--comment", "x",
                     "--date", "2999-01-01"]) == 2
    assert "toekomst" in capsys.readouterr().err
    assert cli.main(["actions", "status", "a1.1.02", "half", "--comment", "x"]) == 2
    assert "status" in capsys.readouterr().err
    with Store(built_copy.db_path) as s:
        assert s.table_checksums() == sums

    # a later change of the same action blocks undoing the earlier one
    assert cli.main(["actions", "status", "a1.1.01", "afgerond", "--comment", "Klaar"]) == 0
    later = capsys.readouterr().out.split("Opgeslagen als ")[1].split(":")[0]
    assert cli.main(["undo", batch_id]) == 2
    assert later in capsys.readouterr().err
    assert cli.main(["undo", later]) == 0
    # undo both batches (newest first) through the existing undo command
    assert cli.main(["undo", status_batch]) == 0
    assert cli.main(["undo", batch_id]) == 0
    capsys.readouterr()
    with Store(built_copy.db_path) as s:
        after = s.action_states()
    assert after.astype(str).to_dict("records") == before.astype(str).to_dict("records")


def test_bad_file_exits_non_zero_with_row_and_column(built_copy, clean_env, monkeypatch,
                                                     tmp_path):
    env = _env(built_copy, monkeypatch)
    target = tmp_path / "acties.xlsx"
    assert cli.main(["actions", "export", str(target)]) == 0
    _edit(target, {"a1.1.01": {"status": "half klaar"},
                   "a1.1.02": {"start": 2030, "einde": 2026},
                   "a1.1.03": {"indicatoren": "bestaat_niet"}})
    with Store(built_copy.db_path) as s:
        before = s.table_checksums()
    done = _run("actions", "load", str(target), env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "3 problemen in acties.xlsx; niets geschreven" in done.stderr
    for where in ("acties.xlsx, rij 2, kolom 'status'", "acties.xlsx, rij 3, kolom 'einde'",
                  "acties.xlsx, rij 4, kolom 'indicatoren'"):
        assert where in done.stderr, done.stderr
    with Store(built_copy.db_path) as s:
        assert s.table_checksums() == before
    # a missing file and random bytes named .xlsx: a clear message, non-zero
    done = _run("actions", "load", str(tmp_path / "weg.xlsx"), env=env)
    assert done.returncode == 2 and "niet gevonden" in done.stderr
    (tmp_path / "vals.xlsx").write_bytes(bytes(range(256)) * 4)
    assert cli.main(["actions", "load", str(tmp_path / "vals.xlsx")]) == 2
