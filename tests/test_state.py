"""Deep-link parsing: valid values are taken, anything else falls back with a notice."""

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
