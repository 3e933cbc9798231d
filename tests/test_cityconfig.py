"""The typed city configuration: both shipped cities parse, a wrong file names every
problem with file and key, the result is frozen, and no code reads it as a dict."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
import yaml

from dashboard import cityconfig, maps, store
from dashboard.errors import InputError
from dashboard.loads.layers import LAYERS
from dashboard.settings import PROJECT_ROOT, load_settings

KORTRIJK = PROJECT_ROOT / "data" / "city.yaml"
ROESELARE = PROJECT_ROOT / "data" / "cities" / "roeselare" / "city.yaml"


def _raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_kortrijk_parses():
    city = cityconfig.parse(_raw(KORTRIJK), KORTRIJK)
    assert city.nis_code == "34022" and city.name == "Kortrijk"
    assert city.centre == (50.828, 3.265)
    assert city.geodata.levels == store.LEVELS
    assert city.geodata.layer("gemeente").filter == "code_equals"
    assert dict(city.geodata.download).keys() == {"sector"}
    assert [s.key for s in city.sections_of(5)] == ["warmtenet", "ontharding", "laadpunten"]
    heat = city.section("warmtenet")
    assert (heat.scheme, heat.district_goal) == ("natural_breaks", "zones")
    assert (heat.layers.outlines, heat.layers.lines, heat.layers.points) == (
        "warmtenet_zone", "warmtenet_leiding", None)
    assert city.section("laadpunten").layers.size_field == "aantal"
    assert city.sections_of(1) == () and city.section("nergens") is None
    assert [s.key for s in city.spotlights_of(3)] == ["plan-samenleven"]
    assert city.spotlights_of(3)[0].document == "plan-samenleven"
    assert [d.key for d in city.documents] == ["inspiratienota", "plan-samenleven"]
    assert city.documents[1].date == "2020"
    assert city.benchmark.member_names["34022"] == "Kortrijk"
    assert len(city.benchmark.members) == 13
    assert city.benchmark.context_indicators == ("buitenlandse_herkomst_aandeel",)
    assert city.partnerships_file == "partnerships.yaml"
    assert city.district_generator == "kortrijk-2040" and city.illustrative_seed == 2040
    assert city.open_data.publisher == "Kortrijk 2040 monitoringsbord"
    assert ("home_map_indicator", "laadpunten_per_100_inw") in city.indicator_references()


def test_roeselare_parses():
    city = cityconfig.parse(_raw(ROESELARE), ROESELARE)
    assert city.nis_code == "36015"
    assert city.geodata.levels == ("wijk", "gemeente")
    assert city.map_sections == () and city.spotlights == ()
    assert city.partnerships_file is None and city.district_generator is None
    assert city.areas_file is None and city.home_map_indicator is None
    assert city.benchmark.group == "Arrondissement Roeselare"
    assert city.benchmark.context_indicators == ()


def test_settings_hold_the_typed_configuration():
    settings = load_settings({})
    assert isinstance(settings.city, cityconfig.CityConfig)
    assert settings.nis_code == "34022"
    assert settings.catalog_dir == KORTRIJK.parent / "catalog"
    assert load_settings({}).city is settings.city  # parsed once per file version


def test_the_configuration_is_frozen():
    city = cityconfig.parse(_raw(KORTRIJK), KORTRIJK)
    with pytest.raises(dataclasses.FrozenInstanceError):
        city.name = "Elders"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        city.sections_of(5)[0].scheme = "quantiles"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        city.geodata.layer("wijk").code_field = "x"  # type: ignore[misc]
    assert isinstance(city.map_sections, tuple) and isinstance(city.benchmark.members, tuple)
    hash(city)  # nothing mutable inside


def test_a_wrong_file_names_every_problem_with_file_and_key(tmp_path):
    raw = _raw(KORTRIJK)
    del raw["geodata"]["layers"]["wijk"]                            # missing level
    raw["geodata"]["layers"]["buurt"] = raw["geodata"]["layers"]["sector"]   # unknown level
    raw["geodata"]["layers"]["gemeente"]["filter"] = "code_like"
    sections = raw["map_sections"][5]
    sections[0]["scheme"] = "jenks"                                 # unknown scheme
    sections[0]["layers"]["lines"] = "warmtenet_leidingen"          # unknown layer
    sections[1]["district_goal"] = "sommige"
    sections[1]["kleur"] = "rood"                                   # unknown section key
    sections[2]["key"] = "warmtenet"                                # duplicate section key
    raw["spotlights"][3][0]["document"] = "onbekend-document"
    raw["benchmark"]["members"] = ["34022"]
    raw["centre"] = "Grote Markt"
    raw["illustrative_seed"] = "veel"
    raw["kaarten"] = {}                                             # unknown top-level key
    del raw["name"]
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    with pytest.raises(InputError) as caught:
        load_settings({"DASHBOARD_CITY_CONFIG": str(path)})
    problems = {p.field: p.reason for p in caught.value.problems}
    assert {p.file for p in caught.value.problems} == {str(path.resolve())}
    expected = {
        "geodata.layers.wijk": "ontbreekt",
        "geodata.layers.buurt": "onbekende sleutel",
        "geodata.layers.gemeente.filter": "code_like",
        "map_sections.5[0].scheme": "jenks",
        "map_sections.5[0].layers.lines": "warmtenet_leidingen",
        "map_sections.5[1].district_goal": "sommige",
        "map_sections.5[1].kleur": "onbekende sleutel",
        "map_sections.5.key": "warmtenet",
        "spotlights.3.plan-samenleven.document": "onbekend-document",
        "benchmark.members": "tabel",
        "centre": "twee getallen",
        "illustrative_seed": "geheel getal",
        "kaarten": "onbekende sleutel",
        "name": "ontbreekt",
    }
    for key, words in expected.items():
        assert key in problems, f"{key} not reported: {problems}"
        assert words in problems[key], (key, problems[key])
    assert len(caught.value.problems) == len(expected), problems
    message = str(caught.value)  # one line per problem: file, key and reason
    assert message.count(str(path.resolve())) == len(expected)
    assert "veld 'map_sections.5[0].scheme'" in message and "quantiles" in message


def test_not_yaml_or_not_a_table(tmp_path):
    bad = tmp_path / "city.yaml"
    bad.write_text("nis_code: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match="geen geldige YAML"):
        load_settings({"DASHBOARD_CITY_CONFIG": str(bad)})
    with pytest.raises(InputError, match="verwacht een tabel"):
        cityconfig.parse(["a", "list"], bad)


def test_checked_against_the_single_definitions():
    assert cityconfig._schemes() == maps.SCHEMES
    assert cityconfig._levels() == store.LEVELS
    assert set(cityconfig._layer_names()) == set(LAYERS)


# ------------------------------------------------------------------ no dict access
SETTINGS_LIKE = {"settings", "load_settings", "get_settings"}


def _settings_like(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in SETTINGS_LIKE
    if isinstance(node, ast.Attribute):
        return node.attr == "settings"
    if isinstance(node, ast.Call):
        return _settings_like(node.func)
    return False


def _config_attribute(node: ast.AST) -> bool:
    """``settings.city``, ``app().settings.city``, ``load_settings().city``."""
    return isinstance(node, ast.Attribute) and node.attr == "city" and _settings_like(node.value)


def _own_nodes(scope: ast.AST):
    """The nodes of a module or function, not those of functions defined inside it."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            todo.extend(ast.iter_child_nodes(node))


