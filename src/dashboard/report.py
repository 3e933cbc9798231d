"""Exports for the meeting file: CSV of what a chart or map shows, PNG of a map, and a
PDF report per spearhead or for the whole board (no Streamlit here).

The report is HTML rendered by Debian's chromium (:mod:`dashboard.render`): a title page
with the moment the figures stand at, the status summary, then one section per indicator
with its status, latest figure, goals, chart (plotly, drawn by the browser from the local
plotly.js, so it stays vector), a map per wijk where the indicator is known per district
(a screenshot of the same Leaflet map the app shows, Leaflet from the local static
folder), the values as a table, and the source. Every text is escaped: the report page is
built here with :func:`html.escape` (no template engine), and map pages come from
:func:`maps.page_html`, which renders text from data literally.
"""

from __future__ import annotations

import html
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly
import plotly.graph_objects as go

from . import charts, clock, i18n, maps, overview, render, safety
from .board import Board, View
from .i18n import t, tn
from .settings import Settings
from .goaltypes import GoalSpec
from .status import STATUS_ICON, STATUS_ORDER, goal_points, method_text, status_label
from .tables import format_number

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
REPORT_LEVEL = "wijk"


# ------------------------------------------------------------------------- CSV
def chart_table(indicator: dict, series: pd.DataFrame, goals: pd.DataFrame) -> pd.DataFrame:
    """What an indicator's chart shows: measured values and the goal path, per year."""
    rows = [{t("jaar"): int(p), t("reeks"): t("gemeten"), t("waarde"): float(v),
             t("eenheid"): indicator["unit"], t("illustratief"): bool(f), t("bron"): s}
            for p, v, f, s in zip(series["period"], series["value"], series["illustrative"],
                                  series["source"])]
    rows += [{t("jaar"): int(y), t("reeks"): t("doelpad"), t("waarde"): float(v),
              t("eenheid"): indicator["unit"], t("illustratief"): False,
              t("bron"): f"{indicator['source_document']}, {indicator['source_section']}"}
             for y, v in goal_points(goals, series, GoalSpec.of(indicator))]
    return pd.DataFrame(rows)


def map_table(indicator: dict, values: dict[str, float], names: dict[str, str],
              year: int | None, illustrative: bool) -> pd.DataFrame:
    """What a map shows: one row per area."""
    return pd.DataFrame({
        t("code"): list(values),
        t("gebied"): [names.get(c, c) for c in values],
        t("jaar"): year,
        t("waarde"): list(values.values()),
        t("eenheid"): indicator["unit"],
        t("illustratief"): illustrative,
    })


def chart_summary(indicator: dict, series: pd.DataFrame, goals: pd.DataFrame) -> str:
    """One sentence that says what an indicator's chart shows (for screen readers)."""
    parts = []
    if len(series):
        s = series.sort_values("period")
        first, last = s.iloc[0], s.iloc[-1]
        if len(s) > 1:
            parts.append(t("gemeten van {y0} ({v0}) tot {y1} ({v1} {unit})",
                           y0=int(first["period"]), v0=format_number(first["value"]),
                           y1=int(last["period"]), v1=format_number(last["value"]),
                           unit=indicator["unit"]))
        else:
            parts.append(t("één meting: {y} ({v} {unit})", y=int(last["period"]),
                           v=format_number(last["value"]), unit=indicator["unit"]))
    else:
        parts.append(t("nog geen metingen"))
    points = goal_points(goals, series, GoalSpec.of(indicator))
    if points:
        year, value = points[-1]
        parts.append(t("doel {y}: {v} {unit}", y=year, v=format_number(value),
                       unit=indicator["unit"]))
    return t("Grafiek van {name}: {parts}.", name=indicator["name"], parts="; ".join(parts))


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (Excel opens it with the right characters), comma separated; text
    that a spreadsheet would read as a formula is neutralised (:func:`safety.csv_frame`)."""
    return safety.csv_frame(frame).to_csv(index=False).encode("utf-8-sig")


# ------------------------------------------------------------------------- PNG
def map_png(m, settings: Settings, width: int = 900, height: int = 560) -> bytes:
    """A PNG of a folium map, drawn offline by chromium (Leaflet from the static folder)."""
    with tempfile.TemporaryDirectory(prefix="kaart-") as tmp:
        folder = Path(tmp)
        page = folder / "map.html"
        page.write_text(_offline(maps.page_html(m), settings), encoding="utf-8")
        render.run({"dir": str(folder), "shots": [{
            "html": str(page), "png": str(folder / "map.png"), "width": width,
            "height": height, "wait_for": "path.leaflet-interactive"}]}, settings.chromium)
        return (folder / "map.png").read_bytes()


def _offline(page_html: str, settings: Settings) -> str:
    """Point the map's Leaflet links at the static folder on disk (file://)."""
    maps.install_leaflet(settings.static_dir)
    return page_html.replace(f'"{settings.static_url}/', f'"{settings.static_dir.as_uri()}/')


