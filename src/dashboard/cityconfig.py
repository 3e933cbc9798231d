"""The city configuration (``data/city.yaml``), typed and checked once.

``parse`` turns the YAML into a frozen :class:`CityConfig`; every key of every section is
checked (unknown keys, missing required keys, wrong types, map-section schemes and
district goals, feature-layer names, area levels, duplicate section keys, spotlight
documents), and all problems are raised together as one :class:`~dashboard.errors.InputError`
naming the file and the key (``map_sections.5[0].scheme``). Code reads the configuration
through attributes only (``settings.city.benchmark.members``), never as a dict; a test
walks the source to keep it that way.

Indicator ids named by sections, spotlights and the benchmark are not checked here (the
catalog is separate and may change without the configuration): see
:meth:`CityConfig.indicator_references`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, Problem
from .i18n import t

DISTRICT_GOALS: tuple[str, ...] = ("all", "zones")
FILTERS: tuple[str, ...] = ("code_prefix", "code_equals")
SECTION_LAYER_KINDS: tuple[str, ...] = ("outlines", "lines", "points")


def _schemes() -> tuple[str, ...]:
    from .maps import SCHEMES

    return SCHEMES


def _levels() -> tuple[str, ...]:
    from .store import LEVELS

    return LEVELS


def _layer_names() -> tuple[str, ...]:
    from .loads.layers import LAYERS

    return tuple(LAYERS)


# ------------------------------------------------------------------------------ the model
@dataclass(frozen=True)
class Document:
    """A source document listed on the sources page."""

    key: str
    title: str
    subtitle: str = ""
    publisher: str = ""
    date: str = ""
    description: str = ""
    reference: str = ""


@dataclass(frozen=True)
class SectionLayers:
    """Feature layers drawn on top of a section's map (names of ``loads.layers.LAYERS``)."""

    outlines: str | None = None
    lines: str | None = None
    points: str | None = None
    size_field: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("outlines", self.outlines), ("lines", self.lines),
                                  ("points", self.points), ("size_field", self.size_field))
                if v}


@dataclass(frozen=True)
class MapSection:
    """One district map of a spearhead page."""

    spearhead: int
    key: str
    title: str
    indicators: tuple[str, ...]
    intro: str = ""
    scheme: str = "natural_breaks"
    district_goal: str = "all"
    layers: SectionLayers = field(default_factory=SectionLayers)

    def as_dict(self) -> dict[str, Any]:
        """The plain form the page composition passes around (translated there)."""
        return {"key": self.key, "title": self.title, "intro": self.intro,
                "indicators": list(self.indicators), "scheme": self.scheme,
                "district_goal": self.district_goal, "layers": self.layers.as_dict()}


@dataclass(frozen=True)
class Spotlight:
    """Figures of one source document grouped under a heading on a spearhead page."""

    spearhead: int
    key: str
    title: str
    indicators: tuple[str, ...]
    intro: str = ""
    document: str | None = None


@dataclass(frozen=True)
class GeoLayer:
    """Where the official layer of one area level is found and how its fields map."""

    level: str
    files: tuple[str, ...]
    code_field: str
    name_field: str
    filter: str | None = None


@dataclass(frozen=True)
class Geodata:
    attribution: str = ""
    layers: tuple[GeoLayer, ...] = ()
    sector_table: str | None = None
    download: tuple[tuple[str, str], ...] = ()  # (level, URL)

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(layer.level for layer in self.layers)

    def layer(self, level: str) -> GeoLayer:
        """The configured layer of ``level`` (KeyError when the city has no such level)."""
        for layer in self.layers:
            if layer.level == level:
                return layer
        raise KeyError(level)


@dataclass(frozen=True)
class BoundaryFiles:
    """The benchmark group's municipal boundaries."""

    files: tuple[str, ...]
    code_field: str
    name_field: str
    attribution: str = ""


@dataclass(frozen=True)
class Benchmark:
    group: str
    comparison_label: str = ""
    members: tuple[tuple[str, str], ...] = ()  # (NIS code, name), this city included
    context_indicators: tuple[str, ...] = ()
    geodata: BoundaryFiles | None = None

    @property
    def member_names(self) -> dict[str, str]:
        """NIS code → name (a fresh dict)."""
        return dict(self.members)


@dataclass(frozen=True)
class OpenData:
    licence: str = ""
    licence_url: str = ""
    publisher: str = ""

    def as_dict(self) -> dict[str, str]:
        """The non-empty fields (what the open-data metadata writes)."""
        return {k: v for k, v in (("licence", self.licence), ("licence_url", self.licence_url),
                                  ("publisher", self.publisher)) if v}


