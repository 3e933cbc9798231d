"""Pure pandas views of the store for display (no Streamlit)."""

from __future__ import annotations

import pandas as pd

from . import i18n

DIRECTION_LABEL = {"higher": "↑ hoger is beter", "lower": "↓ lager is beter"}
KIND_LABEL = {"baseline": "startwaarde", "intermediate": "tussendoel", "target": "doel"}


def format_number(value: float | None) -> str:
    """A number in the current language's format (nl: 1.234,5; no trailing zeros)."""
    return i18n.fmt_number(value)


def indicator_table(indicators: pd.DataFrame, goals: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator with its goals and source, Dutch column names."""
    by_indicator = {k: g.sort_values("year") for k, g in goals.groupby("indicator_id")}

    def goal_text(ind_id: str) -> str:
        g = by_indicator.get(ind_id)
        if g is None:
            return "geen doel in de nota"
        return "; ".join(f"{KIND_LABEL[k]} {y}: {format_number(v)}"
                         for k, y, v in zip(g["kind"], g["year"], g["value"]))

    def comparison(row) -> str:
        if pd.isna(row.comparison_value):
            return ""
        year = "" if pd.isna(row.comparison_year) else f" ({int(row.comparison_year)})"
        return f"{row.comparison_label}{year}: {format_number(row.comparison_value)}"

    return pd.DataFrame({
        "Indicator": indicators["name"],
        "Eenheid": indicators["unit"],
        "Richting": indicators["direction"].map(DIRECTION_LABEL),
        "Doelen": [goal_text(i) for i in indicators["id"]],
        "Vergelijking": [comparison(r) for r in indicators.itertuples()],
        "Niveaus": [", ".join(lv) for lv in indicators["levels"]],
        "SDG": [", ".join(str(s) for s in sd) for sd in indicators["sdgs"]],
        "Bron": [f"{d}, {s}" for d, s in
                 zip(indicators["source_document"], indicators["source_section"])],
    })