# ------------------------------------------------------------------------- report data
@dataclass
class Section:
    indicator: dict
    status: dict
    chart: go.Figure
    values: pd.DataFrame          # city series shown in the chart
    map_html: str | None = None
    map_caption: str = ""


@dataclass
class ActionPart:
    """A spearhead's actions in the report: the board's roll-up and the assessed ones."""
    spearhead_id: int
    name: str
    rollup: dict                  # Board.action_rollup: total, counts, late, assessed
    labels: dict[str, str]        # status key → its words in the report's language
    assessed: pd.DataFrame        # id, title, status_label, due_year, late (note order)


@dataclass
class Report:
    title: str
    subtitle: str
    moment: str
    counts: dict
    sections: list[Section]
    attribution: str
    actions: list[ActionPart] = field(default_factory=list)


def collect(board: Board, view: View, spearhead_ids: list[int] | None) -> Report:
    """Everything the report shows, for one view of the board (its language; the data
    as they stood at its pinned moment, or now). Every map is the indicator's own map
    (:meth:`Board.indicator_map`): the classes, goal and overlays of the page."""
    with i18n.language(view.lang):
        inds = board.indicators(view)
        if spearhead_ids:
            inds = inds[inds["spearhead_id"].isin(spearhead_ids)]
        goals = board.goals(view)
        statuses = board.statuses(view).set_index("id")
        names = dict(zip(board.spearheads(view)["id"], board.spearheads(view)["name"]))
        has_geometry = bool(board.manifest)
        sections = []
        for ind in inds.to_dict("records"):
            series = board.city_series(view, ind["id"])
            g = goals[goals["indicator_id"] == ind["id"]]
            fig = charts.indicator_chart(ind, series, g, title=None, height=300)
            section = Section(ind, statuses.loc[ind["id"]].to_dict(), fig, series)
            if REPORT_LEVEL in list(ind["levels"]) and has_geometry:
                data = board.indicator_map(view, ind["id"], REPORT_LEVEL)
                section.map_html = _offline(maps.page_html(board.draw(data, "none")),
                                            board.settings)
                section.map_caption = data.caption()
            sections.append(section)
        if spearhead_ids and len(spearhead_ids) == 1:
            title = t("Speerpunt {n}: {name}", n=spearhead_ids[0],
                      name=names[spearhead_ids[0]])
        else:
            title = t("Alle speerpunten")
        moment = i18n.fmt_date(view.as_of or clock.now_local())
        shown = spearhead_ids or [int(i) for i in board.spearheads(view)["id"]]
        return Report(
            actions=[p for p in (_action_part(board, view, sp, names.get(sp, ""))
                                 for sp in shown) if p is not None],
            title=title,
            subtitle=t("{city} 2040 – monitoringsbord", city=board.settings.city.name),
            moment=moment,
            counts=statuses.loc[inds["id"], "status"].value_counts().to_dict(),
            sections=sections,
            attribution=board.manifest.get("attribution", ""))


def _action_part(board: Board, view: View, spearhead_id: int, name: str
                 ) -> ActionPart | None:
    """A spearhead's actions as the board assembles them (None: it has none)."""
    from .actions import model

    frame = board.actions(view, spearhead_id)
    if frame.empty:
        return None
    assessed = frame[frame["status"].map(lambda s: isinstance(s, str) and bool(s))]
    return ActionPart(spearhead_id, name, board.action_rollup(view, spearhead_id),
                      model.status_labels(),
                      assessed[["id", "title", "status_label", "due_year", "late"]]
                      .reset_index(drop=True))


