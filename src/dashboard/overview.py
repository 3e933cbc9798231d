"""Per-indicator and per-district summaries (pure pandas, no Streamlit)."""

from __future__ import annotations

import pandas as pd

from .i18n import t
from .status import STATUS_ORDER, Status, compute_status
from .tables import format_number, goals_text


def indicator_statuses(indicators: pd.DataFrame, goals: pd.DataFrame,
                       city: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator: latest city value, goals, computed status, source (texts in
    the current language)."""
    goals_by = {k: g for k, g in goals.groupby("indicator_id")}
    meas_by = {k: m for k, m in city.groupby("indicator_id")}
    rows = []
    empty_g = goals.iloc[0:0]
    empty_m = city.iloc[0:0]
    for ind in indicators.itertuples():
        g = goals_by.get(ind.id, empty_g)
        m = meas_by.get(ind.id, empty_m)
        st: Status = compute_status(g, m, ind.direction)
        latest = m.sort_values("period").iloc[-1] if len(m) else None
        rows.append({
            "id": ind.id,
            "spearhead_id": ind.spearhead_id,
            "name": ind.name,
            "unit": ind.unit,
            "status": st.code,
            "status_label": st.label,
            "year": st.year,
            "value": st.value,
            "expected": st.expected,
            "illustrative": bool(latest["illustrative"]) if latest is not None else False,
            "goals": goals_text(g["kind"], g["year"], g["value"]) or t("geen doel in de nota"),
            "comparison": "" if pd.isna(ind.comparison_value) else
            t("{label}: {value}", label=ind.comparison_label,
              value=format_number(ind.comparison_value)),
            "source": f"{ind.source_document}, {ind.source_section}",
        })
    return pd.DataFrame(rows)


def status_counts(statuses: pd.DataFrame) -> pd.DataFrame:
    """Count of indicators per spearhead and status (all statuses as columns)."""
    counts = statuses.pivot_table(index="spearhead_id", columns="status", values="id",
                                  aggfunc="count", fill_value=0)
    for code in STATUS_ORDER:
        if code not in counts.columns:
            counts[code] = 0
    return counts[list(STATUS_ORDER)].astype(int)


def district_values(measurements: pd.DataFrame, year: int | None) -> tuple[dict, int | None]:
    """Values per area code for ``year`` (default: the latest year present)."""
    if measurements.empty:
        return {}, None
    if year is None or year not in set(measurements["period"]):
        year = int(measurements["period"].max())
    rows = measurements[measurements["period"] == year]
    return dict(zip(rows["area_code"], rows["value"])), year


def district_profile(area_code: str, level_measurements: dict[str, pd.DataFrame],
                     indicators: pd.DataFrame, goals: pd.DataFrame,
                     district_goal: set[str]) -> pd.DataFrame:
    """All district-level values of one area: latest value, rank among areas, status.

    ``level_measurements``: indicator id → measurements of every area at this level.
    Status vs the goal path only where the city goal is also a per-district goal.
    """
    rows = []
    ind = indicators.set_index("id")
    for indicator_id, m in level_measurements.items():
        if m.empty or indicator_id not in ind.index:
            continue
        year = int(m["period"].max())
        latest = m[m["period"] == year]
        mine = latest[latest["area_code"] == area_code]
        if mine.empty:
            continue
        value = float(mine["value"].iloc[0])
        direction = ind.loc[indicator_id, "direction"]
        ordered = latest.sort_values("value", ascending=(direction == "lower"))
        rank = list(ordered["area_code"]).index(area_code) + 1
        status = "—"
        if indicator_id in district_goal:
            g = goals[goals["indicator_id"] == indicator_id]
            series = m[m["area_code"] == area_code][["period", "value"]]
            status = compute_status(g, series, direction).label
        rows.append({
            t("Indicator"): ind.loc[indicator_id, "name"],
            t("Jaar"): year,
            t("Waarde"): format_number(value),
            t("Eenheid"): ind.loc[indicator_id, "unit"],
            t("Rang"): t("{rank} van {count}", rank=rank, count=len(latest)),
            t("Status t.o.v. doelpad"): status,
            t("Illustratief"): t("ja") if bool(mine["illustrative"].iloc[0]) else t("nee"),
        })
    return pd.DataFrame(rows)


def headlines(statuses: pd.DataFrame, n: int = 3) -> list[str]:
    """The first ``n`` indicators with a city figure and a goal, as short lines (the texts
    of ``statuses`` are already in the current language). Markdown: the catalog's texts
    are escaped."""
    from .safety import markdown_text as md

    rows = statuses[statuses["value"].notna() & (statuses["status"] != "no_goal")].head(n)
    return [t("{name}: **{value}** {unit} ({year}) — {status}", name=md(r.name),
              value=format_number(r.value), unit=md(r.unit), year=int(r.year),
              status=md(r.status_label))
            for r in rows.itertuples()]
