"""The whole export: files, the ZIP bundle, writing to a folder, file names."""

from __future__ import annotations

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path


from .. import clock
from ..store import utc_now
from .actions import action_files, file_names as action_names
from .formats import indicator_ids
from .metadata import (actions_resource, board_files, datapackage, indicator_files,
                       indicator_metadata, metadata_bytes, package_name)
from .schema import BOARD_NAME, Board, FORMATS, INDICATOR_DIR, PACKAGE_FILE, _ZIP_TIME


# ---------------------------------------------------------------------------- bundles
def export_files(board: Board, indicator_id: str | None = None,
                 created: dt.datetime | None = None) -> dict[str, bytes]:
    """Relative path → bytes of a whole export (None) or of one indicator's four files.

    Whole export: ``datapackage.json``, ``alle-indicatoren.{csv,parquet,geojson}``,
    ``indicatoren/<id>.{csv,parquet,geojson,json}`` for every indicator and, when the
    store has the note's actions, ``acties.{csv,parquet,geojson,json}``.
    """
    created = created or utc_now()
    out: dict[str, bytes] = {}
    ids = [indicator_id] if indicator_id is not None else indicator_ids(board)
    prefix = "" if indicator_id is not None else INDICATOR_DIR + "/"
    for ind in ids:
        files = indicator_files(board, ind)
        for fmt, data in files.items():
            out[f"{prefix}{ind}{FORMATS[fmt][0]}"] = data
        out[f"{prefix}{ind}.json"] = metadata_bytes(
            indicator_metadata(board, ind, created, files))
    if indicator_id is None:
        files = board_files(board)
        for fmt, data in files.items():
            out[BOARD_NAME + FORMATS[fmt][0]] = data
        acts = action_files(board) if board.actions is not None else None
        if acts is not None:
            names = action_names()
            for fmt, data in acts.items():
                out[names[fmt]] = data
            out[names["json"]] = metadata_bytes(actions_resource(board, acts))
        out[PACKAGE_FILE] = metadata_bytes(datapackage(board, created, files, acts))
    return dict(sorted(out.items()))


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A ZIP of ``files`` (path → bytes) with fixed entry times and sorted names."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[path])
    return buf.getvalue()


def write_export(board: Board, out_dir: Path, indicator_id: str | None = None,
                 created: dt.datetime | None = None) -> dict[str, int]:
    """Write an export to ``out_dir``; returns path → size in bytes."""
    files = export_files(board, indicator_id, created)
    out_dir = Path(out_dir)
    for path, data in files.items():
        target = out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return {path: len(data) for path, data in files.items()}


def file_name(fmt: str, indicator_id: str | None = None, board: Board | None = None
              ) -> str:
    """The download name of one file: ``<id>.<ext>``, ``alle-indicatoren.<ext>``, the
    package's ``datapackage.json`` or ``<package>-open-data[-stand-<date>].zip``."""
    if fmt == "zip":
        stamp = ""
        if board is not None and board.as_of is not None:
            local = clock.to_local(board.as_of, board.timezone)
            stamp = f"-stand-{local:%Y%m%d-%H%M}"
        name = package_name(board) if board is not None else "open-data"
        return f"{name}{stamp}.zip"
    if fmt == "json" and indicator_id is None:
        return PACKAGE_FILE
    return (indicator_id or BOARD_NAME) + FORMATS[fmt][0]
