"""Command line: ``python -m dashboard build | geodata | import | undo | actions | …``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from . import i18n
from .errors import InputError, Problem, StoreWriteError
from .settings import describe, load_settings
from .store import DatabaseBusy


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


def _import_mapping(args: argparse.Namespace, settings):
    """The column mapping the flags give: a saved one (--mapping), then --column,
    --wide, --indicator-column and --header-row on top; and whether a person gave it."""
    from .loads import columns

    mapping = (columns.load_mapping(columns.mapping_dir(settings), args.mapping)
               if args.mapping else columns.Mapping())
    mapping.columns.update(columns.parse_column_flags(args.column or []).columns)
    if args.wide:
        mapping.wide = args.wide
    for flag in args.indicator_column or []:
        header, sep, ind = flag.partition("=")
        if not sep or not header.strip() or not ind.strip():
            raise InputError([Problem("--indicator-column", None, None, i18n.t(
                "'{flag}': verwacht KOLOM=INDICATOR", flag=flag))])
        mapping.indicator_columns[header.strip()] = ind.strip()
        mapping.wide = mapping.wide or "indicator"
    if args.header_row:
        mapping.header_row = args.header_row
    given = bool(args.mapping or args.column or args.wide or args.indicator_column
                 or args.header_row or args.confirm_mapping or args.save_mapping)
    return mapping, given


def _print_columns(validated, stream) -> None:
    res = validated.columns
    if res is None:
        return
    print(i18n.t("Kolomindeling:"), file=stream)
    for line in res.lines():
        print(f"  {line}", file=stream)
    if res.header:
        print("  " + i18n.t("kolommen in de kopregel: {columns}", columns=", ".join(
            f"'{h}'" for h in res.header if h)), file=stream)


def _print_unmatched(validated, stream) -> None:
    u = validated.unmatched
    if not len(u):
        return
    print(i18n.t("Onbekende gebieden en de meest gelijkende:"), file=stream)
    for value, rows, cands in zip(u["value"], u["rows"], u["candidates"]):
        print("  " + i18n.t("'{value}' (rij {rows}): {candidates}", value=value, rows=rows,
                            candidates=cands or i18n.t("geen gelijkende gevonden")),
              file=stream)


def _cmd_import(args: argparse.Namespace) -> int:
    """Validate and (unless --dry-run) commit one file; exit 0 only when it was committed."""
    from . import geodata, loads
    from .loads import columns
    from .store import Store

    settings = load_settings()
    path = Path(args.file)
    if not path.is_file():
        print(f"Fout: {path}: bestand niet gevonden; niets geschreven.", file=sys.stderr)
        return 2
    mapping, mapping_given = (None, False) if args.layer else _import_mapping(args, settings)
    if args.save_mapping:  # the name is checked before anything is read
        columns._mapping_path(columns.mapping_dir(settings), args.save_mapping)
    data = path.read_bytes()
    with Store(settings.db_path, lock_wait=settings.db_lock_wait) as store:
        if args.layer:
            validated = loads.validate_layer_file(
                data, path.name, args.layer, geodata.load_level(settings.geo_dir, "gemeente"),
                geodata.load_level(settings.geo_dir, "sector"))
        else:
            validated = loads.validate_file(data, path.name, store, indicator=args.indicator,
                                            sheet=args.sheet, mapping=mapping)
        res = getattr(validated, "columns", None)
        if not validated.ok:
            errors = validated.errors
            print(i18n.tn("Fout: {n} probleem in {file}; niets geschreven.",
                          "Fout: {n} problemen in {file}; niets geschreven.", len(errors),
                          file=path.name), file=sys.stderr)
            for r, f, why in zip(errors["row"], errors["field"], errors["reason"]):
                where = path.name + (f", rij {r}" if r else "") + (f", kolom '{f}'" if f else "")
                print(f"  {where}: {why}", file=sys.stderr)
            if not args.layer:
                _print_unmatched(validated, sys.stderr)
                if res is not None and (not res.standard or res.problems):
                    _print_columns(validated, sys.stderr)
                    if res.problems:
                        print(i18n.t("Kies de kolommen met --column ROL=KOLOM (rollen: "
                                     "{roles}) of --header-row N.",
                                     roles=", ".join(columns.ROLES)), file=sys.stderr)
            return 2
        if res is not None and (not res.standard or mapping_given):
            _print_columns(validated, sys.stdout)
        for r, f, why in zip(validated.warnings["row"], validated.warnings["field"],
                             validated.warnings["reason"]):
            print(f"Waarschuwing: {path.name}, rij {r}, kolom '{f}': {why}", file=sys.stderr)
        if not args.layer:
            print(loads.preview(store, validated).to_string(index=False))

        def save() -> None:
            if args.save_mapping and res is not None:
                keep = res.mapping(args.indicator or mapping.indicator,
                                   args.sheet or mapping.sheet)
                keep.header_row = mapping.header_row
                where = columns.save_mapping(columns.mapping_dir(settings), args.save_mapping,
                                             keep)
                print(i18n.t("Kolomindeling bewaard als '{name}' ({path}).",
                             name=args.save_mapping, path=where))

        if args.dry_run:
            save()
            print("Proefrun (--dry-run): niets geschreven.")
            return 1
        if res is not None and not res.standard and not mapping_given:
            print(i18n.t("Fout: de kolomindeling hierboven is herkend, niet bevestigd; niets "
                         "geschreven. Bevestig met --confirm-mapping, of geef ze met {flags}, "
                         "of met --mapping NAAM.", flags=res.flags()), file=sys.stderr)
            return 3
        try:
            result = loads.commit(store, validated, who=args.who,
                                  confirm_warnings=args.confirm_warnings)
        except loads.LoadRefused as exc:
            print(f"Fout: {exc}. Bevestig met --confirm-warnings.", file=sys.stderr)
            return 3
        except StoreWriteError as exc:
            print(f"Fout: {exc}", file=sys.stderr)
            return 4
        save()
    print(f"Geladen als {result['batch_id']}: {result['rows']} rijen, "
          f"{result['replaced']} vervangen.")
    return 0


def _cmd_undo(args: argparse.Namespace) -> int:
    from .store import Store

    settings = load_settings()
    with Store(settings.db_path, lock_wait=settings.db_lock_wait) as store:
        try:
            result = store.undo_batch(args.batch)
        except ValueError as exc:
            print(f"Fout: {exc}", file=sys.stderr)
            return 2
        except StoreWriteError as exc:
            print(f"Fout: {exc}", file=sys.stderr)
            return 4
    print(f"Lading {args.batch} ongedaan gemaakt; {result['restored']} vorige waarden terug.")
    return 0


def _print_problems(problems, stream) -> None:
    for p in problems:
        where = p.file + (f", rij {p.row}" if p.row is not None else "") + (
            f", kolom '{p.field}'" if p.field else "")
        print(f"  {where}: {p.reason}", file=stream)


def _cmd_actions_export(args: argparse.Namespace) -> int:
    """The action list as an Excel workbook (Dutch), to edit and load again."""
    from .actions import sheet
    from .board import Board
    from .store import Store

    settings = load_settings()
    with Store(settings.db_path, read_only=True, lock_wait=settings.db_lock_wait) as store:
        board = Board(store, settings)
        with i18n.language("nl"):
            actions = board.actions(board.view(None, "nl"))
            data = sheet.to_xlsx(actions)
    Path(args.file).write_bytes(data)
    print(i18n.t("Actielijst geschreven: {file} ({n} acties).", file=args.file,
                 n=len(actions)))
    return 0


def _print_changes(checked) -> None:
    from .actions import model

    def text(field, value):
        if field == "status":
            return model.status_label(value)
        if field == "phase":
            return model.phase_label(value) if value else "—"
        if isinstance(value, list | tuple):
            return ";".join(map(str, value)) or "—"
        return "—" if value is None or (isinstance(value, float) and value != value) \
            else str(value)

    for a, f, before, after in zip(checked.changes["action_id"], checked.changes["field"],
                                   checked.changes["before"], checked.changes["after"]):
        print(f"  {a}  {f}: {text(f, before)} → {text(f, after)}")
    for a, day, note in zip(checked.updates["action_id"], checked.updates["day"],
                            checked.updates["text"]):
        print(f"  {a}  update {day}: {note}")


def _cmd_actions_load(args: argparse.Namespace) -> int:
    """Check and (unless --dry-run) commit an edited action list; exit 0 only when it was
    committed (or had nothing to change)."""
    from .actions import edit, sheet
    from .store import Store

    settings = load_settings()
    path = Path(args.file)
    if not path.is_file():
        print(f"Fout: {path}: bestand niet gevonden; niets geschreven.", file=sys.stderr)
        return 2
    with Store(settings.db_path, lock_wait=settings.db_lock_wait) as store:
        checked = sheet.read(path.read_bytes(), path.name, edit.Context(store))
        if not checked.ok:
            print(i18n.tn("Fout: {n} probleem in {file}; niets geschreven.",
                          "Fout: {n} problemen in {file}; niets geschreven.",
                          len(checked.problems), file=path.name), file=sys.stderr)
            _print_problems(checked.problems, sys.stderr)
            return 2
        changed = checked.changes["action_id"].nunique()
        print(i18n.t("{file}: {n} acties gewijzigd, {m} updates.", file=path.name, n=changed,
                     m=len(checked.updates)))
        _print_changes(checked)
        if args.dry_run:
            print("Proefrun (--dry-run): niets geschreven.")
            return 1
        if not changed and not len(checked.updates):
            print(i18n.t("Geen wijzigingen; niets geschreven."))
            return 0
        try:
            result = edit.commit(store, checked, args.who)
        except StoreWriteError as exc:
            print(f"Fout: {exc}", file=sys.stderr)
            return 4
    return _saved(result)


def _saved(result: dict) -> int:
    """Print what an action change set wrote and how to undo it."""
    print(i18n.t("Opgeslagen als {batch}: {changed} acties gewijzigd, {updates} updates "
                 "(ongedaan maken: python -m dashboard undo {batch}).",
                 batch=result["batch_id"], changed=result["changed"],
                 updates=result["updates"]))
    return 0


def _cmd_actions_status(args: argparse.Namespace) -> int:
    """One action's status with its dated comment (and further fields), one batch."""
    import datetime as dt

    from . import clock
    from .actions import edit
    from .store import Store

    settings = load_settings()
    today = clock.now_local().date()
    try:
        day = dt.date.fromisoformat(args.date) if args.date else today
    except ValueError:
        print(f"Fout: --date '{args.date}': verwacht JJJJ-MM-DD; niets geschreven.",
              file=sys.stderr)
        return 2
    fields = {k: v for k, v in (("fase", args.phase), ("start", args.start),
                                ("einde", args.end), ("dienst", args.service),
                                ("contact", args.contact)) if v is not None}
    with Store(settings.db_path, lock_wait=settings.db_lock_wait) as store:
        try:
            result = edit.set_status(store, args.id, args.status, args.comment, day,
                                     args.who, file="cli", today=today, **fields)
        except StoreWriteError as exc:
            print(f"Fout: {exc}", file=sys.stderr)
            return 4
    if not result["batch_id"]:
        print(i18n.t("Geen wijzigingen; niets geschreven."))
        return 0
    return _saved(result)


