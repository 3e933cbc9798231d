"""Lines per package and the longest functions of the project (issue 13's before/after).

    python bench/code_stats.py [ROOT]      # ROOT: a checkout (default: this one)

Counts non-blank lines of every ``.py`` file under ``app.py``, ``pages/``,
``app_pages/``, ``src/dashboard/`` (per sub-package), ``tests/`` and ``bench/``; functions
are measured with ``ast`` (``end_lineno - lineno + 1``, decorators excluded).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path


def package_of(rel: Path) -> str:
    parts = rel.parts
    if parts[0] == "src" and len(parts) > 3:
        return "/".join(parts[:3]) + "/"
    if parts[0] == "src":
        return "src/dashboard (top-level modules)"
    return parts[0] if len(parts) > 1 else parts[0]


def files(root: Path) -> list[Path]:
    out = [root / "app.py"] if (root / "app.py").exists() else []
    for folder in ("pages", "app_pages", "src/dashboard", "tests", "bench"):
        out += sorted((root / folder).rglob("*.py")) if (root / folder).exists() else []
    return out


def main(root: Path) -> None:
    lines: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    functions = []
    for path in files(root):
        rel = path.relative_to(root)
        text = path.read_text(encoding="utf-8")
        key = package_of(rel)
        lines[key] += sum(1 for line in text.splitlines() if line.strip())
        count[key] += 1
        if rel.parts[0] != "src":
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append((node.end_lineno - node.lineno + 1, f"{rel}:{node.name}"))
    print("| package | files | non-blank lines |\n|---|---:|---:|")
    for key in sorted(lines):
        print(f"| {key} | {count[key]} | {lines[key]} |")
    print("\n| lines | function (src/) |\n|---:|---|")
    for n, name in sorted(functions, reverse=True)[:10]:
        print(f"| {n} | `{name}` |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]))
