"""The city against its benchmark group (e.g. the 13 centrumsteden): pure logic and builders.

The source documents give, for some indicators, the city's value and the group average
(``comparison_value`` / ``comparison_label`` in the catalog). This module judges the city
against that average by the indicator's direction, ranks it among the group when values
per member exist (level ``peer`` in the store; illustrative until the coordinator loads
real ones) and builds the plotly charts and the folium map of the group. No ``st.``.

Colours are colour-blind safe and never carry meaning alone: every judgement has a word
and an icon next to its colour (table, chart labels, map tooltips and legend).
See docs/benchmark.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import folium
import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
import shapely
from shapely.geometry import mapping

from . import maps
from .charts import separators
from .i18n import fmt_number, t
from .safety import plotly_text
from .tables import direction_label

JUDGEMENTS = ("better", "worse", "equal", "context", "no_data")
# Okabe-Ito (as the status colours of the board): bluish green = better, vermillion =
# worse, grey = equal / no figure, blue = context (no judgement).
JUDGEMENT_COLOUR = {"better": "#009E73", "worse": "#D55E00", "equal": "#767676",
                    "context": "#0072B2", "no_data": "#767676"}
JUDGEMENT_ICON = {"better": "✔", "worse": "✖", "equal": "=", "context": "■", "no_data": "–"}
# Plotly marker symbols: the shape differs per judgement too.
JUDGEMENT_SYMBOL = {"better": "circle", "worse": "x", "equal": "diamond", "context": "square",
                    "no_data": "circle-open"}
# Dutch message ids (``lang="nl"`` keeps them Dutch at import time), shown via t().
JUDGEMENT_WORD = {"better": t("beter", lang="nl"), "worse": t("slechter", lang="nl"),
                  "equal": t("gelijk", lang="nl"),
                  "context": t("context (geen oordeel)", lang="nl"),
                  "no_data": t("geen cijfer", lang="nl")}
JUDGEMENT_SENTENCE = {
    "better": t("beter dan het gemiddelde", lang="nl"),
    "worse": t("slechter dan het gemiddelde", lang="nl"),
    "equal": t("gelijk aan het gemiddelde", lang="nl"),
    "context": t("context: geen beter of slechter", lang="nl"),
    "no_data": t("geen cijfer", lang="nl"),
}

# Map colours. Judged indicators: a diverging ColorBrewer BrBG palette (colour-blind safe)
# centred on the group average and oriented by direction, so teal is always better and
# brown always worse, whether higher or lower is better. Classes by the relative distance
# to the average: within ±EQUAL_BAND is "around the average", beyond ±FAR_BAND "far".
DIVERGING = ("#a6611a", "#dfc27d", "#f5f5f5", "#80cdc1", "#018571")  # worst → best
EQUAL_BAND = 0.02
FAR_BAND = 0.10
# Context indicators: a single-hue sequential palette (ColorBrewer Purples) in quantile
# classes: darker is more, with no better or worse implied.
CONTEXT_PALETTE = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
OTHER_CITY = "#8c8c8c"
LEGEND_ROOM = 270  # px kept free left of the polygons for the legend


# Whose average the source gives. "Gemiddelde centrumsteden" is the mean over all members,
# the city included; "het gemiddelde ... in andere centrumsteden" leaves the city out. The
# label says so with the word for "other"; a label that does not (yet) is read together
# with the definition, which quotes the note ("De nota: ... gemiddeld in de andere
# centrumsteden"). See docs/benchmark.md, "Whose average".
_OTHERS_IN_LABEL = re.compile(r"\b(andere|other|autres)\b", re.IGNORECASE)
_OTHERS_IN_DEFINITION = re.compile(
    r"\b(in\s+(de\s+)?andere|in\s+(the\s+)?other|dans\s+les\s+autres)\b", re.IGNORECASE)


def average_excludes_city(label: str | None, definition: str | None = None) -> bool:
    """True when the published average is that of the *other* members (the city itself
    not included): the comparison label, or failing that the note's wording quoted in the
    definition, speaks of the other cities."""
    if isinstance(label, str) and _OTHERS_IN_LABEL.search(label):
        return True
    return isinstance(definition, str) and bool(_OTHERS_IN_DEFINITION.search(definition))


def judgement_label(code: str) -> str:
    """Icon and word, e.g. '✔ beter' (in the current language)."""
    return f"{JUDGEMENT_ICON[code]} {t(JUDGEMENT_WORD[code])}"


def judge(value: float | None, average: float | None, direction: str,
          context: bool = False) -> str:
    """'better' / 'worse' / 'equal' against the average by direction; 'context' for a
    context indicator; 'no_data' without a value or average."""
    if context:
        return "context"
    if _missing(value) or _missing(average):
        return "no_data"
    diff = round(float(value) - float(average), 9)
    if diff == 0:
        return "equal"
    better = diff > 0 if direction == "higher" else diff < 0
    return "better" if better else "worse"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))


def peer_latest(peer_values: pd.DataFrame) -> pd.DataFrame:
    """Per indicator and peer the latest value (indicator_id, area_code, area_name, period,
    value, illustrative)."""
    cols = ["indicator_id", "area_code", "area_name", "period", "value", "illustrative"]
    if peer_values is None or peer_values.empty:
        return pd.DataFrame(columns=cols)
    latest = (peer_values.sort_values("period")
              .groupby(["indicator_id", "area_code"], as_index=False).tail(1))
    return latest[cols].reset_index(drop=True)


def rank_of(value: float, others: Iterable[float], direction: str, context: bool) -> int:
    """Competition rank (1 = best; for context indicators 1 = highest) among ``others`` plus
    the value itself."""
    others = [float(v) for v in others]
    if context or direction == "higher":
        return 1 + sum(v > value for v in others)
    return 1 + sum(v < value for v in others)


def comparison_table(indicators: pd.DataFrame, city_values: pd.DataFrame,
                     peer_values: pd.DataFrame, context_ids: Iterable[str]) -> pd.DataFrame:
    """One row per indicator with a comparison value (catalog order).

    ``indicators``: the catalog (id, name, unit, direction, comparison_label,
    comparison_value, comparison_year, source_document, source_section, position);
    ``city_values``: the city's measurements (indicator_id, period, value, illustrative);
    ``peer_values``: the group members' measurements (indicator_id, area_code, area_name,
    period, value, illustrative); ``context_ids``: indicators shown without judgement.
    The city's latest value is compared; peers count with their latest value.
    """
    context_ids = set(context_ids)
    compared = indicators[indicators["comparison_value"].notna()]
    if "position" in compared:
        compared = compared.sort_values("position")
    city_latest = (city_values.sort_values("period").groupby("indicator_id").tail(1)
                   .set_index("indicator_id") if len(city_values) else
                   pd.DataFrame(columns=["period", "value", "illustrative"]))
    peers = peer_latest(peer_values)
    rows = []
    for ind in compared.itertuples(index=False):
        context = ind.id in context_ids
        average = float(ind.comparison_value)
        has_city = ind.id in city_latest.index
        value = float(city_latest.loc[ind.id, "value"]) if has_city else None
        mine = peers[peers["indicator_id"] == ind.id]
        judgement = judge(value, average, ind.direction, context)
        diff = None if value is None else value - average
        rel = None if diff is None or average == 0 else diff / abs(average)
        rank = (rank_of(value, mine["value"], ind.direction, context)
                if value is not None and len(mine) else None)
        rows.append({
            "indicator_id": ind.id, "name": ind.name, "unit": ind.unit,
            "direction": ind.direction, "context": context,
            "city_value": value,
            "city_year": int(city_latest.loc[ind.id, "period"]) if has_city else None,
            "city_illustrative": bool(city_latest.loc[ind.id, "illustrative"])
            if has_city else False,
            "average": average, "average_label": ind.comparison_label,
            "average_year": None if _missing(ind.comparison_year)
            else int(ind.comparison_year),
            "difference": diff, "relative_difference": rel, "judgement": judgement,
            "source": f"{ind.source_document}, {ind.source_section}",
            "rank": rank, "rank_of": len(mine) + 1 if rank is not None else None,
            "peer_count": len(mine),
            "peers_illustrative": bool(mine["illustrative"].any()) if len(mine) else False,
            "illustrative_peers": int(mine["illustrative"].sum()) if len(mine) else 0,
        })
    return pd.DataFrame(rows, columns=[
        "indicator_id", "name", "unit", "direction", "context", "city_value", "city_year",
        "city_illustrative", "average", "average_label", "average_year", "difference",
        "relative_difference", "judgement", "source", "rank", "rank_of", "peer_count",
        "peers_illustrative", "illustrative_peers"])


# ------------------------------------------------------------------------ text and tables
def rank_text(row) -> str:
    """'3e van 13' (judged: 1 = best), '3e hoogste van 13' (context), '' without peers."""
    rank, of = _get(row, "rank"), _get(row, "rank_of")
    if _missing(rank):
        return ""
    if _get(row, "context"):
        text = t("{rank}e hoogste van {n}", rank=int(rank), n=int(of))
    else:
        text = t("{rank}e van {n}", rank=int(rank), n=int(of))
    if _get(row, "peers_illustrative"):
        text += " (" + t("illustratief") + ")"
    return text


def _get(row, key):
    return row[key] if isinstance(row, dict | pd.Series) else getattr(row, key)


def difference_text(diff: float | None, rel: float | None) -> str:
    """'+7 (+17,07 %)' in the current language; '—' without a value."""
    if _missing(diff):
        return "—"
    sign = "+" if diff > 0 else ""
    text = f"{sign}{fmt_number(diff)}"
    if not _missing(rel):
        text += f" ({sign}{fmt_number(rel * 100, 1)} %)"
    return text


def _direction(direction: str, context: bool) -> str:
    return t("geen (context)") if context else direction_label(direction)


def display_table(table: pd.DataFrame, city: str) -> pd.DataFrame:
    """The comparison table for the screen: texts in the current language, judgement as
    icon + word (never colour alone); ``city``: the city's name for its column."""
    def city_cell(r) -> str:
        if _missing(r.city_value):
            return "—"
        text = f"{fmt_number(r.city_value)} ({int(r.city_year)})"
        return text + (" (" + t("illustratief") + ")" if r.city_illustrative else "")

    return pd.DataFrame({
        t("Indicator"): table["name"],
        t("Eenheid"): table["unit"],
        t("Richting"): [_direction(d, c) for d, c in zip(table["direction"], table["context"])],
        city: [city_cell(r) for r in table.itertuples()],
        t("Gemiddelde"): [fmt_number(v) for v in table["average"]],
        t("Verschil"): [difference_text(d, r) for d, r in
                        zip(table["difference"], table["relative_difference"])],
        t("Oordeel"): [judgement_label(j) for j in table["judgement"]],
        t("Rang in de groep"): [rank_text(r) for r in table.to_dict("records")],
        t("Bron"): table["source"],
    })


