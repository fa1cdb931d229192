"""Apps depend one way, along the flow (docs/architecture.md): a lower app never imports a
higher one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "traction"
# Lowest first. api, cli, demo and reports sit on top and may import any app.
ORDER = [
    "core",
    "accounts",
    "customers",
    "programs",
    "webhooks",
    "sessions",
    "insights",
    "voting",
    "debrief",
    "loop",
    "portal",
]
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


# --- private names ---------------------------------------------------------------------------


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def private_imports_across_apps(path: Path, app: str) -> list[str]:
    """``from traction.<other app>… import _name`` (or through a ``_module``): another app's
    private names, which its package does not offer to others."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
            names = [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            modules, names = [a.name for a in node.names], []
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] != "traction" or len(parts) < 2 or parts[1] == app:
                continue
            private = [p for p in parts[2:] if _private(p)] + [n for n in names if _private(n)]
            if private:
                found.append(f"{module}: {', '.join(private)}")
    return found


def test_no_app_imports_another_apps_private_names() -> None:
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        app = path.relative_to(ROOT).parts[0]
        for found in private_imports_across_apps(path, app.removesuffix(".py")):
            offenders.append(f"{path.relative_to(ROOT.parent)} imports {found}")
    assert offenders == []


def test_the_private_name_check_finds_one(tmp_path: Path) -> None:
    module = tmp_path / "views.py"
    module.write_text(
        "from traction.sessions.views.common import _slug, whole\n"
        "from traction.insights._parsers import vtt\n"
        "from traction.programs import __version__\n"
        "from traction.customers._internal import _x\n"
    )
    assert private_imports_across_apps(module, "insights") == [
        "traction.sessions.views.common: _slug",
        "traction.customers._internal: _internal, _x",
    ]


# --- URLs named in templates -----------------------------------------------------------------

URL_TAG = re.compile(r"""{%\s*url\s+["']([\w-]+):""")
# The project's own templates (base.html, error pages) are the layout accounts' context
# processor fills: they may name accounts' pages; every other tab comes from the registry
# (traction.core.navigation).
PROJECT_TEMPLATES_LEVEL = "accounts"


def namespace_apps() -> dict[str, str]:
    """Each URL namespace and the app whose ``urls`` module it includes."""
    from django.urls import get_resolver

    apps = {}
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        module = getattr(resolver.urlconf_name, "__name__", str(resolver.urlconf_name))
        parts = module.split(".")
        if parts[0] == "traction" and len(parts) > 1:
            apps[namespace] = parts[1]
    return apps


def higher_urls(template: Path, level: str, apps: dict[str, str]) -> list[str]:
    """The URL names in ``template`` that belong to an app above ``level``."""
    allowed = set(ORDER[: ORDER.index(level) + 1])
    return [
        ns
        for ns in URL_TAG.findall(template.read_text())
        if apps.get(ns) in ORDER and apps[ns] not in allowed
    ]


def template_levels() -> list[tuple[Path, str]]:
    found = [(t, PROJECT_TEMPLATES_LEVEL) for t in sorted((ROOT / "templates").rglob("*.html"))]
    for app in ORDER:
        found += [(t, app) for t in sorted((ROOT / app).rglob("templates/**/*.html"))]
    return found


def test_no_template_names_a_higher_apps_url() -> None:
    apps = namespace_apps()
    assert {"accounts", "customers", "programs", "sessions", "insights"} <= set(apps.values())
    offenders = [
        f"{template.relative_to(ROOT.parent)} names {sorted(set(names))}"
        for template, level in template_levels()
        if (names := higher_urls(template, level, apps))
    ]
    assert offenders == []


def test_the_template_check_finds_one(tmp_path: Path) -> None:
    page = tmp_path / "home.html"
    page.write_text(
        "<a href=\"{% url 'accounts:members' slug %}\">Members</a>\n"
        '<a href="{% url "sessions:list" slug %}">Sessions</a>\n'
    )
    assert higher_urls(page, "accounts", namespace_apps()) == ["sessions"]
    assert higher_urls(page, "insights", namespace_apps()) == []


# --- templates ask the policy, not the role ----------------------------------------------------

ROLE_CHECK = re.compile(r"{%\s*(?:el)?if\b[^%]*?\.role\s*(?:==|!=|\bin\b|\bnot in\b)")
# Known gaps, owned by their apps: this list only shrinks ({% can "action" as may %} instead).
ROLE_CHECKS_LEFT: set[str] = set()


def role_checks(template: Path) -> list[str]:
    return ROLE_CHECK.findall(template.read_text())


def test_templates_ask_the_policy_not_the_role() -> None:
    found = {
        str(template.relative_to(ROOT.parent))
        for template, _level in template_levels()
        if role_checks(template)
    }
    assert found == ROLE_CHECKS_LEFT


def test_the_role_check_finds_one(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '{% if viewer.role == "account_owner" %}a{% endif %}'
        '{% elif request.viewer.role in "admin facilitator" %}b'
        "{% if r.value == m.role %} selected{% endif %}"
        '{% can "outreach.decide" as may %}{% if may %}c{% endif %}'
    )
    assert len(role_checks(page)) == 2


def private_names_imported(path: Path) -> list[str]:
    """``from <any module, relative or not> import _name``: within an app too, a module's
    private names stay its own (a helper two modules share is public in the one that owns it)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            private = [a.name for a in node.names if _private(a.name)]
            if private:
                found.append(f"{'.' * node.level}{node.module or ''}: {', '.join(private)}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = [
        f"{path.relative_to(ROOT.parent)} imports {found}"
        for path in sorted(ROOT.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
        for found in private_names_imported(path)
    ]
    assert offenders == []


def test_the_module_private_name_check_finds_one(tmp_path: Path) -> None:
    module = tmp_path / "views.py"
    module.write_text("from .common import _slug, whole\nfrom . import _helpers\n")
    assert private_names_imported(module) == [".common: _slug", ".: _helpers"]
