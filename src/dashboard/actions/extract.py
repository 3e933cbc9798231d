"""Extract the action catalog from the Inspiratienota text (issue 14, point 1).

The note lists, under every numbered section of a spearhead chapter, what the
city will do as bullets ("- We ..."), with key words in bold (``**...**``).
``extract`` turns those bullets into one row per action; ``main`` writes
``data/catalog/actions.csv`` and applies the human-edited
``data/catalog/actions_corrections.csv`` (id, field, value) on top, by id.
The extractor never writes the corrections file, and a rerun on unchanged
input gives byte-identical output.

Parsing rules (written down so the catalog can be checked by hand):

- A spearhead chapter starts at a line ``Speerpunt N: Title`` and ends at the
  next such line or at ``OUTRO``.
- A section starts at a line ``N.M Title`` whose N is the current spearhead.
- An action is a line starting with ``- `` (optionally indented) inside a
  section. A bullet that starts with a lower-case letter, and a plain
  paragraph starting with a lower-case letter right after a bullet, continue
  the previous action (page breaks of the PDF export); a trailing hyphen is
  joined without a space.
- A short bullet without bold words that is followed by indented bullets is a
  group heading ("- Extra windturbines"), not an action; so is a line
  ``• Basisonderwijs:``. The group heading is kept in ``source_section``.
- The id is ``a{spearhead}.{section}.{nn}``, nn counting the actions of the
  section in reading order.
- title: the first bold span (footnote stars removed), else the first eight
  words of the sentence.
- target_year: the first year 2024-2050 after "tegen", "voor", "tot" or
  "vanaf"; else the end year of "tussen X en Y"; else a year after "in".
- quantity: the first bold span that starts with a number; else
  "<number> extra|nieuwe|bijkomende <word>"; else "<number> MW|GWh|m²|m³".
- place: every known place (``KNOWN_PLACES`` plus the wijk and deelgemeente
  names of Kortrijk from the geodata) named in the sentence, ";"-separated.
- indicator_ids: ``INDICATOR_RULES`` (a keyword in the lower-cased sentence ->
  indicator ids); empty when no rule fires.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

COLUMNS = (
    "id",
    "spearhead_id",
    "section",
    "title",
    "text",
    "target_year",
    "quantity",
    "place",
    "indicator_ids",
    "source_section",
)
CORRECTABLE = tuple(c for c in COLUMNS if c not in ("id",))

REPO = Path(__file__).resolve().parents[3]
DEFAULT_OUT = REPO / "data" / "catalog" / "actions.csv"
DEFAULT_CORRECTIONS = REPO / "data" / "catalog" / "actions_corrections.csv"
DEFAULT_INDICATORS = REPO / "data" / "catalog" / "indicators.csv"
DEFAULT_SEED_GLOB = "001_*.txt"

KNOWN_PLACES = (
    "parking Groeninghelaan",
    "Hangar K",
    "Kortrijk Weide",
    "Hoog Kortrijk",
    "Gentse Poort",
    "Venning",
    "Kortrijk Centrum",
    "Drie Hofsteden",
    "Sint-Elisabeth",
)

# other spellings of a known place in the note ("St Elisabeth")
PLACE_ALIASES: dict[str, tuple[str, ...]] = {
    "Sint-Elisabeth": ("St Elisabeth", "St.-Elisabeth", "Sint Elisabeth"),
}

# keyword (searched in the lower-cased sentence) -> indicator ids it serves.
INDICATOR_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kinderopvangplaatsen", ("kinderopvang_extra_plaatsen", "kinderopvang_per_100")),
    ("basisonderwijs gecreëerd", ("basisonderwijs_extra_plaatsen",)),
    ("plaatsen voor kortrijkse jongeren", ("secundair_onderwijs_extra_plaatsen",)),
    ("studentenstad", ("studenten_hoger_onderwijs",)),
    ("doorstromen vanuit", ("doorstroom_sociale_economie_vte",)),
    ("sociale woningen", ("sociale_woningen_extra", "sociale_woningen_per_100_hh")),
    ("leegstand en verwaarlozing", ("leegstaande_woningen",)),
    ("energiecoaches", ("renovatiecoaching_huishoudens", "woningen_epc_c_aandeel")),
    ("renovatiebegeleiding", ("renovatiecoaching_huishoudens", "woningen_epc_c_aandeel")),
    ("collectief georganiseerde energiebesparende", ("collectieve_energierenovaties",)),
    ("renovatietrajecten op maat", ("renovatietrajecten_op_maat",)),
    ("hernieuwbare energieprojecten", ("energiedeelprojecten",)),
    ("woonzorgcentra, 186", ("wzc_extra_plaatsen", "assistentiewoningen_extra",
                             "dagverzorging_extra_plaatsen", "wzc_marktaandeel")),
    ("alleen nog zorgdorpen", ("zorgdorpen_aandeel",)),
    ("bijkomende levensloopbestendige", ("levensloopbestendige_woningen_extra",)),
    ("uitpas", ("uitpas_bekendheid", "uitpas_actief_gebruik")),
    ("zwemopleiding", ("kinderen_zwemopleiding_aandeel",)),
    ("speelprikkels", ("speelprikkels_investeringsprojecten_aandeel",)),
    ("100% welkom", ("organisaties_sleutelfiguur_welkom_aandeel",)),
    ("bevolkingsgroei", ("inwoners", "bevolkingsgroei_sinds_2024")),
    ("extra woningen", ("extra_woningen",)),
    ("wijkrenovaties", ("wijkrenovaties_fossielvrij_aandeel",)),
    ("enkel nog fossielvrij", ("patrimonium_fossielvrij_aandeel",)),
    ("energieverbruik vermindert", ("eigen_energieverbruik_daling",)),
    ("daken van particulieren", ("daken_met_pv_aandeel",)),
    ("carports", ("pv_parkings_mwp",)),
    ("windturbines", ("windvermogen_mw",)),
    ("industriële restwarmte", ("restwarmte_gwh", "warmtenet_aandeel_gebouwen")),
    ("deelwagens", ("deelwagens", "deelwagens_per_1000_inw")),
    ("laadpa", ("laadpunten", "laadpunten_per_100_inw")),
    ("voertuigkilometers", ("voertuigkilometers_reductie",)),
    ("extra bomen", ("extra_bomen",)),
    ("geveltuin", ("haag_gevelgroen_extra_m", "haag_gevelgroen_per_inwoner")),
    ("bouwshift", ("bouwshift_open_ruimte",)),
    ("hemelwateropvang", ("hemelwateropvang_extra_m3",)),
    ("ontharden we", ("ontharde_oppervlakte", "ontharding_per_inwoner")),
    ("zuiveringsinstallaties", ("zuivering_extra_inwoners", "zuiveringsgraad")),
    ("1777", ("lijn1777_binnen_5_werkdagen",)),
    ("vrijwilligers. deze", ("vrijwilligers",)),
    ("beheers - en exploitatieplan", ("gebouwen_beheerplan_aandeel",)),
    ("duurzaam en circulair", ("eigen_bouw_duurzaam_circulair_aandeel",)),
)

_SPEARHEAD = re.compile(r"^Speerpunt (\d+):\s*(.+?)\s*$")
_SECTION = re.compile(r"^(\d+)\.(\d+)\s+(\S.*?)\s*$")
_BULLET = re.compile(r"^(\s*)-\s+(.*?)\s*$")
_GROUP = re.compile(r"^•\s*(.+?):?\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_YEAR = r"(20[2-5]\d)\b"
_YEAR_AFTER = re.compile(r"\b(?:tegen|voor|tot|vanaf)\s+" + _YEAR, re.IGNORECASE)
_YEAR_BETWEEN = re.compile(r"\btussen\s+20\d\d\s+en\s+" + _YEAR, re.IGNORECASE)
_YEAR_IN = re.compile(r"\bin\s+" + _YEAR, re.IGNORECASE)
_QTY_WORDS = re.compile(
    r"(?<![\w.,])(\d[\d.,]*\s+(?:extra|nieuwe|bijkomende)\s+[\wÀ-ÿ'-]+)"
)
_QTY_UNITS = re.compile(r"(?<![\w.,])(\d[\d.,]*\s?(?:MW|GWh|m²|m³)(?![\w]))")
_NUM_START = re.compile(r"^\d")
_NOT_QUANTITY = ("minuten", "lijn")


def _clean(text: str) -> str:
    """Remove bold markers and footnote stars; normalise spaces."""
    text = text.replace("**", "")
    text = re.sub(r"(?<=[\w)'\"])\*+", "", text)
    text = re.sub(r"(?:^|\s)\*+(?=\s|$)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _bold_spans(raw: str) -> list[str]:
    return [s for s in (_clean(b) for b in _BOLD.findall(raw)) if s]


def _title(raw: str, text: str) -> str:
    spans = _bold_spans(raw)
    if spans:
        return spans[0].strip(" .,;:")
    words = text.split()[:8]
    return " ".join(words).rstrip(" .,;:")


def _target_year(text: str) -> str:
    for pattern in (_YEAR_AFTER, _YEAR_BETWEEN, _YEAR_IN):
        for m in pattern.finditer(text):
            year = int(m.group(1))
            if 2024 <= year <= 2050:
                return str(year)
    return ""


def _quantity(raw: str, text: str) -> str:
    for span in _bold_spans(raw):
        if _NUM_START.match(span) and not any(w in span for w in _NOT_QUANTITY):
            return span.strip(" .,;:")
    for pattern in (_QTY_WORDS, _QTY_UNITS):
        m = pattern.search(text)
        if m:
            return m.group(1).rstrip(" .,;:")
    return ""


def _places(text: str, places: Sequence[str]) -> str:
    """Known places named in the sentence, in order of first mention."""
    found: dict[str, int] = {}
    for name in places:
        for spelling in (name, *PLACE_ALIASES.get(name, ())):
            m = re.search(r"(?<![\w-])" + re.escape(spelling) + r"(?![\w-])", text)
            if m and (name not in found or m.start() < found[name]):
                found[name] = m.start()
    return ";".join(sorted(found, key=lambda n: (found[n], n)))


def _indicators(text: str) -> str:
    low = text.lower()
    ids: list[str] = []
    for keyword, targets in INDICATOR_RULES:
        if keyword in low:
            ids.extend(t for t in targets if t not in ids)
    return ";".join(ids)


def load_place_names(geo_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Known places plus Kortrijk's wijk and deelgemeente names (geodata)."""
    import pyogrio

    env = os.environ.get("DASHBOARD_GEODATA_DIR")
    base = Path(geo_dir or env or REPO.parent / "shared" / "geo")
    names = list(KNOWN_PLACES)
    for layer, field in (
        ("kortrijk_wijken_2024.geojson", "wijk_naam"),
        ("kortrijk_deelgemeenten_2024.geojson", "deelgemeente_naam"),
    ):
        frame = pyogrio.read_dataframe(base / layer, columns=[field], read_geometry=False)
        for value in frame[field]:
            name = re.sub(r"\s*\((?:Kortrijk|Dg\.)\)\s*$", "", str(value)).strip()
            # the city's own name would match nearly every sentence
            if name and name != "Kortrijk" and name not in names:
                names.append(name)
    # longest first, so "Kortrijk Centrum" is reported before shorter names
    return sorted(names, key=lambda n: (-len(n), n))


