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
