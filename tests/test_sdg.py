"""The SDG view: roll-up on the real catalog and database, the rule itself, and the page."""

from __future__ import annotations

import csv

import pytest

from dashboard import i18n, overview, sdg
from dashboard.ui.navigation import page_specs
from dashboard.settings import PROJECT_ROOT, load_settings
from dashboard.store import Store

from .conftest import make_env, run_app

CATALOG = PROJECT_ROOT / "data" / "catalog"


def _catalog_sdgs(file: str) -> dict[str, set[int]]:
    """id → SDG numbers, read straight from the catalog CSV (not through our code)."""
    with (CATALOG / file).open(encoding="utf-8") as fh:
        return {r["id"]: {int(s) for s in r["sdgs"].split(";") if s.strip()}
                for r in csv.DictReader(fh)}


IND_SDGS = _catalog_sdgs("indicators.csv")
SP_SDGS = _catalog_sdgs("spearheads.csv")


@pytest.fixture(scope="module")
def summaries(built_official) -> dict[int, sdg.SdgSummary]:
    with Store(built_official.db_path, read_only=True) as store:
        spearheads, indicators = store.spearheads(), store.indicators()
        statuses = overview.indicator_statuses(indicators, store.goals(),
                                               store.city_measurements())
    return {s.number: s for s in sdg.rollup(spearheads, indicators, statuses)}


def test_every_sdg_once_with_names_in_three_languages(summaries):
    assert sorted(summaries) == list(range(1, 18))
    for lang in i18n.LANGUAGES:
        assert sorted(sdg.SDG_NAMES[lang]) == list(range(1, 18)), lang
        assert len(set(sdg.SDG_NAMES[lang].values())) == 17, lang
    assert sdg.sdg_name(13) == "Klimaatactie"
    with i18n.language("en"):
        assert sdg.sdg_name(13) == "Climate action"
    with i18n.language("fr"):
        assert sdg.sdg_name(7) == "Énergie propre et d'un coût abordable"


def test_sdg13_lists_spearhead_5_and_its_indicators(summaries):
    s13 = summaries[13]
    assert s13.spearhead_ids == (5,)
    expected = [i for i, sdgs in IND_SDGS.items() if 13 in sdgs]
    assert list(s13.indicators["id"]) == expected  # catalog order
    assert "co2_reductie" in expected and "laadpunten_per_100_inw" in expected
    assert set(s13.indicators["spearhead_id"]) == {5}


def test_counts_add_up_to_the_indicator_count(summaries):
    for n, s in summaries.items():
        expected = sum(1 for sdgs in IND_SDGS.values() if n in sdgs)
        assert s.indicator_count == expected, n
        assert sum(s.counts.values()) == expected, (n, s.counts)
        assert s.assessed == sum(s.counts[c] for c in ("on_track", "behind", "far_behind"))
    # An indicator serving several SDGs counts for each: the totals exceed the catalog's.
    assert sum(s.indicator_count for s in summaries.values()) > sum(
        1 for sdgs in IND_SDGS.values() if sdgs)


def test_sdgs_without_indicators(summaries):
    listed_by_5_only = [n for n in sorted(SP_SDGS["5"])
                        if not any(n in sdgs for sdgs in IND_SDGS.values())]
    assert listed_by_5_only == [2]  # the note shows SDG 2 for spearhead 5, no indicator has it
    s2 = summaries[2]
    assert s2.indicator_count == 0 and s2.rollup == sdg.NO_INDICATORS
    assert s2.spearhead_ids == (5,) and s2.spearheads_without_indicator == (5,)
    s1 = summaries[1]
    assert s1.indicator_count == 0 and s1.spearhead_ids == ()
    assert s1.rollup == sdg.NO_INDICATORS
    assert sum(s1.counts.values()) == 0


def test_rollup_follows_the_rule(summaries):
    for n, s in summaries.items():
        assert s.rollup == sdg.rollup_status(list(s.indicators["status"])), n
        if s.assessed:  # a status some of its assessed indicators have
            assert s.counts[s.rollup] > 0 and s.rollup in sdg.ASSESSED, n
        elif s.indicator_count:
            assert s.rollup in ("baseline_only", "no_data", "no_goal"), n


@pytest.mark.parametrize("codes, expected", [
    ([], "no_indicators"),
    (["no_goal"], "no_goal"),
    (["no_goal", "no_data"], "no_data"),
    (["no_goal", "no_data", "baseline_only"], "baseline_only"),  # a first figure exists
    (["baseline_only", "behind"], "behind"),  # only judged indicators make the roll-up
    (["on_track", "no_data", "no_data", "no_goal"], "on_track"),  # unassessed do not count
    (["on_track", "on_track", "on_track", "far_behind"], "on_track"),  # median, not worst
    (["on_track", "far_behind"], "far_behind"),  # a tie goes to the worse status
    (["on_track", "behind", "far_behind"], "behind"),
    (["far_behind", "far_behind", "on_track"], "far_behind"),
    (["behind", "on_track", "behind", "on_track"], "behind"),
])
def test_rollup_status(codes, expected):
    assert sdg.rollup_status(codes) == expected


def test_sources_and_unlinked_spearheads(built_official):
    with Store(built_official.db_path, read_only=True) as store:
        spearheads, indicators = store.spearheads(), store.indicators()
    assert any("Inspiratienota Kortrijk 2040" in d for d in sdg.sources(indicators))
    empty, count = sdg.unlinked(spearheads, indicators)
    assert empty == sorted(int(i) for i, s in SP_SDGS.items() if not s)
    assert count == sum(1 for s in IND_SDGS.values() if not s)


# ------------------------------------------------------------------------------ page
def test_sdg_page(monkeypatch, built_copy, clean_env):
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    at = run_app("app_pages/sdg.py")
    html = [n.proto.body for n in at._tree if getattr(n, "type", "") == "html"]
    badges = [h for h in html if "SDG " in h and "background:" in h]
    assert len(badges) == 17
    assert any("Klimaatactie" in b for b in badges)
    assert any("Inspiratienota Kortrijk 2040" in c.value for c in at.caption)
    assert any("2, 3, 4, 6" in i.value for i in at.info)  # spearheads without SDG tiles
    assert sum("Geen indicatoren op dit bord." == m.value for m in at.markdown) == sum(
        1 for n in range(1, 18) if not any(n in s for s in IND_SDGS.values()))

    at.selectbox(key="sdg_choice").select(13).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == sum(1 for s in IND_SDGS.values() if 13 in s)
    assert "CO₂-uitstoot grondgebied (index 2005 = 100)" in set(table["Indicator"])
    urls = {f: u for entries in page_specs(load_settings()).values() for f, _, u in entries}
    assert [e.proto.page for e in at.get("page_link")] == [urls["speerpunt_5"]]
    assert at.query_params["sdg"] == "13"  # the choice is in the link

    at.selectbox(key="sdg_choice").select(1).run()
    assert not at.dataframe and any("Geen enkel speerpunt" in i.value for i in at.info)


def test_sdg_page_opens_the_sdg_of_the_link(monkeypatch, built_copy, clean_env):
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    at = run_app("app_pages/sdg.py", params={"sdg": "6"})
    assert at.selectbox(key="sdg_choice").value == 6
    assert any(s.value == "SDG 6: Schoon water en sanitair" for s in at.subheader)
