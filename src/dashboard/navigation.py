"""The page list for st.navigation, from the catalog's spearheads (Streamlit glue).

``page_specs`` is pure (testable): section → (file, title, url_path); ``pages`` turns it
into ``st.Page`` objects. In public mode the editor pages are not listed at all, so no URL
reaches them.
"""

from __future__ import annotations

import csv

import streamlit as st

from . import i18n
from .i18n import t
from .settings import PROJECT_ROOT, Settings, load_settings

PAGES = PROJECT_ROOT / "pages"
DEFAULT_PAGE = "home.py"


def _spearhead_names(settings: Settings) -> dict[int, str]:
    with (settings.catalog_dir / "spearheads.csv").open(encoding="utf-8") as fh:
        return {int(r["id"]): r["name"] for r in csv.DictReader(fh)}


def page_specs(settings: Settings) -> dict[str, list[tuple[str, str, str | None]]]:
    names = _spearhead_names(settings)
    specs: dict[str, list[tuple[str, str, str | None]]] = {
        # Every url_path differs from its file's name: AppTest also registers pages/ as
        # classic pages under the file name, and a shared name would run the page
        # without the router. The default page is served at "/" whatever its url_path.
        t("Overzicht"): [("home.py", t("Overzicht"), "overzicht")],
        t("Speerpunten"): [
            (f"speerpunt_{i}.py",
             f"{i}. {i18n.content('spearhead', i, 'name', names.get(i, t('Speerpunt')))}",
             f"speerpunt-{i}") for i in sorted(names)],
        t("Vergaderingen"): [("presentation.py", t("Presentatie"), "presentatie"),
                             ("changes.py", t("Wat is er veranderd?"), "wijzigingen")],
        t("Verder kijken"): [("sdg.py", t("Duurzame ontwikkelingsdoelen (SDG's)"),
                              "sdg-doelen")],
        t("Over dit bord"): [("indicators.py", t("Indicatoren en doelen"), "indicatoren"),
                             ("opendata.py", t("Open data"), "open-data"),
                             ("sources.py", t("Bronnen en gegevens"), "bronnen")],
    }
    benchmark = settings.city.benchmark
    if benchmark is not None and benchmark.members:  # only cities with a benchmark group
        group = i18n.content("benchmark", settings.nis_code, "group", benchmark.group)
        specs[t("Verder kijken")].insert(0, ("benchmark.py", t("Vergelijking: {group}",
                                                                group=group), "vergelijking"))
    if settings.city.partnerships_file:  # only cities that configure partnerships
        specs[t("Verder kijken")].append(("partnerships.py", t("Stedenbanden"),
                                          "stedenbanden"))
    if not settings.public_mode:  # public mode: no write path exists at all
        specs[t("Beheer")] = [("load.py", t("Gegevens laden"), "beheer"),
                              ("history.py", t("Geschiedenis"), "geschiedenis")]
    return specs


def pages() -> list:
    """One flat list: Streamlit's sectioned sidebar puts <li> items inside <div>s in the
    <ul> (axe: list/listitem, serious); the flat menu is a valid list inside <nav>."""
    return [st.Page(PAGES / file, title=title, url_path=url, default=file == DEFAULT_PAGE)
            for entries in page_specs(load_settings()).values()
            for file, title, url in entries]