def csv_table(table: pd.DataFrame, city: str) -> pd.DataFrame:
    """The comparison table for download: numbers unformatted, headers and words in the
    current language."""
    yes, no = t("ja"), t("nee")
    return pd.DataFrame({
        t("Indicator"): table["indicator_id"],
        t("Naam"): table["name"],
        t("Eenheid"): table["unit"],
        t("Richting"): [_direction(d, c) for d, c in zip(table["direction"], table["context"])],
        t("Waarde {city}", city=city): table["city_value"],
        t("Jaar"): table["city_year"],
        t("Gemiddelde"): table["average"],
        t("Gemiddelde volgens"): table["average_label"],
        t("Verschil"): table["difference"],
        t("Verschil (%)"): [None if _missing(r) else round(r * 100, 2)
                            for r in table["relative_difference"]],
        t("Oordeel"): [t(JUDGEMENT_WORD[j]) for j in table["judgement"]],
        t("Rang"): table["rank"],
        t("Aantal steden"): table["rank_of"],
        t("Andere steden illustratief"): [yes if v else no
                                          for v in table["peers_illustrative"]],
        t("Bron"): table["source"],
    })


# ------------------------------------------------------------------------------- charts
def comparison_chart(table: pd.DataFrame, peer_values: pd.DataFrame, city: str,
                     height: int | None = None) -> go.Figure:
    """Per indicator the distance to the group average in % (0 = the average): the city as
    a large marker coloured and shaped by its judgement with icon + word as label, the
    other members as small grey dots. Units differ, hence the relative scale."""
    peers = peer_latest(peer_values)
    rows = table[table["city_value"].notna()]
    names = [plotly_text(n) for n in rows["name"]]
    city = plotly_text(city)
    fig = go.Figure()
    px, py, ptext = [], [], []
    for r in rows.itertuples():
        mine = peers[peers["indicator_id"] == r.indicator_id]
        for p in mine.itertuples():
            px.append((p.value - r.average) / abs(r.average) * 100)
            py.append(plotly_text(r.name))
            flag = " (" + t("illustratief") + ")" if p.illustrative else ""
            ptext.append(plotly_text(f"{p.area_name}{flag}: {fmt_number(p.value)} {r.unit}"))
    if px:
        illustrative = bool(peers["illustrative"].any()) if len(peers) else False
        fig.add_trace(go.Scatter(
            x=px, y=py, mode="markers", text=ptext,
            name=t("andere steden (illustratief)") if illustrative else t("andere steden"),
            marker={"color": OTHER_CITY, "size": 7, "symbol": "circle-open",
                    "line": {"width": 1.5}},
            hovertemplate="%{text}<extra></extra>"))
    for code in JUDGEMENTS:
        sub = rows[rows["judgement"] == code]
        if sub.empty:
            continue
        fig.add_trace(go.Scatter(
            x=[0.0 if _missing(v) else v * 100 for v in sub["relative_difference"]],
            y=[plotly_text(n) for n in sub["name"]], mode="markers+text",
            name=f"{city}: {judgement_label(code)}",
            text=[f"{JUDGEMENT_ICON[code]} {fmt_number(v)}" for v in sub["city_value"]],
            textposition="top center",
            customdata=[[fmt_number(v), plotly_text(u), fmt_number(a),
                         t(JUDGEMENT_SENTENCE[code])]
                        for v, u, a in zip(sub["city_value"], sub["unit"], sub["average"])],
            marker={"color": JUDGEMENT_COLOUR[code], "size": 15,
                    "symbol": JUDGEMENT_SYMBOL[code], "line": {"width": 1, "color": "#222"}},
            hovertemplate=(city + ": %{customdata[0]} %{customdata[1]}<br>"
                           + t("gemiddelde") + ": %{customdata[2]}<br>%{customdata[3]}"
                           + "<extra></extra>")))
    fig.add_vline(x=0, line_dash="dash", line_color="#333",
                  annotation_text=t("gemiddelde"), annotation_position="top")
    fig.update_layout(
        height=height or 110 + 48 * max(len(names), 1),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"title": t("verschil met het gemiddelde (%)"), "ticksuffix": " %",
               "zeroline": False},
        yaxis={"categoryorder": "array", "categoryarray": names[::-1], "title": None},
        legend={"orientation": "h", "y": -0.25}, separators=separators(),
        template="plotly_white", font={"size": 14})
    return fig


