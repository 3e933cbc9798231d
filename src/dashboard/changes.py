"""What changed between two moments (pure pandas, no Streamlit).

A change is judged per indicator on the data as they stood at each moment (see the
``measurement_at`` macro in store.py): the latest city figure (value and year), the
computed status, and how many area values (any level, any year) differ.
"""

from __future__ import annotations

import pandas as pd

KEY = ["indicator_id", "area_code", "period"]


def area_value_changes(before: pd.DataFrame, after: pd.DataFrame,
                       city_code: str) -> pd.Series:
    """Per indicator: how many area values (not the city itself) were added, changed or
    removed between ``before`` and ``after`` (frames with indicator_id, area_code,
    period, value)."""
    b = before[before["area_code"] != city_code][KEY + ["value"]]
    a = after[after["area_code"] != city_code][KEY + ["value"]]
    both = b.merge(a, on=KEY, how="outer", suffixes=("_old", "_new"))
    differ = both["value_old"].ne(both["value_new"]) & ~(
        both["value_old"].isna() & both["value_new"].isna())
    return both[differ].groupby("indicator_id").size()


def compare(before: pd.DataFrame, after: pd.DataFrame, area_changes: pd.Series,
            ) -> pd.DataFrame:
    """Indicators whose latest city value, its year, or status changed, or with changed
    area values. ``before``/``after``: status tables (overview.indicator_statuses).

    Columns: id, spearhead_id, name, unit, old/new value, year, status, status_label,
    areas_changed; one row per changed indicator, in catalog order.
    """
    cols = ["id", "value", "year", "status", "status_label", "illustrative"]
    b = before[cols].rename(columns={c: f"{c}_old" for c in cols if c != "id"})
    merged = after[["id", "spearhead_id", "name", "unit"] + cols[1:]].rename(
        columns={c: f"{c}_new" for c in cols if c != "id"}).merge(b, on="id", how="left")
    merged["areas_changed"] = [int(area_changes.get(i, 0)) for i in merged["id"]]

    def differs(old, new) -> bool:
        if pd.isna(old) and pd.isna(new):
            return False
        return pd.isna(old) or pd.isna(new) or old != new

    changed = [differs(r.value_old, r.value_new) or differs(r.year_old, r.year_new)
               or r.status_old != r.status_new or r.areas_changed > 0
               for r in merged.itertuples()]
    return merged[changed].reset_index(drop=True)


def loads_between(batches: pd.DataFrame, since, until) -> pd.DataFrame:
    """Coordinator loads (and undos) that happened after ``since`` and up to ``until``
    (None: now): what explains the changes."""
    loads = batches[batches["kind"] == "load"].copy()
    end = pd.Timestamp.max if until is None else pd.Timestamp(until)
    start = pd.Timestamp(since)
    loaded = (loads["loaded_at"] > start) & (loads["loaded_at"] <= end)
    undone = loads["undone_at"].notna() & (loads["undone_at"] > start) & (
        loads["undone_at"] <= end)
    return loads[loaded | undone].sort_values("loaded_at").reset_index(drop=True)


ACTION_FIELDS = ["action_id", "status", "changed_at", "changed_by"]


def action_status_changes(before: pd.DataFrame, after: pd.DataFrame,
                          actions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Actions whose status differs between two moments. ``before``/``after``: the
    tracked rows in force then (:meth:`Store.action_states`, with ``action_id``,
    ``status``, ``changed_at``, ``changed_by``); ``actions`` (optional): the board's
    action frame (id, spearhead_id, title, status labels come from the caller) to add
    the spearhead and title.

    Columns: action_id, status_old, status_new (codes; None = not assessed), changed_at
    and changed_by (of the row in force at the later moment); one row per action whose
    status changed, in action-id order (then the catalog's, when ``actions`` is given).
    """
    b = before.reindex(columns=ACTION_FIELDS)[["action_id", "status"]].rename(
        columns={"status": "status_old"})
    a = after.reindex(columns=ACTION_FIELDS).rename(columns={"status": "status_new"})
    both = a.merge(b, on="action_id", how="outer")

    def code(v):
        return v if isinstance(v, str) and v else None

    both["status_old"] = both["status_old"].map(code)
    both["status_new"] = both["status_new"].map(code)
    differs = both["status_old"].fillna("") != both["status_new"].fillna("")
    changed = both[differs].copy()
    for col in ("status_old", "status_new"):
        changed[col] = changed[col].astype(object).where(changed[col].notna(), None)
    changed = changed[["action_id", "status_old", "status_new", "changed_at",
                       "changed_by"]].sort_values("action_id")
    if actions is not None and len(actions):
        info = actions[["id", "spearhead_id", "title"]].rename(columns={"id": "action_id"})
        info = info.assign(_order=range(len(info)))
        changed = changed.merge(info, on="action_id", how="left").sort_values(
            ["_order", "action_id"]).drop(columns="_order")
    return changed.reset_index(drop=True)
