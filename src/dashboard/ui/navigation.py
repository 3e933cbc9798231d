"""The page list for st.navigation, from the catalog's spearheads (Streamlit glue).

``page_specs`` is pure (testable): section → (key, title, url_path), the key a file in
``app_pages/`` or ``speerpunt_<n>`` for a spearhead page (a function, one per spearhead of
the catalog); ``pages`` turns it into ``st.Page`` objects. In public mode the editor pages
are not listed at all, so no URL reaches them. ``hidden_specs`` are pages reached by link
only (an action's page): registered with ``st.navigation`` but not shown in its menu.
"""

from __future__ import annotations

import csv

import streamlit as st

from .. import i18n
from ..i18n import t
from ..settings import PROJECT_ROOT, Settings, current_settings

PAGES = PROJECT_ROOT / "app_pages"
DEFAULT_PAGE = "home.py"
SPEARHEAD_KEY = "speerpunt_{n}"  # the page key of spearhead n (one page per spearhead)
# Pages reached by link only (not in the sidebar menu, not in page_specs' sections):
# one action of the note, /actie?id=a5.3.07.
HIDDEN = frozenset({"actie.py"})


def hidden_specs() -> list[tuple[str, str, str]]:
    """(key, title, url_path) of the pages reached by link only."""
    return [("actie.py", t("Actie"), "actie")]


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
            (SPEARHEAD_KEY.format(n=i),
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


def _spearhead_page(n: int):
    """The page function of spearhead ``n`` (the catalog's spearheads make the pages, so a
    city with seven spearheads gets seven)."""
    from . import spearhead

    def run() -> None:
        spearhead.spearhead_page(n)
    run.__name__ = SPEARHEAD_KEY.format(n=n)
    return run


def _page(key: str, title: str, url: str | None):
    if key.endswith(".py"):
        return st.Page(PAGES / key, title=title, url_path=url, default=key == DEFAULT_PAGE,
                       visibility="hidden" if key in HIDDEN else "visible")
    return st.Page(_spearhead_page(int(key.rsplit("_", 1)[1])), title=title, url_path=url)


def pages() -> list:
    """One flat list: Streamlit's sectioned sidebar puts <li> items inside <div>s in the
    <ul> (axe: list/listitem, serious); the flat menu is a valid list inside <nav>."""
    return [*(_page(key, title, url) for entries in page_specs(current_settings()).values()
              for key, title, url in entries),
            *(_page(key, title, url) for key, title, url in hidden_specs())]


def page(key: str):
    """The page object of one page key (``home.py``, ``speerpunt_5``, …) for
    ``st.page_link``; None when the configuration does not list it."""
    for entries in [*page_specs(current_settings()).values(), hidden_specs()]:
        for k, title, url in entries:
            if k == key:
                return _page(k, title, url)
    return None


def spearhead_link(n: int):
    return page(SPEARHEAD_KEY.format(n=n))
