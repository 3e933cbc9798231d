"""``python -m dashboard build``: catalog + geometry store + generator → the DuckDB file.

Idempotent: each part (areas, catalog, illustrative data) is fingerprinted by the sha256
of its inputs; a part is rewritten only when its fingerprint changed, in one transaction,
so running build twice gives the same database content. Measurements that a coordinator
loaded (batch kind 'load') are never touched by a build.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import catalog as catalog_mod
from . import geodata, illustrative
from .actions import model as actions_mod
from .errors import InputError, Problem
from .safety import bytes_sha256
from .settings import Settings
from .store import PEER, Store, set_meta, utc_now


@dataclass
class BuildReport:
    db_path: Path
    changed: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    geometry: dict = field(default_factory=dict)


def _sha(*parts: str) -> str:
    return bytes_sha256("\n".join(parts).encode("utf-8"))


def _now() -> dt.datetime:
    return utc_now().replace(microsecond=0)


def _new_batch(cur, kind: str, file_name: str, sha: str, rows: int,
               prefix: str | None = None) -> str:
    batch_id = f"{prefix or kind}-{sha[:12]}"
    cur.execute("DELETE FROM batch WHERE id = ?", [batch_id])
    cur.execute(
        "INSERT INTO batch (id, kind, loaded_at, who, file_name, sha256, row_count) "
        "VALUES (?, ?, ?, 'build', ?, ?, ?)",
        [batch_id, kind, _now(), file_name, sha, rows],
    )
    return batch_id


def area_table(settings: Settings) -> pd.DataFrame:
    """Areas of every level with parents (project table, or the imported layers for a city
    without one) and geometry quality (store), plus the benchmark peers."""
    manifest = geodata.read_manifest(settings.geo_dir) or {"levels": {}}
    expected = geodata.expected_areas(settings)
    if expected is None:
        expected = geodata.areas_from_geometry(settings, manifest)
    expected["geometry_quality"] = expected["level"].map(
        lambda lv: manifest["levels"].get(lv, {}).get("quality", "schematic"))
    members = geodata.benchmark_members(settings)
    peers = pd.DataFrame({
        "code": [c for c in members if c != settings.nis_code],
        "level": PEER, "name": [n for c, n in members.items() if c != settings.nis_code],
        "parent_codes": [[] for c in members if c != settings.nis_code],
        "geometry_quality": "official" if "benchmark" in manifest else "schematic"})
    return pd.concat([expected, peers], ignore_index=True)[
        ["code", "level", "name", "parent_codes", "geometry_quality"]]


def build(settings: Settings, store: Store | None = None) -> BuildReport:
    """Create or refresh the database; safe to run any number of times."""
    manifest = geodata.ensure_geometry(settings)
    cat = catalog_mod.read_catalog(settings.catalog_dir)
    areas = area_table(settings)
    geo_sha = _sha(*(f"{lv}:{info['file_sha256']}" for lv, info in
                     sorted({**manifest["levels"],
                             "peer": manifest.get("benchmark", {"file_sha256": ""})}.items())))
    areas_sha = _sha(geo_sha, areas.to_csv(index=False))
    actions = actions_mod.read_catalog(settings.catalog_dir, set(cat.spearheads["id"]),
                                       set(cat.indicators["id"]))
    actions_path = settings.catalog_dir / catalog_mod.ACTIONS
    actions_sha = _sha(areas_sha, cat.sha256, actions_path.read_text(encoding="utf-8")
                       if actions_path.exists() else "")
    seed = settings.city.illustrative_seed
    gen_sha = _sha(areas_sha, cat.sha256, str(seed), illustrative.GENERATOR_VERSION,
                   illustrative.BENCHMARK_VERSION,
                   settings.city.district_generator or "")

    own = store is None
    store = store or Store(settings.db_path)
    report = BuildReport(db_path=store.path, geometry=manifest)
    try:
        with store.transaction() as cur:
            if store_meta(cur, "areas_sha256") != areas_sha:
                cur.execute("DELETE FROM area")
                frame = areas  # noqa: F841 (read by DuckDB below)
                cur.execute("INSERT INTO area SELECT code, level, name, parent_codes, "
                            "geometry_quality FROM frame")
                set_meta(cur, "areas_sha256", areas_sha)
                set_meta(cur, "geometry_source", str(manifest.get("source", "")))
                report.changed.append("areas")
            if store_meta(cur, "catalog_sha256") != cat.sha256:
                batch_id = _new_batch(cur, "catalog", "data/catalog/*.csv", cat.sha256,
                                      len(cat.measurements))
                catalog_mod.write_catalog(cur, cat, batch_id, settings.nis_code)
                set_meta(cur, "catalog_sha256", cat.sha256)
                report.changed.append("catalog")
            if "catalog" in report.changed or store_meta(cur, "actions_sha256") != actions_sha:
                _write_actions(cur, actions, areas, actions_sha)
                set_meta(cur, "actions_sha256", actions_sha)
                report.changed.append("actions")
            if store_meta(cur, "illustrative_sha256") != gen_sha:
                _write_illustrative(cur, settings, areas, seed, gen_sha, cat)
                set_meta(cur, "illustrative_sha256", gen_sha)
                report.changed.append("illustrative")
            if {"catalog", "illustrative"} & set(report.changed):
                _reapply_loads(cur)
            set_meta(cur, "nis_code", settings.nis_code)
            set_meta(cur, "city_name", settings.city.name)
        report.counts = {
            "spearheads": len(store.spearheads()),
            "indicators": len(store.indicators()),
            "goals": len(store.goals()),
            "actions": len(store.actions()),
            **{f"areas_{k}": v for k, v in store.area_counts().items()},
        }
    finally:
        if own:
            store.close()
    return report


def _reapply_loads(cur) -> None:
    """Rewritten catalog/generator rows stay replaced by coordinator loads still in force."""
    cur.execute(
        """
        UPDATE measurement m SET replaced_by = l.batch_id
        FROM (SELECT lm.indicator_id, lm.area_code, lm.period, lm.batch_id
              FROM measurement lm JOIN batch b ON b.id = lm.batch_id
              WHERE b.kind = 'load' AND b.undone_at IS NULL AND lm.replaced_by IS NULL) l
        WHERE m.indicator_id = l.indicator_id AND m.area_code = l.area_code
          AND m.period = l.period AND m.replaced_by IS NULL
          AND m.batch_id IN (SELECT id FROM batch WHERE kind IN ('catalog', 'illustrative'))
        """
    )


def _write_actions(cur, actions: pd.DataFrame, areas: pd.DataFrame, sha: str) -> None:
    """The action catalog and its base tracked rows (nothing assessed), one batch of kind
    'catalog'; the coordinator's changes (load batches) are kept and stay in force."""
    cur.execute("DELETE FROM action")
    cur.execute("DELETE FROM action_state WHERE batch_id NOT IN "
                "(SELECT id FROM batch WHERE kind = 'load')")
    cur.execute("DELETE FROM batch WHERE kind = 'catalog' AND id LIKE 'action-catalog-%'")
    batch_id = _new_batch(cur, "catalog", "data/catalog/actions.csv", sha, len(actions),
                          prefix="action-catalog")
    frame = actions.assign(places=[actions_mod.split_list(v) for v in actions["place"]])  # noqa: F841
    cur.execute("INSERT INTO action SELECT id, spearhead_id, section, title, text, target_year, "
                "NULLIF(quantity, ''), places, source_section, position FROM frame")
    frame = actions_mod.base_states(actions, areas).assign(batch_id=batch_id,  # noqa: F841
                                                           replaced_by=None)
    cur.execute("INSERT INTO action_state SELECT action_id, status, phase, start_year::INTEGER, "
                "end_year::INTEGER, service, contact, indicator_ids::VARCHAR[], "
                "area_codes::VARCHAR[], location, batch_id, replaced_by FROM frame")
    # A coordinator's change still in force keeps replacing the rebuilt base row.
    cur.execute(
        "UPDATE action_state s SET replaced_by = l.batch_id FROM "
        "(SELECT action_id, batch_id FROM action_state ls JOIN batch b ON b.id = ls.batch_id "
        " WHERE b.kind = 'load' AND b.undone_at IS NULL AND ls.replaced_by IS NULL) l "
        "WHERE s.action_id = l.action_id AND s.batch_id = ?", [batch_id])


