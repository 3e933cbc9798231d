"""Languages: Dutch first, English and French through gettext catalogs (Babel).

Every piece of UI text is written in Dutch inside ``t("…")``; the Dutch text is the
message id. Translations live in ``src/dashboard/locales/<lang>.po`` (read with Babel,
no compile step). Missing translations fall back to Dutch; :func:`untranslated` lists
them (a test asserts there are none).

Placeholders use ``str.format`` names: ``t("Speerpunt {n}: {name}", n=5, name=…)``;
never build a message id with an f-string (extraction could not see it). Text with a
count uses :func:`tn` with a singular and a plural id (gettext plural forms, so French
says "1 indicateur", "0 indicateur", "2 indicateurs").

The current language comes from a context variable when one is set (tests and builders
use ``with language("en"):``), otherwise from the session (``dashboard.ui`` registers how it
is read; ``ui/frame.py`` stores the user's choice there at every run), otherwise Dutch. Numbers and
dates are formatted per locale with Babel.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import gettext
import math
from collections.abc import Callable, Iterator
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES: dict[str, str] = {"nl": "Nederlands", "en": "English", "fr": "Français"}
DEFAULT = "nl"
LOCALES: dict[str, str] = {"nl": "nl_BE", "en": "en_GB", "fr": "fr_BE"}
SESSION_KEY = "lang"

LOCALE_DIR = Path(__file__).parent / "locales"
SOURCE_ROOT = Path(__file__).resolve().parents[2]
# Where message ids are extracted from (relative to the project root).
SOURCE_DIRS = ("src/dashboard", "app_pages")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("lang", default=None)


# Where the running UI keeps the session's language: ``dashboard.ui`` registers a reader
# (:func:`set_session_source`); without one (CLI, report, tests) there is no session.
_session_source: Callable[[], str | None] | None = None


def set_session_source(reader: Callable[[], str | None] | None) -> None:
    """Register how the session's language is read (``dashboard.ui.language``)."""
    global _session_source
    _session_source = reader


def _session_language() -> str | None:
    """The language stored in the running session (None outside one)."""
    return _session_source() if _session_source is not None else None


def current() -> str:
    lang = _current.get() or _session_language() or DEFAULT
    return lang if lang in LANGUAGES else DEFAULT


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Use ``lang`` inside the block (for builders, exports and tests)."""
    token = _current.set(lang if lang in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


Message = str | tuple[str, str]   # a plain id, or (singular, plural) for tn()


@functools.cache
def _catalog(lang: str) -> dict[Message, str | tuple[str, ...]]:
    path = LOCALE_DIR / f"{lang}.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        po = read_po(fh, locale=LOCALES[lang])
    out: dict[Message, str | tuple[str, ...]] = {}
    for m in po:
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, str) and isinstance(m.string, str) and m.string:
            out[m.id] = m.string
        elif isinstance(m.id, (tuple, list)) and all(m.string or ()):
            out[tuple(m.id)] = tuple(m.string)
    return out


@functools.cache
def _plural_index(lang: str):
    """n → index of the plural form, from the locale's gettext plural rule (CLDR via Babel)."""
    return gettext.c2py(get_plural(LOCALES[lang]).plural_expr)


def reload() -> None:
    """Forget the cached catalogs (after editing a .po file)."""
    _catalog.cache_clear()


def t(msgid: str, /, lang: str | None = None, **values: object) -> str:
    """The translation of a Dutch message id, with ``{name}`` placeholders filled in."""
    lang = lang or current()
    text = msgid if lang == DEFAULT else _catalog(lang).get(msgid, msgid)
    return text.format(**values) if values else text


def tn(singular: str, plural: str, n: int, /, lang: str | None = None,
       **values: object) -> str:
    """A message with a count: the form for ``n`` in the language, ``{n}`` filled in.

    ``tn("{n} indicator", "{n} indicatoren", 3)`` → "3 indicatoren"; in French the
    rule is CLDR's (0 and 1 are singular). Missing translations fall back to Dutch.
    """
    lang = lang or current()
    forms: tuple[str, ...] = (singular, plural)
    rule = DEFAULT
    if lang != DEFAULT:
        found = _catalog(lang).get((singular, plural))
        if isinstance(found, tuple) and found:
            forms, rule = found, lang
    index = min(_plural_index(rule)(int(n)), len(forms) - 1)
    return forms[index].format(n=fmt_number(n, 0, lang), **values)