def actions_html(part: ActionPart) -> str:
    """A spearhead's action section: counts per status (never a bare percentage), the
    late ones, and the list of assessed actions with late ones marked."""
    from .actions import portfolio

    e = html.escape
    roll = part.rollup
    summary = tn("{n} actie in de nota, waarvan {assessed} beoordeeld, {open} nog niet "
                 "beoordeeld en {late} te laat.",
                 "{n} acties in de nota, waarvan {assessed} beoordeeld, {open} nog niet "
                 "beoordeeld en {late} te laat.", roll["total"], assessed=roll["assessed"],
                 open=roll["total"] - roll["assessed"], late=roll["late"])
    counts = "".join(f"<tr><td>{e(part.labels[k])}</td><td>{int(roll['counts'][k])}</td></tr>"
                     for k in portfolio.ROLLUP_ORDER)
    out = [f'<div class="section actions" id="acties-{int(part.spearhead_id)}">',
           f"<h1>{e(t('Acties van speerpunt {n}: {name}', n=part.spearhead_id, name=part.name))}"
           "</h1>",
           f"<p>{e(summary)}</p>",
           f"<table><tr><th>{e(t('Status'))}</th><th>{e(t('Aantal'))}</th></tr>{counts}"
           f"<tr><td>{e(t('te laat'))}</td><td>{int(roll['late'])}</td></tr></table>"]
    if part.assessed.empty:
        out.append(f"<p>{e(t('Nog geen enkele actie van dit speerpunt is beoordeeld.'))}</p>")
    else:
        rows = "".join(
            f"<tr><td>{e(str(r.id))}</td><td>{e(str(r.title))}</td>"
            f"<td>{e(str(r.status_label))}</td>"
            f"<td>{'' if pd.isna(r.due_year) else int(r.due_year)}</td>"
            f"<td>{e(t('te laat')) if r.late else ''}</td></tr>"
            for r in part.assessed.itertuples())
        out.append(f"<table><tr><th>{e(t('Actie'))}</th><th>{e(t('Titel'))}</th>"
                   f"<th>{e(t('Status'))}</th><th>{e(t('Tegen'))}</th>"
                   f"<th>{e(t('Te laat'))}</th></tr>{rows}</table>")
    out.append("</div>")
    return "".join(out)


# ------------------------------------------------------------------------- report HTML
CSS = """
body {font-family: 'DejaVu Sans', Arial, sans-serif; color: #1a1a1a; font-size: 11pt;}
h1 {font-size: 24pt; margin: 0 0 6pt;} h2 {font-size: 15pt; margin: 0 0 4pt;}
.title-page {page-break-after: always; padding-top: 60mm;}
.section {page-break-inside: avoid; break-inside: avoid; margin-bottom: 10mm;}
.section + .section {page-break-before: always;}
.meta {color: #333;} .status {font-weight: bold;}
table {border-collapse: collapse; font-size: 9.5pt; margin: 4pt 0;}
td, th {border: 1px solid #999; padding: 2pt 6pt; text-align: left;}
img.map {width: 100%; max-width: 170mm; border: 1px solid #999;}
.illustratief {background: #fff3cd; border: 1px solid #8a6d00; padding: 1pt 4pt;}
.chart {width: 170mm; height: 80mm;}
.actions h1 {font-size: 17pt;} .actions td:first-child {white-space: nowrap;}
"""