def _cmd_publish(args: argparse.Namespace) -> int:
    from . import snapshot
    from .store import Store

    settings = load_settings()
    target = Path(args.to) if args.to else settings.snapshot_dir
    if target is None:
        print("Fout: geef --to MAP of zet DASHBOARD_SNAPSHOT_DIR.", file=sys.stderr)
        return 2
    with Store(settings.db_path, lock_wait=settings.db_lock_wait) as store:
        folder = snapshot.publish(store, settings.geo_dir, target)
    print(f"Momentopname gepubliceerd: {folder}")
    return 0


def _cmd_hash_password(args: argparse.Namespace) -> int:
    import getpass

    from .auth import hash_password

    print(hash_password(getpass.getpass("Wachtwoord voor de beheerpagina: ")))
    return 0


def _stand(args: argparse.Namespace):
    """``--stand`` as a local moment (None: now) and whether it was valid (else the
    reason is printed)."""
    from . import clock, state

    if not args.stand:
        return None, True
    moment, notice = state.parse_as_of(args.stand, clock.now_local(), quote=str)
    if notice:
        print(f"Fout: {notice}", file=sys.stderr)
        return None, False
    return moment, True


def _cmd_report(args: argparse.Namespace) -> int:
    import datetime as dt
    from .board import Board

    from . import report
    from .render import RenderError
    from .store import Store

    settings = load_settings()
    moment, ok = _stand(args)
    if not ok:
        return 2
    spearheads = [int(s) for s in args.spearhead] if args.spearhead else None
    start = dt.datetime.now()
    try:
        with Store(settings.db_path, read_only=True, lock_wait=settings.db_lock_wait) as store:
            board = Board(store, settings)
            data = report.build_pdf(board, board.view(moment, args.taal), spearheads)
    except RenderError as exc:
        print(f"Fout: {exc}", file=sys.stderr)
        return 2
    Path(args.out).write_bytes(data)
    seconds = (dt.datetime.now() - start).total_seconds()
    print(f"Rapport geschreven: {args.out} ({len(data) // 1024} kB, {seconds:.1f} s)")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    """Open data: CSV, Parquet, GeoJSON and metadata of every indicator (or one)."""
    from .board import Board
    from . import clock, opendata, state
    from .store import Store

    settings = load_settings()
    local, ok = _stand(args)
    if not ok:
        return 2
    moment = clock.to_utc(local) if local else None
    if not settings.db_path.exists():
        print(f"Fout: {settings.db_path} bestaat niet; voer eerst 'python -m dashboard "
              "build' uit.", file=sys.stderr)
        return 2
    with Store(settings.db_path, read_only=True, lock_wait=settings.db_lock_wait) as store:
        data = Board(store, settings)
        board = data.open_data(data.view(local))
    if args.indicator and args.indicator not in opendata.indicator_ids(board):
        print(f"Fout: onbekende indicator '{args.indicator}'; niets geschreven.",
              file=sys.stderr)
        return 2
    written = opendata.write_export(board, Path(args.out), args.indicator)
    stand = f" (stand {state.format_as_of(clock.to_local(moment))})" if moment else ""
    print(f"Open data geschreven naar {args.out}{stand}: {len(written)} bestanden, "
          f"{sum(written.values()) // 1024} kB.")
    return 0


