"""Open data downloads (Streamlit glue): the export of the view's moment, cached.

The export itself is :mod:`dashboard.opendata` (pure). Here: one :class:`opendata.Board`
per data version (``st.cache_resource``, never mutated) and the bytes of each file
(``st.cache_data``, bounded), both keyed on the view's data version without its language:
the files are the same in every language, and a pinned view (``stand``) has its own key.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from .. import i18n, opendata
from . import appstate, widgets
from ..board import View
from ..i18n import t
from .widgets import link, md

# What the page offers: per indicator csv/parquet/geojson (+ metadata json); for the whole
# board also the zip bundle (+ datapackage.json as its metadata).
INDICATOR_FORMATS: tuple[str, ...] = ("csv", "parquet", "geojson")
BOARD_FORMATS: tuple[str, ...] = ("csv", "parquet", "geojson", "zip")


def export_key(version: View) -> tuple[str, View]:
    """The view without its language (files do not depend on it), with the geometry
    store's import time (the polygons are part of the export)."""
    return (str(appstate.app().manifest.get("imported_at")),
            replace(version, lang=i18n.DEFAULT))


@st.cache_resource(max_entries=4, show_spinner=False)
def board(key: tuple[str, View]) -> opendata.Board:
    """Everything the export needs, as it stood at the key's moment (read-only): the
    board layer's open-data assembly."""
    return appstate.board().open_data(key[1])


@st.cache_data(max_entries=32, show_spinner=False)
def file_bytes(key: tuple[str, View], indicator_id: str | None, fmt: str) -> bytes:
    """The bytes of one download: a data file, metadata (``json``) or the ZIP bundle."""
    b = board(key)
    if fmt == "zip":
        return opendata.zip_bytes(opendata.export_files(b))
    if fmt == "json":
        if indicator_id is None:
            return opendata.metadata_bytes(opendata.datapackage(b))
        return opendata.metadata_bytes(opendata.indicator_metadata(b, indicator_id))
    return {"csv": opendata.csv_bytes, "parquet": opendata.parquet_bytes,
            "geojson": opendata.geojson_bytes}[fmt](b, indicator_id)


def download(version: View, indicator_id: str | None, fmt: str) -> tuple[bytes, str, str]:
    """(bytes, file name, media type) of one download of the view."""
    key = export_key(version)
    return (file_bytes(key, indicator_id, fmt),
            opendata.file_name(fmt, indicator_id, board(key)), opendata.FORMATS[fmt][1])


def summary(version: View, indicator_id: str | None) -> dict:
    """Rows, illustrative rows, sources and areas with geometry of one choice."""
    b = board(export_key(version))
    recs = opendata.records(b, indicator_id)
    with_geometry = sum(1 for r in recs if r[1] in b.geometry)
    return {"rows": len(recs), "illustrative": sum(1 for r in recs if r[7]),
            "sources": sorted({r[8] for r in recs}),
            "features": with_geometry if indicator_id is not None else len(b.areas),
            "as_of": b.as_of}


def licence() -> dict:
    """The configured open data licence (``open_data`` in the city configuration) and the
    geometry's attribution."""
    city = appstate.app().settings.city
    od = city.open_data.as_dict()
    od["attribution"] = " ".join(city.geodata.attribution.split())
    return od


def fields() -> list[dict]:
    """The tidy table's fields (name, type, description in the page's language)."""
    return [{"name": f["name"], "type": f["type"], "description": t(f["description"])}
            for f in opendata.table_schema()["fields"]]


