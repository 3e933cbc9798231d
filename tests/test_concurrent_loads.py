"""Scheduled loads beside the running app (issue 12, point 5).

A ``python -m dashboard import`` started by a scheduler must commit while the editor app
serves visitors, and the app must show the new figures on the next rerun, without a
restart. The Store holds the database file only while a call runs (see
docs/architecture.md, "Sharing the database file"); a file another process holds longer
than ``DASHBOARD_DB_LOCK_WAIT`` gives a message naming it, exit code 5, nothing written.

Every test here fails on the code before that change (a Store kept one DuckDB connection
for its lifetime, so the CLI met "de database is in gebruik door een ander proces"). The
module imports nothing that code lacked, so the server test fails there for the real
reason, not on an import.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dashboard import clock, state
from dashboard.build import build
from dashboard.settings import PROJECT_ROOT
from dashboard.store import Store

from .conftest import SHARED_GEO, make_env, settings_for
from .test_browser import CHROMIUM, browser, page_text, session, wait_for  # noqa: F401
from .test_browser_meetings import _shown_value, server

INDICATOR = "laadpunten"  # spearhead 5; the city's 2024 figure is 660 in the catalog
BEFORE, AFTER = "660", "701"  # +6 %: no warning to confirm
LIVE = f"/presentatie?presentatie=1&ind={INDICATOR}"

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])   # read-write: DuckDB locks the file for this process
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _values_file(root: Path, value: str = AFTER) -> Path:
    path = root / "laadpunten_2024.csv"
    path.write_text(f"gebied;jaar;waarde\n34022;2024;{value}\n", encoding="utf-8")
    return path


def _cli_env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update(make_env(root, SHARED_GEO), PYTHONUNBUFFERED="1", **extra)
    return env


def _import(root: Path, data: Path, **extra: str) -> subprocess.Popen:
    """The scheduler's command line, as a separate process."""
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard", "import", str(data), "--indicator", INDICATOR,
         "--who", "cron"],
        env=_cli_env(root, **extra), cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def _city_value(store: Store) -> float:
    rows = store.measurements(INDICATOR, level="gemeente", period=2024)
    return float(rows["value"].iloc[-1])


def _hold(db: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


# ------------------------------------------------------------------ two processes, unit level
@pytest.mark.parametrize("read_only", [False, True], ids=["app-store", "read-only-store"])
def test_a_second_process_writes_while_a_store_is_open_and_reading(built_copy, read_only):
    """This process keeps a Store open (as the app does: read-write, or read-only) and a
    thread reads through it the whole time; the CLI in another process commits (exit 0)
    and the open Store reads the new value and the new data version."""
    root = built_copy.db_path.parent.parent
    store = Store(built_copy.db_path, read_only=read_only)
    assert _city_value(store) == float(BEFORE)
    version = store.meta("loads_version")
    stop, reads, errors = threading.Event(), [], []

    def keep_reading():
        while not stop.is_set():
            try:
                reads.append(_city_value(store))
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)
                return

    reader = threading.Thread(target=keep_reading, daemon=True)
    reader.start()
    try:
        proc = _import(root, _values_file(root))
        out, err = proc.communicate(timeout=300)
    finally:
        stop.set()
        reader.join(timeout=60)
    assert proc.returncode == 0, err
    assert "Geladen als" in out
    assert not errors, errors
    assert len(reads) > 10 and set(reads) <= {float(BEFORE), float(AFTER)}
    assert _city_value(store) == float(AFTER)
    assert store.meta("loads_version") != version
    store.close()


def test_a_lock_held_past_the_wait_gives_the_message_exit_5_and_writes_nothing(built_copy):
    """Another process holds the file read-write longer than DASHBOARD_DB_LOCK_WAIT: the
    import waits that long, then says which file is in use, exits 5 (not 2: a scheduler
    may retry later) and writes nothing."""
    root = built_copy.db_path.parent.parent
    with Store(built_copy.db_path, read_only=True) as store:
        before = store.table_checksums()
    holder = _hold(built_copy.db_path, 120)
    try:
        started = time.monotonic()
        proc = _import(root, _values_file(root), DASHBOARD_DB_LOCK_WAIT="1.5")
        out, err = proc.communicate(timeout=120)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 5, (out, err)
    assert "in gebruik door een ander proces" in err, err
    assert str(built_copy.db_path) in err and "1.5 s" in err and "niets geschreven" in err
    assert "Traceback" not in err
    assert waited >= 1.5
    with Store(built_copy.db_path, read_only=True) as store:
        assert store.table_checksums() == before