def report_html(report: Report, map_images: dict[str, str]) -> str:
    """The report as one HTML page; ``map_images``: indicator id → PNG file name."""
    e = html.escape
    parts = [f'<!DOCTYPE html><html lang="{i18n.current()}"><head><meta charset="utf-8">'
             f"<title>{e(report.title)}</title><style>{CSS}</style>"
             f'<script src="{PLOTLY_JS.as_uri()}"></script></head><body>']
    counts = report.counts
    status_rule = method_text()
    count = tn("{n} indicator in dit rapport.", "{n} indicatoren in dit rapport.",
               len(report.sections))
    summary = "".join(
        f"<tr><td>{e(STATUS_ICON[c])} {e(status_label(c))}</td>"
        f"<td>{int(counts.get(c, 0))}</td></tr>" for c in STATUS_ORDER)
    parts.append(
        f'<div class="title-page"><p class="meta">{e(report.subtitle)}</p>'
        f"<h1>{e(report.title)}</h1>"
        f'<p class="meta">{e(t("Stand van de cijfers: {moment}", moment=report.moment))}</p>'
        f"<h2>{e(t('Status van de indicatoren'))}</h2><table>{summary}</table>"
        f"<p>{e(status_rule)}</p>"
        f"<p>{e(count)}</p></div>")
    for i, s in enumerate(report.sections):
        ind, st_ = s.indicator, s.status
        value = "—" if pd.isna(st_.get("value")) else (
            f"{format_number(st_['value'])} {ind['unit']} ({int(st_['year'])})")
        flag = (f' <span class="illustratief">{e(t("illustratief"))}</span>'
                if st_.get("illustrative") else "")
        parts.append(f'<div class="section" id="{e(ind["id"])}">')
        parts.append(f"<h2>{e(ind['name'])}</h2>")
        parts.append(f'<p class="status">{e(t("Status"))}: {e(str(st_["status_label"]))}'
                     f" · {e(t('Tempo'))}: {e(str(st_['pace_label']))}"
                     f" · {e(t('Laatste cijfer'))}: {e(value)}{flag}</p>")
        parts.extend(f'<p class="meta">{e(line)}</p>'
                     for line in overview.judgement_lines(st_)[1:])
        parts.append(f"<p>{e(t('Doelen'))}: {e(str(st_['goals']))}</p>")
        if st_.get("comparison"):
            parts.append(f"<p>{e(t('Vergelijking'))}: {e(str(st_['comparison']))}</p>")
        parts.append(f"<p class=\"meta\">{e(str(ind['definition']))}</p>")
        fig = go.Figure(s.chart)
        fig.update_layout(width=640, height=300, margin={"l": 50, "r": 10, "t": 10, "b": 40})
        chart = fig.to_html(full_html=False, include_plotlyjs=False,
                            config={"staticPlot": True}, div_id=f"chart-{i}")
        parts.append(f'<div class="chart">{chart}</div>')
        if len(s.values):
            rows = "".join(
                f"<tr><td>{int(p)}</td><td>{e(format_number(v))}</td>"
                f"<td>{e(t('ja') if f else t('nee'))}</td></tr>"
                for p, v, f in zip(s.values["period"], s.values["value"],
                                   s.values["illustrative"]))
            parts.append(f"<table><tr><th>{e(t('Jaar'))}</th><th>{e(ind['unit'])}</th>"
                         f"<th>{e(t('Illustratief'))}</th></tr>{rows}</table>")
        if ind["id"] in map_images:
            parts.append(f'<img class="map" src="{e(map_images[ind["id"]])}" '
                         f'alt="{e(t("Kaart per wijk van {name}", name=ind["name"]))}">'
                         f"<p class=\"meta\">{e(s.map_caption)} {e(report.attribution)}</p>")
        parts.append(f"<p class=\"meta\">{e(t('Bron: {source}', source=st_['source']))}</p>")
        parts.append("</div>")
    parts.extend(actions_html(p) for p in report.actions)
    parts.append("</body></html>")
    return "".join(parts)


def pdf(report: Report, settings: Settings) -> bytes:
    """Render the report to PDF bytes (maps first as PNGs, then the page)."""
    with tempfile.TemporaryDirectory(prefix="rapport-") as tmp:
        folder = Path(tmp)
        shots, images = [], {}
        for s in report.sections:
            if s.map_html:
                name = f"map-{s.indicator['id']}"
                (folder / f"{name}.html").write_text(s.map_html, encoding="utf-8")
                shots.append({"html": str(folder / f"{name}.html"),
                              "png": str(folder / f"{name}.png"), "width": 900,
                              "height": 560, "wait_for": "path.leaflet-interactive"})
                images[s.indicator["id"]] = f"{name}.png"
        page = folder / "report.html"
        page.write_text(report_html(report, images), encoding="utf-8")
        footer = ('<div style="font-size:8pt;width:100%;text-align:center;color:#444">'
                  f'{html.escape(report.title)} · {html.escape(report.moment)} · '
                  '<span class="pageNumber"></span>/<span class="totalPages"></span></div>')
        render.run({"dir": str(folder), "shots": shots,
                    "pdf": {"html": str(page), "out": str(folder / "report.pdf"),
                            "wait_for": "div.chart .js-plotly-plot .svg-container",
                            "count": len(report.sections), "footer": footer}},
                   settings.chromium)
        return (folder / "report.pdf").read_bytes()


def build_pdf(board: Board, view: View, spearhead_ids: list[int] | None) -> bytes:
    """The whole export in one call (CLI, tests, and the app's export button)."""
    with i18n.language(view.lang):
        return pdf(collect(board, view, spearhead_ids), board.settings)
