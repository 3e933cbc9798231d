"""The benchmark view (issue 6.1): judgement by direction on the real catalog, the
illustrative peer values and their replacement by a coordinator load, the map of the 13
municipalities (escaped tooltips, direction-aware colours) and the page through AppTest."""

from __future__ import annotations

import json

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboard import benchmark, geodata, loads
from dashboard.settings import PROJECT_ROOT
from dashboard.store import Store

from .conftest import make_env, run_app

CONTEXT = ("buitenlandse_herkomst_aandeel",)
CARS, CRIME, COHESION = ("personenwagens_per_1000", "geregistreerde_misdrijven_per_1000",
                         "sociale_cohesie")
ROESELARE = "36015"
# The nine figures of the Inspiratienota: city value, group average, judgement.
NOTE = {
    "sociale_cohesie": (48, 41, "better"),
    "voldoende_ontmoetingsplaatsen": (77, 68, "better"),
    "gelukkig_aandeel": (83, 80, "better"),
    "tevreden_jongerenvoorzieningen": (64, 54, "better"),
    "tevreden_speelplekken": (70, 66, "better"),
    "geregistreerde_misdrijven_per_1000": (101, 104.7, "better"),
    "personenwagens_per_1000": (565, 458, "worse"),
    "sociale_woningen_per_100_hh": (9.2, 9, "better"),
    "buitenlandse_herkomst_aandeel": (24, 40, "context"),
}


def _data(settings):
    with Store(settings.db_path, read_only=True) as s:
        return s.indicators(), s.city_measurements(), s.peer_measurements()


@pytest.fixture(scope="module")
def data(built_official):
    return _data(built_official)


@pytest.fixture(scope="module")
def table(data, built_official):
    context = built_official.city.benchmark.context_indicators
    assert list(context) == list(CONTEXT)  # the configuration the judgements rely on
    return benchmark.comparison_table(*data, context).set_index("indicator_id")


@pytest.fixture(scope="module")
def peer_geo(built_official):
    return geodata.load_level(built_official.geo_dir, "peer")


# ----------------------------------------------------------------------------- judgement
def test_the_nine_note_figures_are_judged_by_direction(table):
    assert set(table.index) == set(NOTE)
    for ind, (city, average, judgement) in NOTE.items():
        row = table.loc[ind]
        assert (row["city_value"], row["average"], row["judgement"]) == (city, average,
                                                                         judgement), ind
    cars, crime = table.loc[CARS], table.loc[CRIME]
    assert cars["direction"] == crime["direction"] == "lower"
    assert cars["difference"] == pytest.approx(107) and cars["judgement"] == "worse"
    assert crime["difference"] == pytest.approx(-3.7) and crime["judgement"] == "better"
    assert table.loc[COHESION, "relative_difference"] == pytest.approx(7 / 41)
    assert table.loc[CONTEXT[0], "context"] and not table.loc[COHESION, "context"]
    assert table.loc[CRIME, "source"] == ("Inspiratienota Kortrijk 2040 (april 2024), "
                                          "3.6 Iedereen voelt zich veilig")


def test_judge_rules():
    assert benchmark.judge(565, 458, "lower") == "worse"
    assert benchmark.judge(101, 104.7, "lower") == "better"
    assert benchmark.judge(48, 41, "higher") == "better"
    assert benchmark.judge(40, 41, "higher") == "worse"
    assert benchmark.judge(0.1 + 0.2, 0.3, "higher") == "equal"  # no float noise
    assert benchmark.judge(24, 40, "higher", context=True) == "context"
    assert benchmark.judge(None, 40, "higher") == "no_data"
    # Map classes are oriented by direction: class 4 is always "far better".
    assert benchmark.map_class(565, 458, "lower") == 0
    assert benchmark.map_class(565, 458, "higher") == 4
    assert benchmark.map_class(101, 104.7, "lower") == 3
    assert benchmark.map_class(41.5, 41, "higher") == 2