def store_meta(cur, key: str) -> str | None:
    row = cur.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def _write_illustrative(cur, settings: Settings, areas: pd.DataFrame, seed: int,
                        sha: str, cat: catalog_mod.Catalog) -> None:
    """The illustrative batch: district series of the configured generator (if any) and
    values for the benchmark peers."""
    generated = _district_series(settings, areas, seed, cat)
    city_values = cat.measurements[["indicator_id", "period", "value"]]
    peers = illustrative.benchmark_values(cat.indicators, city_values,
                                          geodata.benchmark_members(settings),
                                          settings.nis_code, seed)
    cur.execute("DELETE FROM measurement WHERE batch_id IN "
                "(SELECT id FROM batch WHERE kind = 'illustrative')")
    cur.execute("DELETE FROM layer_feature WHERE batch_id IN "
                "(SELECT id FROM batch WHERE kind = 'illustrative')")
    name = settings.city.district_generator or "-"
    measurements = pd.concat([generated.measurements, peers], ignore_index=True)
    batch_id = _new_batch(cur, "illustrative", f"dashboard.illustrative {name} v"
                          f"{illustrative.GENERATOR_VERSION} seed {seed}", sha,
                          len(measurements) + len(generated.features))
    cur.execute("DELETE FROM batch WHERE kind = 'illustrative' AND id <> ?", [batch_id])
    source = illustrative.SOURCE.format(seed=seed)
    meas = measurements.assign(source=source, illustrative=True, batch_id=batch_id,
                               replaced_by=None, note=None)
    feats = generated.features.assign(source=source, illustrative=True, batch_id=batch_id,
                                      replaced_by=None)
    frame = meas  # noqa: F841
    cur.execute("INSERT INTO measurement SELECT indicator_id, area_code, period, value, source, "
                "illustrative, batch_id, replaced_by, note FROM frame")
    if len(feats):
        frame = feats  # noqa: F841
        cur.execute("INSERT INTO layer_feature SELECT layer, feature_id, name, area_code, "
                    "properties, geometry, source, illustrative, batch_id, replaced_by "
                    "FROM frame")