def _bullets(text: str) -> Iterable[tuple[int, str, str, str, str]]:
    """Yield (spearhead, section number, section title, group, raw bullet)."""
    lines = text.splitlines()
    spearhead = 0
    section: tuple[str, str] | None = None
    group = ""
    current: list[str] | None = None
    pending: list[tuple[int, str, str, str, list[str]]] = []
    dash_group = False

    for i, line in enumerate(lines):
        stripped = line.strip()
        m = _SPEARHEAD.match(stripped)
        if m:
            spearhead, section, current, group = int(m.group(1)), None, None, ""
            continue
        if stripped == "OUTRO":
            spearhead, section, current = 0, None, None
            continue
        if not spearhead:
            continue
        m = _SECTION.match(stripped)
        if m and int(m.group(1)) == spearhead:
            section = (f"{m.group(1)}.{m.group(2)}", _clean(m.group(3)))
            current, group, dash_group = None, "", False
            continue
        if section is None or not stripped:
            continue
        m = _GROUP.match(stripped)
        if m:
            group, current = _clean(m.group(1)), None
            dash_group = False
            continue
        m = _BULLET.match(line)
        if m:
            indent, body = m.group(1), m.group(2)
            if body[:1].islower() and current is not None:
                current.append(body)
                continue
            nxt = next((s for s in lines[i + 1:] if s.strip()), "")
            if (
                not indent
                and "**" not in body
                and len(body.split()) <= 4
                and _BULLET.match(nxt)
                and _BULLET.match(nxt).group(1)
            ):
                group, current = _clean(body), None
                dash_group = True
                continue
            if not indent and dash_group:
                # a plain bullet after an indented group ends that group
                group, dash_group = "", False
            current = [body]
            pending.append((spearhead, section[0], section[1], group, current))
            continue
        if stripped.startswith("*"):
            continue  # a footnote inside a bullet list does not end it
        dangling = current is not None and not current[-1].endswith((".", "!", "?"))
        if stripped[:1].islower() and dangling:
            current.append(stripped)
            continue
        current = None

    for sp, num, title, grp, parts in pending:
        raw = parts[0]
        for part in parts[1:]:
            raw = raw[:-1] + part if raw.endswith("-") else raw + " " + part
        yield sp, num, title, grp, raw


