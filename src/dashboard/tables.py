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


def goals_text(kinds, years, values, goal_type: str | None = None) -> str:
    """'startwaarde 2020: 57,9; doel 2030: 60' in the current language ('' without goals).

    The goal type says how the numbers read: a change in % against the base year
    ("doel 2030: -40 % t.o.v. 2005"), an amount added since the start ("+666 sinds 2024"),
    a rate a year ("-2,5 % per jaar"), a floor or ceiling ("minstens 33")."""
    rows = list(zip(kinds, years, values))
    base = next((int(y) for k, y, _ in rows if k == "baseline"), None)
    parts = []
    for k, y, v in rows:
        if goal_type == "change" and k == "baseline":
            parts.append(t("basisjaar {year}", year=int(y)))
        elif goal_type == "change":
            parts.append(t("{kind} {year}: {value} % t.o.v. {base}", kind=kind_label(k),
                           year=int(y), value=f"{format_number(v)}", base=base))
        elif goal_type == "cumulative" and k != "baseline":
            parts.append(t("{kind} {year}: +{value} sinds {base}", kind=kind_label(k),
                           year=int(y), value=format_number(v), base=base))
        elif goal_type == "annual_rate" and k == "baseline":
            parts.append(t("vanaf {year}", year=int(y)))
        elif goal_type == "annual_rate":
            parts.append(t("{value} % per jaar tot {year}", value=format_number(v),
                           year=int(y)))
        elif goal_type in ("keep_min", "keep_max") and k == "baseline":
            continue
        elif goal_type == "keep_min":
            parts.append(t("minstens {value} (vanaf {year}, elk jaar)",
                           value=format_number(v), year=int(y)))
        elif goal_type == "keep_max":
            parts.append(t("hoogstens {value} (vanaf {year}, elk jaar)",
                           value=format_number(v), year=int(y)))
        else:
            parts.append(t("{kind} {year}: {value}", kind=kind_label(k), year=int(y),
                           value=format_number(v)))
    return "; ".join(parts)


def indicator_table(indicators: pd.DataFrame, goals: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator with its goals and source, column names in the current
    language."""
    by_indicator = {k: g.sort_values("year") for k, g in goals.groupby("indicator_id")}
    types = dict(zip(indicators["id"], indicators["goal_type"])) \
        if "goal_type" in indicators else {}

    def goal_text(ind_id: str) -> str:
        g = by_indicator.get(ind_id)
        if g is None:
            return t("geen doel in de nota")
        return goals_text(g["kind"], g["year"], g["value"], types.get(ind_id))

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
