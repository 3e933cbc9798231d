"""Languages: every UI text and every catalog text has an English and a French translation,
and no page shows untranslated Dutch once the language is switched.

The page check runs every page of the navigation through AppTest with ``taal=en`` and
``taal=fr``, collects every visible string (titles, markdown, captions, alerts, widget
labels, options and help, metric labels, expander and tab labels, table columns and cells,
chart trace names and titles) and looks for Dutch message ids whose translation differs,
and for Dutch indicator, spearhead and section texts. The same detector run on the Dutch
page must find Dutch text, so it cannot pass by looking at nothing.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import string
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import catalog, i18n
from dashboard.settings import PROJECT_ROOT, load_settings

from .conftest import goto, make_env, page_target

LANGS = ("en", "fr")
APP = str(PROJECT_ROOT / "app.py")
PASSWORD_HASH = "pbkdf2_sha256$1000$fixed-test-salt$0"  # any value: the editor is "set up"


# ------------------------------------------------------------------ message catalogs
def ast_message_ids() -> dict[str, list[str]]:
    """Every ``t("literal")`` call in the extracted folders, found with ``ast`` (which,
    unlike Babel's tokenizer on Python 3.11, also sees calls inside f-strings)."""
    out: dict[str, list[str]] = {}
    for folder in i18n.SOURCE_DIRS:
        for path in sorted((i18n.SOURCE_ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                f = node.func
                name = (f.id if isinstance(f, ast.Name) else
                        f.attr if isinstance(f, ast.Attribute) else None)
                arg = node.args[0]
                if name == "t" and isinstance(arg, ast.Constant) and isinstance(
                        arg.value, str) and arg.value:
                    out.setdefault(arg.value, []).append(
                        f"{path.relative_to(i18n.SOURCE_ROOT)}:{node.lineno}")
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_translated(lang):
    i18n.reload()
    missing = i18n.untranslated(lang)
    assert not missing, (f"{len(missing)} untranslated message(s) in {lang}.po (run "
                         f"`python -m dashboard i18n`, then translate):\n"
                         + "\n".join(map(repr, missing)))


@pytest.mark.parametrize("lang", LANGS)
def test_messages_hidden_from_extraction_are_translated_too(lang):
    """t() inside an f-string is invisible to the extractor: such ids must still have a
    translation (and should move out of the f-string)."""
    i18n.reload()
    have = i18n._catalog(lang)
    missing = {m: where for m, where in ast_message_ids().items() if m not in have}
    assert not missing, "\n".join(f"{m!r} at {', '.join(w)}" for m, w in missing.items())


def _fields(text: str) -> set[str]:
    return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None}


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_the_placeholders(lang):
    bad = []
    for m, s in i18n._catalog(lang).items():
        if isinstance(m, tuple):   # tn(): every form keeps the fields of both ids
            assert _fields(m[0]) == _fields(m[1]), m
            bad += [f"{m!r} → {form!r}" for form in s if _fields(form) != _fields(m[0])]
            assert len(s) == 2, (m, s)   # nl, en and fr all have two plural forms
        elif _fields(m) != _fields(s):
            bad.append(f"{m!r} → {s!r}")
    assert not bad, "\n".join(bad)


def test_counts_take_the_plural_form_of_each_language():
    """French counts 0 and 1 as singular, Dutch and English only 1; the count is
    formatted per locale; a pair without translation falls back to the Dutch forms."""
    i18n.reload()
    one, many = "{n} scherm.", "{n} schermen."
    assert [i18n.tn(one, many, n, lang="nl") for n in (0, 1, 2)] == [
        "0 schermen.", "1 scherm.", "2 schermen."]
    assert [i18n.tn(one, many, n, lang="en") for n in (0, 1, 2)] == [
        "0 screens.", "1 screen.", "2 screens."]
    assert [i18n.tn(one, many, n, lang="fr") for n in (0, 1, 2, 1500)] == [
        "0 écran.", "1 écran.", "2 écrans.", "1\u202f500 écrans."]
    assert i18n.tn(one, many, 1500, lang="nl") == "1.500 schermen."
    assert i18n.tn("{n} ding van {who}", "{n} dingen van {who}", 1, lang="fr",
                   who="x") == "1 ding van x"
    assert ("{n} scherm.", "{n} schermen.") in i18n.message_ids()


def test_catalog_content_is_translated_and_not_stale():
    settings = load_settings()
    problems, missing = catalog.translation_problems(settings.catalog_dir, settings.city, LANGS)
    assert not problems, "\n".join(str(p) for p in problems)
    assert not missing, "missing translations (entity, id, field, lang):\n" + "\n".join(
        map(str, missing))


def test_stale_or_unknown_translation_rows_are_reported(tmp_path):
    settings = load_settings()
    folder = tmp_path / "catalog"
    folder.mkdir()
    for name in ("spearheads.csv", "indicators.csv"):
        (folder / name).write_bytes((settings.catalog_dir / name).read_bytes())
    rows = (settings.catalog_dir / catalog.TRANSLATIONS).read_text(encoding="utf-8")
    rows += ("indicator,bestaat_niet,name,en,Gone\n"
             "indicator,laadpunten,colour,fr,Bleu\n"
             "spearhead,1,name,de,Kluge Stadt\n")
    rows = rows.replace("spearhead,2,name,fr,", "spearhead,2,name,xx,", 1)
    (folder / catalog.TRANSLATIONS).write_text(rows, encoding="utf-8")
    problems, missing = catalog.translation_problems(folder, settings.city, LANGS)
    reasons = " | ".join(p.reason for p in problems)
    assert "indicator 'bestaat_niet'" in reasons and "veld 'colour'" in reasons
    assert "onbekende taal 'de'" in reasons and "onbekende taal 'xx'" in reasons
    assert missing == [("spearhead", "2", "name", "fr")]


def test_numbers_and_dates_follow_the_locale():
    assert i18n.fmt_number(1234.5, 1, "nl") == "1.234,5"
    assert i18n.fmt_number(1234.5, 1, "en") == "1,234.5"
    fr = i18n.fmt_number(1234.5, 1, "fr")
    assert fr in ("1\u202f234,5", "1\u00a0234,5"), repr(fr)
    assert i18n.fmt_number(None) == "—"
    import datetime as dt
    day = dt.date(2024, 3, 5)
    assert i18n.fmt_date(day, "nl") == "5 maart 2024"
    assert i18n.fmt_date(day, "en") == "5 March 2024"
    assert i18n.fmt_date(day, "fr") == "5 mars 2024"


def test_builders_switch_language():
    import pandas as pd

    from dashboard.charts import indicator_chart
    from dashboard.status import Status
    from dashboard.tables import format_number

    m = pd.DataFrame({"period": [2020, 2021, 2022], "value": [1.0, 2.0, 3.0],
                      "illustrative": [True] * 3})
    g = pd.DataFrame({"indicator_id": ["x"] * 2, "year": [2020, 2030], "value": [1.0, 9.0],
                      "kind": ["baseline", "target"]})
    with i18n.language("fr"):
        fig = indicator_chart({"unit": "%"}, m, g)
        assert Status("on_track").label == "✔ en bonne voie"
        assert format_number(1234.5).startswith("1") and format_number(1234.5).endswith(",5")
    assert [tr.name for tr in fig.data][:2] == ["mesuré (illustratif)", "trajectoire cible"]
    assert fig.layout.separators == ", "
    assert Status("on_track").label == "✔ op koers"  # back to Dutch outside the block


def test_load_problems_follow_the_language(built_copy):
    """Problems in a coordinator's file are reported in the editor's language (Dutch
    by default, as the CLI and tests/test_loads_bad.py expect)."""
    from dashboard import loads
    from dashboard.errors import Problem
    from dashboard.store import Store

    data = b"indicator,gebied,jaar,waarde\nlaadpunten,Nergensland,2024,abc\n"
    with Store(built_copy.db_path) as store:
        dutch = loads.validate_file(data, "fout.csv", store)
        with i18n.language("fr"):
            french = loads.validate_file(data, "fout.csv", store)
            where = str(Problem("fout.csv", 2, "jaar", "x"))
    assert set(dutch.errors["reason"]) == {"onbekend gebied 'Nergensland'",
                                           "'abc' is geen getal"}
    assert set(french.errors["reason"]) == {"zone inconnue 'Nergensland'",
                                            "'abc' n'est pas un nombre"}
    assert where == "fout.csv, ligne 2, champ 'jaar'\u00a0: x"


# ------------------------------------------------------------------ pages in EN and FR
_WANTED_FIELDS = {"label", "help", "body", "options", "placeholder", "caption", "text",
                  "display_value"}


def _proto_strings(message, out: list[str]) -> None:
    """String fields of a protobuf message that people read (recursively)."""
    for fd, value in message.ListFields():
        repeated = getattr(fd, "is_repeated", None)
        if repeated is None:  # older protobuf
            repeated = fd.label == fd.LABEL_REPEATED
        items = list(value) if repeated else [value]
        if fd.message_type is not None:
            for item in items:
                if hasattr(item, "ListFields"):
                    _proto_strings(item, out)
        elif fd.name in _WANTED_FIELDS:
            out += [v for v in items if isinstance(v, str) and v.strip()]


def _figure_strings(spec: str, out: list[str]) -> None:
    fig = json.loads(spec)
    fig = fig.get("figure", fig)
    out += [tr.get("name") for tr in fig.get("data", []) if tr.get("name")]
    layout = fig.get("layout", {})
    for part in (layout, layout.get("xaxis", {}), layout.get("yaxis", {})):
        title = part.get("title")
        text = title.get("text") if isinstance(title, dict) else title
        if text:
            out.append(text)
    out += [a.get("text") for a in layout.get("annotations", []) if a.get("text")]


def visible_strings(at: AppTest) -> list[str]:
    """Every string a person can read on the page (text, labels, options, tables, charts)."""
    out: list[str] = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            _proto_strings(proto, out)
            if getattr(node, "type", "") == "plotly_chart" and getattr(proto, "spec", ""):
                _figure_strings(proto.spec, out)
    for table in [*at.dataframe, *at.table]:
        frame = table.value
        out += [str(c) for c in frame.columns]
        for col in frame.columns:
            out += [v for v in frame[col] if isinstance(v, str) and v.strip()]
    return out


def _pattern(msgid: str) -> re.Pattern | None:
    """A regex for a message id with placeholders, when its fixed text is telling (a word
    of four letters or more); None otherwise."""
    parts = list(string.Formatter().parse(msgid))
    literal = "".join(p[0] for p in parts)
    if not re.search(r"[^\W\d_]{4,}", literal):
        return None
    regex = "".join(re.escape(lit) + (".+?" if f is not None else "") for lit, f, _s, _c in parts)
    return re.compile(regex, re.S)


def dutch_detector(lang: str):
    """A function returning the strings that are still Dutch in ``lang``: message ids whose
    translation differs (exact, or matching a template with placeholders) and catalog texts
    (indicator names, units, spearhead names, sections) whose translation differs."""
    i18n.reload()
    translated = {}
    for m, s in i18n._catalog(lang).items():   # tn() pairs: each Dutch form on its own
        for dutch, foreign in (zip(m, s) if isinstance(m, tuple) else [(m, s)]):
            if foreign != dutch:
                translated[dutch] = foreign
    exact = {m for m in translated if not _fields(m) and re.search(r"[^\W\d_]", m)}
    patterns = [p for m in translated if _fields(m) for p in [_pattern(m)] if p]
    settings = load_settings()
    content = {dutch for (entity, key, field), dutch in
               catalog.translatable_texts(settings.catalog_dir, settings.city).items()
               if i18n.content(entity, key, field, dutch, lang) != dutch
               and (entity, field) != ("city", "name")}  # also an area's name (data)
    # Inside a longer string only several-word texts count, on word boundaries: a
    # one-word action title ("monitoringsbord") is also part of the board's own name
    # and of identifiers ("bevolkingsgroei_sinds_2024"); a whole line still counts.
    long_content = [re.compile(r"(?<!\w)" + re.escape(c) + r"(?!\w)") for c in content
                    if len(c) >= 12 and " " in c.strip()]

    def offending(strings: list[str]) -> list[str]:
        bad = []
        for s in dict.fromkeys(strings):
            lines = [s, *[ln.strip().lstrip("-*• ").strip() for ln in s.splitlines()]]
            if any(ln in exact or ln in content for ln in lines):
                bad.append(s)
            elif any(p.fullmatch(ln) for p in patterns for ln in lines):
                bad.append(s)
            elif any(c.search(s) for c in long_content):
                bad.append(s)
        return bad

    return offending


def _pages() -> list[str]:
    from dashboard.ui.navigation import page_specs

    return [page_target(f, url) for section in page_specs(load_settings()).values()
            for f, _title, url in section]


@pytest.fixture(scope="module")
def page_env(built_official, tmp_path_factory):
    """A copy of the official build, with an editor password so the editor pages render."""
    root = tmp_path_factory.mktemp("i18n")
    shutil.copytree(built_official.db_path.parent, root / "data")
    shutil.copytree(built_official.geo_dir, root / "geo")
    env = make_env(root)
    env["DASHBOARD_EDITOR_PASSWORD_HASH"] = PASSWORD_HASH
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    mp.delenv("PUBLIC_MODE", raising=False)
    yield env
    mp.undo()


def _no_placeholder(at: AppTest) -> list[str]:
    """Select boxes and multiselects without a placeholder of ours: the browser would
    show Streamlit's own English "Choose an option" whenever one is empty."""
    return [w.label for w in [*at.selectbox, *at.multiselect] if not w.proto.placeholder]


def _collect_with_toggles_on(at: AppTest, page: str, seen: dict) -> None:
    """Switch every toggle on, rerun, and add what the page shows to ``seen``."""
    for toggle in at.toggle:
        toggle.set_value(True)
    at.run()
    assert not at.exception, (page, [e.value for e in at.exception])
    seen[page] += visible_strings(at)
    seen[("placeholder", page)] += _no_placeholder(at)


def _run_all_pages(lang: str) -> dict[str, list[str]]:
    """Every page (the editor pages before and after login) in one session; the labels
    of widgets without a placeholder are listed under ``("placeholder", page)``."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["taal"] = lang
    at.run()  # through the router: frame.py takes the language from the URL
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[i18n.SESSION_KEY] == lang
    seen: dict[str, list[str]] = {"app.py": visible_strings(at)}
    # AppTest calls widgets' format_func in the test thread, outside the session: the
    # context variable gives it the page's language (the pages read it from the session).
    with i18n.language(lang):
        for page in _pages():  # AppTest runs a switched-to page without the router
            goto(at, page)
            at.run()
            assert not at.exception, (page, [e.value for e in at.exception])
            seen[page] = visible_strings(at)
            seen[("placeholder", page)] = _no_placeholder(at)
            if page == "speerpunt-5":  # the district profile, tables, all charts
                next(w for w in at.radio if w.key == "sp5_level").set_value("sector")
                # every box built on request, open (the area list, the chart, every
                # column, the action filters and the rest of the list)
                for box in ("sp5_area_list", "sp5_detail", "sp5_all_columns",
                            "sp5_act_filters", "sp5_act_all", "_pin_box"):
                    at.session_state[box] = True
                at.run()
                next(w for w in at.selectbox if w.key == "sp5_area").set_value("34022A051")
                _collect_with_toggles_on(at, page, seen)
                for part in ("Alle indicatoren", "Acties"):  # the page's other tabs
                    at.session_state["sp5_part"] = i18n.t(part)
                    at.run()
                    _collect_with_toggles_on(at, page, seen)
            if page.endswith(("load.py", "history.py")):
                at.session_state["editor_ok"] = True
                at.run()
                assert not at.exception, (page, [e.value for e in at.exception])
                seen[page] += visible_strings(at)
                seen[("placeholder", page)] += _no_placeholder(at)
                at.session_state["editor_ok"] = False
    return seen


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_is_fully_translated(page_env, lang):
    seen = _run_all_pages(lang)
    gaps = {page: labels for (kind, page), labels in
            [(k, v) for k, v in seen.items() if isinstance(k, tuple)] if labels}
    assert not gaps, f"Streamlit's English placeholder would show: {gaps}"
    seen = {p: v for p, v in seen.items() if not isinstance(p, tuple)}
    assert len(seen) >= 13 and all(seen.values()), {p: len(s) for p, s in seen.items()}
    offending = dutch_detector(lang)
    bad = {page: found for page, strings in seen.items() if (found := offending(strings))}
    assert not bad, "untranslated Dutch on screen:\n" + "\n".join(
        f"{page}: {s!r}" for page, found in bad.items() for s in found)


def test_the_detector_sees_dutch(page_env):
    """The same check on the Dutch pages must find Dutch text (it is not vacuous)."""
    at = AppTest.from_file(APP, default_timeout=120)
    goto(at, "speerpunt-5")
    at.run()
    strings = visible_strings(at)
    at.session_state["sp5_part"] = "Alle indicatoren"  # the indicators tab as well
    at.run()
    found = dutch_detector("en")(strings + visible_strings(at))
    text = "\n".join(found)
    for expected in ("Kaarten per gebied", "Laadpuntequivalenten per 100 inwoners", "Gebiedsniveau",
                     "Alle indicatoren", "Laatste waarde"):
        assert expected in text, (expected, found)