@dataclass(frozen=True)
class CityConfig:
    """The whole city configuration; paths are relative to the file's folder."""

    file: Path
    nis_code: str
    name: str
    vision: str
    catalog_dir: str
    centre: tuple[float, float]
    geodata: Geodata
    caption: str = ""
    areas_file: str | None = None
    illustrative_seed: int = 0
    district_generator: str | None = None
    home_map_indicator: str | None = None
    documents: tuple[Document, ...] = ()
    map_sections: tuple[MapSection, ...] = ()
    spotlights: tuple[Spotlight, ...] = ()
    district_goal_indicators: tuple[str, ...] = ()
    partnerships_file: str | None = None
    benchmark: Benchmark | None = None
    open_data: OpenData = field(default_factory=OpenData)

    def sections_of(self, spearhead_id: int) -> tuple[MapSection, ...]:
        """The configured map sections of one spearhead (empty: none configured)."""
        return tuple(s for s in self.map_sections if s.spearhead == spearhead_id)

    def section(self, key: str) -> MapSection | None:
        return next((s for s in self.map_sections if s.key == key), None)

    def spotlights_of(self, spearhead_id: int) -> tuple[Spotlight, ...]:
        return tuple(s for s in self.spotlights if s.spearhead == spearhead_id)

    def indicator_references(self) -> list[tuple[str, str]]:
        """(key, indicator id) of every indicator the configuration names, for a check
        against the catalog."""
        out: list[tuple[str, str]] = []
        if self.home_map_indicator:
            out.append(("home_map_indicator", self.home_map_indicator))
        out += [("district_goal_indicators", i) for i in self.district_goal_indicators]
        for s in self.map_sections:
            out += [(f"map_sections.{s.spearhead}.{s.key}.indicators", i) for i in s.indicators]
        for s in self.spotlights:
            out += [(f"spotlights.{s.spearhead}.{s.key}.indicators", i) for i in s.indicators]
        if self.benchmark is not None:
            out += [("benchmark.context_indicators", i)
                    for i in self.benchmark.context_indicators]
        return out


# ------------------------------------------------------------------------------ reading
_MISSING = object()


