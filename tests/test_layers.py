"""Apps depend one way, along the flow (docs/architecture.md): a lower app never imports a
higher one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "traction"
# Lowest first. api, cli, demo and reports sit on top and may import any app.
ORDER = ["core", "accounts", "customers", "programs", "sessions", "insights"]
TOP = {"api", "cli", "demo", "reports", "settings", "urls", "wsgi"}


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "traction" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("app", ORDER)
def test_app_imports_only_apps_below_it(app: str) -> None:
    allowed = set(ORDER[: ORDER.index(app) + 1])
    offenders = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "tests" in path.parts or (app == "core" and "testing" in path.parts):
            continue  # tests and the test cast may build a whole workspace
        bad = imported_apps(path) - allowed
        if bad:
            offenders.append(f"{path.relative_to(ROOT.parent)} imports {sorted(bad)}")
    assert offenders == []


def test_every_app_is_placed_in_the_order() -> None:
    apps = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert apps - TOP - set(ORDER) == set()