def _city_names(scope: ast.AST) -> bool:
    """Whether ``city`` in this scope may be the configuration: a parameter not annotated
    as a DataFrame, or a name assigned from ``settings.city``."""
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        for arg in scope.args.args + scope.args.kwonlyargs:
            if arg.arg == "city" and "DataFrame" not in ast.unparse(arg.annotation or
                                                                    ast.Constant(None)):
                return True
    for node in _own_nodes(scope):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "city"
                                                for t in node.targets):
            if any(_config_attribute(n) for n in ast.walk(node.value)):
                return True
    return False


def _dict_reads(tree: ast.Module) -> list[tuple[int, str]]:
    scopes = [tree, *(n for n in ast.walk(tree)
                      if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]
    found = set()
    for scope in scopes:
        named = _city_names(scope)
        for node in _own_nodes(scope):
            target = None
            if isinstance(node, ast.Subscript):
                target = node.value
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in ("get", "items", "keys", "values")):
                target = node.func.value
            if target is None:
                continue
            if _config_attribute(target) or (
                    named and isinstance(target, ast.Name) and target.id == "city"):
                found.add((node.lineno, ast.unparse(node)[:80]))
    return sorted(found)


def test_no_code_reads_the_city_configuration_as_a_dict():
    offenders = []
    for folder in ("src", "app_pages"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            offenders += [f"{path.relative_to(PROJECT_ROOT)}:{line}: {code}"
                          for line, code in _dict_reads(tree)]
    assert not offenders, "read the typed config (cityconfig) instead:\n" + "\n".join(offenders)


def test_the_dict_rule_can_fail():
    tree = ast.parse("def f(settings):\n    city = settings.city\n    return city['name']\n"
                     "def g(city: dict):\n    return city.get('x')\n"
                     "def h(a):\n    return a.settings.city.get('benchmark') or {}\n"
                     "def ok(city: pd.DataFrame):\n    return city[city['x'] == 1]\n")
    assert [line for line, _ in _dict_reads(tree)] == [3, 5, 7]


def test_environ_without_settings_drops_every_setting_and_keeps_the_rest():
    """The clean start of every server the stack, the tests and the load test launch: a
    stray DASHBOARD_* of the outer shell (a geodata folder, tiles from the internet) must
    not reach it, anything else must."""
    from dashboard.settings import SETTINGS, environ_without_settings

    outer = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "DASHBOARD_UNRELATED_NOTE": "kept",
             **{s.env: "x" for s in SETTINGS}}
    assert environ_without_settings(outer) == {"PATH": "/usr/bin", "LANG": "C.UTF-8",
                                               "DASHBOARD_UNRELATED_NOTE": "kept"}
    assert "DASHBOARD_GEODATA_DIR" in {s.env for s in SETTINGS}
