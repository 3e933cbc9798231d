"""The board layer: one assembly behind every output (issue 13).

"Same map everywhere": for the heat-network and the charging-points sections, the map the
spearhead-5 page sends to the browser, the presentation's map, the PDF report's map and
the open-data GeoJSON show the same values, the same classes (fill colours) and the goal
on the same areas. Before the board layer the presentation and the PDF classified with
natural breaks where the page used quantiles, and drew the heat-network goal on every
wijk where the page draws it on the five zones only: this test fails on that code.
"""

from __future__ import annotations

import json
import re

import pytest

from dashboard import maps, opendata, report
from dashboard.board import Board, MapData, View
from dashboard.store import Store
from tests.conftest import component_args, make_env, run_app

SECTIONS = {"warmtenet": "warmtenet_aandeel_gebouwen", "laadpunten": "laadpunten_per_100_inw"}
# The properties of one feature of a drawn map, wherever the map is (a map page, or a
# component argument where the quotes are escaped); the key order is folium's.
Q = r'\\*"'
PROPERTIES = re.compile(Q + r"properties" + Q + r"\s*:\s*\{(.*?)\}")


def _field(props: str, name: str) -> str | None:
    found = re.search(Q + name + Q + r"\s*:\s*" + Q + r"(.*?)" + Q + r"\s*(?:,|$)", props)
    return found.group(1) if found else None


def drawn(html: str) -> dict[str, tuple[str, bool]]:
    """Area code → (fill colour, whether its tooltip names a goal) of a drawn map."""
    out = {}
    for props in PROPERTIES.findall(html):
        if _field(props, "kind") == "area":
            out[_field(props, "code")] = (_field(props, "fill").lower(),
                                          "Doel 20" in (_field(props, "tooltip") or ""))
    assert out, "no area features found in the map"
    return out


def expected(data: MapData, codes: list[str]) -> dict[str, tuple[str, bool]]:
    goal = set(data.goal_areas)
    return {c: (maps.class_colour(data.values.get(c), list(data.bins)).lower(), c in goal)
            for c in codes}


@pytest.fixture(scope="module")
def board(built_official):
    with Store(built_official.db_path, read_only=True) as store:
        yield Board(store, built_official)


def _page_data(board: Board, view: View, section_key: str, indicator_id: str) -> MapData:
    """What the spearhead-5 page's map is built from at its defaults (wijk, latest year)."""
    section = next(s for s in board.sections(view, 5) if s.key == section_key)
    return board.section_map(view, section, indicator_id, "wijk", board.years(view, 5)[-1])


@pytest.mark.parametrize("section_key", sorted(SECTIONS))
def test_the_data_behind_every_map_is_one_object(board, section_key):
    view = board.view()
    indicator_id = SECTIONS[section_key]
    page = _page_data(board, view, section_key, indicator_id)
    elsewhere = board.indicator_map(view, indicator_id)
    assert page == elsewhere
    assert page.values and page.bins and page.goal is not None
    if section_key == "warmtenet":  # the goal holds in the five zones' wijken only
        assert 0 < len(page.goal_areas) < len(board.geometry("wijk"))
        assert page.scheme == "natural_breaks" and page.outline_codes and page.lines
    else:
        assert set(page.goal_areas) == set(board.geometry("wijk")["code"])
        assert page.scheme == "quantiles" and page.points


@pytest.mark.parametrize("section_key", sorted(SECTIONS))
def test_page_presentation_pdf_and_open_data_draw_the_same_map(
        board, built_copy, clean_env, monkeypatch, section_key):
    view = board.view()
    indicator_id = SECTIONS[section_key]
    data = _page_data(board, view, section_key, indicator_id)
    codes = list(board.geometry("wijk")["code"])
    want = expected(data, codes)
    assert len({fill for fill, _ in want.values()}) >= 3, "a map with classes to compare"

    # PDF: the report's map page of this indicator.
    rep = report.collect(board, view, [5])
    pdf_html = next(s.map_html for s in rep.sections if s.indicator["id"] == indicator_id)
    assert drawn(pdf_html) == want

    # Open data: the indicator's GeoJSON describes the same classes and goal.
    geo = json.loads(opendata.geojson_bytes(board.open_data(view), indicator_id))
    member = geo["board_map"]
    assert (member["section"], member["level"], member["period"], member["scheme"]) == (
        section_key, "wijk", data.year, data.scheme)
    assert member["class_breaks"] == list(data.bins)
    shown = [f["properties"] for f in geo["features"]
             if f["properties"]["map_goal"] is not None]  # the features on the map
    assert {p["area_code"]: p["value"] for p in shown} == data.values
    palette = maps.PALETTE[-len(data.bins):]

    def fill(p: dict) -> str:  # map_class None on the map: zero, drawn as absence
        return maps.ZERO if p["map_class"] is None else palette[p["map_class"]]
    assert {p["area_code"]: (fill(p).lower(), p["map_goal"]) for p in shown} \
        == {c: want[c] for c in data.values}

    # Screen: the page and the presentation, run as the app (AppTest), as sent to the
    # browser.
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    name = data.title
    at = run_app("speerpunt-5", {"ind": indicator_id})
    on_page = [h for h in component_args(at) if json.dumps(name)[1:-1] in h and
               PROPERTIES.search(h)]
    assert len(on_page) == 1, f"one map of {name} on the page"
    assert drawn(on_page[0]) == want
    at = run_app("app_pages/presentation.py", {"presentatie": "1", "ind": indicator_id})
    presented = [h for h in component_args(at) if PROPERTIES.search(h)]
    assert len(presented) == 1
    assert drawn(presented[0]) == want


def test_a_view_is_a_value(board):
    """The view replaces the "…@stand#lang" string: hashable, comparable, pinned and
    translated without parsing."""
    import datetime as dt

    v = board.view()
    moment = dt.datetime(2025, 1, 1, 12, 0)
    assert v.at(moment).as_of == moment and v.at(moment).data == v.data
    assert v.at(moment).as_of_utc == dt.datetime(2025, 1, 1, 11, 0)  # CET
    assert v.in_language("fr") != v and hash(v.in_language("fr").in_language("nl")) == hash(v)
    assert v.at(moment).today() == dt.date(2025, 1, 1)
