"""What a map shows, as plain data: one object behind the page map, the presentation map,
the PDF map and the open-data GeoJSON.

:class:`MapData` holds the values, the classes, the goal and the areas it applies to,
the zone outlines, lines and points of a map section; :func:`draw` hands it to the folium
builder (:func:`dashboard.maps.choropleth`), which classifies nothing itself any more, so
every output draws the same classes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import pandas as pd

from .. import maps
from ..i18n import t
from ..tables import format_number

# Properties of the feature layers (loads.LAYERS) in tooltips: Dutch message ids
# (``lang="nl"`` keeps them Dutch at import time), translated when a map is assembled.
PROPERTY_LABEL = {"aantal": t("aantal", lang="nl"), "vermogen_kw": t("vermogen kW", lang="nl"),
                  "type": t("type", lang="nl"),
                  "doel_aandeel_2040": t("doel aandeel 2040", lang="nl"),
                  "m2": t("m²", lang="nl"), "jaar": t("jaar", lang="nl")}


@dataclass(frozen=True)
class MapData:
    """One choropleth of one indicator at one level and year, with its overlays.

    ``values``: area code → value of ``year`` (areas without one are absent); ``bins``:
    upper class bounds of ``scheme`` over those values; ``goal``: (year, value) of the
    city goal drawn on ``goal_areas`` (empty: no goal on the map); ``outline_codes``:
    sector codes of the outlined zones; ``lines``: (name, GeoJSON geometry); ``points``:
    dicts with lat, lon, radius, name and tooltip lines; ``actions``: a marker per
    located action of the spearhead (lat, lon, id, title, status). Texts are in the view's
    language. Treat it as read-only."""

    section: str
    indicator_id: str
    level: str
    title: str
    unit: str
    year: int | None
    values: dict[str, float]
    scheme: str
    bins: tuple[float, ...]
    illustrative: bool
    attribution: str
    quality: str
    goal: tuple[int, float] | None = None
    goal_areas: tuple[str, ...] = ()
    outline_codes: tuple[str, ...] = ()
    lines: tuple[tuple[str, dict], ...] = ()
    points: tuple[dict, ...] = ()
    points_label: str = ""
    # the located actions of the section's spearhead (dashboard.actions.portfolio)
    actions: tuple[dict, ...] = ()
    notes: dict = field(default_factory=dict)

    def class_of(self, code: str) -> int | None:
        """The class index (0 = lowest) of an area's value; None without a value and for
        zero, which maps draw as absence (:data:`dashboard.maps.ZERO`)."""
        value = self.values.get(code)
        if value is None or value == 0 or not self.bins:
            return None
        for i, upper in enumerate(self.bins):
            if value <= upper + 1e-12:
                return i
        return len(self.bins) - 1

    def classes(self) -> dict[str, int]:
        """Area code → class index, for every area with a value."""
        return {code: self.class_of(code) for code in self.values}

    def goal_lines(self) -> dict[str, list[tuple[str, str]]]:
        """Area code → the goal's tooltip line (formatted in the current language)."""
        if self.goal is None:
            return {}
        year, value = self.goal
        line = [(t("Doel {year}", year=year), f"{format_number(value)} {self.unit}")]
        return {code: line for code in self.goal_areas}

    def caption(self) -> str:
        """The one-line caption under a wijk map in the presentation and the PDF."""
        return t("Kaart per wijk, {year}.", year=self.year) + (
            " " + t("Illustratieve wijkcijfers.") if self.illustrative else "")


def latest_values(measurements: pd.DataFrame, year: int | None) -> tuple[dict, int | None]:
    """Values per area code for ``year`` (default, or when ``year`` has none: the latest
    year present)."""
    if measurements.empty:
        return {}, None
    if year is None or year not in set(measurements["period"]):
        year = int(measurements["period"].max())
    rows = measurements[measurements["period"] == year]
    return {str(c): float(v) for c, v in zip(rows["area_code"], rows["value"])}, year


def goal_of(goals: pd.DataFrame) -> tuple[int, float] | None:
    """The last target (not the baseline) of one indicator's goal rows."""
    target = goals[goals["kind"] != "baseline"].sort_values("year")
    if target.empty:
        return None
    return int(target["year"].iloc[-1]), float(target["value"].iloc[-1])