def page() -> None:
    """Open data: the board's figures as CSV, Parquet and GeoJSON with metadata (thin page)."""
    version = appstate.data_version()
    pinned = appstate.as_of()
    names = dict(zip(*(appstate.indicators(version)[c] for c in ("id", "name"))))
    WHOLE = ""  # the selectbox option for the whole board

    st.title(t("Open data"))
    st.write(t("Alle cijfers van dit bord zijn open data: per indicator of voor het hele bord, "
               "als tabel (CSV of Parquet) of als kaartlaag (GeoJSON), telkens met een "
               "metadatabestand (JSON) met eenheid, bron en licentie."))
    if pinned:
        st.info(t("Vastgepinde stand: je downloadt de cijfers zoals ze op {moment} op het bord "
                  "stonden.", moment=i18n.fmt_date(pinned)))

    choice = st.selectbox(
        t("Gegevens"), [WHOLE, *names], key="od_scope",
        format_func=lambda i: t("Het hele bord (alle indicatoren)") if i == WHOLE
        else f"{names[i]} ({i})",
        placeholder=widgets.choose())
    indicator_id = choice or None
    labels = {"csv": t("CSV (tabel)"), "parquet": t("Parquet (tabel)"),
              "geojson": t("GeoJSON (kaartlaag)"), "zip": t("ZIP (alles, met metadata)")}
    formats = BOARD_FORMATS if indicator_id is None \
        else INDICATOR_FORMATS
    fmt = st.radio(t("Formaat"), formats, format_func=labels.get, horizontal=True,
                   key="od_format_board" if indicator_id is None else "od_format_indicator")

    info = summary(version, indicator_id)
    if indicator_id is None:
        st.caption(t("{rows} rijen (indicator, gebied, jaar), waarvan {illustrative} "
                     "illustratief; de GeoJSON heeft één feature per gebied ({features}) met "
                     "zijn cijfers.", rows=info["rows"], illustrative=info["illustrative"],
                     features=info["features"]))
    else:
        st.caption(t("{rows} rijen, waarvan {illustrative} illustratief; de GeoJSON heeft één "
                     "feature per rij van een gebied met geometrie ({features}).",
                     rows=info["rows"], illustrative=info["illustrative"],
                     features=info["features"]))

    data, name, mime = download(version, indicator_id, fmt)
    meta, meta_name, meta_mime = download(version, indicator_id, "json")
    c1, c2 = st.columns(2)
    with c1:
        st.download_button(t("Download {file} ({size} kB)", file=md(name),
                             size=i18n.fmt_number(len(data) / 1024, 0)),
                           data, file_name=name, mime=mime, key="od_data", type="primary",
                           on_click="ignore")
    with c2:
        st.download_button(t("Metadata: {file}", file=md(meta_name)), meta, file_name=meta_name,
                           mime=meta_mime, key="od_meta", on_click="ignore",
                           help=t("Machineleesbare beschrijving (Frictionless Data): velden en "
                                  "types, eenheid, bron, doelen, licentie, attributie en de "
                                  "stand van de cijfers."))

    st.header(t("Licentie en bronnen"))
    lic = licence()
    if lic.get("licence"):
        # The configured licence link is the one link on this page; its text and address are
        # escaped (a parenthesis or bracket in them cannot open another link).
        text = t("Je mag de cijfers vrij hergebruiken onder de {licence}.",
                 licence=link(lic["licence"], lic.get("licence_url")))
        if lic.get("publisher"):
            text += " " + t("Vermeld als bron: {publisher}.", publisher=md(lic["publisher"]))
        st.markdown(text)
    else:
        st.warning(t("Voor deze stad is (nog) geen licentie voor de open data ingesteld "
                     "(open_data in de stadsconfiguratie)."))
    if info["sources"]:
        st.markdown(t("Bronnen van deze cijfers:") + "\n"
                    + "\n".join(f"- {md(s)}" for s in info["sources"]))
    if lic.get("attribution"):
        st.caption(t("Geometrie: {attribution}. Polygonen in WGS84; gebieden met een "
                     "benaderde vorm hebben geometry_quality = approximate.",
                     attribution=md(lic["attribution"])))
    st.info(t("Kolom illustrative: true betekent een illustratief cijfer. Waar (nog) geen "
              "gepubliceerde reeksen bestaan (per wijk of sector, per gemeente van de "
              "vergelijkingsgroep) worden cijfers gegenereerd en afgestemd op de gepubliceerde "
              "cijfers, om kaarten en vergelijkingen te kunnen tonen. Het zijn geen officiële "
              "cijfers."))

    with st.expander(t("Velden van de tabel")):
        st.dataframe([{t("Veld"): f["name"], t("Type"): f["type"],
                       t("Betekenis"): f["description"]} for f in fields()],
                     hide_index=True, width="stretch")
    st.caption(t("Alles in één keer, ook voor een vastgepinde stand: `python -m dashboard export "
                 "--out MAP [--indicator ID] [--stand JJJJ-MM-DD]`"))