def extract(text: str, places: Sequence[str] | None = None) -> list[dict]:
    """Return one dict per action bullet of the note, in reading order."""
    if places is None:
        places = load_place_names()
    rows: list[dict] = []
    counters: dict[str, int] = {}
    for spearhead, num, title, group, raw in _bullets(text):
        counters[num] = counters.get(num, 0) + 1
        sentence = _clean(raw)
        rows.append(
            {
                "id": f"a{num}.{counters[num]:02d}",
                "spearhead_id": str(spearhead),
                "section": f"{num} {title}",
                "title": _title(raw, sentence),
                "text": sentence,
                "target_year": _target_year(sentence),
                "quantity": _quantity(raw, sentence),
                "place": _places(sentence, places),
                "indicator_ids": _indicators(sentence),
                "source_section": f"{num} > {group}" if group else num,
            }
        )
    return rows


MAX_SEED_BYTES = 5 * 1024 * 1024         # the note's text is ~0.3 MB
MAX_CORRECTIONS_BYTES = 1024 * 1024


def _read_limited(path: Path, limit: int) -> str:
    """A text file, refused (naming it) when it is larger than ``limit`` bytes."""
    size = path.stat().st_size
    if size > limit:
        raise ValueError(f"{path}: {size} bytes, more than the {limit} this reader takes")
    return path.read_text(encoding="utf-8")


