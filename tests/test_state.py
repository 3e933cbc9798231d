"""Deep-link parsing: valid values are taken, anything else falls back with a notice."""

import pytest

from dashboard.state import ViewState, parse

CHOICES = dict(indicators=["a", "b"], areas_by_level={"wijk": ["W1"], "sector": ["S1"],
                                                     "deelgemeente": ["D1"]},
               years=[2020, 2024], default_indicator="a")


def test_valid_parameters_round_trip():
    view = parse({"ind": "b", "niveau": "sector", "gebied": "S1", "jaar": "2020"}, **CHOICES)
    assert (view.indicator, view.level, view.area, view.year, view.notices) == (
        "b", "sector", "S1", 2020, [])
    assert parse(view.to_params(), **CHOICES) == view


def test_defaults_without_parameters():
    assert parse({}, **CHOICES) == ViewState(indicator="a")


def test_garbage_gives_defaults_and_one_notice_each():
    view = parse({"ind": "zz", "niveau": "<x>", "gebied": "S1", "jaar": "2099"}, **CHOICES)
    assert (view.indicator, view.level, view.area, view.year) == ("a", "wijk", None, None)
    assert len(view.notices) == 4  # the area is not a wijk, so it is refused too
    assert parse({"jaar": "twintig"}, **CHOICES).notices == [
        "Ongeldig jaar 'twintig' genegeerd; toon het laatste jaar."]


# ------------------------------------------------------- presentation and SDG links
SP = {1: ["a", "b"], 5: ["c", "d", "e"]}


@pytest.mark.parametrize("params, ids, spearhead, step, notices", [
    ({"sp": "5", "stap": "2"}, ["c", "d", "e"], 5, 2, 0),
    ({"sp": "5", "stap": "99"}, ["c", "d", "e"], 5, 3, 0),       # clamped to the last
    ({"sp": "5", "stap": "x"}, ["c", "d", "e"], 5, 1, 0),
    ({}, ["a", "b"], 1, 1, 0),
    ({"sp": "9"}, ["a", "b"], 1, 1, 1),                           # unknown: the first
    ({"ind": "d,nope,a"}, ["d", "a"], None, 1, 1),               # order kept, unknown said
    ({"ind": "nope"}, [], None, 1, 1),
])
def test_presentation_links(params, ids, spearhead, step, notices):
    from dashboard.state import parse_presentation

    shown = parse_presentation(params, spearheads=[1, 5], indicators_of=SP)
    assert (shown.indicators, shown.spearhead, shown.step, len(shown.notices)) == (
        ids, spearhead, step, notices)


def test_presentation_notice_quotes_the_url_value_as_text():
    from dashboard.state import parse_presentation

    shown = parse_presentation({"sp": "[x](https://evil.example)"}, spearheads=[1],
                               indicators_of=SP)
    assert "https://" not in shown.notices[0] and "\\[x\\]" in shown.notices[0]


@pytest.mark.parametrize("raw, expected", [("13", 13), ("18", 7), ("x", 7), (None, 7)])
def test_sdg_choice(raw, expected):
    from dashboard.state import parse_choice

    assert parse_choice({} if raw is None else {"sdg": raw}, "sdg", range(1, 18), 7) \
        == expected