class _Reader:
    """Collects every problem while reading; values of wrong type read as None."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, key: str | None, reason: str) -> None:
        self.problems.append(Problem(self.file, None, key, reason))

    def table(self, raw: Any, key: str, known: tuple[str, ...],
              required: tuple[str, ...] = ()) -> dict:
        """A mapping with only ``known`` keys (each unknown one is a problem)."""
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.problem(key or None, t("verwacht een tabel (sleutel: waarde)"))
            return {}
        for k in raw:
            if str(k) not in known:
                self.problem(_join(key, k), t("onbekende sleutel (toegelaten: {known})",
                                              known=", ".join(known)))
        for k in required:
            if raw.get(k) is None:
                self.problem(_join(key, k), t("ontbreekt"))
        return {str(k): v for k, v in raw.items() if str(k) in known}

    def text(self, raw: Any, key: str, default: Any = "") -> Any:
        if raw is None:
            return default
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            self.problem(key, t("verwacht tekst"))
            return default
        return str(raw)

    def choice(self, raw: Any, key: str, allowed: tuple[str, ...], default: Any = None) -> Any:
        value = self.text(raw, key, None)
        if value is None:
            return default
        if value not in allowed:
            self.problem(key, t("onbekende waarde '{value}' (toegelaten: {known})",
                                value=value, known=", ".join(allowed)))
            return default
        return value

    def whole(self, raw: Any, key: str, default: int) -> int:
        if raw is None:
            return default
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.problem(key, t("verwacht een geheel getal"))
            return default
        return raw

    def texts(self, raw: Any, key: str) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(key, t("verwacht een lijst"))
            return ()
        values = [self.text(v, f"{key}[{i}]", None) for i, v in enumerate(raw)]
        return tuple(v for v in values if v is not None)

    def items(self, raw: Any, key: str) -> list:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(key, t("verwacht een lijst"))
            return []
        return raw

    def spearhead(self, raw: Any, key: str) -> int | None:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().isdigit():
            return int(raw)
        self.problem(_join(key, raw), t("verwacht een geheel getal"))
        return None


def _join(key: str, sub: Any) -> str:
    return f"{key}.{sub}" if key else str(sub)


TOP_KEYS = ("nis_code", "name", "vision", "caption", "catalog_dir", "areas_file", "centre",
            "illustrative_seed", "district_generator", "home_map_indicator", "documents",
            "geodata", "map_sections", "spotlights", "district_goal_indicators",
            "partnerships_file", "benchmark", "open_data")


def parse(raw: Any, file: Path | str) -> CityConfig:
    """The typed configuration of ``raw`` (the parsed YAML of ``file``); raises
    InputError with every problem found."""
    r = _Reader(str(file))
    top = r.table(raw, "", TOP_KEYS, required=("nis_code", "name", "vision", "catalog_dir",
                                               "centre", "geodata"))
    documents = tuple(d for d in (_document(r, d, f"documents[{i}]")
                                  for i, d in enumerate(r.items(top.get("documents"),
                                                                "documents"))) if d)
    _unique(r, "documents", [(f"documents[{i}].key", d.key) for i, d in enumerate(documents)])
    sections = _per_spearhead(r, top.get("map_sections"), "map_sections", _section)
    _unique(r, "map_sections", [(f"map_sections.{s.spearhead}.key", s.key) for s in sections])
    spotlights = _per_spearhead(r, top.get("spotlights"), "spotlights", _spotlight)
    doc_keys = tuple(d.key for d in documents)
    for s in spotlights:
        if s.document is not None and s.document not in doc_keys:
            r.problem(f"spotlights.{s.spearhead}.{s.key}.document",
                      t("onbekende waarde '{value}' (toegelaten: {known})", value=s.document,
                        known=", ".join(doc_keys)))
    benchmark = _benchmark(r, top.get("benchmark")) if top.get("benchmark") is not None else None
    od = r.table(top.get("open_data"), "open_data", ("licence", "licence_url", "publisher"))
    config = CityConfig(
        file=Path(file),
        nis_code=r.text(top.get("nis_code"), "nis_code"),
        name=r.text(top.get("name"), "name"),
        vision=r.text(top.get("vision"), "vision"),
        caption=r.text(top.get("caption"), "caption"),
        catalog_dir=r.text(top.get("catalog_dir"), "catalog_dir"),
        areas_file=r.text(top.get("areas_file"), "areas_file", None) or None,
        centre=_centre(r, top.get("centre")),
        illustrative_seed=r.whole(top.get("illustrative_seed"), "illustrative_seed", 0),
        district_generator=r.text(top.get("district_generator"), "district_generator",
                                  None) or None,
        home_map_indicator=r.text(top.get("home_map_indicator"), "home_map_indicator",
                                  None) or None,
        documents=documents,
        geodata=_geodata(r, top.get("geodata")),
        map_sections=sections,
        spotlights=spotlights,
        district_goal_indicators=r.texts(top.get("district_goal_indicators"),
                                         "district_goal_indicators"),
        partnerships_file=r.text(top.get("partnerships_file"), "partnerships_file",
                                 None) or None,
        benchmark=benchmark,
        open_data=OpenData(**{k: r.text(v, f"open_data.{k}") for k, v in od.items()}),
    )
    if r.problems:
        raise InputError(r.problems)
    return config


def _unique(r: _Reader, what: str, keyed: list[tuple[str, str]]) -> None:
    seen: set[str] = set()
    for key, value in keyed:
        if value in seen:
            r.problem(key, t("de sleutel '{key}' komt meer dan eens voor", key=value))
        seen.add(value)


def _centre(r: _Reader, raw: Any) -> tuple[float, float]:
    if raw is None:
        return (0.0, 0.0)
    if (not isinstance(raw, list) or len(raw) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)):
        r.problem("centre", t("verwacht twee getallen (breedte, lengte in WGS84)"))
        return (0.0, 0.0)
    return (float(raw[0]), float(raw[1]))


def _document(r: _Reader, raw: Any, key: str) -> Document | None:
    fields = ("key", "title", "subtitle", "publisher", "date", "description", "reference")
    d = r.table(raw, key, fields, required=("key", "title"))
    if not d:
        return None
    return Document(**{f: r.text(d.get(f), f"{key}.{f}") for f in fields})


def _per_spearhead(r: _Reader, raw: Any, key: str, one) -> tuple:
    """``{spearhead id: [entry, …]}`` read with ``one(reader, raw, key, spearhead)``."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        r.problem(key, t("verwacht een tabel (sleutel: waarde)"))
        return ()
    out = []
    for sp, entries in raw.items():
        spearhead = r.spearhead(sp, key)
        for i, entry in enumerate(r.items(entries, f"{key}.{sp}")):
            item = one(r, entry, f"{key}.{sp}[{i}]", spearhead)
            if item is not None and spearhead is not None:
                out.append(item)
    return tuple(out)