def test_rank_among_the_13_follows_direction(table, data):
    peers = data[2]
    for ind in (CARS, CRIME, COHESION):
        row = table.loc[ind]
        others = peers.loc[peers["indicator_id"] == ind, "value"]
        better = others < row["city_value"] if row["direction"] == "lower" else (
            others > row["city_value"])
        assert row["rank"] == 1 + better.sum() and row["rank_of"] == 13, ind
        assert row["peers_illustrative"] and row["illustrative_peers"] == 12
    text = benchmark.rank_text(table.loc[CARS].to_dict())
    assert text == f"{int(table.loc[CARS, 'rank'])}e van 13 (illustratief)"
    assert "hoogste" in benchmark.rank_text(table.loc[CONTEXT[0]].to_dict())


def test_mean_of_the_13_is_the_published_average(data, built_official):
    indicators, city, peers = data
    members = geodata.benchmark_members(built_official)
    assert len(members) == 13
    for ind in NOTE:
        values = peers[peers["indicator_id"] == ind]
        assert set(values["area_code"]) == set(members) - {built_official.nis_code}
        assert values["illustrative"].all()
        own = city.loc[city["indicator_id"] == ind].sort_values("period")["value"].iloc[-1]
        average = indicators.set_index("id").loc[ind, "comparison_value"]
        if ind == CARS:  # the note's 458 is the average of the *other* centrumsteden
            assert values["value"].mean() == pytest.approx(average, abs=0.05)
            continue
        assert (own + values["value"].sum()) / 13 == pytest.approx(average, abs=0.05), ind


def test_tables_show_words_and_icons(table):
    tab = table.reset_index()
    shown = benchmark.display_table(tab, "Kortrijk").set_index("Indicator")
    cars = shown.loc["Personenwagens per 1.000 inwoners"]
    assert cars["Oordeel"] == "✖ slechter" and cars["Kortrijk"] == "565 (2024)"
    assert cars["Verschil"] == "+107 (+23,4 %)" and cars["Gemiddelde"] == "458"
    assert shown.loc["Inwoners van buitenlandse herkomst", "Oordeel"] == \
        "■ context (geen oordeel)"
    assert shown.loc["Geregistreerde misdrijven per 1.000 inwoners", "Oordeel"] == "✔ beter"
    csv = benchmark.csv_table(tab, "Kortrijk").set_index("Indicator")
    assert csv.loc[CARS, "Waarde Kortrijk"] == 565 and csv.loc[CARS, "Oordeel"] == "slechter"
    assert (csv["Andere steden illustratief"] == "ja").all()


# ------------------------------------------------------------------------------- builders
def _layers(m):
    return [c for c in m._children.values() if c._name == "GeoJson"]


def test_map_draws_13_municipalities_escaped_and_direction_aware(table, data, peer_geo,
                                                                  built_official):
    assert len(peer_geo) == 13 and "34022" in set(peer_geo["code"])
    evil = peer_geo.copy()
    evil.loc[evil["code"] == ROESELARE, "name"] = "<b>x</b>"
    row = table.loc[CARS].to_dict() | {"indicator_id": CARS}
    values = benchmark.map_values(row, row["city_value"], row["city_year"], "34022",
                                  "Kortrijk", data[2])
    assert len(values) == 13
    m = benchmark.benchmark_map(evil, values, row, city_code="34022", static_url="/s",
                                attribution="a")
    area_layer, outline = _layers(m)
    features = {f["properties"]["code"]: f["properties"] for f in area_layer.data["features"]}
    assert len(features) == 13
    assert features[ROESELARE]["tooltip"].startswith("<strong>&lt;b&gt;x&lt;/b&gt;</strong>")
    html = m.get_root().render()
    assert "<b>x</b>" not in html
    # The other cities are labelled illustrative, the city (the note's figure) is not.
    value_line = {c: f["tooltip"].split("<br>")[1] for c, f in features.items()}
    assert "(illustratief)" in value_line[ROESELARE]
    assert value_line["34022"] == "Personenwagens per 1.000 inwoners 2024: 565 per 1.000 inwoners"
    assert sum("(illustratief)" in v for v in value_line.values()) == 12
    assert "slechter dan het gemiddelde" in features["34022"]["tooltip"]
    # Lower is better: 565 against 458 is far worse (brown end of the diverging palette).
    assert features["34022"]["fill"] == benchmark.DIVERGING[0]
    peer_value = values.set_index("code").loc[ROESELARE, "value"]
    assert features[ROESELARE]["fill"] == benchmark.DIVERGING[
        benchmark.map_class(peer_value, 458, "lower")]
    # The city outlined (a non-interactive layer with its one polygon), legend and note.
    assert len(outline.data["features"]) == 1 and not outline.options.get("interactive", True)
    assert "Waarden van de andere steden zijn illustratief." in html
    assert "meer dan 10 % slechter dan het gemiddelde" in html
    assert "/s/leaflet-1.9.3/leaflet.js" in html and "unpkg" not in html