def _cmd_i18n(args: argparse.Namespace) -> int:
    missing = i18n.update_catalogs()
    for lang, n in missing.items():
        print(f"{lang}: {n} onvertaalde teksten ({i18n.LOCALE_DIR / (lang + '.po')})")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    import datetime as dt
    from .board import Board

    from . import clock, statusdoc
    from .status import STATUS_LABEL
    from .store import Store

    today = dt.date.fromisoformat(args.today) if args.today else clock.now_local().date()
    settings = load_settings()
    with Store(settings.db_path, read_only=True, lock_wait=settings.db_lock_wait) as store:
        counts = statusdoc.write(Board(store, settings), Path(args.out), today)
    print(f"{args.out}: " + ", ".join(f"{STATUS_LABEL[k]} {v}" for k, v in sorted(counts.items())))
    return 0


def _cmd_settings(args: argparse.Namespace) -> int:
    print(describe())
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard",
                                description="Monitoringsbord (stad: DASHBOARD_CITY_CONFIG)")
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
    i = sub.add_parser("import", help="valideer en laad een CSV/Excel- of GIS-bestand")
    i.add_argument("file", metavar="FILE")
    i.add_argument("--indicator", help="indicator-id als het bestand geen kolom indicator heeft")
    i.add_argument("--layer", choices=["laadpunten", "warmtenet_leiding", "warmtenet_zone",
                                       "ontharding_project"], help="laad een GIS-laag")
    i.add_argument("--sheet", help="werkblad in een .xlsx (standaard het eerste)")
    i.add_argument("--dry-run", action="store_true", help="valideer en toon, schrijf niets")
    i.add_argument("--who", default="cli", help="wie laadt (voor de geschiedenis)")
    i.add_argument("--confirm-warnings", action="store_true",
                   help="bevestig de waarschuwingen (sprongen, sommen)")
    i.add_argument("--column", action="append", metavar="ROL=KOLOM",
                   help="welke kolom (kop zoals in het bestand) welke rol heeft: area, "
                   "period, value, indicator, level, unit, source, note (of gebied, jaar, "
                   "waarde, ...); ROL= laat een rol weg; herhaalbaar")
    i.add_argument("--wide", choices=["none", "period", "indicator"],
                   help="breed formaat: jaren als kolommen (period) of één indicator per "
                   "kolom (indicator); standaard herkend")
    i.add_argument("--indicator-column", action="append", metavar="KOLOM=INDICATOR",
                   help="breed formaat: deze kolom bevat de waarden van die indicator")
    i.add_argument("--header-row", type=int, metavar="N",
                   help="de kopregel staat op rij N (standaard herkend)")
    i.add_argument("--mapping", metavar="NAAM", help="gebruik een bewaarde kolomindeling")
    i.add_argument("--save-mapping", metavar="NAAM",
                   help="bewaar de gebruikte kolomindeling onder deze naam (als het bestand "
                   "geen fouten heeft)")
    i.add_argument("--confirm-mapping", action="store_true",
                   help="bevestig de herkende kolomindeling")
    i.set_defaults(func=_cmd_import)
    u = sub.add_parser("undo", help="maak een lading ongedaan")
    u.add_argument("batch", metavar="BATCH_ID")
    u.set_defaults(func=_cmd_undo)
    act = sub.add_parser("actions", help="de acties van de nota: Excel-lijst en status")
    acts = act.add_subparsers(dest="actions_command", required=True)
    ae = acts.add_parser("export", help="schrijf de actielijst als Excel-bestand")
    ae.add_argument("file", metavar="FILE.xlsx")
    ae.set_defaults(func=_cmd_actions_export)
    al = acts.add_parser("load", help="valideer en laad een bewerkte actielijst")
    al.add_argument("file", metavar="FILE.xlsx")
    al.add_argument("--dry-run", action="store_true", help="valideer en toon, schrijf niets")
    al.add_argument("--who", default="cli", help="wie wijzigt (voor de geschiedenis)")
    al.set_defaults(func=_cmd_actions_load)
    ast = acts.add_parser("status", help="wijzig de status van een actie (met toelichting)")
    ast.add_argument("id", metavar="ID", help="de actie, bv. a1.1.01")
    ast.add_argument("status", metavar="STATUS",
                     help="niet gestart, in voorbereiding, in uitvoering, afgerond, "
                     "stopgezet (of de code; leeg: nog niet beoordeeld)")
    ast.add_argument("--comment", required=True, help="toelichting (verplicht)")
    ast.add_argument("--date", metavar="JJJJ-MM-DD", help="datum (standaard vandaag)")
    ast.add_argument("--phase", help="fase")
    ast.add_argument("--start", help="startjaar")
    ast.add_argument("--end", help="eindjaar")
    ast.add_argument("--service", help="verantwoordelijke dienst")
    ast.add_argument("--contact", help="contactrol")
    ast.add_argument("--who", default="cli", help="wie wijzigt (voor de geschiedenis)")
    ast.set_defaults(func=_cmd_actions_status)
    pub = sub.add_parser("publish",
                         help="publiceer een alleen-lezen momentopname voor replica's")
    pub.add_argument("--to", metavar="DIR", help="map met momentopnamen (standaard "
                     "DASHBOARD_SNAPSHOT_DIR)")
    pub.set_defaults(func=_cmd_publish)
    h = sub.add_parser("hash-password", help="maak de hash van het beheerderswachtwoord")
    h.set_defaults(func=_cmd_hash_password)
    r = sub.add_parser("report", help="PDF-rapport (per speerpunt of het hele bord)")
    r.add_argument("--spearhead", action="append", metavar="N",
                   help="speerpunt (herhaalbaar); zonder: alle speerpunten")
    r.add_argument("--stand", help="vastgepinde stand (datum of datum en tijd)")
    r.add_argument("--taal", default="nl", choices=["nl", "en", "fr"])
    r.add_argument("--out", required=True, metavar="FILE.pdf")
    r.set_defaults(func=_cmd_report)
    x = sub.add_parser("export", help="open data: CSV, Parquet, GeoJSON en metadata per "
                       "indicator en voor het hele bord")
    x.add_argument("--out", required=True, metavar="DIR", help="doelmap (wordt aangemaakt)")
    x.add_argument("--indicator", metavar="ID", help="enkel deze indicator")
    x.add_argument("--stand", help="vastgepinde stand (datum of datum en tijd)")
    x.set_defaults(func=_cmd_export)
    t = sub.add_parser("i18n", help="werk de vertaalbestanden (locales/*.po) bij")
    t.set_defaults(func=_cmd_i18n)
    st = sub.add_parser("status", help="schrijf het oordeel over elke indicator naar een "
                                       "Markdown-bestand (docs/status.md)")
    st.add_argument("--out", required=True, metavar="FILE.md")
    st.add_argument("--today", metavar="JJJJ-MM-DD",
                    help="datum voor de datakalender (standaard vandaag)")
    st.set_defaults(func=_cmd_status)
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
    except DatabaseBusy as exc:  # held by another process beyond DASHBOARD_DB_LOCK_WAIT
        print(f"Fout: {exc}", file=sys.stderr)
        return 5
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        # DuckDB allows one process per file while one of them writes (the running app).
        print("Fout: de database is in gebruik door een ander proces (de app?); stop dat "
              f"eerst of gebruik een gepubliceerde kopie. Niets geschreven. ({exc})",
              file=sys.stderr)
        return 2
