"""The board seen per Sustainable Development Goal (SDG): pure functions, no Streamlit.

**Where the links come from.** A spearhead serves an SDG when the source document shows
that SDG's tile for the spearhead (``spearhead.sdgs``); an indicator serves an SDG when its
catalog row says so (``indicator.sdgs``, a subset of its spearhead's SDGs, see
docs/catalog.md). Nothing here adds links of its own: an SDG that no spearhead or
indicator names is shown as having none.

**Status counts.** Per SDG, the indicators serving it are counted per computed status
(:mod:`dashboard.status`: on track, behind, far behind, no data, no goal). An indicator
serving several SDGs counts once for each of them.

**Roll-up rule: the median of the assessed indicators, a tie going to the worse status.**
Only indicators with a status against a goal path count (*on track*, *behind*, *far
behind*: "assessed"). Ordered from best to worst, the roll-up is the status of the middle
indicator; with an even number the worse of the two middle ones. So at least half of the
assessed indicators are at the roll-up status or worse, and more than half at it or better.

Why not worst-of: an SDG such as climate action gathers dozens of indicators, and one
indicator far behind would then mark the whole SDG "far behind" whatever the others do;
the roll-up would say little beyond "the SDG has many indicators". Why not a mean: the
statuses are ordered categories, not numbers, and the median is the summary that fits
them. The tie going to the worse status keeps the label on the cautious side. The worst
status is never hidden: the counts per status are always shown next to the roll-up.

When no indicator of an SDG is assessed, the roll-up says why: *nulmeting* (some indicator
has only its first measurement), *no data* (some indicator has a goal but no figure yet),
*no goal* (only context indicators without goal) or *no
indicators* (nothing in the catalog serves this SDG).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import i18n
from .i18n import t, tn
from .status import STATUS_ICON, STATUS_ORDER, status_label
from .tables import format_number

SDG_NUMBERS = tuple(range(1, 18))

# The 17 goals' short names as used on the official icons: Dutch as in Belgium
# (sdgs.be / VVSG), English (United Nations), French (Nations unies).
SDG_NAMES: dict[str, dict[int, str]] = {
    "nl": {
        1: "Geen armoede",
        2: "Geen honger",
        3: "Goede gezondheid en welzijn",
        4: "Kwaliteitsonderwijs",
        5: "Gendergelijkheid",
        6: "Schoon water en sanitair",
        7: "Betaalbare en duurzame energie",
        8: "Waardig werk en economische groei",
        9: "Industrie, innovatie en infrastructuur",
        10: "Ongelijkheid verminderen",
        11: "Duurzame steden en gemeenschappen",
        12: "Verantwoorde consumptie en productie",
        13: "Klimaatactie",
        14: "Leven in het water",
        15: "Leven op het land",
        16: "Vrede, justitie en sterke publieke diensten",
        17: "Partnerschap om doelstellingen te bereiken",
    },
    "en": {
        1: "No poverty",
        2: "Zero hunger",
        3: "Good health and well-being",
        4: "Quality education",
        5: "Gender equality",
        6: "Clean water and sanitation",
        7: "Affordable and clean energy",
        8: "Decent work and economic growth",
        9: "Industry, innovation and infrastructure",
        10: "Reduced inequalities",
        11: "Sustainable cities and communities",
        12: "Responsible consumption and production",
        13: "Climate action",
        14: "Life below water",
        15: "Life on land",
        16: "Peace, justice and strong institutions",
        17: "Partnerships for the goals",
    },
    "fr": {
        1: "Pas de pauvreté",
        2: "Faim « zéro »",
        3: "Bonne santé et bien-être",
        4: "Éducation de qualité",
        5: "Égalité entre les sexes",
        6: "Eau propre et assainissement",
        7: "Énergie propre et d'un coût abordable",
        8: "Travail décent et croissance économique",
        9: "Industrie, innovation et infrastructure",
        10: "Inégalités réduites",
        11: "Villes et communautés durables",
        12: "Consommation et production responsables",
        13: "Mesures relatives à la lutte contre les changements climatiques",
        14: "Vie aquatique",
        15: "Vie terrestre",
        16: "Paix, justice et institutions efficaces",
        17: "Partenariats pour la réalisation des objectifs",
    },
}

ASSESSED = ("on_track", "behind", "far_behind")  # best → worst
# Roll-up codes beyond the status codes; Dutch message ids (``lang="nl"`` keeps them Dutch
# at import time), shown with :func:`rollup_label`.
NO_INDICATORS = "no_indicators"
ROLLUP_EXTRA_LABEL = {NO_INDICATORS: t("geen indicatoren", lang="nl")}
ROLLUP_EXTRA_ICON = {NO_INDICATORS: "○"}


def sdg_name(number: int, lang: str | None = None) -> str:
    """The SDG's short name in ``lang`` (default: the current language)."""
    names = SDG_NAMES.get(lang or i18n.current(), SDG_NAMES[i18n.DEFAULT])
    return names[int(number)]


