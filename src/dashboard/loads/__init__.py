"""Coordinator loads: read → validate (every problem at once) → preview → commit → undo.

A load is one batch; commit is one DuckDB transaction (all rows land or none); a replaced
value is marked, never deleted, so undo restores exactly what was there before.
"""

from __future__ import annotations

import uuid

import pandas as pd

from ..i18n import tn
from ..safety import csv_frame
from ..store import PEER, TOP_DOWN, Store, utc_now
from .layers import LAYERS, ValidatedLayer, validate_layer_file
from .columns import Mapping, list_mappings, load_mapping, mapping_dir, save_mapping
from .measurements import Inspected, Validated, inspect_file, validate_file

__all__ = ["LAYERS", "Inspected", "LoadRefused", "Mapping", "Validated", "ValidatedLayer",
           "commit", "inspect_file", "list_mappings", "load_mapping", "mapping_dir", "preview",
           "save_mapping", "validate_file", "validate_layer_file"]


class LoadRefused(Exception):
    """Commit refused: errors, or warnings not confirmed."""


def _batch(validated, who: str, confirmed: bool) -> dict:
    now = utc_now()  # with microseconds: pinned views tell loads of one second apart
    warnings = validated.warnings
    return {
        "id": f"load-{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}",
        "loaded_at": now,
        "who": who or "onbekend",
        "file_name": validated.file,
        "sha256": validated.sha256,
        "warnings_confirmed": ("; ".join(warnings["reason"].head(20)) if confirmed and
                               len(warnings) else None),
    }


def preview(store: Store, validated: Validated) -> pd.DataFrame:
    return store.preview_load(validated.rows)


def commit(store: Store, validated, who: str, confirm_warnings: bool = False) -> dict:
    """Commit a validated load in one transaction; returns counts and the batch id."""
    if not validated.ok:
        raise LoadRefused(tn("{n} fout: niets geschreven", "{n} fouten: niets geschreven",
                             len(validated.errors)))
    if len(validated.warnings) and not confirm_warnings:
        raise LoadRefused(tn("{n} waarschuwing niet bevestigd: niets geschreven",
                             "{n} waarschuwingen niet bevestigd: niets geschreven",
                             len(validated.warnings)))
    batch = _batch(validated, who, confirm_warnings)
    if isinstance(validated, ValidatedLayer):
        counts = store.commit_layer(batch, validated.layer, validated.features)
    else:
        counts = store.commit_load(batch, validated.rows)
    return {"batch_id": batch["id"], **counts}


def template_csv(indicator: dict, areas: pd.DataFrame, year: int) -> bytes:
    """A fill-in template for one indicator: every area at every level it exists at, and the
    benchmark peers when the sources compare the indicator with the group average."""
    levels = list(indicator["levels"])
    if pd.notna(indicator.get("comparison_value")):
        levels.append(PEER)
    order = {lv: i for i, lv in enumerate(TOP_DOWN)}
    rows = areas[areas["level"].isin(levels)].assign(_o=lambda d: d["level"].map(order))
    rows = rows.sort_values(["_o", "code"])
    frame = pd.DataFrame({
        "indicator": indicator["id"], "gebied": rows["code"], "naam": rows["name"],
        "niveau": rows["level"], "jaar": year, "waarde": "", "eenheid": indicator["unit"],
        "bron": "", "opmerking": "",
    })
    return csv_frame(frame).to_csv(index=False, sep=";").encode("utf-8-sig")