def ranking_chart(row: dict, values: pd.DataFrame, city_code: str,
                  height: int = 460) -> go.Figure:
    """One indicator: every member's value as a bar, best first (context: highest first),
    the city in its judgement colour with icon, the others grey (hatched when
    illustrative), and the group average as a line.

    ``values``: code, name, value, period, illustrative, one row per member (city
    included).
    """
    context = bool(row["context"])
    ascending = row["direction"] == "lower" and not context
    # Best first, then reversed: horizontal bars are drawn bottom-up, so the best is on top.
    data = values.dropna(subset=["value"]).sort_values("value", ascending=ascending,
                                                       kind="stable").iloc[::-1]
    is_city = data["code"] == city_code
    colour = JUDGEMENT_COLOUR[row["judgement"]]
    labels = [plotly_text(f"{JUDGEMENT_ICON[row['judgement']]} {n}" if c else n)
              for n, c in zip(data["name"], is_city)]
    flag = " (" + t("illustratief") + ")"
    fig = go.Figure(go.Bar(
        x=data["value"], y=labels, orientation="h",
        marker={"color": [colour if c else OTHER_CITY for c in is_city],
                "pattern": {"shape": ["" if (c or not i) else "/" for c, i in
                                      zip(is_city, data["illustrative"])]},
                "line": {"color": ["#000" if c else "#555" for c in is_city],
                         "width": [2.5 if c else 0.5 for c in is_city]}},
        text=[fmt_number(v) + (flag if i else "") for v, i in
              zip(data["value"], data["illustrative"])],
        textposition="auto", textangle=0,
        hovertemplate="%{y}: %{x:,.2f} " + plotly_text(row["unit"]) + "<extra></extra>",
        showlegend=False))
    fig.add_vline(x=float(row["average"]), line_dash="dash", line_color="#222",
                  annotation_text=t("{label}: {value}",
                                    label=plotly_text(row["average_label"]),
                                    value=fmt_number(row["average"])),
                  annotation_position="top")
    order = (t("laagste bovenaan (lager is beter)") if ascending else
             t("hoogste bovenaan") if context else t("hoogste bovenaan (hoger is beter)"))
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"title": plotly_text(row["unit"])},
        yaxis={"title": order}, separators=separators(), template="plotly_white",
        font={"size": 14})
    return fig


