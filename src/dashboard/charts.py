"""Plotly builders (pure: no Streamlit). Labels and number format in the current language
(:mod:`dashboard.i18n`), colour-blind-safe colours."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import i18n
from .i18n import t
from .safety import plotly_text
from .goaltypes import GoalSpec
from .status import FORECAST_POINTS, forecast, goal_points, target_year
from .tables import format_number

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
ACTUAL = "#0072B2"
GOAL = "#009E73"
TREND = "#CC79A7"
COMPARE = "#555555"
# Plotly's decimal and thousands separators per language (as Babel formats them).
SEPARATORS = {"nl": ",.", "en": ".,", "fr": ", "}


def separators(lang: str | None = None) -> str:
    return SEPARATORS.get(lang or i18n.current(), SEPARATORS[i18n.DEFAULT])


def indicator_chart(indicator: dict, measurements: pd.DataFrame, goals: pd.DataFrame,
                    title: str | None = None, height: int = 320) -> go.Figure:
    """Actual values, the goal path to each target, and the linear trend to the target year.

    ``measurements``: city-level rows (period, value, illustrative).
    """
    fig = go.Figure()
    unit = plotly_text(indicator["unit"])
    years: list[int] = []
    if measurements is not None and not measurements.empty:
        m = measurements.sort_values("period")
        illustrative = bool(m["illustrative"].any())
        years += [int(y) for y in m["period"]]
        fig.add_trace(go.Scatter(
            x=m["period"], y=m["value"], mode="lines+markers",
            name=t("gemeten (illustratief)") if illustrative else t("gemeten"),
            line={"color": ACTUAL, "width": 3}, marker={"size": 8, "symbol": "circle"},
            hovertemplate="%{x}: %{y:,.2f} " + unit + "<extra></extra>"))
    points = goal_points(goals, measurements, GoalSpec.of(indicator))
    years += [p[0] for p in points]
    if points:
        fig.add_trace(go.Scatter(
            x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers",
            name=t("doelpad (illustratief)") if "illustrative" in goals
            and goals["illustrative"].fillna(False).any() else t("doelpad"),
            line={"color": GOAL, "dash": "dash", "width": 2},
            marker={"symbol": "diamond", "size": 10},
            hovertemplate=t("doelpad") + " %{x}: %{y:,.2f} " + unit + "<extra></extra>"))
    until = target_year(goals)
    if until is not None and measurements is not None:
        trend = forecast(measurements, until)
        if trend:
            fig.add_trace(go.Scatter(
                x=[t[0] for t in trend], y=[t[1] for t in trend], mode="lines",
                name=t("trend (lineair, laatste {n} punten)", n=FORECAST_POINTS),
                line={"color": TREND, "dash": "dot", "width": 2},
                hovertemplate=t("trend") + " %{x}: %{y:,.2f} " + unit + "<extra></extra>"))
    if indicator.get("comparison_value") is not None and not pd.isna(
            indicator.get("comparison_value")):
        fig.add_hline(y=float(indicator["comparison_value"]), line_dash="longdash",
                      line_color=COMPARE,
                      annotation_text=t("{label}: {value}",
                                        label=plotly_text(indicator["comparison_label"]),
                                        value=format_number(indicator["comparison_value"])),
                      annotation_position="top left")
    fig.update_layout(
        title=None if title is None else plotly_text(title), height=height,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        legend={"orientation": "h", "y": -0.2}, separators=separators(),
        yaxis_title=unit, xaxis=_year_axis(years),
        template="plotly_white", font={"size": 14},
    )
    return fig


def _year_axis(years: list[int]) -> dict:
    """Whole years on the x axis, with some room around a single point."""
    if not years:
        return {"tickformat": "d"}
    lo, hi = min(years), max(years)
    span = hi - lo
    return {"tickformat": "d", "dtick": 1 if span <= 10 else 5 if span <= 40 else 10,
            "range": [lo - 0.5 - (span == 0), hi + 0.5 + (span == 0)]}

