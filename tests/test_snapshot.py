"""Snapshot publication: replicas keep answering while a new snapshot is published, and
serve the new data afterwards."""

from __future__ import annotations

import threading
import time

from dashboard import loads, snapshot
from dashboard.store import Store


def _city_charging(store: Store) -> float:
    m = store.measurements("laadpunten", level="gemeente", period=2024)
    return float(m["value"].iloc[0])


def test_publish_is_a_consistent_copy(built_copy, tmp_path):
    with Store(built_copy.db_path) as editor:
        folder = snapshot.publish(editor, built_copy.geo_dir, tmp_path / "snaps")
        assert snapshot.current(tmp_path / "snaps") == folder
        with Store(folder / "dashboard.duckdb", read_only=True) as copy:
            assert copy.table_checksums() == editor.table_checksums()
        assert (folder / "geo" / "wijk.parquet").exists()


def test_readers_keep_answering_while_a_snapshot_is_published(built_copy, tmp_path):
    snaps = tmp_path / "snaps"
    editor = Store(built_copy.db_path)
    snapshot.publish(editor, built_copy.geo_dir, snaps)
    replica = snapshot.Replica(snaps)
    assert _city_charging(replica.store()) == 660

    seen: list[float] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append(_city_charging(replica.store()))
            except BaseException as exc:  # noqa: BLE001 (collected and asserted)
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    data = b"indicator;gebied;jaar;waarde\nlaadpunten;34022;2024;700\n"
    validated = loads.validate_file(data, "nieuw.csv", editor)
    loads.commit(editor, validated, who="test")
    new_folder = snapshot.publish(editor, built_copy.geo_dir, snaps)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    editor.close()

    assert not errors, errors[:3]
    assert set(seen) <= {660.0, 700.0}
    assert seen[0] == 660.0 and seen[-1] == 700.0
    # once a reader saw the new snapshot, no later read went back in time (per replica)
    assert replica.folder == new_folder
    assert _city_charging(replica.store()) == 700.0


def test_old_snapshots_are_pruned_but_current_kept(built_copy, tmp_path):
    snaps = tmp_path / "snaps"
    with Store(built_copy.db_path) as editor:
        folders = [snapshot.publish(editor, built_copy.geo_dir, snaps) for _ in range(5)]
    left = sorted(p.name for p in snaps.glob("snap-*"))
    assert len(left) == snapshot.KEEP
    assert folders[-1].name in left and snapshot.current(snaps) == folders[-1]


def test_public_replica_page_serves_the_published_snapshot(built_copy, tmp_path, clean_env,
                                                           monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dashboard.settings import PROJECT_ROOT

    from .conftest import goto, make_env

    snaps = tmp_path / "snaps"
    with Store(built_copy.db_path) as editor:
        snapshot.publish(editor, built_copy.geo_dir, snaps)
    env = make_env(tmp_path / "replica", geodata=None)  # the replica has no own data
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PUBLIC_MODE", "1")
    monkeypatch.setenv("DASHBOARD_SNAPSHOT_DIR", str(snaps))
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    goto(at, "speerpunt-5")
    at.query_params["deel"] = "indicatoren"  # the indicators part (its tab)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "660" in " ".join(m.value for m in at.markdown if m.value.startswith("| Indicator |"))
    assert not (tmp_path / "replica" / "data" / "dashboard.duckdb").exists()  # nothing built