def locale(lang: str | None = None) -> str:
    return LOCALES[lang or current()]


def fmt_number(value: float | None, decimals: int = 2, lang: str | None = None) -> str:
    """A number in the language's format (nl/fr: 1.234,5 / 1 234,5; en: 1,234.5)."""
    if value is None:
        return "—"
    try:
        if math.isnan(float(value)):
            return "—"
    except (TypeError, ValueError):
        return "—"
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(float(value), format=pattern, locale=locale(lang))


def fmt_date(value: dt.date | dt.datetime, lang: str | None = None) -> str:
    """A date (or date and time, to the minute) in the language's long format."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(23, 59, 59) or value.time() == dt.time(0, 0):
            return format_date(value.date(), format="long", locale=locale(lang))
        return format_datetime(value, format="d MMMM y HH:mm", locale=locale(lang))
    return format_date(value, format="long", locale=locale(lang))


# --------------------------------------------------------------------- catalog content
def _content_translations() -> dict[tuple[str, str, str, str], str]:
    """(entity, id, field, lang) → text, from the configured catalog's ``translations.csv``."""
    from .settings import current_catalog_dir

    return _read_translations(current_catalog_dir() / "translations.csv")


@functools.lru_cache(maxsize=8)
def _read_translations(path: Path) -> dict[tuple[str, str, str, str], str]:
    import csv

    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {(r["entity"], r["id"], r["field"], r["lang"]): r["text"]
                for r in csv.DictReader(fh) if r.get("text")}


def content(entity: str, key: object, field: str, dutch: str, lang: str | None = None) -> str:
    """A catalog text (indicator name, unit, …) in the current language, else Dutch."""
    lang = lang or current()
    if lang == DEFAULT or dutch is None:
        return dutch
    return _content_translations().get((entity, str(key), field, lang), dutch)


def translate_frame(frame, entity: str, fields: tuple[str, ...], id_column: str = "id",
                    lang: str | None = None):
    """A copy of a catalog frame with ``fields`` in the current language."""
    lang = lang or current()
    if lang == DEFAULT or frame is None or len(frame) == 0:
        return frame
    out = frame.copy()
    for f in fields:
        if f in out.columns:
            out[f] = [content(entity, k, f, v, lang) for k, v in zip(out[id_column], out[f])]
    return out


# ------------------------------------------------------------------------- checking
def message_ids() -> set[Message]:
    """Every ``t("…")`` message id and ``tn("…", "…", n)`` pair in the source. Parsed with
    ``ast`` rather than Babel's tokenizer, which on Python 3.11 does not see calls inside
    f-strings."""
    import ast

    def text(node: ast.expr) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(
            node.value, str) and node.value else None

    ids: set[Message] = set()
    for folder in SOURCE_DIRS:
        for path in sorted((SOURCE_ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                f = node.func
                name = f.id if isinstance(f, ast.Name) else (
                    f.attr if isinstance(f, ast.Attribute) else None)
                if name == "t" and text(node.args[0]):
                    ids.add(text(node.args[0]))
                elif name == "tn" and len(node.args) >= 2 and text(node.args[0]) and text(
                        node.args[1]):
                    ids.add((text(node.args[0]), text(node.args[1])))
    return ids


def untranslated(lang: str) -> list[Message]:
    """Message ids without a translation in ``lang`` (sorted)."""
    have = _catalog(lang)
    return sorted((m for m in message_ids() if m not in have), key=repr)


def update_catalogs(langs: tuple[str, ...] = ("en", "fr")) -> dict[str, int]:
    """Add every new message id to the .po files (existing translations kept, obsolete
    ones dropped); returns the number of untranslated ids per language."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    ids = sorted(message_ids(), key=repr)
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    missing = {}
    for lang in langs:
        reload()
        have = _catalog(lang)
        cat = Catalog(locale=LOCALES[lang], project="kortrijk-2040-monitor",
                      charset="utf-8")
        for msgid in ids:
            blank = ("",) * cat.num_plurals if isinstance(msgid, tuple) else ""
            cat.add(msgid, have.get(msgid, blank))
        with (LOCALE_DIR / f"{lang}.po").open("wb") as fh:
            write_po(fh, cat, width=100, omit_header=False, sort_output=True)
        missing[lang] = sum(1 for m in ids if not have.get(m))
    reload()
    return missing
