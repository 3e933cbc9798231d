"""Per-indicator and per-district summaries (pure pandas, no Streamlit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from . import clock, datacalendar
from .goaltypes import GoalSpec, derive
from .i18n import fmt_date, t
from .status import STATUS_ORDER, Status, compute_status, status_label
from .tables import format_number, goals_text


def _indicator_spec(ind) -> GoalSpec:
    return GoalSpec.of(ind)


def area_series(store, indicators: pd.DataFrame, as_of=None) -> dict[str, pd.DataFrame]:
    """For share_in_areas indicators: indicator id → their measurements in every area
    (what :func:`indicator_statuses` needs to judge per named area)."""
    out = {}
    if "goal_type" not in indicators:
        return out
    for ind in indicators[indicators["goal_type"] == "share_in_areas"].itertuples():
        out[ind.id] = store.measurements(ind.id, as_of=as_of)
    return out


def city_series(ind, city: pd.DataFrame) -> pd.DataFrame:
    """The city series an indicator is judged on: its own measurements, or for a derived
    (per-capita) indicator the ratio of its count and population series."""
    spec = _indicator_spec(ind)
    if spec.derived is not None:
        return derive(spec.derived, city)
    ind_id = ind["id"] if isinstance(ind, dict) else ind.id
    return city[city["indicator_id"] == ind_id]


def indicator_statuses(indicators: pd.DataFrame, goals: pd.DataFrame,
                       city: pd.DataFrame,
                       area_measurements: dict[str, pd.DataFrame] | None = None,
                       areas: pd.DataFrame | None = None,
                       today: dt.date | None = None) -> pd.DataFrame:
    """One row per indicator: latest city value, goals, path and pace judgement, data
    calendar, source (texts in the current language).

    ``area_measurements`` (:func:`area_series`) and ``areas`` (code, name, level) are needed
    to judge share_in_areas goals; ``today`` (default: the city's local date) for the data
    calendar."""
    goals_by = {k: g for k, g in goals.groupby("indicator_id")}
    rows = []
    empty_g = goals.iloc[0:0]
    area_measurements = area_measurements or {}
    today = today or clock.now_local().date()
    last_period = city.groupby("indicator_id")["period"].max() if len(city) else {}
    for ind in indicators.itertuples():
        g = goals_by.get(ind.id, empty_g)
        m = city_series(ind, city)
        spec = _indicator_spec(ind)
        by_area = {}
        if spec.type == "share_in_areas":
            am = area_measurements.get(ind.id)
            if am is not None and not am.empty:
                by_area = {code: a[["period", "value"]] for code, a in am.groupby("area_code")}
        st: Status = compute_status(g, m, ind.direction, spec, by_area, areas)
        latest = m.sort_values("period").iloc[-1] if len(m) else None
        illustrative = bool(latest["illustrative"]) if latest is not None \
            and "illustrative" in latest else False
        if by_area:
            am = area_measurements[ind.id]
            illustrative = bool(am["illustrative"].any()) if "illustrative" in am else False
        lp = last_period.get(ind.id) if len(last_period) else None
        if spec.derived is not None and len(m):
            lp = int(m["period"].max())
        due = datacalendar.expected(ind.id, getattr(ind, "cadence", None),
                                    getattr(ind, "lag_months", None),
                                    None if lp is None or pd.isna(lp) else int(lp), today)
        rows.append({
            "id": ind.id,
            "spearhead_id": ind.spearhead_id,
            "name": ind.name,
            "unit": ind.unit,
            "goal_type": spec.type if len(g) else "none",
            "status": st.code,
            "status_label": st.label,
            "pace": st.pace.code,
            "pace_label": st.pace.label,
            "pace_ratio": st.pace.ratio,
            "detail": "; ".join(f"{k}: {status_label(c)}" for k, c in st.detail),
            "measurement_count": st.measurements,
            "year": st.year,
            "value": st.value,
            "expected": st.expected,
            "illustrative": illustrative,
            "goals": (goals_text(g["kind"], g["year"], g["value"], spec.type)
                      + (" " + t("(illustratieve doelen)")
                         if "illustrative" in g and g["illustrative"].fillna(False).any()
                         else "")) or t("geen doel in de nota"),
            "comparison": "" if pd.isna(ind.comparison_value) else
            t("{label}: {value}", label=ind.comparison_label,
              value=format_number(ind.comparison_value)),
            "assumption": spec.assumption or "",
            "derived_from": str(spec.derived) if spec.derived else "",
            "expected_on": due.expected_on,
            "late": due.late,
            "due_state": due.state,
            "source": f"{ind.source_document}, {ind.source_section}",
        })
    return pd.DataFrame(rows)


def judgement_lines(row: dict) -> list[str]:
    """What lies behind a verdict, in short lines (current language): goal type, the
    year-by-year or area-by-area verdicts, the pace figures, an assumption, a late figure."""
    from .goaltypes import goal_type_label

    lines = [t("Doeltype: {type}. Doelen: {goals}.", type=goal_type_label(row["goal_type"]),
               goals=row["goals"])]
    if row.get("status") == "baseline_only":
        lines.append(t("Nulmeting: er is nog maar één meting (of enkel de startwaarde); "
                       "beoordeeld wordt vanaf de tweede meting."))
    if row.get("detail"):
        lines.append(t("Per jaar of gebied: {detail}.", detail=row["detail"]))
    if row.get("pace_ratio") is not None and not pd.isna(row.get("pace_ratio")):
        lines.append(t("Tempo: {ratio} % van het tempo dat nodig is om het doel op tijd te "
                       "halen (methode Statistics Canada / Open SDG).",
                       ratio=format_number(100 * row["pace_ratio"])))
    if row.get("derived_from"):
        lines.append(t("Berekend: {formula}.", formula=row["derived_from"]))
    if row.get("assumption"):
        lines.append(t("Aanname: {text}", text=row["assumption"]))
    if late_text(row):
        lines.append(late_text(row))
    return lines


def late_text(row) -> str:
    """'verwacht sinds 30 juni 2026' for a late figure, else ''."""
    if not bool(row.get("late")) or row.get("expected_on") is None:
        return ""
    return t("verwacht sinds {date}", date=fmt_date(row["expected_on"]))


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


@dataclass(frozen=True)
class LevelFigures:
    """One indicator's figures at one level, prepared once for every area's profile:
    the latest year, each area's rank, value and flag in it, and each area's series."""

    year: int
    count: int
    rank: dict[str, int]
    value: dict[str, float]
    illustrative: dict[str, bool]
    series: dict[str, pd.DataFrame]


def level_figures(level_measurements: dict[str, pd.DataFrame], indicators: pd.DataFrame
                  ) -> dict[str, LevelFigures]:
    """indicator id → :class:`LevelFigures` (indicators without figures left out).

    Sorting and splitting each level's table once, instead of filtering it again for
    every area a visitor opens, is what makes a district switch cheap (the boolean filters
    on Arrow-backed columns were most of its server time)."""
    ind = indicators.set_index("id")
    out = {}
    for indicator_id, m in level_measurements.items():
        if m.empty or indicator_id not in ind.index:
            continue
        year = int(m["period"].max())
        latest = m[m["period"] == year]
        direction = ind.loc[indicator_id, "direction"]
        ordered = latest.sort_values("value", ascending=(direction == "lower"))
        rank, value, flag = {}, {}, {}
        for i, code in enumerate(ordered["area_code"], 1):
            rank.setdefault(code, i)
        # an area's value and flag: its first row of the latest year (table order)
        for code, v, ill in zip(latest["area_code"], latest["value"], latest["illustrative"]):
            value.setdefault(code, float(v))
            flag.setdefault(code, bool(ill))
        series = {code: s[["period", "value"]]
                  for code, s in m.groupby("area_code", sort=False, observed=True)}
        out[indicator_id] = LevelFigures(year, len(latest), rank, value, flag, series)
    return out


def district_profile(area_code: str, figures: dict[str, LevelFigures],
                     indicators: pd.DataFrame, goals: pd.DataFrame,
                     district_goal: set[str]) -> pd.DataFrame:
    """All district-level values of one area: latest value, rank among areas, status.

    ``figures``: :func:`level_figures` of every district indicator at this level.
    Status vs the goal path only where the city goal is also a per-district goal.
    """
    rows = []
    ind = indicators.set_index("id")
    for indicator_id, f in figures.items():
        if area_code not in f.value:
            continue
        direction = ind.loc[indicator_id, "direction"]
        status = "—"
        if indicator_id in district_goal:
            g = goals[goals["indicator_id"] == indicator_id]
            status = compute_status(g, f.series[area_code], direction).label
        rows.append({
            t("Indicator"): ind.loc[indicator_id, "name"],
            t("Jaar"): f.year,
            t("Waarde"): format_number(f.value[area_code]),
            t("Eenheid"): ind.loc[indicator_id, "unit"],
            t("Rang"): t("{rank} van {count}", rank=f.rank[area_code], count=f.count),
            t("Status t.o.v. doelpad"): status,
            t("Illustratief"): t("ja") if f.illustrative[area_code] else t("nee"),
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
