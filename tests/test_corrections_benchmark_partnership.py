"""Audit corrections (issue 12, point 3), each checked against the seed text.

1. Benchmark: the Inspiratienota gives 458 cars per 1,000 inhabitants as the average of the
   *other* centrumsteden ("het gemiddelde van 458 personenwagens per 1000 inwoners in
   andere centrumsteden"), so the illustrative peers average 458 without the city; where
   the note gives the average of the centrumsteden (all of them), the mean of all members
   with the city's real figure stays the published average.
2. Partnership: the press release gives "maandag 13 november" without a year; the file
   stores those words and the year as *inferred*, with the reasoning, and the page shows
   "jaartal afgeleid".
"""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
import yaml

from dashboard import benchmark, geodata, i18n
from dashboard import partnerships as pt
from dashboard.errors import InputError
from dashboard.illustrative import benchmark_values
from dashboard.settings import load_settings
from dashboard.store import Store

from .conftest import SEEDS, make_env, run_app

NOTE = SEEDS / "001_4847dc664a39ce3b.txt"
PRESS = SEEDS / "000_10eec408256bec7e.txt"
CARS = "personenwagens_per_1000"


def _seed(path) -> str:
    return " ".join(path.read_text(encoding="utf-8").split())


# ------------------------------------------------------------------ 1. benchmark peers
@pytest.fixture(scope="module")
def stored(built_official):
    with Store(built_official.db_path, read_only=True) as s:
        return s.indicators(), s.city_measurements(), s.peer_measurements()


def test_the_note_gives_458_as_the_average_of_the_other_centrumsteden():
    text = _seed(NOTE)
    assert ("565 personenwagens per 1000 inwoners. Dat ligt een stuk hoger dan het "
            "gemiddelde van 458 personenwagens per 1000 inwoners in andere centrumsteden"
            in text)
    # The other eight averages are "in de centrumsteden" / "de gemiddelde centrumstad" /
    # "het gemiddelde van de Vlaamse centrumsteden": all members, the city included.
    for quote in ("In de centrumsteden ligt dat gemiddelde op 41%",
                  "(tegenover 68% in de centrumsteden)",
                  "gemiddeld cijfer van 80% in de centrumsteden",
                  "(t.o.v. 54% in de centrumsteden)", "(t.o.v. 66% in centrumsteden)",
                  "(in de centrumsteden zijn dit er 104,7 per 1000 inwoners)",
                  "de gemiddelde centrumstad telt er 9",
                  "het gemiddelde van de Vlaamse centrumsteden op 40% ligt"):
        assert quote in text, quote


def test_only_the_car_average_excludes_the_city(stored):
    indicators = stored[0]
    compared = indicators[indicators["comparison_value"].notna()]
    excluding = {r.id for r in compared.itertuples()
                 if benchmark.average_excludes_city(r.comparison_label, r.definition)}
    assert excluding == {CARS}
    # The rule reads the label first: a label that says "andere" decides on its own.
    assert benchmark.average_excludes_city("Gemiddelde andere centrumsteden", None)
    assert benchmark.average_excludes_city("Average of the other centre cities", "")
    assert not benchmark.average_excludes_city("Gemiddelde centrumsteden",
                                               "48% tegenover 41% in de centrumsteden.")


def test_peers_average_458_without_the_city(stored, built_official):
    """Fails on the generator before the correction: it made the mean of all 13 (565
    included) 458, so the 12 others averaged 449.1."""
    indicators, city, peers = stored
    members = geodata.benchmark_members(built_official)
    cars = peers[peers["indicator_id"] == CARS]
    assert set(cars["area_code"]) == set(members) - {built_official.nis_code}
    assert len(cars) == 12 and cars["illustrative"].all()
    average = indicators.set_index("id").loc[CARS, "comparison_value"]
    assert average == 458
    assert i18n.fmt_number(cars["value"].mean()) == "458"  # as displayed
    assert round(cars["value"].sum(), 6) == pytest.approx(458 * 12)  # exactly, in tenths
    own = city.loc[city["indicator_id"] == CARS].sort_values("period")["value"].iloc[-1]
    assert own == 565 and (own + cars["value"].sum()) / 13 > 466  # the city is not in it


def test_averages_of_all_members_keep_the_city(stored, built_official):
    indicators, city, peers = stored
    for ind in indicators[indicators["comparison_value"].notna()].itertuples():
        if ind.id == CARS:
            continue
        values = peers[peers["indicator_id"] == ind.id]["value"]
        mine = city.loc[city["indicator_id"] == ind.id].sort_values("period")["value"]
        if mine.empty:  # no city figure: nothing to compare, no peer values made
            assert values.empty, ind.id
            continue
        own = mine.iloc[-1]
        assert len(values) == 12, ind.id
        assert (own + values.sum()) / 13 == pytest.approx(ind.comparison_value, abs=0.005), \
            ind.id


