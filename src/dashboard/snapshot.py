"""Read-only snapshots for public replicas: the editor publishes, replicas pick it up.

The editor instance owns the writable DuckDB file. ``publish`` copies the database (one
consistent copy, made inside DuckDB with ``COPY FROM DATABASE``) and the geometry store
into a new folder ``snap-<time>-<n>`` under the snapshot directory, then switches the
pointer file ``CURRENT`` with an atomic rename. A replica (``DASHBOARD_SNAPSHOT_DIR`` set,
normally with ``PUBLIC_MODE=1``) reads ``CURRENT`` on each rerun and opens the new snapshot
read-only when it changed; sessions on the old one finish on the old one. Old snapshot
folders beyond ``KEEP`` are removed only when nothing points to them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
from pathlib import Path

from .store import Store

POINTER = "CURRENT"
KEEP = 3
_counter = itertools.count()


def current(snapshot_dir: Path) -> Path | None:
    """The folder ``CURRENT`` points to, or None when nothing was published yet."""
    pointer = Path(snapshot_dir) / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    folder = Path(snapshot_dir) / name
    return folder if (folder / "dashboard.duckdb").exists() else None


def publish(store: Store, geo_dir: Path, snapshot_dir: Path) -> Path:
    """Publish a consistent copy of ``store`` and ``geo_dir``; return the new folder."""
    snapshot_dir = Path(snapshot_dir)
    snapshot_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    name = f"snap-{stamp}-{os.getpid()}-{next(_counter)}"
    staging = snapshot_dir / f".{name}.tmp"
    staging.mkdir()
    try:
        store.export_copy(staging / "dashboard.duckdb")
        geo_target = staging / "geo"
        geo_target.mkdir()
        for item in Path(geo_dir).iterdir():
            if item.is_file() and item.suffix in {".parquet", ".json"}:
                shutil.copy2(item, geo_target / item.name)
        final = snapshot_dir / name
        os.replace(staging, final)
        tmp_pointer = snapshot_dir / f".{POINTER}.{name}.tmp"
        tmp_pointer.write_text(name, encoding="utf-8")
        os.replace(tmp_pointer, snapshot_dir / POINTER)  # the atomic switch
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(snapshot_dir, keep=name)
    return final


def _prune(snapshot_dir: Path, keep: str) -> None:
    folders = sorted(p for p in snapshot_dir.glob("snap-*") if p.is_dir())
    for old in folders[:-KEEP]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


class Replica:
    """A reader that always serves the latest published snapshot (thread-safe).

    ``store()`` costs one small file read when nothing changed. When ``CURRENT`` moves,
    the new snapshot is opened read-only; stores of earlier snapshots stay open for
    queries already running on them (at most ``KEEP`` of them).
    """

    def __init__(self, snapshot_dir: Path) -> None:
        import threading

        self.snapshot_dir = Path(snapshot_dir)
        self._lock = threading.Lock()
        self._folder: Path | None = None
        self._store: Store | None = None
        self._old: list[Store] = []

    @property
    def folder(self) -> Path | None:
        return self._folder

    def store(self) -> Store:
        folder = current(self.snapshot_dir)
        if folder is None:
            raise FileNotFoundError(f"{self.snapshot_dir}: nog geen momentopname gepubliceerd")
        if folder != self._folder:
            with self._lock:
                if folder != self._folder:
                    new = Store(folder / "dashboard.duckdb", read_only=True)
                    if self._store is not None:
                        self._old.append(self._store)
                        while len(self._old) > KEEP:
                            self._old.pop(0).close()
                    self._store, self._folder = new, folder
        assert self._store is not None
        return self._store
