"""The page list for st.navigation, from the catalog's spearheads (Streamlit glue).

``page_specs`` is pure (testable): section → (file, title, url_path); ``pages`` turns it
into ``st.Page`` objects. In public mode the editor pages are not listed at all, so no URL
reaches them.
"""

from __future__ import annotations

import csv

import streamlit as st

from .settings import PROJECT_ROOT, Settings, load_settings

PAGES = PROJECT_ROOT / "pages"


def _spearhead_names(settings: Settings) -> dict[int, str]:
    with (settings.catalog_dir / "spearheads.csv").open(encoding="utf-8") as fh:
        return {int(r["id"]): r["name"] for r in csv.DictReader(fh)}


def page_specs(settings: Settings) -> dict[str, list[tuple[str, str, str | None]]]:
    names = _spearhead_names(settings)
    specs: dict[str, list[tuple[str, str, str | None]]] = {
        "Overzicht": [("home.py", "Overzicht", None)],
        "Speerpunten": [(f"speerpunt_{i}.py", f"{i}. {names.get(i, 'Speerpunt')}",
                         f"speerpunt-{i}") for i in sorted(names)],
        "Over dit bord": [("indicatoren.py", "Indicatoren en doelen", "indicatoren"),
                          ("bronnen.py", "Bronnen en gegevens", "bronnen")],
    }
    if not settings.public_mode:  # public mode: no write path exists at all
        specs["Beheer"] = [("beheer.py", "Gegevens laden", "beheer"),
                           ("geschiedenis.py", "Geschiedenis", "geschiedenis")]
    return specs


def pages() -> dict[str, list]:
    return {
        section: [st.Page(PAGES / file, title=title, url_path=url, default=url is None)
                  for file, title, url in entries]
        for section, entries in page_specs(load_settings()).items()
    }
