"""The page list for st.navigation, from the catalog's spearheads (Streamlit glue)."""

from __future__ import annotations

import csv
from pathlib import Path

import streamlit as st

from .settings import PROJECT_ROOT, load_settings

PAGES = PROJECT_ROOT / "pages"


def _spearhead_names() -> dict[int, str]:
    path: Path = load_settings().catalog_dir / "spearheads.csv"
    with path.open(encoding="utf-8") as fh:
        return {int(r["id"]): r["name"] for r in csv.DictReader(fh)}


def pages() -> dict[str, list]:
    names = _spearhead_names()
    return {
        "Overzicht": [
            st.Page(PAGES / "home.py", title="Overzicht", default=True),
        ],
        "Speerpunten": [
            st.Page(PAGES / f"speerpunt_{i}.py", title=f"{i}. {names.get(i, 'Speerpunt')}",
                    url_path=f"speerpunt-{i}")
            for i in range(1, 7)
        ],
        "Over dit bord": [
            st.Page(PAGES / "indicatoren.py", title="Indicatoren en doelen",
                    url_path="indicatoren"),
            st.Page(PAGES / "bronnen.py", title="Bronnen en gegevens",
                    url_path="bronnen"),
        ],
    }
