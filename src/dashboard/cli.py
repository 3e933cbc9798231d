"""Command line: ``python -m dashboard build | geodata | settings``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InputError
from .settings import describe, load_settings


def _cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    settings = load_settings()
    report = build(settings)
    changed = ", ".join(report.changed) or "niets (alles was al actueel)"
    print(f"Database {report.db_path} bijgewerkt: {changed}.")
    print("Inhoud: " + ", ".join(f"{k}={v}" for k, v in sorted(report.counts.items())))
    print(f"Geometrie: {report.geometry.get('source')} "
          + ", ".join(f"{lv}={info['count']} ({info['quality']})"
                      for lv, info in report.geometry.get("levels", {}).items()))
    return 0


def _cmd_geodata(args: argparse.Namespace) -> int:
    from . import geodata

    settings = load_settings()
    if args.download:
        reports = geodata.download_geodata(settings)
    else:
        reports = geodata.import_geodata(Path(args.source), settings)
    print(f"Geometrie geschreven naar {settings.geo_dir}:")
    for r in reports:
        print(f"  {r.level:<13} {r.count:>4}  {r.quality:<11} bron: {r.source}")
    print("Voer 'python -m dashboard build' uit om de database bij te werken.")
    return 0


def _cmd_settings(args: argparse.Namespace) -> int:
    print(describe())
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard",
                                description="Kortrijk 2040 monitoringsbord")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="maak of ververs de DuckDB-database (idempotent)")
    b.set_defaults(func=_cmd_build)
    g = sub.add_parser("geodata", help="importeer officiële geodata in de geometrie-opslag")
    src = g.add_mutually_exclusive_group(required=True)
    src.add_argument("--from", dest="source", metavar="DIR",
                     help="map met GeoJSON/GeoPackage/Shapefile-bestanden")
    src.add_argument("--download", action="store_true",
                     help="download van de uitgevers (Statbel, Provincies in Cijfers)")
    g.set_defaults(func=_cmd_geodata)
    s = sub.add_parser("settings", help="toon alle instellingen")
    s.set_defaults(func=_cmd_settings)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print("Fout: niets geschreven.", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
