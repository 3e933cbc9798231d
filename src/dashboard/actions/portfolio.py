"""The action portfolio as the board shows it: one frame per view, its roll-up, filters,
map positions and the actions of a district. Plain pandas, no Streamlit; the Board
(``dashboard.board``) assembles it once per view and every output reads it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from .. import i18n
from . import model

# Colour per status on maps and in the roll-up (Okabe-Ito, colour-blind safe); grey is
# "not yet assessed".
STATUS_COLOURS = {"not_started": "#E69F00", "preparing": "#56B4E9",
                  "in_progress": "#0072B2", "done": "#009E73", "stopped": "#000000",
                  model.NOT_ASSESSED: "#999999"}
# Roll-up order: what is moving first, then what is not (yet) assessed.
ROLLUP_ORDER = (*model.STATUSES, model.NOT_ASSESSED)


def assemble(actions: pd.DataFrame, states: pd.DataFrame, areas: pd.DataFrame,
             today: dt.date, lang: str) -> pd.DataFrame:
    """Catalog + tracked fields as they stand, texts in ``lang``, with derived columns:
    ``status_key`` (a status or ``not_assessed``), ``status_label``, ``phase_label``,
    ``due_year`` (the end year, else the note's target year), ``late`` (due before this
    year and not done or stopped), ``area_names`` and ``located``."""
    if actions.empty:
        return pd.DataFrame(columns=[*actions.columns, "status", "status_key", "late"])
    tracked = states.drop(columns=[c for c in ("replaced_by",) if c in states])
    frame = actions.merge(tracked, how="left", left_on="id", right_on="action_id")
    frame = i18n.translate_frame(frame, "action", ("title", "text"), lang=lang)
    names = dict(zip(areas["code"], areas["name"]))
    with i18n.language(lang):
        labels = model.status_labels()
        phases = model.phase_labels()
        frame["status_key"] = [s if isinstance(s, str) else model.NOT_ASSESSED
                               for s in frame["status"]]
        frame["status_label"] = frame["status_key"].map(labels)
        frame["phase_label"] = [phases[p] if isinstance(p, str) else ""
                                for p in frame["phase"]]
    frame["indicator_ids"] = [list(v) if isinstance(v, list | tuple) or hasattr(v, "tolist")
                              else [] for v in frame["indicator_ids"]]
    frame["area_codes"] = [list(v) if v is not None and not (isinstance(v, float))
                           else [] for v in frame["area_codes"]]
    frame["area_names"] = [[names.get(c, c) for c in codes] for codes in frame["area_codes"]]
    due = frame["end_year"].where(frame["end_year"].notna(), frame["target_year"])
    frame["due_year"] = pd.array([int(v) if pd.notna(v) else None for v in due],
                                 dtype="Int64")
    frame["late"] = [bool(pd.notna(d) and int(d) < today.year and s not in model.CLOSED)
                     for d, s in zip(frame["due_year"], frame["status"])]
    frame["located"] = [bool(codes) or isinstance(loc, str)
                        for codes, loc in zip(frame["area_codes"], frame["location"])]
    return frame.drop(columns=["action_id"]).reset_index(drop=True)


def rollup(frame: pd.DataFrame) -> dict:
    """Counts, never a bare percentage: per status (not assessed included), late and the
    total; ``assessed`` is the total minus the not assessed."""
    counts = {key: int((frame["status_key"] == key).sum()) for key in ROLLUP_ORDER}
    total = int(len(frame))
    return {"total": total, "counts": counts, "late": int(frame["late"].sum()),
            "assessed": total - counts[model.NOT_ASSESSED]}


def descendants(code: str, areas: pd.DataFrame) -> set[str]:
    """An area and every area inside it (a wijk's sectors)."""
    inside = {c for c, parents in zip(areas["code"], areas["parent_codes"])
              if code in list(parents)}
    return {code} | inside


def in_district(frame: pd.DataFrame, code: str, areas: pd.DataFrame,
                district_geometry=None) -> pd.Series:
    """Which actions lie in one district: linked to it or to an area inside it, or with a
    location inside its geometry (when given)."""
    import shapely.geometry

    inside = descendants(code, areas)
    out = []
    for codes, loc in zip(frame["area_codes"], frame["location"]):
        hit = bool(inside & set(codes))
        if not hit and isinstance(loc, str) and district_geometry is not None:
            hit = bool(district_geometry.intersects(shapely.geometry.shape(json.loads(loc))))
        out.append(hit)
    return pd.Series(out, index=frame.index, dtype=bool)


def filter_actions(frame: pd.DataFrame, *, statuses=(), sections=(), services=(),
                   indicator: str | None = None, district: set[str] | None = None,
                   areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """The actions that match every filter given (empty: no filter on that field).
    ``statuses`` are status keys (``not_assessed`` included); ``district``: area codes
    whose actions are kept (an area and its sub-areas, see :func:`descendants`)."""
    keep = pd.Series(True, index=frame.index)
    if statuses:
        keep &= frame["status_key"].isin(list(statuses))
    if sections:
        keep &= frame["section"].isin(list(sections))
    if services:
        keep &= frame["service"].isin(list(services))
    if indicator:
        keep &= frame["indicator_ids"].map(lambda ids: indicator in ids)
    if district is not None:
        keep &= frame["area_codes"].map(lambda codes: bool(district & set(codes)))
    return frame[keep]


def positions(frame: pd.DataFrame, area_levels: dict[str, str],
              geometry: Callable[[str], gpd.GeoDataFrame]) -> list[dict]:
    """One map marker per located action: its own location (a point, or a point inside
    its polygon), else a point inside the union of its linked areas. Each marker has
    lat, lon, id, title, status key and label, and the linked area names."""
    import shapely.geometry
    from shapely.ops import unary_union

    out = []
    for row in frame[frame["located"]].itertuples():
        if isinstance(row.location, str):
            shape = shapely.geometry.shape(json.loads(row.location))
        else:
            parts = []
            for code in row.area_codes:
                level = area_levels.get(code)
                if level is None:
                    continue
                geo = geometry(level)
                parts.extend(geo.loc[geo["code"] == code, "geometry"])
            if not parts:
                continue
            shape = unary_union(parts)
        point = shape if shape.geom_type == "Point" else shape.representative_point()
        out.append({"lat": round(point.y, 6), "lon": round(point.x, 6), "id": row.id,
                    "title": row.title, "status_key": row.status_key,
                    "status_label": row.status_label, "areas": list(row.area_names),
                    "colour": STATUS_COLOURS[row.status_key]})
    return out
