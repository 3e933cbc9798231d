"""The editor area through AppTest: access, upload → validate → preview → commit, history,
undo; and public mode, where no page, widget or URL offers a write path."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard.auth import failure_delay, verify_password
from dashboard.settings import PROJECT_ROOT
from dashboard.store import Store

from .conftest import HASH, PASSWORD, make_env, run_app

APP = str(PROJECT_ROOT / "app.py")
GOOD = ("indicator;gebied;jaar;waarde\n"
        "laadpunten;34022;2024;700\n"
        "kinderopvang_per_100;Kortrijk;2025;58,4\n").encode("cp1252")
BAD = b"indicator,gebied,jaar,waarde\nlaadpunten,Nergensland,2024,abc\n"


def test_password_hash_roundtrip_and_delay():
    assert verify_password(PASSWORD, HASH)
    assert not verify_password("fout", HASH)
    assert not verify_password(PASSWORD, "garbage")
    assert HASH.startswith("pbkdf2_sha256$1000$") and PASSWORD not in HASH
    assert [failure_delay(n) for n in range(6)] == [0, 0.5, 1, 2, 4, 8]


def _page(path: str) -> AppTest:
    return run_app(path)


def _table(at: AppTest, column: str):
    """The first table on the page with ``column`` (the load page also lists due figures)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _login(at: AppTest, password: str = PASSWORD) -> AppTest:
    at.text_input[0].set_value(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_editor_is_closed_without_configuration(built_copy, clean_env, monkeypatch):
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    at = _page("app_pages/load.py")
    assert "niet ingesteld" in at.warning[0].value
    assert not at.get("file_uploader")


def test_wrong_password_is_refused(editor_env):
    at = _login(_page("app_pages/load.py"), "verkeerd")
    assert "Onjuist wachtwoord" in at.error[0].value
    assert not at.get("file_uploader")


def test_upload_preview_commit_history_undo(editor_env):
    at = _login(_page("app_pages/load.py"))
    with Store(editor_env.db_path) as s:
        before = s.measurements("laadpunten", level="gemeente", period=2024)["value"].tolist()
    at.get("file_uploader")[0].set_value(("metingen.csv", GOOD, "text/csv")).run()
    assert not at.exception
    preview = _table(at, "vervangen")
    assert set(preview["Indicator"]) == {"laadpunten", "kinderopvang_per_100"}
    assert int(preview["vervangen"].sum()) == 1 and int(preview["toegevoegd"].sum()) == 1
    next(b for b in at.button if b.label == "Laden").click().run()
    assert any("Geladen als load-" in s.value for s in at.success), [s.value for s in at.success]

    hist = _login(_page("app_pages/history.py"))
    table = hist.dataframe[0].value
    assert "metingen.csv" in set(table["Bestand"])
    next(b for b in hist.button if b.label == "Ongedaan maken").click().run()
    assert any("ongedaan gemaakt" in s.value for s in hist.success)
    with Store(editor_env.db_path) as s:
        after = s.measurements("laadpunten", level="gemeente", period=2024)["value"].tolist()
    assert before == after == [660.0]


def test_bad_upload_lists_problems_and_writes_nothing(editor_env):
    with Store(editor_env.db_path) as s:
        before = s.table_checksums()
    at = _login(_page("app_pages/load.py"))
    at.get("file_uploader")[0].set_value(("fout.csv", BAD, "text/csv")).run()
    assert "niets geschreven" in at.error[0].value
    problems = _table(at, "Kolom")
    assert set(problems["Kolom"]) == {"gebied", "waarde"}
    assert set(problems["Rij"]) == {2}
    assert not [b for b in at.button if b.label == "Laden"]
    with Store(editor_env.db_path) as s:
        assert s.table_checksums() == before


def test_public_mode_has_no_write_path(editor_env, monkeypatch):
    monkeypatch.setenv("PUBLIC_MODE", "1")
    from dashboard.ui.navigation import page_specs
    from dashboard.settings import load_settings

    specs = page_specs(load_settings())
    files = [f for section in specs.values() for f, _t, _u in section]
    # overview, six spearheads, 2 meeting pages, benchmark, SDGs, partnerships, 3 about
    assert len(files) == 15, files
    assert not {"load.py", "history.py"} & set(files)
    monkeypatch.setenv("PUBLIC_MODE", "0")
    assert {"load.py", "history.py"} <= {f for sec in page_specs(load_settings()).values()
                                                for f, _t, _u in sec}
    monkeypatch.setenv("PUBLIC_MODE", "1")
    # Every public page: no uploader, no load or undo button.
    for path in ["app_pages/home.py", "app_pages/indicators.py", "app_pages/sources.py",
                 *[f"speerpunt-{i}" for i in range(1, 7)]]:
        at = _page(path)
        assert not at.get("file_uploader"), path
        assert not [b for b in at.button if b.label in {"Laden", "Ongedaan maken"}], path
    # The editor URL is not a page: Streamlit falls back to the main page.
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("app_pages/load.py")
    at.run()
    assert not at.get("file_uploader") and not at.text_input


def test_editor_lists_what_is_late_or_due(editor_env):
    """Kausal Watch's "indicator values are late / due soon": the coordinator sees them on
    the load page. The catalog's yearly figures of 2024 (six months' lag) were due by
    30 June 2026, so on any later day they are late."""
    at = _login(_page("app_pages/load.py"))
    label = next(e.label for e in at.expander if e.label.startswith("Verwachte cijfers"))
    late = int(label.split(":")[1].split("te laat")[0])
    assert late >= 10, label
    table = next(d.value for d in at.dataframe if "Verwacht op" in d.value.columns)
    row = table.set_index("Indicator").loc["Laadpunten"]
    assert (row["Toestand"], row["Verwacht op"], row["Ritme"]) == \
        ("te laat", "30 juni 2026", "jaarlijks")
    # an irregular source (a projection stated once) expects nothing
    assert "Aantal 65-plussers" not in set(table["Indicator"])