def test_generator_is_deterministic_and_within_range():
    import pandas as pd

    indicators = pd.DataFrame({
        "id": ["a", "b"], "comparison_value": [458.0, 41.0],
        "comparison_label": ["Gemiddelde andere steden", "Gemiddelde steden"],
        "definition": ["", ""], "plausible_min": [0.0, 37.0], "plausible_max": [2000.0, 100.0]})
    city = pd.DataFrame({"indicator_id": ["a", "b"], "period": [2024, 2024],
                         "value": [565.0, 48.0]})
    members = {c: c for c in ("1", "2", "3", "4", "5")}
    one = benchmark_values(indicators, city, members, "1", seed=7)
    assert one.equals(benchmark_values(indicators, city, members, "1", seed=7))
    a, b = (one[one["indicator_id"] == i]["value"] for i in ("a", "b"))
    assert round(a.sum(), 6) == pytest.approx(458 * 4)        # others only
    assert round(48 + b.sum(), 6) == pytest.approx(41 * 5)    # all members
    assert (b >= 37).all() and (b == 37).any()  # clipped to the range, the sum exact
    assert all(round(v * 10) == pytest.approx(v * 10) for v in one["value"])


# ------------------------------------------------------------ 2. partnership date/year
@pytest.fixture(scope="module")
def path():
    return pt.configured_path(load_settings({}))


@pytest.fixture(scope="module")
def raw(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_press_release_states_no_year():
    text = _seed(PRESS)
    assert "tekende op maandag 13 november in het historisch stadhuis" in text
    assert "Nog tot donderdag 16 november" in text
    assert not re.search(r"\b(19|20)\d\d\b", text.replace("In 2010 werd", "")), \
        "the archived press release names no year other than 2010"


def test_yaml_stores_the_stated_words_and_marks_the_year_inferred(raw, path):
    text = _seed(PRESS)
    chef = next(p for p in raw["partnerships"] if p["id"] == "chefchaouen")
    facts = {f["id"]: f for f in chef["facts"]}
    for fact_id, stated, value in (("signed", "maandag 13 november", dt.date(2023, 11, 13)),
                                   ("delegation", "donderdag 16 november",
                                    dt.date(2023, 11, 16))):
        date = facts[fact_id]["date"]
        assert date["stated"] == stated and stated in text, fact_id
        assert date["value"] == value, fact_id
        assert date["inferred"]["part"] == "year", fact_id
        reasoning = date["inferred"]["reasoning"]
        assert {"nl", "en", "fr"} <= set(reasoning), fact_id
    why = " ".join(facts["signed"]["date"]["inferred"]["reasoning"]["nl"].split())
    # The reasoning lists the years in which 13 November is a Monday, and why 2023.
    fitting = [y for y in range(2000, 2041) if dt.date(y, 11, 13).weekday() == 0]
    assert fitting == [2000, 2006, 2017, 2023, 2028, 2034]
    assert all(str(y) in why for y in fitting) and "2010" in why
    # The document no longer presents the year as part of the press release's title.
    press = raw["documents"]["persbericht_chefchaouen"]
    assert "2023" not in press["title"]["nl"]
    # The loaded fact carries the stated words and the marker.
    signed = pt.load(path).current[0].fact("signed")
    assert signed.stated == "maandag 13 november" and signed.inferred is not None
    assert signed.inferred.part == "year" and signed.date == dt.date(2023, 11, 13)
    assert pt.fact_date(signed) == "13 november 2023, jaartal afgeleid"
    with i18n.language("en"):
        assert pt.fact_date(signed) == "13 November 2023, year inferred"
    with i18n.language("fr"):
        assert pt.fact_date(signed) == "13 novembre 2023, année déduite"


@pytest.mark.parametrize("breakage, reason", [
    (lambda d: d.pop("inferred"), "jaartal"),                   # year not stated, unmarked
    (lambda d: d.update(stated="dinsdag 13 november"), "dinsdag"),  # weekday does not fit
    (lambda d: d.update(stated="maandag 14 november"), "14 november"),
    (lambda d: d["inferred"].pop("reasoning"), "reasoning"),
    (lambda d: d["inferred"].update(part="eeuw"), "eeuw"),
])
def test_a_date_that_does_not_match_its_stated_words_is_refused(raw, breakage, reason):
    broken = copy.deepcopy(raw)
    breakage(broken["partnerships"][0]["facts"][0]["date"])
    with pytest.raises(InputError) as exc:
        pt.parse(broken)
    problems = [p for p in exc.value.problems if p.field.startswith(
        "partnerships[0].facts[0].date")]
    assert problems and any(reason in f"{p.field} {p.reason}" for p in problems), \
        exc.value.problems


def test_page_shows_the_stated_words_and_the_inferred_year(monkeypatch, built_copy,
                                                            clean_env):
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    at = run_app("app_pages/partnerships.py")
    marks = [m.value for m in at.markdown if m.value.startswith("**Ondertekend**")]
    assert marks and "13 november 2023, jaartal afgeleid" in marks[0]
    captions = "\n".join(c.value for c in at.caption)
    assert "In de bron: “maandag 13 november”" in captions
    assert "Jaartal afgeleid:" in captions and "2017" in captions
    assert "13 november 2026, afgeleid" in "\n".join(m.value for m in at.markdown)
    at = run_app("app_pages/partnerships.py", {"taal": "en"})
    marks = [m.value for m in at.markdown if m.value.startswith("**Signed**")]
    assert marks and "13 November 2023, year inferred" in marks[0]
    captions = "\n".join(c.value for c in at.caption)
    assert "In the source: “maandag 13 november”" in captions and "Year inferred:" in captions