def _section(r: _Reader, raw: Any, key: str, spearhead: int | None) -> MapSection | None:
    d = r.table(raw, key, ("key", "title", "intro", "indicators", "scheme", "district_goal",
                           "layers"), required=("key", "title", "indicators"))
    if not d:
        return None
    lay = r.table(d.get("layers"), f"{key}.layers", (*SECTION_LAYER_KINDS, "size_field"))
    names = _layer_names()
    layers = SectionLayers(
        **{k: r.choice(lay.get(k), f"{key}.layers.{k}", names) for k in SECTION_LAYER_KINDS},
        size_field=r.text(lay.get("size_field"), f"{key}.layers.size_field", None))
    return MapSection(
        spearhead=spearhead or 0,
        key=r.text(d.get("key"), f"{key}.key"),
        title=r.text(d.get("title"), f"{key}.title"),
        intro=r.text(d.get("intro"), f"{key}.intro"),
        indicators=r.texts(d.get("indicators"), f"{key}.indicators"),
        scheme=r.choice(d.get("scheme"), f"{key}.scheme", _schemes(), "natural_breaks"),
        district_goal=r.choice(d.get("district_goal"), f"{key}.district_goal", DISTRICT_GOALS,
                               "all"),
        layers=layers)


def _spotlight(r: _Reader, raw: Any, key: str, spearhead: int | None) -> Spotlight | None:
    d = r.table(raw, key, ("key", "title", "intro", "document", "indicators"),
                required=("key", "title", "indicators"))
    if not d:
        return None
    return Spotlight(
        spearhead=spearhead or 0,
        key=r.text(d.get("key"), f"{key}.key"),
        title=r.text(d.get("title"), f"{key}.title"),
        intro=r.text(d.get("intro"), f"{key}.intro"),
        document=r.text(d.get("document"), f"{key}.document", None) or None,
        indicators=r.texts(d.get("indicators"), f"{key}.indicators"))


def _geodata(r: _Reader, raw: Any) -> Geodata:
    d = r.table(raw, "geodata", ("attribution", "layers", "sector_table", "download"),
                required=("layers",))
    levels = _levels()
    layers_raw = r.table(d.get("layers"), "geodata.layers", levels, required=("wijk",))
    layers = []
    for level in levels:  # finest first, as store.LEVELS
        if level not in layers_raw:
            continue
        key = f"geodata.layers.{level}"
        c = r.table(layers_raw[level], key, ("files", "code_field", "name_field", "filter"),
                    required=("files", "code_field", "name_field"))
        layers.append(GeoLayer(
            level=level, files=r.texts(c.get("files"), f"{key}.files"),
            code_field=r.text(c.get("code_field"), f"{key}.code_field"),
            name_field=r.text(c.get("name_field"), f"{key}.name_field"),
            filter=r.choice(c.get("filter"), f"{key}.filter", FILTERS)))
    configured = tuple(layer.level for layer in layers)
    download = r.table(d.get("download"), "geodata.download", configured)
    return Geodata(
        attribution=r.text(d.get("attribution"), "geodata.attribution"),
        layers=tuple(layers),
        sector_table=r.text(d.get("sector_table"), "geodata.sector_table", None) or None,
        download=tuple((lv, r.text(url, f"geodata.download.{lv}")) for lv, url in
                       download.items()))


def _benchmark(r: _Reader, raw: Any) -> Benchmark:
    d = r.table(raw, "benchmark", ("group", "comparison_label", "context_indicators",
                                   "members", "geodata"), required=("group",))
    members_raw = r.table(d.get("members"), "benchmark.members",
                          tuple(str(k) for k in (d.get("members") or {})
                                if isinstance(d.get("members"), dict)))
    members = tuple((code, r.text(name, f"benchmark.members.{code}"))
                    for code, name in members_raw.items())
    geo = None
    if d.get("geodata") is not None:
        g = r.table(d.get("geodata"), "benchmark.geodata",
                    ("files", "code_field", "name_field", "attribution"),
                    required=("files", "code_field", "name_field"))
        geo = BoundaryFiles(
            files=r.texts(g.get("files"), "benchmark.geodata.files"),
            code_field=r.text(g.get("code_field"), "benchmark.geodata.code_field"),
            name_field=r.text(g.get("name_field"), "benchmark.geodata.name_field"),
            attribution=r.text(g.get("attribution"), "benchmark.geodata.attribution"))
    return Benchmark(
        group=r.text(d.get("group"), "benchmark.group"),
        comparison_label=r.text(d.get("comparison_label"), "benchmark.comparison_label"),
        members=members,
        context_indicators=r.texts(d.get("context_indicators"),
                                   "benchmark.context_indicators"),
        geodata=geo)
