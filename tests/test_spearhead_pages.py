"""Spearhead pages through AppTest: every page, widgets, deep links, garbage parameters,
and figures from the note visible on screen."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.settings import PROJECT_ROOT

from .conftest import make_env, run_app

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture
def env(built_copy, clean_env, monkeypatch):
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)


def open_page(n: int, params: dict[str, str] | None = None) -> AppTest:
    return run_app(f"speerpunt-{n}", params)


def all_text(at: AppTest) -> str:
    """The page's text as read (Markdown escapes such as ``77\\.746`` read as ``77.746``)."""
    parts = [e.value for e in at.title]
    parts += [re.sub(r"\\(.)", r"\1", e.value) for e in at.markdown]
    parts += [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [str(m.label) + " " + str(m.value) for m in at.metric]
    for df in at.dataframe:
        parts += [str(v) for v in df.value.astype(str).to_numpy().ravel()]
    return "\n".join(parts)


def widget(at: AppTest, kind: str, key: str):
    return next(w for w in getattr(at, kind) if w.key == key)


def open_box(at: AppTest, key: str) -> AppTest:
    """Open a box whose content is built on request (``widgets.on_request``), as a click
    on its header does."""
    at.session_state[key] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_part(at: AppTest, n: int, label: str) -> AppTest:
    """Show another part of a spearhead page (its tabs), as a click on the tab does."""
    at.session_state[f"sp{n}_part"] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def choose_area(at: AppTest, page_key: str, code: str) -> None:
    """Choose an area from the list (mounted on request) of the area profile."""
    if not [w for w in at.selectbox if w.key == f"{page_key}_area"]:
        open_box(at, f"{page_key}_area_list")
    widget(at, "selectbox", f"{page_key}_area").set_value(code).run()


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_every_spearhead_page_runs(env, n):
    at = open_page(n)
    assert at.title[0].value.startswith(f"Speerpunt {n}:")
    assert len(glance(at).splitlines()) > 2  # at a glance: a plain table with rows
    table = full_table(at, n)
    assert len(table) > 0
    assert "Status" in table.columns and "Bron" in table.columns


def glance(at: AppTest) -> str:
    """The indicator table at a glance (Markdown) of a spearhead page (its part shown)."""
    if not [m for m in at.markdown if m.value.startswith("| Indicator |")]:
        open_part(at, int(at.title[0].value.split()[1].rstrip(":")), "Alle indicatoren")
    return next(m.value for m in at.markdown if m.value.startswith("| Indicator |"))


def full_table(at: AppTest, n: int):
    """Every column of the indicator table (shown on request)."""
    glance(at)
    open_box(at, f"sp{n}_all_columns")
    return next(d.value for d in at.dataframe if "Bron" in d.value.columns)


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_city_only_spearheads_say_so(env, n):
    at = open_page(n)
    assert any("alleen gekend voor de hele stad" in i.value for i in at.info)


def test_widgets_switch_level_year_indicator_and_district(env):
    at = open_page(5)
    widget(at, "radio", "sp5_level").set_value("sector").run()
    widget(at, "radio", "sp5_year").set_value(2020).run()
    assert [c.value for c in at.caption if c.value.startswith("Samenvatting:")] and \
        not [w for w in at.radio if w.key == "sp5_laadpunten_ind"]  # one map at a time
    widget(at, "radio", "sp5_section").set_value("laadpunten").run()
    assert _qp(at, "kaart") == "laadpunten"
    widget(at, "radio", "sp5_laadpunten_ind").set_value("laadpunten").run()
    choose_area(at, "sp5", "34022A051")
    assert not at.exception
    text = all_text(at)
    assert "**Gentse Poort** (sector)" in text
    assert "in 2020, 113 gebieden" in text  # the map summaries follow level and year
    assert at.query_params["niveau"] == ["sector"] or at.query_params["niveau"] == "sector"
    open_part(at, 5, "Alle indicatoren")
    assert _qp(at, "deel") == "indicatoren"  # the part shown is part of the link
    open_box(at, "sp5_detail")
    assert _qp(at, "grafiek") == "1"  # an open chart is part of the link
    widget(at, "selectbox", "sp5_ind").set_value("co2_reductie").run()
    assert "CO₂" in all_text(at) or "CO2" in all_text(at)


def _qp(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value


def test_deep_link_reproduces_the_view(env):
    params = {"ind": "laadpunten_per_100_inw", "niveau": "sector", "gebied": "34022A051",
              "jaar": "2020"}
    at = open_page(5, params)
    assert widget(at, "radio", "sp5_level").value == "sector"
    assert widget(at, "radio", "sp5_year").value == 2020
    assert widget(at, "selectbox", "sp5_area").value == "34022A051"
    assert at.session_state["sp5_ind"] == "laadpunten_per_100_inw"
    # the map shown is the linked indicator's section, and the link says so
    assert widget(at, "radio", "sp5_section").value == "laadpunten"
    assert _qp(at, "kaart") == "laadpunten"
    assert len([c for c in at.caption if c.value.startswith("Samenvatting:")]) == 1
    assert "**Gentse Poort** (sector)" in all_text(at)
    assert not at.info or not any("genegeerd" in i.value for i in at.info)
    for key, value in params.items():
        assert _qp(at, key) == value
    # A link to a chart opens the indicators part with that indicator's chart.
    at = open_page(5, {"ind": "laadpunten_per_100_inw", "grafiek": "1"})
    assert widget(at, "selectbox", "sp5_ind").value == "laadpunten_per_100_inw"
    assert at.get("plotly_chart") and _qp(at, "deel") == "indicatoren"
    # ... and the maps' choices are kept while another part is shown.
    at = open_page(5, {"niveau": "sector", "jaar": "2020"})
    open_part(at, 5, "Acties")
    assert not at.get("iframe") and _qp(at, "niveau") == "sector"
    open_part(at, 5, "Kaarten per gebied")
    assert widget(at, "radio", "sp5_level").value == "sector"
    assert widget(at, "radio", "sp5_year").value == 2020


def test_garbage_parameters_fall_back_with_a_notice(env):
    at = open_page(5, {"ind": "<script>", "niveau": "planeet", "gebied": "x'; DROP",
                       "jaar": "abc", "kaart": "<b>x"})
    notices = " ".join(i.value for i in at.info)
    for word in ("Onbekende indicator", "Onbekend niveau", "Onbekend gebied", "Ongeldig jaar",
                 "Onbekende kaart"):
        assert word in notices
    assert widget(at, "radio", "sp5_level").value == "wijk"
    assert widget(at, "radio", "sp5_year").value == 2024
    assert not [w for w in at.selectbox if w.key == "sp5_area"]  # no area: list on request
    assert at.session_state["sp5_area"] is None


# Ten figures of the Inspiratienota as they must appear on the pages (Dutch format).
NOTE_FIGURES = [
    (1, "57,9"),      # kinderopvang per 100 kinderen (1.1)
    (2, "9,2"),       # sociale woningen per 100 huishoudens (2.1)
    (2, "11,1"),      # target social housing
    (3, "48"),        # social cohesion 48 % (3.1)
    (3, "104,7"),     # crime in centrumsteden per 1,000 (3.6)
    (5, "6,17"),      # CO2 reduction realised by 2021 (intro 4)
    (5, "660"),       # charging points early 2024 (5.4)
    (5, "+666"),      # 666 more charging-point equivalents by 2030 (cumulative goal)
    (5, "56.211"),    # m² still to unseal by 2030 (5.7)
    (5, "77.746"),    # extra trees 2025-2030 (5.6)
    (5, "38"),        # GWh industrial waste heat (5.3)
    (5, "565"),       # cars per 1,000 inhabitants (5.4)
]


@pytest.mark.parametrize(("n", "figure"), NOTE_FIGURES)
def test_figures_from_the_note_are_on_the_pages(env, n, figure):
    """On the page, with every column of the indicator table open."""
    at = open_page(n)
    text = all_text(at)  # the first part (the maps, where there are maps)
    full_table(at, n)
    open_box(at, f"sp{n}_detail")  # the first indicator's judgement, on request
    assert figure in text + all_text(at)


def test_all_charts_toggle_shows_a_chart_per_indicator(env):
    at = open_page(2)
    table = glance(at)
    open_box(at, "sp2_detail")
    before = len(at.get("plotly_chart"))
    widget(at, "toggle", "sp2_all_charts").set_value(True).run()
    assert not at.exception
    n_indicators = len(table.splitlines()) - 2  # the header and its rule
    assert len(at.get("plotly_chart")) == before + n_indicators


def test_plan_samenleven_figures_on_spearhead_3_with_source(env):
    """Issue 6: the Plan Samenleven figures (seed 002) as spearhead-3 indicators, grouped
    under their own heading with year and source."""
    at = open_page(3)
    assert "Plan Samenleven" in [h.value for h in at.header]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Unieke inwoners (Plan Samenleven)"] == "77.292"
    assert metrics["Inwoners met een beperking"] == "5.556"
    assert metrics["Inwoners met migratieachtergrond"] == "20 %"
    assert metrics["Herkomstlanden (migratieachtergrond)"] == "133"
    assert metrics["Positieve houding tegenover andere culturen"] == "26 %"
    captions = [c.value for c in at.caption]
    assert "aantal personen · 2020" in captions and "2018" in captions
    assert any(c.startswith("Bron: Plan Samenleven Kortrijk") for c in captions)
    table = full_table(at, 3)
    assert {"Unieke inwoners (Plan Samenleven)", "Herkomstlanden (migratieachtergrond)"} <= set(
        table.iloc[:, 0])
    assert "| Unieke inwoners (Plan Samenleven) |" in glance(at)


# Element types whose script bundle a first visit must not fetch (issue 15, point 1).
HEAVY = ("selectbox", "multiselect", "slider", "select_slider", "toggle", "metric",
         "dataframe", "plotly_chart", "date_input", "download_button")


def test_a_first_visit_mounts_the_maps_part_and_nothing_heavy(env):
    """/speerpunt-5 opens on its maps part (one map): no action list, no indicator table,
    and none of the widgets that are their own bundle in the browser; the other parts and
    boxes are built when opened."""
    at = open_page(5)
    kinds = {getattr(n, "type", "") for n in at._tree}
    assert not kinds & set(HEAVY), kinds & set(HEAVY)
    assert len(at.get("iframe") or [n for n in at._tree
                                     if getattr(n, "type", "") == "component_instance"]) == 1
    assert not [m for m in at.markdown if m.value.startswith(("| Indicator |", "| Actie |"))]
    assert [t.label for t in at.tabs] == ["Kaarten per gebied", "Alle indicatoren", "Acties"]
    open_part(at, 5, "Acties")
    assert [m for m in at.markdown if m.value.startswith("| Actie |")]
    assert not [n for n in at._tree if getattr(n, "type", "") == "component_instance"]


def test_a_garbage_part_falls_back_to_the_maps_with_a_notice(env):
    at = open_page(5, {"deel": "<b>x"})
    assert any("Onbekend deel" in i.value for i in at.info)
    assert _qp(at, "niveau") == "wijk" and "deel" not in at.query_params


def _map_args(at: AppTest) -> str:
    """The arguments the page sends to its one map component (Leaflet script, HTML)."""
    (node,) = [n for n in at._tree if getattr(n, "type", "") == "component_instance"]
    return node.proto.json_args


def test_the_background_map_is_chosen_in_the_maps_own_box(env):
    """The background map is chosen with the map's figures (built on request, not a
    sidebar control on every visit); the choice redraws the map with those tiles and holds
    for the session, also for another map section whose box is closed."""
    at = open_page(5)
    assert [r.key for r in at.sidebar.radio] == ["_lang_widget"]
    assert not [r for r in at.radio if r.key == "basemap"]
    assert "tile.openstreetmap.org" not in _map_args(at)  # offline default: no tiles
    first = at.session_state["sp5_section"]
    open_box(at, f"sp5_{first}_table")
    radio = widget(at, "radio", "basemap")
    assert radio.value == "none" and "OpenStreetMap" in radio.options
    radio.set_value("osm").run()
    assert not at.exception
    assert "tile.openstreetmap.org" in _map_args(at)
    other = next(o for o in widget(at, "radio", "sp5_section").options if o != first)
    widget(at, "radio", "sp5_section").set_value(other).run()
    assert "tile.openstreetmap.org" in _map_args(at)