# ---------------------------------------------------------------------------------- map
def map_values(row: dict, city_value: float | None, city_year: int | None, city_code: str,
               city_name: str, peer_values: pd.DataFrame) -> pd.DataFrame:
    """One row per group member with a value for the indicator of ``row``: code, name,
    value, period, illustrative (the city from its own figure)."""
    peers = peer_latest(peer_values)
    mine = peers[peers["indicator_id"] == row["indicator_id"]]
    frame = pd.DataFrame({"code": mine["area_code"].astype(str), "name": mine["area_name"],
                          "value": mine["value"].astype(float), "period": mine["period"],
                          "illustrative": mine["illustrative"].astype(bool)})
    if city_value is not None and not _missing(city_value):
        own = pd.DataFrame({"code": [city_code], "name": [city_name],
                            "value": [float(city_value)], "period": [city_year],
                            "illustrative": [bool(row.get("city_illustrative", False))]})
        frame = pd.concat([own, frame], ignore_index=True)
    return frame.reset_index(drop=True)


def map_class(value: float | None, average: float, direction: str) -> int | None:
    """The diverging class 0 (far worse) … 4 (far better) of a value; None without one."""
    if _missing(value):
        return None
    rel = (float(value) - average) / abs(average) if average else 0.0
    if direction == "lower":
        rel = -rel
    if abs(rel) <= EQUAL_BAND:
        return 2
    if rel > 0:
        return 4 if rel > FAR_BAND else 3
    return 0 if rel < -FAR_BAND else 1


