"""The build command: idempotent, consistent illustrative data, nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dashboard.build import build
from dashboard.errors import InputError
from dashboard.illustrative import HEAT_DISTRICTS
from dashboard.settings import PROJECT_ROOT
from dashboard.store import Store

from .conftest import make_env, settings_for


def test_build_twice_gives_identical_content(tmp_path):
    settings = settings_for(tmp_path)
    first = build(settings)
    assert set(first.changed) == {"areas", "catalog", "actions", "illustrative"}
    with Store(settings.db_path, read_only=True) as s:
        before = s.table_checksums()
    second = build(settings)
    assert second.changed == []
    with Store(settings.db_path, read_only=True) as s:
        assert s.table_checksums() == before


def test_cli_build_twice(tmp_path):
    env = {**os.environ, **make_env(tmp_path)}
    outs = [subprocess.run([sys.executable, "-m", "dashboard", "build"], env=env, text=True,
                           capture_output=True, cwd=PROJECT_ROOT, timeout=300) for _ in range(2)]
    assert [o.returncode for o in outs] == [0, 0], outs[0].stderr
    assert "niets (alles was al actueel)" in outs[1].stdout


def test_generator_is_deterministic_across_databases(tmp_path):
    a, b = settings_for(tmp_path / "a"), settings_for(tmp_path / "b")
    build(a)
    build(b)
    with Store(a.db_path, read_only=True) as sa, Store(b.db_path, read_only=True) as sb:
        for table in ("measurement", "layer_feature", "area", "indicator", "goal"):
            assert sa.table_checksums()[table] == sb.table_checksums()[table], table


@pytest.fixture(scope="module")
def store(built_official):
    with Store(built_official.db_path, read_only=True) as s:
        yield s


def _sum(store, indicator, level, period):
    m = store.measurements(indicator, level=level, period=period)
    return m["value"].sum(), m


def test_charging_points_sum_to_660_in_2024_at_every_level(store):
    for level in ("sector", "wijk", "deelgemeente"):
        total, m = _sum(store, "laadpunten", level, 2024)
        assert total == 660, level
        assert m["illustrative"].all()
    city = store.measurements("laadpunten", level="gemeente", period=2024)
    assert city["value"].tolist() == [660] and not city["illustrative"].iloc[0]


def test_net_unsealing_2022_and_series_years(store):
    total, m = _sum(store, "netto_verharding_afname", "sector", 2022)
    assert total == 214_000
    assert sorted(store.periods("laadpunten", "sector")) == list(range(2015, 2025))


def test_charging_points_never_decrease(store):
    m = store.measurements("laadpunten", level="sector").sort_values(["area_code", "period"])
    assert (m.groupby("area_code")["value"].diff().dropna() >= 0).all()


def test_heat_network_only_in_the_five_named_districts(store):
    m = store.measurements("warmtenet_aandeel_gebouwen", level="sector")
    connected = set(m.loc[m["value"] > 0, "area_name"])
    assert connected == set(HEAT_DISTRICTS)
    assert m["value"].between(0, 40).all()


def test_layers_flagged_and_consistent(store):
    points = store.layer_features("laadpunten")
    import json
    assert sum(json.loads(p)["aantal"] for p in points["properties"]) == 660
    assert points["illustrative"].all()
    projects = store.layer_features("ontharding_project")
    assert "Ontharding parking Groeninghelaan" in set(projects["name"])
    assert len(store.layer_features("warmtenet_leiding")) == 5
    assert len(store.layer_features("warmtenet_zone")) == 5


def test_every_generated_row_is_illustrative_and_real_rows_are_not(store):
    batches = store.batches().set_index("id")
    for indicator in ("inwoners", "laadpunten", "ontharde_oppervlakte"):
        m = store.measurements(indicator)
        kinds = m["batch_id"].map(batches["kind"])
        assert (m["illustrative"] == (kinds == "illustrative")).all()


def test_failed_build_writes_nothing(tmp_path):
    settings = settings_for(tmp_path)
    build(settings)
    with Store(settings.db_path, read_only=True) as s:
        before = s.table_checksums()
    broken = tmp_path / "catalog"
    import shutil
    shutil.copytree(settings.catalog_dir, broken)
    ind = broken / "indicators.csv"
    ind.write_text(ind.read_text(encoding="utf-8").replace(",higher,", ",hoger,", 1),
                   encoding="utf-8")
    city = tmp_path / "city.yaml"
    city.write_text(settings.city_config.read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(settings.areas_file, tmp_path / settings.areas_file.name)
    env = make_env(tmp_path)
    env["DASHBOARD_CITY_CONFIG"] = str(city)
    from dashboard.settings import load_settings
    with pytest.raises(InputError):
        build(load_settings(env))
    with Store(settings.db_path, read_only=True) as s:
        assert s.table_checksums() == before
