"""Finding 9 (corrupt snapshots) and three low findings of issue 11: boolean settings,
secrets kept out of git and the image, a database held by another process at start.

Snapshots are real: published from a private copy of the official build, then damaged the
way a half-synced volume damages them, and served by a real ``snapshot.Replica`` and the
real app (AppTest).
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard import loads, settings, snapshot
from dashboard.settings import PROJECT_ROOT, load_settings
from dashboard.store import Store

from ..conftest import goto, make_env


def _city_charging(store: Store) -> float:
    m = store.measurements("laadpunten", level="gemeente", period=2024)
    return float(m["value"].iloc[0])


def _publish_changed(editor: Store, geo_dir: Path, snaps: Path, value: int) -> Path:
    data = f"indicator;gebied;jaar;waarde\nlaadpunten;34022;2024;{value}\n".encode()
    loads.commit(editor, loads.validate_file(data, f"laad{value}.csv", editor), who="test")
    return snapshot.publish(editor, geo_dir, snaps)


# The file names publish writes (spelled out, so the test also runs on older code).
DATABASE, MANIFEST = "dashboard.duckdb", "manifest.json"


def _damage(folder: Path, how: str) -> None:
    db = folder / DATABASE
    manifest = folder / MANIFEST
    if how.startswith("zero"):
        db.write_bytes(b"")
    elif how.startswith("garbage"):
        db.write_bytes(b"\x00not a duckdb file\xff" * 5000)
    elif how.startswith("truncated"):
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3])
    elif how == "missing_manifest":
        manifest.unlink(missing_ok=True)
    elif how == "wrong_checksum":  # the files are fine, the manifest disagrees
        doc = (json.loads(manifest.read_text()) if manifest.exists()
               else {"format": 1, "files": {DATABASE: {}}})  # code that wrote none
        doc["files"][DATABASE]["sha256"] = "0" * 64
        manifest.write_text(json.dumps(doc))
    else:
        raise AssertionError(how)
    if how.endswith("_consistent") and hasattr(snapshot, "write_manifest"):
        snapshot.write_manifest(folder)  # a manifest matching the damage: the open check


DAMAGES = ["zero", "garbage", "truncated", "zero_consistent", "garbage_consistent",
           "truncated_consistent", "missing_manifest", "wrong_checksum"]


@pytest.mark.parametrize("how", DAMAGES)
def test_finding_09_replica_keeps_the_last_good_snapshot(built_copy, tmp_path, how, caplog):
    snaps = tmp_path / "snaps"
    with Store(built_copy.db_path) as editor:
        good = snapshot.publish(editor, built_copy.geo_dir, snaps)
        replica = snapshot.Replica(snaps)
        assert _city_charging(replica.store()) == 660

        bad = _publish_changed(editor, built_copy.geo_dir, snaps, 700)
        _damage(bad, how)
        assert snapshot.current(snaps) == bad
        for _ in range(3):  # every rerun keeps serving the good one, without an exception
            assert _city_charging(replica.store()) == 660
        assert replica.folder == good
        assert any("snapshot refused" in r.getMessage() for r in caplog.records)

        # A replica that starts now falls back to the last good snapshot on disk.
        fresh = snapshot.Replica(snaps)
        assert _city_charging(fresh.store()) == 660 and fresh.folder == good

        # A good new one is switched to.
        newer = _publish_changed(editor, built_copy.geo_dir, snaps, 720)
        assert _city_charging(replica.store()) == 720 and replica.folder == newer
        assert _city_charging(fresh.store()) == 720


def test_finding_09_a_repaired_snapshot_is_taken_once_its_files_are_whole(built_copy,
                                                                         tmp_path):
    """A half-synced snapshot that completes later (same folder) is switched to."""
    snaps = tmp_path / "snaps"
    with Store(built_copy.db_path) as editor:
        snapshot.publish(editor, built_copy.geo_dir, snaps)
        replica = snapshot.Replica(snaps)
        assert _city_charging(replica.store()) == 660
        later = _publish_changed(editor, built_copy.geo_dir, snaps, 700)
    whole = (later / DATABASE).read_bytes()
    (later / DATABASE).write_bytes(whole[:1000])
    assert _city_charging(replica.store()) == 660
    time.sleep(0.01)
    (later / DATABASE).write_bytes(whole)  # the sync finished
    assert _city_charging(replica.store()) == 700 and replica.folder == later


def test_finding_09_manifest_is_written_and_lists_every_file(built_copy, tmp_path):
    with Store(built_copy.db_path) as editor:
        folder = snapshot.publish(editor, built_copy.geo_dir, tmp_path / "snaps")
    doc = json.loads((folder / MANIFEST).read_text())
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    files.discard(MANIFEST)  # itself (geo/manifest.json is listed)
    assert set(doc["files"]) == files and DATABASE in files
    assert snapshot.verify(folder) == doc


def test_finding_09_no_good_snapshot_gives_a_message_not_a_traceback(built_copy, tmp_path,
                                                                    clean_env):
    from streamlit.testing.v1 import AppTest

    snaps = tmp_path / "snaps"
    with Store(built_copy.db_path) as editor:
        only = snapshot.publish(editor, built_copy.geo_dir, snaps)
    _damage(only, "garbage")
    for key, value in make_env(tmp_path / "replica", geodata=None).items():
        clean_env.setenv(key, value)
    clean_env.setenv("PUBLIC_MODE", "1")
    clean_env.setenv("DASHBOARD_SNAPSHOT_DIR", str(snaps))
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    goto(at, "speerpunt-5")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert "beschadigd" in errors, errors


# ------------------------------------------------------------------ boolean settings
@pytest.mark.parametrize("word", ["1", "true", "TRUE", "yes", "on", "On", "ja", " ja "])
def test_low_public_mode_accepts_the_usual_true_spellings(word, clean_env):
    assert load_settings({"PUBLIC_MODE": word}).public_mode is True


@pytest.mark.parametrize("word", ["0", "false", "no", "off", "OFF", "nee", ""])
def test_low_public_mode_accepts_the_usual_false_spellings(word, clean_env):
    assert load_settings({"PUBLIC_MODE": word}).public_mode is False


@pytest.mark.parametrize("word", ["maybe", "2", "onn", "y", "ja!", "public"])
def test_low_public_mode_refuses_other_values_loudly(word, clean_env):
    with pytest.raises(ValueError, match="PUBLIC_MODE"):
        load_settings({"PUBLIC_MODE": word})
    with pytest.raises(ValueError, match="SOME_SWITCH"):
        settings.parse_bool("SOME_SWITCH", word)


# ------------------------------------------------------------------ secrets
def test_low_secrets_toml_is_ignored_by_git_and_docker():
    rel = ".streamlit/secrets.toml"
    ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", rel],
                             cwd=PROJECT_ROOT)
    assert ignored.returncode == 0, f"git does not ignore {rel}"
    patterns = [line.strip() for line in
                (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert any(not p.startswith("!") and fnmatch.fnmatch(rel, p.lstrip("/"))
               for p in patterns), f".dockerignore does not list {rel}: {patterns}"
    assert not any(p.startswith("!") and fnmatch.fnmatch(rel, p[1:].lstrip("/"))
                   for p in patterns)


# ------------------------------------------------------------------ database held at start
HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])   # read-write: DuckDB locks the file for this process
print("holding", flush=True)
time.sleep(300)
"""


def test_low_app_start_with_the_database_held_gives_a_message(built_copy, tmp_path,
                                                               clean_env):
    from streamlit.testing.v1 import AppTest

    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(built_copy.db_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        for key, value in make_env(tmp_path, geodata=None).items():
            clean_env.setenv(key, value)
        clean_env.setenv("DASHBOARD_DB_LOCK_WAIT", "1")  # the app waits that long, then says so
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        errors = " ".join(e.value for e in at.error)
        assert "in gebruik door een ander proces" in errors, errors
        assert str(built_copy.db_path) in errors
    finally:
        holder.kill()
        holder.wait()