def read_corrections(path: str | os.PathLike[str]) -> list[tuple[str, str, str]]:
    """Read the corrections file (id, field, value); a missing file is empty. A row without
    an id or field is an error naming the file and row."""
    p = Path(path)
    if not p.exists():
        return []
    out = []
    reader = csv.DictReader(io.StringIO(_read_limited(p, MAX_CORRECTIONS_BYTES), newline=""))
    for n, r in enumerate(reader, start=2):  # row 1 is the header
        action_id, field = (r.get("id") or "").strip(), (r.get("field") or "").strip()
        if not action_id or not field:
            raise ValueError(f"{p.name}, row {n}: id and field are required")
        out.append((action_id, field, r.get("value") or ""))
    return out


def apply_corrections(rows: list[dict], corrections: Iterable[tuple[str, str, str]]) -> list[dict]:
    """Apply hand corrections by id; unknown ids or fields are an error."""
    by_id = {r["id"]: r for r in rows}
    out = {k: dict(v) for k, v in by_id.items()}
    for action_id, field, value in corrections:
        if action_id not in out:
            raise ValueError(f"correction for unknown action id {action_id!r}")
        if field not in CORRECTABLE:
            raise ValueError(f"correction for unknown or fixed field {field!r} ({action_id})")
        out[action_id][field] = value
    return [out[r["id"]] for r in rows]


def to_csv(rows: Sequence[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return buf.getvalue()


def default_seed() -> Path:
    seeds = sorted((REPO.parent / "shared" / "seeds").glob(DEFAULT_SEED_GLOB))
    if not seeds:
        raise FileNotFoundError("no ../shared/seeds/001_*.txt; pass --seed")
    return seeds[0]


def build(seed: str | os.PathLike[str], corrections: str | os.PathLike[str],
          max_seed_bytes: int = MAX_SEED_BYTES) -> str:
    text = _read_limited(Path(seed), max_seed_bytes)
    rows = apply_corrections(extract(text), read_corrections(corrections))
    return to_csv(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=None, help="the note's text (001_*.txt)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--corrections", type=Path, default=DEFAULT_CORRECTIONS)
    args = parser.parse_args(argv)
    content = build(args.seed or default_seed(), args.corrections)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        fh.write(content)
    print(f"{content.count(chr(10)) - 1} actions -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