def test_context_map_uses_the_neutral_palette(table, data, peer_geo):
    row = table.loc[CONTEXT[0]].to_dict() | {"indicator_id": CONTEXT[0]}
    values = benchmark.map_values(row, row["city_value"], row["city_year"], "34022",
                                  "Kortrijk", data[2])
    m = benchmark.benchmark_map(peer_geo, values, row, city_code="34022", static_url="/s",
                                attribution="a")
    fills = {f["properties"]["fill"] for f in _layers(m)[0].data["features"]}
    assert fills <= set(benchmark.CONTEXT_PALETTE) and not fills & set(benchmark.DIVERGING)
    assert "Contextindicator: geen beter of slechter." in m.get_root().render()


def test_charts_colour_by_judgement_and_highlight_the_city(table, data):
    tab = table.reset_index()
    fig = benchmark.comparison_chart(tab, data[2], "Kortrijk")
    traces = {tr.name: tr for tr in fig.data}
    assert len(traces["andere steden (illustratief)"].x) == 9 * 12
    worse = traces["Kortrijk: ✖ slechter"]
    assert list(worse.y) == ["Personenwagens per 1.000 inwoners"]
    assert worse.marker.color == benchmark.JUDGEMENT_COLOUR["worse"]
    assert worse.x[0] == pytest.approx(107 / 458 * 100)
    row = table.loc[CRIME].to_dict() | {"indicator_id": CRIME}
    values = benchmark.map_values(row, 101.0, 2024, "34022", "Kortrijk", data[2])
    bars = benchmark.ranking_chart(row, values, "34022").data[0]
    assert len(bars.x) == 13
    assert list(bars.x) == sorted(bars.x, reverse=True)  # lower is better: best on top
    k = list(bars.y).index("✔ Kortrijk")
    assert bars.marker.color[k] == benchmark.JUDGEMENT_COLOUR["better"]
    assert sum(c == benchmark.OTHER_CITY for c in bars.marker.color) == 12


# --------------------------------------------------------------------- coordinator load
def test_a_loaded_peer_value_replaces_the_illustrative_one(built_copy, peer_geo):
    csv = f"indicator;gebied;jaar;waarde\n{COHESION};{ROESELARE};2024;52,5\n".encode()
    with Store(built_copy.db_path) as store:
        validated = loads.validate_file(csv, "centrumsteden_echt.csv", store)
        assert validated.ok, validated.errors.to_dict("records")
        batch = loads.commit(store, validated, who="test", confirm_warnings=True)
        peers = store.peer_measurements()
        table = benchmark.comparison_table(store.indicators(), store.city_measurements(),
                                           peers, CONTEXT).set_index("indicator_id")
    mine = peers[peers["indicator_id"] == COHESION].set_index("area_code")
    assert mine.loc[ROESELARE, "value"] == 52.5 and not mine.loc[ROESELARE, "illustrative"]
    assert mine.drop(index=ROESELARE)["illustrative"].all()
    assert table.loc[COHESION, "illustrative_peers"] == 11
    assert table.loc[COHESION, "rank"] == 1 + (mine["value"] > 48).sum()
    assert table.loc[CARS, "illustrative_peers"] == 12  # other indicators untouched
    row = table.loc[COHESION].to_dict() | {"indicator_id": COHESION}
    values = benchmark.map_values(row, 48.0, 2024, "34022", "Kortrijk", peers)
    m = benchmark.benchmark_map(peer_geo, values, row, city_code="34022", static_url="/s",
                                attribution="a")
    tips = {f["properties"]["code"]: f["properties"]["tooltip"]
            for f in _layers(m)[0].data["features"]}
    assert tips[ROESELARE].split("<br>")[1] == "Sterk sociaal weefsel in de buurt 2024: 52,5 %"
    assert "(illustratief)" in tips["44021"]  # Gent still illustrative
    with Store(built_copy.db_path) as store:  # undo: the illustrative value returns
        store.undo_batch(batch["batch_id"])
        back = store.peer_measurements().set_index(["indicator_id", "area_code"])
    assert back.loc[(COHESION, ROESELARE), "illustrative"]