def rollup_label(code: str) -> str:
    """Icon and word of a roll-up code in the current language ("✔ op koers", …)."""
    if code in ROLLUP_EXTRA_LABEL:
        return f"{ROLLUP_EXTRA_ICON[code]} {t(ROLLUP_EXTRA_LABEL[code])}"
    return f"{STATUS_ICON[code]} {status_label(code)}"


def rollup_status(codes) -> str:
    """The roll-up of a list of status codes (the rule in the module docstring)."""
    codes = list(codes)
    if not codes:
        return NO_INDICATORS
    assessed = sorted((c for c in codes if c in ASSESSED), key=ASSESSED.index)
    if assessed:
        return assessed[len(assessed) // 2]
    for code in ("baseline_only", "no_data"):   # only a first measurement: say so
        if code in codes:
            return code
    return "no_goal"


@dataclass(frozen=True)
class SdgSummary:
    """One SDG: who serves it, how its indicators stand, and the roll-up."""

    number: int
    # Spearheads that list this SDG or own an indicator serving it.
    spearhead_ids: tuple[int, ...]
    # Spearheads that list this SDG while none of their indicators serves it.
    spearheads_without_indicator: tuple[int, ...]
    # The rows of ``statuses`` for the indicators serving it (catalog order).
    indicators: pd.DataFrame = field(compare=False, repr=False)
    counts: dict[str, int] = field(default_factory=dict)  # status code → count
    rollup: str = NO_INDICATORS

    @property
    def indicator_count(self) -> int:
        return len(self.indicators)

    @property
    def assessed(self) -> int:
        """How many indicators the roll-up is based on."""
        return sum(self.counts.get(c, 0) for c in ASSESSED)


def _sdg_set(value) -> set[int]:
    if value is None:
        return set()
    try:
        return {int(v) for v in value}
    except TypeError:  # a scalar NaN from an empty cell
        return set()


def rollup(spearheads: pd.DataFrame, indicators: pd.DataFrame, statuses: pd.DataFrame
           ) -> list[SdgSummary]:
    """Per SDG 1-17: the spearheads and indicators serving it, status counts, roll-up.

    ``spearheads``: id, sdgs; ``indicators``: id, spearhead_id, sdgs (the catalog);
    ``statuses``: one row per indicator as :func:`overview.indicator_statuses` returns it
    (id, spearhead_id, name, status, value, year, …). Indicators keep the catalog's order.
    """
    sdgs_of = {str(i): _sdg_set(s) for i, s in zip(indicators["id"], indicators["sdgs"])}
    listed = {int(i): _sdg_set(s) for i, s in zip(spearheads["id"], spearheads["sdgs"])}
    order = {str(i): k for k, i in enumerate(indicators["id"])}
    statuses = statuses.assign(_order=[order.get(str(i), len(order)) for i in statuses["id"]])
    statuses = statuses.sort_values("_order", kind="stable").drop(columns="_order")
    out = []
    for n in SDG_NUMBERS:
        mine = statuses[[n in sdgs_of.get(str(i), set()) for i in statuses["id"]]]
        mine = mine.reset_index(drop=True)
        with_indicator = {int(s) for s in mine["spearhead_id"]}
        listing = {s for s, sdgs in listed.items() if n in sdgs}
        counts = {c: int((mine["status"] == c).sum()) for c in STATUS_ORDER}
        out.append(SdgSummary(
            number=n,
            spearhead_ids=tuple(sorted(listing | with_indicator)),
            spearheads_without_indicator=tuple(sorted(listing - with_indicator)),
            indicators=mine,
            counts=counts,
            rollup=rollup_status(mine["status"]),
        ))
    return out


def counts_text(counts: dict[str, int]) -> str:
    """'✔ 3 op koers; ▲ 0 achter; ✖ 1 ver achter; – 16 geen gegevens; · 5 geen doel'
    (icon, number and word for every status: never colour alone)."""
    return "; ".join(f"{STATUS_ICON[c]} {int(counts.get(c, 0))} {status_label(c)}"
                     for c in STATUS_ORDER)


def rollup_text(summary: SdgSummary) -> str:
    """'Samengevat: **✔ op koers** (op basis van 4 van 25 indicatoren)' (Markdown)."""
    if summary.assessed:
        return tn("Samengevat: **{label}** (op basis van {assessed} van {n} indicator)",
                  "Samengevat: **{label}** (op basis van {assessed} van {n} indicatoren)",
                  summary.indicator_count, label=rollup_label(summary.rollup),
                  assessed=summary.assessed)
    return t("Samengevat: **{label}**", label=rollup_label(summary.rollup))


def indicator_table(summary: SdgSummary) -> pd.DataFrame:
    """The indicators serving one SDG for display: name, spearhead, status, latest city
    figure, year and goals (column names in the current language)."""
    rows = summary.indicators

    def missing(v) -> bool:
        return v is None or v != v  # None or NaN

    return pd.DataFrame({
        t("Indicator"): list(rows["name"]),
        t("Speerpunt"): [int(i) for i in rows["spearhead_id"]],
        t("Status"): list(rows["status_label"]),
        t("Laatste stadscijfer"): ["—" if missing(v) else f"{format_number(v)} {u}"
                                   for v, u in zip(rows["value"], rows["unit"])],
        t("Jaar"): ["" if missing(y) else str(int(y)) for y in rows["year"]],
        t("Illustratief"): [t("ja") if f else t("nee") for f in rows["illustrative"]],
        t("Doelen"): list(rows["goals"]),
    })


def overview_table(summaries: list[SdgSummary]) -> pd.DataFrame:
    """One row per SDG for display: number, name, counts and roll-up (column names and
    texts in the current language)."""
    rows = []
    for s in summaries:
        row = {t("SDG"): s.number, t("Naam"): sdg_name(s.number),
               t("Speerpunten"): ", ".join(str(i) for i in s.spearhead_ids) or "—",
               t("Indicatoren"): s.indicator_count}
        for code in STATUS_ORDER:
            row[f"{STATUS_ICON[code]} {status_label(code)}"] = s.counts.get(code, 0)
        row[t("Samengevat")] = rollup_label(s.rollup)
        rows.append(row)
    return pd.DataFrame(rows)


def unlinked(spearheads: pd.DataFrame, indicators: pd.DataFrame) -> tuple[list[int], int]:
    """Spearheads without any SDG in the catalog, and how many indicators have none."""
    empty_sp = [int(i) for i, s in zip(spearheads["id"], spearheads["sdgs"])
                if not _sdg_set(s)]
    empty_ind = sum(1 for s in indicators["sdgs"] if not _sdg_set(s))
    return empty_sp, empty_ind


def sources(indicators: pd.DataFrame) -> list[str]:
    """The source documents of the indicators that serve some SDG (for the citation)."""
    linked = indicators[[bool(_sdg_set(s)) for s in indicators["sdgs"]]]
    return sorted({str(d) for d in linked["source_document"] if isinstance(d, str) and d})
