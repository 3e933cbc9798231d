"""Read-only snapshots for public replicas: the editor publishes, replicas pick it up.

The editor instance owns the writable DuckDB file. ``publish`` copies the database (one
consistent copy, made inside DuckDB with ``COPY FROM DATABASE``) and the geometry store
into a new folder ``snap-<time>-<n>`` under the snapshot directory, writes ``manifest.json``
(size and SHA-256 of every file) into it as the last file, then switches the pointer file
``CURRENT`` with an atomic rename. A replica (``DASHBOARD_SNAPSHOT_DIR`` set, normally with
``PUBLIC_MODE=1``) reads ``CURRENT`` on each rerun; when it changed, the replica verifies
the new snapshot (manifest present and well-formed, every file's size and checksum, the
database opens read-only and has a schema version) and only then switches to it. A
snapshot that fails (0-byte, garbage or truncated database, missing manifest, wrong
checksum: what a half-synced volume gives) is logged once and skipped: the replica keeps
serving the last good snapshot, and looks again when the files change. Sessions on an
older snapshot finish on it. Old snapshot folders beyond ``KEEP`` are removed only when
nothing points to them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import os
import re
import shutil
import threading
from collections import OrderedDict
from pathlib import Path, PurePosixPath

from . import safety
from .store import Store

POINTER = "CURRENT"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
DATABASE = "dashboard.duckdb"
KEEP = 3
_NAME = re.compile(r"snap-[0-9A-Za-z._-]+\Z")  # what publish writes; nothing else is opened
_counter = itertools.count()
_LOG = logging.getLogger(__name__)


class SnapshotError(Exception):
    """A published snapshot that must not be served (the message says why)."""


class NoSnapshot(FileNotFoundError):
    """No good snapshot to serve: none published yet (``published`` False), or every one
    found failed verification (``reasons``)."""

    def __init__(self, snapshot_dir: Path, reasons: list[str]) -> None:
        self.published = bool(reasons)
        self.reasons = reasons
        detail = "; ".join(reasons) if reasons else "nog geen momentopname gepubliceerd"
        super().__init__(f"{snapshot_dir}: {detail}")


def current(snapshot_dir: Path) -> Path | None:
    """The folder ``CURRENT`` points to (not yet verified: see :func:`open_verified`), or
    None when nothing was published yet or the pointer names no snapshot folder."""
    pointer = os.path.join(snapshot_dir, POINTER)
    # Every script run asks (several times): the pointer is read again only when the file
    # changed (publish replaces it with a rename, so its inode changes too).
    try:
        info = os.stat(pointer)
    except FileNotFoundError:
        return None
    signature = (info.st_ino, info.st_mtime_ns, info.st_size)
    seen = _POINTERS.get(pointer)
    if seen is not None and seen[0] == signature:
        return seen[1]
    try:
        name = Path(pointer).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    if not _NAME.match(name):  # an empty, garbage or tampered pointer
        return None
    folder = Path(snapshot_dir) / name
    if not (folder / DATABASE).exists():
        return None
    _POINTERS[pointer] = (signature, folder)  # only a pointer to a real snapshot is kept
    return folder


_POINTERS: dict[str, tuple[tuple[int, int, int], Path]] = {}


# ------------------------------------------------------------------ manifest and checks
_DIGESTS: OrderedDict[tuple, str] = OrderedDict()
_DIGESTS_MAX = 512
_DIGESTS_LOCK = threading.Lock()


def _cached_sha256(path: Path) -> str:
    """SHA-256 of a file, cached by path, inode, size and modification time: verifying an
    unchanged snapshot again costs one ``stat`` per file."""
    st = path.stat()
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _DIGESTS_LOCK:
        if key in _DIGESTS:
            _DIGESTS.move_to_end(key)
            return _DIGESTS[key]
    digest = safety.file_sha256(path)
    with _DIGESTS_LOCK:
        _DIGESTS[key] = digest
        while len(_DIGESTS) > _DIGESTS_MAX:
            _DIGESTS.popitem(last=False)
    return digest


def write_manifest(folder: Path) -> Path:
    """Write ``manifest.json`` (size and SHA-256 of every other file) into ``folder``."""
    folder = Path(folder)
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel == MANIFEST:
            continue
        files[rel] = {"size": path.stat().st_size, "sha256": _cached_sha256(path)}
    doc = {"format": MANIFEST_FORMAT, "files": files}
    tmp = folder / f".{MANIFEST}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / MANIFEST)
    return folder / MANIFEST


def _safe_member(rel: object) -> bool:
    if not isinstance(rel, str) or not rel or "\\" in rel or "\x00" in rel:
        return False
    p = PurePosixPath(rel)
    return not p.is_absolute() and ".." not in p.parts and rel != MANIFEST


def verify(folder: Path) -> dict:
    """Check a snapshot folder against its manifest; return the manifest.

    Raises SnapshotError when the manifest is missing or malformed, the database is not
    listed, or a listed file is missing, has another size or another SHA-256.
    """
    folder = Path(folder)
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{folder.name}: geen {MANIFEST} (onvolledig gepubliceerd of "
                            "nog niet helemaal gesynchroniseerd)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SnapshotError(f"{folder.name}: {MANIFEST} is onleesbaar ({exc})") from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if (not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT
            or not isinstance(files, dict) or DATABASE not in files):
        raise SnapshotError(f"{folder.name}: {MANIFEST} heeft niet de verwachte vorm")
    for rel, entry in files.items():
        if not _safe_member(rel) or not isinstance(entry, dict):
            raise SnapshotError(f"{folder.name}: {MANIFEST} noemt een ongeldig bestand")
        path = folder / rel
        if not path.is_file():
            raise SnapshotError(f"{folder.name}: {rel} ontbreekt")
        size = path.stat().st_size
        if size != entry.get("size"):
            raise SnapshotError(f"{folder.name}: {rel} is {size} bytes, verwacht "
                                f"{entry.get('size')} (afgekapt of onvolledig)")
        if _cached_sha256(path) != entry.get("sha256"):
            raise SnapshotError(f"{folder.name}: {rel} heeft een andere controlesom dan "
                                "het manifest (beschadigd)")
    return doc


def open_verified(folder: Path) -> Store:
    """The snapshot's database opened read-only, after :func:`verify` and a first query
    (the database has a schema version); raises SnapshotError otherwise."""
    import duckdb

    verify(folder)
    try:
        # Held open: a published snapshot is never written, so nobody waits for it, and an
        # older one pruned from disk keeps answering the sessions still reading it.
        store = Store(Path(folder) / DATABASE, read_only=True, keep_open=True)
    except (duckdb.Error, OSError) as exc:
        raise SnapshotError(f"{Path(folder).name}: de databank opent niet ({exc})") from None
    try:
        if not store.meta("schema_version"):
            raise SnapshotError(f"{Path(folder).name}: de databank heeft geen schemaversie")
    except duckdb.Error as exc:
        store.close()
        raise SnapshotError(f"{Path(folder).name}: de databank is onleesbaar ({exc})") \
            from None
    except SnapshotError:
        store.close()
        raise
    return store


def _signature(folder: Path) -> tuple:
    """What changes when a (half-synced) snapshot's files change: name, size, mtime."""
    out = []
    for path in sorted(Path(folder).rglob("*")):
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((path.relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns))
    return tuple(out)


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
        write_manifest(staging)  # the last file: its presence means the copy is complete
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
    """A reader that serves the latest good published snapshot (thread-safe).

    ``store()`` costs one small file read when nothing changed. When ``CURRENT`` moves,
    the new snapshot is verified (:func:`open_verified`) and only then served; stores of
    earlier snapshots stay open for queries already running on them (at most ``KEEP``).
    A snapshot that fails verification is logged once and not retried until its files
    change; the replica keeps the store it has. A replica that has none yet falls back to
    the newest older snapshot that verifies; with no good snapshot at all ``store()``
    raises :class:`NoSnapshot`.
    """

    def __init__(self, snapshot_dir: Path) -> None:
        self.snapshot_dir = Path(snapshot_dir)
        self._lock = threading.Lock()
        self._folder: Path | None = None
        self._store: Store | None = None
        self._old: list[Store] = []
        self._rejected: dict[Path, tuple[tuple, str]] = {}  # folder -> (signature, reason)

    @property
    def folder(self) -> Path | None:
        return self._folder

    def store(self) -> Store:
        target = current(self.snapshot_dir)
        if target != self._folder:
            with self._lock:
                if target != self._folder:
                    self._try(target)
        if self._store is None:
            raise NoSnapshot(self.snapshot_dir,
                             [reason for _sig, reason in self._rejected.values()])
        return self._store

    def store_at(self, folder: Path) -> Store | None:
        """The open store of snapshot ``folder`` (current or still-open older one)."""
        for store in [self._store, *self._old]:
            if store is not None and store.path.parent == Path(folder):
                return store
        return None

    def _try(self, target: Path | None) -> None:
        candidates = [target] if target is not None else []
        if self._store is None:  # nothing served yet: the last good one on disk will do
            candidates += sorted((p for p in self.snapshot_dir.glob("snap-*")
                                  if p.is_dir() and p != target and _NAME.match(p.name)),
                                 reverse=True)
        for folder in candidates:
            signature = _signature(folder)
            seen = self._rejected.get(folder)
            if seen is not None and seen[0] == signature:
                continue  # refused before and unchanged since: cheap on every rerun
            try:
                new = open_verified(folder)
            except SnapshotError as exc:
                self._rejected[folder] = (signature, str(exc))
                kept = self._folder.name if self._folder else "none (nothing served yet)"
                _LOG.warning("snapshot refused: %s; still serving: %s", exc, kept)
                continue
            self._rejected.pop(folder, None)
            if self._store is not None:
                self._old.append(self._store)
                while len(self._old) > KEEP:
                    self._old.pop(0).close()
            self._store, self._folder = new, folder
            _LOG.info("serving snapshot %s", folder.name)
            return