def zone_areas(codes, zone_codes: set[str], parents: pd.Series) -> tuple[str, ...]:
    """The areas of ``codes`` that are a zone sector or hold one (a wijk with a zone
    sector in it)."""
    return tuple(code for code in codes if code in zone_codes or any(
        code in list(parents.get(z, [])) for z in zone_codes))


def property_label(key: str) -> str:
    """A layer property's name for tooltips ('vermogen_kw' → 'vermogen kw'), translated."""
    return t(PROPERTY_LABEL[key]) if key in PROPERTY_LABEL else key.replace("_", " ")


def points(features: pd.DataFrame, size_field: str | None) -> tuple[dict, ...]:
    """Point features of a layer as circle markers: position, radius by ``size_field``
    (area-like for m², count-like otherwise), name and every property as tooltip lines."""
    import shapely.geometry

    out = []
    for name, props, geom, flag in zip(features["name"], features["properties"],
                                       features["geometry"], features["illustrative"]):
        p = json.loads(props)
        g = json.loads(geom)
        size = float(p.get(size_field, 1)) if size_field else 1.0
        radius = 3 + (math.sqrt(size) / 8 if size_field == "m2" else 2.5 * math.sqrt(size))
        lines = [(property_label(k), v) for k, v in sorted(p.items())]
        if flag:
            lines.append(("", t("illustratief")))
        if g.get("type") != "Point":  # a project area (loads/layers.py): a point inside it
            inside = shapely.geometry.shape(g).representative_point()
            g = {"coordinates": [inside.x, inside.y]}
        out.append({"lat": g["coordinates"][1], "lon": g["coordinates"][0],
                    "radius": round(min(radius, 16), 1), "name": name, "lines": lines})
    return tuple(out)


def draw(data: MapData, areas: gpd.GeoDataFrame, outlines: gpd.GeoDataFrame | None, *,
         static_url: str, tiles: str = "none", **builder) -> folium.Map:
    """The folium map of ``data`` over ``areas`` (the geometry of ``data.level``);
    ``outlines``: the sector geometry the zone outlines are cut from (None: no zones).
    ``builder``: further keywords of :func:`maps.choropleth` (e.g. the geometry encoding
    the benchmarks compare)."""
    zones = None
    if outlines is not None and data.outline_codes:
        zones = outlines[outlines["code"].isin(set(data.outline_codes))]
    return maps.choropleth(
        areas, data.values, bins=list(data.bins), title=data.title, unit=data.unit,
        fmt=format_number, scheme=data.scheme, static_url=static_url,
        attribution=data.attribution, quality=data.quality, illustrative=data.illustrative,
        extra_tooltip=data.goal_lines(), outlines=zones, lines=list(data.lines) or None,
        points=list(data.points) or None, points_label=data.points_label, tiles=tiles,
        actions=action_markers(data.actions) or None, **builder)


def action_markers(actions: tuple[dict, ...]) -> list[dict]:
    """The action markers of a map: position, colour by status, tooltip lines (title,
    status, areas) in the current language."""
    out = []
    for a in actions:
        lines = [(t("actie"), a["id"]), (t("status"), a["status_label"])]
        if a["areas"]:
            lines.append((t("gebieden"), ", ".join(a["areas"])))
        out.append({"lat": a["lat"], "lon": a["lon"], "id": a["id"], "name": a["title"],
                    "colour": a["colour"], "lines": lines})
    return out


def text_summary(data: MapData, names: dict[str, str]) -> str:
    """A sentence describing the map for screen readers and print (Markdown: the names
    and the unit are escaped)."""
    from ..safety import markdown_text as md

    name, unit, values = md(data.title), md(data.unit), data.values
    if not values:
        return t("Geen cijfers voor {name}.", name=name)
    hi = max(values, key=values.get)
    lo = min(values, key=values.get)
    text = t("Samenvatting: {name} in {year}, {count} gebieden. Hoogste: {high} ({high_value} "
             "{unit}); laagste: {low} ({low_value} {unit}).", name=name, year=data.year,
             count=len(values), high=md(names.get(hi, hi)),
             high_value=format_number(values[hi]), low=md(names.get(lo, lo)),
             low_value=format_number(values[lo]), unit=unit)
    return text + (" " + t("Illustratieve cijfers.") if data.illustrative else "")
