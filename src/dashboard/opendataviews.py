"""Open data downloads (Streamlit glue): the export of the view's moment, cached.

The export itself is :mod:`dashboard.opendata` (pure). Here: one :class:`opendata.Board`
per data version (``st.cache_resource``, never mutated) and the bytes of each file
(``st.cache_data``, bounded), both keyed on the view's data version without its language:
the files are the same in every language, and a pinned view (``stand``) has its own key.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from . import appstate, i18n, opendata
from .board import View
from .i18n import t

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