def _district_series(settings: Settings, areas: pd.DataFrame, seed: int,
                     cat: catalog_mod.Catalog) -> illustrative.Generated:
    """The configured district generator's output; empty when the city names none."""
    name = settings.city.district_generator
    if not name:
        return illustrative.Generated(
            pd.DataFrame(columns=["indicator_id", "area_code", "period", "value"]),
            pd.DataFrame(columns=["layer", "feature_id", "name", "area_code", "properties",
                                  "geometry"]))
    if name not in illustrative.GENERATORS:
        raise InputError([Problem(str(settings.city_config), None, "district_generator",
                                  f"onbekende generator '{name}' (bekend: "
                                  f"{', '.join(illustrative.GENERATORS)})")])
    sectors = geodata.load_level(settings.geo_dir, "sector")
    parents = dict(zip(areas["code"], areas["parent_codes"]))
    gen = illustrative.GENERATORS[name](sectors[["code", "name", "geometry"]], parents, seed)
    known = set(cat.indicators["id"])
    missing = sorted(set(gen.measurements["indicator_id"]) - known)
    if missing:
        raise InputError([Problem(str(settings.catalog_dir / "indicators.csv"), None, "id",
                                  f"indicator ontbreekt maar de generator vult ze: {m}")
                          for m in missing])
    return gen
