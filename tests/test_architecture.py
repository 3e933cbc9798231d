"""The architecture holds (issue 13): Streamlit only in ``dashboard.ui``, pages of one call,
and pages made from the catalog's spearheads (a city with seven gets seven)."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from dashboard.build import build
from dashboard.settings import PROJECT_ROOT, load_settings
from dashboard.ui import navigation

from .conftest import make_env, run_app

UI = PROJECT_ROOT / "src" / "dashboard" / "ui"
STREAMLIT = ("streamlit", "streamlit_folium")


def _imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = ".".join(path.relative_to(PROJECT_ROOT / "src").with_suffix("").parts[:-1]) \
        if path.is_relative_to(PROJECT_ROOT / "src") else ""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def _python_files() -> list[Path]:
    return sorted([PROJECT_ROOT / "app.py", *(PROJECT_ROOT / "app_pages").glob("*.py"),
                   *(PROJECT_ROOT / "src" / "dashboard").rglob("*.py")])


def test_only_the_ui_package_imports_streamlit():
    offenders = [str(p.relative_to(PROJECT_ROOT)) for p in _python_files()
                 if not p.is_relative_to(UI)
                 and any(m.split(".")[0] in STREAMLIT for m in _imports(p))]
    assert not offenders, "Streamlit outside dashboard.ui: " + ", ".join(offenders)
    # and the check sees an import where there is one
    assert any(m.split(".")[0] == "streamlit" for m in _imports(UI / "frame.py"))


def test_the_board_layer_and_builders_do_not_import_the_ui():
    src = PROJECT_ROOT / "src" / "dashboard"
    offenders = [str(p.relative_to(PROJECT_ROOT)) for p in src.rglob("*.py")
                 if not p.is_relative_to(UI)
                 and any(m == "dashboard.ui" or m.startswith("dashboard.ui.")
                         for m in _imports(p))]
    assert not offenders, "the UI imported below it: " + ", ".join(offenders)


def test_every_page_file_is_one_call():
    """app.py and every file in app_pages/: a docstring, one import from dashboard.ui and
    one call; no logic."""
    files = [PROJECT_ROOT / "app.py", *sorted((PROJECT_ROOT / "app_pages").glob("*.py"))]
    assert len(files) >= 12
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        body = tree.body[1:] if ast.get_docstring(tree) else tree.body
        kinds = [type(n).__name__ for n in body]
        assert kinds == ["ImportFrom", "Expr"], (path.name, kinds)
        assert body[0].module == "dashboard.ui", path.name
        call = body[1].value
        assert isinstance(call, ast.Call) and not call.args and not call.keywords, path.name
        code = [line for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith(('"""', " ")) and '"""' not in line]
        assert len(code) <= 2, (path.name, code)
    assert not (PROJECT_ROOT / "pages").exists(), "pages/ is gone: Streamlit's old " \
        "auto-discovery would list its files next to st.navigation's"


SEVEN = ["Klimaat en energie", "Betaalbaar wonen", "Samenleven", "Mobiliteit", "Groen",
         "Economie", "Zorg"]


@pytest.fixture(scope="module")
def seven_env(tmp_path_factory):
    """Roeselare's example configuration with a catalog of seven spearheads (the example
    names three; 4-6 have no indicators yet, 7 gets one moved from spearhead 1)."""
    root = tmp_path_factory.mktemp("seven")
    city = PROJECT_ROOT / "data" / "cities" / "roeselare"
    shutil.copytree(city, root / "city")
    cat = root / "city" / "catalog"
    rows = [line for line in (cat / "spearheads.csv").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    rows += [f"{n},sp-{n},{SEVEN[n - 1]},,Voorbeeld: speerpunt {n}" for n in range(4, 8)]
    (cat / "spearheads.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    inds = (cat / "indicators.csv").read_text(encoding="utf-8").splitlines()
    inds[2] = inds[2].replace("laadpunten_per_100_inw,1,", "laadpunten_per_100_inw,7,", 1)
    (cat / "indicators.csv").write_text("\n".join(inds) + "\n", encoding="utf-8")
    env = {**make_env(root), "DASHBOARD_CITY_CONFIG": str(root / "city" / "city.yaml")}
    build(load_settings(env))
    return env


def test_seven_spearheads_give_seven_working_pages(seven_env, monkeypatch, clean_env):
    for key, value in seven_env.items():
        monkeypatch.setenv(key, value)
    specs = navigation.page_specs(load_settings())
    spearheads = [(key, title, url) for entries in specs.values()
                  for key, title, url in entries if key.startswith("speerpunt_")]
    assert [url for _, _, url in spearheads] == [f"speerpunt-{n}" for n in range(1, 8)]
    assert [title for _, title, _ in spearheads] == [f"{n}. {name}" for n, name in
                                                      enumerate(SEVEN, 1)]
    for n in range(1, 8):
        at = run_app(f"speerpunt-{n}")
        assert at.title[0].value.startswith(f"Speerpunt {n}: {SEVEN[n - 1]}"), n
        texts = " ".join(i.value for i in at.info)
        if 4 <= n <= 6:
            assert "nog geen indicatoren" in texts, n
        else:
            assert "nog geen indicatoren" not in texts, n
            assert [m for m in at.markdown if m.value.startswith("| Indicator |")], n
    at = run_app("speerpunt-7")
    assert "laadpunten per 100 inwoners" in " ".join(
        m.value for m in at.markdown if m.value.startswith("| Indicator |")).lower()