def _diverging_legend() -> list[tuple[str, str]]:
    far, band = fmt_number(FAR_BAND * 100, 0), fmt_number(EQUAL_BAND * 100, 0)
    return [
        (DIVERGING[4], t("✔ meer dan {far} % beter dan het gemiddelde", far=far)),
        (DIVERGING[3], t("✔ {band} tot {far} % beter", band=band, far=far)),
        (DIVERGING[2], t("= binnen {band} % van het gemiddelde", band=band)),
        (DIVERGING[1], t("✖ {band} tot {far} % slechter", band=band, far=far)),
        (DIVERGING[0], t("✖ meer dan {far} % slechter dan het gemiddelde", far=far)),
        (maps.NO_DATA, t("geen gegevens")),
    ]


def _context_colour(value: float | None, bins: list[float]) -> str:
    if _missing(value) or not bins:
        return maps.NO_DATA
    palette = CONTEXT_PALETTE[-len(bins):]
    for colour, upper in zip(palette, bins):
        if value <= upper + 1e-12:
            return colour
    return palette[-1]


def _context_legend(bins: list[float]) -> list[tuple[str, str]]:
    palette = CONTEXT_PALETTE[-len(bins):]
    rows, lower = [], None
    for colour, upper in zip(palette, bins):
        label = (f"≤ {fmt_number(upper)}" if lower is None
                 else f"{fmt_number(lower)} – {fmt_number(upper)}")
        rows.append((colour, label))
        lower = upper
    rows.append((maps.NO_DATA, t("geen gegevens")))
    return rows


