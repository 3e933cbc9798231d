"""Pure pandas views of the store for display (no Streamlit)."""

from __future__ import annotations

import pandas as pd

from . import i18n
from .i18n import t

# Dutch message ids (``lang="nl"`` keeps them Dutch at import time); shown through
# :func:`direction_label` and :func:`kind_label` in the current language.
DIRECTION_LABEL = {"higher": t("↑ hoger is beter", lang="nl"),
                   "lower": t("↓ lager is beter", lang="nl")}
KIND_LABEL = {"baseline": t("startwaarde", lang="nl"),
              "intermediate": t("tussendoel", lang="nl"),
              "target": t("doel", lang="nl")}


def direction_label(direction: str) -> str:
    label = DIRECTION_LABEL.get(direction)
    return t(label) if label else str(direction)


def kind_label(kind: str) -> str:
    label = KIND_LABEL.get(kind)
    return t(label) if label else str(kind)


def format_number(value: float | None) -> str:
    """A number in the current language's format (nl: 1.234,5; no trailing zeros)."""
    return i18n.fmt_number(value)


def goals_text(kinds, years, values) -> str:
    """'startwaarde 2020: 57,9; doel 2030: 60' in the current language ('' without goals)."""
    return "; ".join(t("{kind} {year}: {value}", kind=kind_label(k), year=int(y),
                       value=format_number(v)) for k, y, v in zip(kinds, years, values))


def indicator_table(indicators: pd.DataFrame, goals: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator with its goals and source, column names in the current
    language."""
    by_indicator = {k: g.sort_values("year") for k, g in goals.groupby("indicator_id")}

    def goal_text(ind_id: str) -> str:
        g = by_indicator.get(ind_id)
        if g is None:
            return t("geen doel in de nota")
        return goals_text(g["kind"], g["year"], g["value"])

    def comparison(row) -> str:
        if pd.isna(row.comparison_value):
            return ""
        year = "" if pd.isna(row.comparison_year) else f" ({int(row.comparison_year)})"
        return t("{label}: {value}", label=f"{row.comparison_label}{year}",
                 value=format_number(row.comparison_value))

    return pd.DataFrame({
        t("Indicator"): indicators["name"],
        t("Eenheid"): indicators["unit"],
        t("Richting"): [direction_label(d) for d in indicators["direction"]],
        t("Doelen"): [goal_text(i) for i in indicators["id"]],
        t("Vergelijking"): [comparison(r) for r in indicators.itertuples()],
        t("Niveaus"): [", ".join(level_name(lv) for lv in lvs) for lvs in indicators["levels"]],
        t("SDG"): [", ".join(str(s) for s in sd) for sd in indicators["sdgs"]],
        t("Bron"): [f"{d}, {s}" for d, s in
                    zip(indicators["source_document"], indicators["source_section"])],
    })


# Area levels: the codes are Dutch words (wijk, sector, …) and stay so in data and URLs;
# on screen they are shown in the current language.
LEVEL_NAME = {"gemeente": t("gemeente", lang="nl"), "deelgemeente": t("deelgemeente", lang="nl"),
              "wijk": t("wijk", lang="nl"), "sector": t("sector", lang="nl"),
              "peer": t("vergelijkingsstad", lang="nl")}
LEVEL_PLURAL = {"gemeente": t("gemeenten", lang="nl"),
                "deelgemeente": t("deelgemeenten", lang="nl"),
                "wijk": t("wijken", lang="nl"), "sector": t("statistische sectoren", lang="nl"),
                "peer": t("vergelijkingssteden", lang="nl")}


def level_name(level: str) -> str:
    """An area level ('wijk') in the current language ('district', 'quartier')."""
    label = LEVEL_NAME.get(level)
    return t(label) if label else str(level)


def level_plural(level: str) -> str:
    label = LEVEL_PLURAL.get(level)
    return t(label) if label else str(level)


# Kinds of batches (store codes) as shown in the load history and on the sources page.
BATCH_KIND = {"catalog": t("catalogus", lang="nl"), "illustrative": t("illustratief", lang="nl"),
              "load": t("lading", lang="nl")}


def batch_kind_label(kind: str) -> str:
    label = BATCH_KIND.get(kind)
    return t(label) if label else str(kind)