# -------------------------------------------------------------------------------- pages
def _env(monkeypatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_page_shows_table_chart_map_and_follows_the_deep_link(built_copy, clean_env,
                                                              monkeypatch):
    _env(monkeypatch, make_env(built_copy.db_path.parent.parent))
    at = run_app("app_pages/benchmark.py", {"ind": CARS})
    assert at.title[0].value == "Vergelijking: Centrumsteden"
    table = at.dataframe[0].value.set_index("Indicator")
    assert len(table) == 9
    assert table.loc["Personenwagens per 1.000 inwoners", "Oordeel"] == "✖ slechter"
    assert table.loc["Sterk sociaal weefsel in de buurt", "Kortrijk"] == "48 (2024)"
    assert any("illustratief" in w.value and "Gegevens laden" in w.value for w in at.warning)
    select = next(s for s in at.selectbox if s.key == "bench_ind")
    assert select.value == CARS  # from ?ind=
    text = "\n".join(m.value for m in at.markdown)
    assert "Kortrijk: 565 per 1.000 inwoners (2024)" in text and "Centrumsteden" in text
    assert not at.info  # the group's boundaries are there: a map, no notice
    select.set_value(CRIME).run()
    assert not at.exception
    assert at.query_params["ind"] in (CRIME, [CRIME])
    assert "Kortrijk: 101 per 1.000 inwoners" in "\n".join(m.value for m in at.markdown)


def test_page_without_benchmark_config_says_so(tmp_path, clean_env, monkeypatch):
    """A city without a benchmark group: the navigation leaves the page out; opened
    directly, the page says so and stops (no database needed)."""
    city = yaml.safe_load((PROJECT_ROOT / "data" / "city.yaml").read_text(encoding="utf-8"))
    city.pop("benchmark")
    config = tmp_path / "city.yaml"
    config.write_text(yaml.safe_dump(city, allow_unicode=True), encoding="utf-8")
    env = make_env(tmp_path / "app", geodata=None)
    env["DASHBOARD_CITY_CONFIG"] = str(config)
    _env(monkeypatch, env)
    at = AppTest.from_file(str(PROJECT_ROOT / "app_pages" / "benchmark.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("geen vergelijkingsgroep" in i.value for i in at.info)
    assert not at.dataframe and not at.selectbox
    assert not (tmp_path / "app" / "data" / "dashboard.duckdb").exists()


def test_missing_peer_geometry_gives_a_notice_not_a_map(built_copy, clean_env, monkeypatch):
    """Group configured but its boundaries not imported (no ``benchmark`` in the manifest)."""
    manifest = geodata.read_manifest(built_copy.geo_dir)
    manifest.pop("benchmark")
    (built_copy.geo_dir / geodata.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    env = make_env(built_copy.db_path.parent.parent, geodata=None)
    _env(monkeypatch, env)
    at = run_app("app_pages/benchmark.py")
    assert len(at.dataframe[0].value) == 9
    assert any("gemeentegrenzen" in i.value and "niet geladen" in i.value for i in at.info)