def benchmark_map(areas: gpd.GeoDataFrame, values: pd.DataFrame, row: dict, *,
                  city_code: str, static_url: str, attribution: str,
                  quality: str = "official", tiles: str = "none") -> folium.Map:
    """The group's municipalities coloured by the indicator of ``row`` (a row of
    :func:`comparison_table`).

    ``areas``: the members' polygons (WGS84; code, name); ``values``: code, value, period,
    illustrative per member (see :func:`map_values`). Judged indicators: diverging colours
    around the average, oriented by direction (teal better, brown worse); context
    indicators: purple quantile classes. The city is outlined; tooltips (escaped by
    :func:`maps.tooltip_html`) carry value, year, '(illustratief)', the average and the
    judgement in words.
    """
    context = bool(row["context"])
    average, direction = float(row["average"]), str(row["direction"])
    by_code = values.set_index("code")
    unit = str(row["unit"])
    bins = maps.classify(list(by_code["value"]), "quantiles") if context else []
    average_line = (str(row["average_label"]), f"{fmt_number(average)} {unit}")
    tooltips: dict[str, list[tuple[str, str]]] = {}
    fill: dict[str, str] = {}
    for code in areas["code"].astype(str):
        if code not in by_code.index:
            tooltips[code] = [(str(row["name"]), t("geen gegevens")), average_line]
            fill[code] = maps.NO_DATA
            continue
        v = by_code.loc[code]
        flag = " (" + t("illustratief") + ")" if bool(v["illustrative"]) else ""
        year = "" if _missing(v["period"]) else f" {int(v['period'])}"
        verdict = judge(v["value"], average, direction, context)
        tooltips[code] = [(f"{row['name']}{year}{flag}", f"{fmt_number(v['value'])} {unit}"),
                          average_line,
                          (t("Oordeel"), f"{JUDGEMENT_ICON[verdict]} "
                                         f"{t(JUDGEMENT_SENTENCE[verdict])}")]
        if code == city_code:
            tooltips[code].append((t("Rang in de groep"), rank_text(row) or "—"))
        fill[code] = (_context_colour(float(v["value"]), bins) if context else
                      DIVERGING[map_class(float(v["value"]), average, direction)])
    minx, miny, maxx, maxy = areas.total_bounds
    # The legend sits bottom-left, where the group's western members may lie: on a wide
    # map keep the polygons to its right; on a phone the legend is folded.
    m = maps.base_map(static_url, [[miny, minx], [maxy, maxx]], tiles=tiles,
                      legend_room=LEGEND_ROOM)
    features = [{
        "type": "Feature", "id": code,
        "properties": {"code": code, "name": str(name), "fill": fill[code],
                       "tooltip": maps.tooltip_html(name, tooltips[code])},
        "geometry": mapping(shapely.set_precision(geom, 1e-5, mode="pointwise")),
    } for code, name, geom in zip(areas["code"].astype(str), areas["name"], areas.geometry)]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name="steden",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.85,
                                  "color": "#3b4a5a", "weight": 1},
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
    ).add_to(m)
    city = areas[areas["code"].astype(str) == city_code]
    maps.highlight(m, city)
    notes = []
    if len(city):
        notes.append(t("Dik zwart omlijnd: {city}.", city=str(city["name"].iloc[0])))
    if len(values) and bool(values["illustrative"].any()):
        notes.append(t("Waarden van de andere steden zijn illustratief."))
    if context:
        notes.append(t("Contextindicator: geen beter of slechter."))
    title = f"{row['name']} ({unit})"
    maps.Legend(title, _context_legend(bins) if context else _diverging_legend(),
                 " ".join(notes) or None).add_to(m)
    maps.MapText(attribution, maps.quality_note(quality)).add_to(m)
    return m


def summary_text(row: dict, city: str, group: str) -> str:
    """One sentence for screen readers and captions: the city against the average."""
    if _missing(row["city_value"]):
        return t("{city} heeft geen cijfer voor {name}.", city=city, name=row["name"])
    text = t("{city}: {value} {unit} ({year}); {label}: {average} {unit}; {judgement}.",
             city=city, value=fmt_number(row["city_value"]), unit=row["unit"],
             year=int(row["city_year"]), label=row["average_label"],
             average=fmt_number(row["average"]),
             judgement=t(JUDGEMENT_SENTENCE[row["judgement"]]))
    rank = rank_text(row)
    if rank:
        text += " " + t("Rang onder de {group}: {rank}.", group=group, rank=rank)
    return text