def test_a_lock_released_within_the_wait_is_waited_for(built_copy):
    """A lock another process releases after two seconds is waited for (with backoff):
    the import commits, exit 0."""
    root = built_copy.db_path.parent.parent
    holder = _hold(built_copy.db_path, 2)
    started = time.monotonic()
    proc = _import(root, _values_file(root), DASHBOARD_DB_LOCK_WAIT="60")
    out, err = proc.communicate(timeout=300)
    holder.wait(timeout=60)
    assert proc.returncode == 0, err
    assert time.monotonic() - started >= 1.5
    with Store(built_copy.db_path, read_only=True) as store:
        assert _city_value(store) == float(AFTER)


def test_busy_store_call_raises_database_busy_naming_the_file(built_copy):
    """In the app's process a read that cannot get the file within the wait raises
    DatabaseBusy (the page shows its message), without touching the file."""
    from dashboard.store import DatabaseBusy

    store = Store(built_copy.db_path, lock_wait=0.3)
    holder = _hold(built_copy.db_path, 120)
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseBusy) as caught:
            store.all_meta()
        assert 0.3 <= time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
    assert str(built_copy.db_path) in str(caught.value)
    assert store.meta("schema_version")  # free again: the same Store reads


def test_readers_and_a_writer_of_one_process_share_the_file(built_copy):
    """A read-only and a read-write Store of one file in one process, used by several
    threads at once (sessions reading, the editor loading): every read succeeds and the
    write commits. (One DuckDB connection per Store refused the second configuration.)"""
    from dashboard import loads

    ro = Store(built_copy.db_path, read_only=True)
    rw = Store(built_copy.db_path)
    errors: list[BaseException] = []
    stop = threading.Event()

    def read(store: Store) -> None:
        while not stop.is_set():
            try:
                store.city_measurements()
                store.all_meta()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return

    threads = [threading.Thread(target=read, args=(s,), daemon=True) for s in (ro, rw, ro)]
    for th in threads:
        th.start()
    try:
        data = _values_file(built_copy.db_path.parent).read_bytes()
        validated = loads.validate_file(data, "laadpunten.csv", rw, indicator=INDICATOR)
        assert validated.ok, validated.errors
        result = loads.commit(rw, validated, who="test")
        time.sleep(0.3)
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=60)
    assert not errors, errors
    assert result["rows"] == 1
    assert _city_value(ro) == float(AFTER)


# ------------------------------------------------------------------ the real server
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason=f"{CHROMIUM} not installed")


@pytest.mark.browser
@needs_chromium
def test_scheduled_import_while_the_app_serves_shows_without_restart(tmp_path, browser):  # noqa: F811
    """``streamlit run app.py`` serves two sessions (the spearhead-5 page, and the live
    figure of laadpunten reloaded over and over with a different pinned moment each time,
    so every reload queries the database); meanwhile the scheduler's CLI import runs as
    its own process and exits 0; a reload then shows the new figure, no restart."""
    settings = settings_for(tmp_path)
    build(settings)
    data = _values_file(tmp_path)
    with server(tmp_path) as base, session(browser) as sp5, session(browser) as reader:
        sp5.page.goto(base + "/speerpunt-5")
        page_text(sp5.page, "Laadpunten")
        reader.page.goto(base + LIVE)
        page_text(reader.page, "Laatste cijfer:")
        assert BEFORE in _shown_value(reader.page)

        proc = _import(tmp_path, data)
        now = clock.now_local().replace(microsecond=0)
        reloads = 0
        while proc.poll() is None and reloads < 200:
            stand = state.format_as_of(now - dt.timedelta(minutes=reloads + 1))
            reader.page.goto(f"{base}{LIVE}&stand={stand}")
            page_text(reader.page, "Laatste cijfer:", "stand op")
            reloads += 1
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
        assert "Geladen als" in out
        assert reloads >= 1, "the import finished before any session read"

        reader.page.goto(base + LIVE)
        wait_for(reader.page, lambda: AFTER in _shown_value(reader.page), 30,
                 f"the new figure {AFTER} after the import")
        sp5.page.reload()
        page_text(sp5.page, "Laadpunten")
        assert not reader.errors and not sp5.errors, (reader.errors, sp5.errors)
