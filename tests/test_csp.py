"""The Content-Security-Policy (docs/security.md): on every answer, and nothing in our
templates that it would refuse.

The browser tests (tests/e2e/) fail on any violation a page actually causes; this file
checks the header itself and reads every template for inline code, so a new inline
script is caught before any browser runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.autoreload import get_template_directories
from django.templatetags.static import static
from django.test import Client

from traction.core.testing.cast import Cast

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Templates that still hold inline code, each moving to a static file. The list only
# shrinks: a template that no longer needs its entry fails the test below until removed.
KNOWN_INLINE: dict[str, list[str]] = {}

# What the policy refuses, as written in a template (after its {% %} and {{ }} are blanked).
INLINE = {
    "<script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "on* attribute": re.compile(r"<[a-z][^<>]*\son[a-z]+\s*=", re.IGNORECASE),
    "<style>": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"<[a-z][^<>]*\sstyle\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "hx-on attribute": re.compile(r"\shx-on", re.IGNORECASE),
    "js: in hx-vals": re.compile(r"hx-(vals|vars)\s*=\s*['\"]\s*(js|javascript):", re.IGNORECASE),
}
TEMPLATE_CODE = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.DOTALL)


def _directives(header: str) -> dict[str, list[str]]:
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def _our_templates() -> dict[str, Path]:
    """Every template of the project (not of installed packages), by its template name."""
    found: dict[str, Path] = {}
    for root in sorted(get_template_directories()):
        if not root.is_relative_to(settings.BASE_DIR) or not root.is_dir():
            continue
        for path in sorted(root.rglob("*.html")):
            found[path.relative_to(root).as_posix()] = path
    return found


def _inline_code(path: Path) -> list[str]:
    text = TEMPLATE_CODE.sub(" ", path.read_text(encoding="utf-8"))
    return [kind for kind, pattern in INLINE.items() if pattern.search(text)]


# The policy is the middleware's header, whatever the database: these run on SQLite only.
@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login/", 200),  # a page
        ("/w/acme/", 302),  # a redirect to sign in
        ("/no-such-page/", 404),  # an error page
        ("/api/v1/customers", 401),  # the API refusing
        ("/api/v1/no-such-operation", 404),  # the API's not-found
        ("/api/v1/docs", 200),  # the API docs page
        ("/healthz", 200),
    ],
)
def test_every_answer_carries_the_policy(cast: Cast, path: str, status: int) -> None:
    response = Client().get(path)
    assert response.status_code == status
    assert _directives(response.headers["Content-Security-Policy"]) == POLICY


@pytest.mark.sqlite_only
def test_a_signed_in_page_and_a_refusal_carry_the_policy_too(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.users["facilitator"])
    page = client.get(f"/w/{cast.acme.slug}/")
    assert page.status_code == 200
    assert _directives(page.headers["Content-Security-Policy"]) == POLICY
    # Another workspace is a not-found for her.
    refused = client.get(f"/w/{cast.rival.slug}/")
    assert refused.status_code == 404
    assert _directives(refused.headers["Content-Security-Policy"]) == POLICY


@pytest.mark.sqlite_only
@pytest.mark.django_db
def test_a_refused_form_gets_our_page_under_the_policy() -> None:
    """Django's own CSRF failure page has an inline <style>; ours (403_csrf.html) has none."""
    response = Client(enforce_csrf_checks=True).post("/login/", {"email": "a@b.test"})
    assert response.status_code == 403
    assert _directives(response.headers["Content-Security-Policy"]) == POLICY
    html = response.content.decode()
    assert "<h1>This form was not sent</h1>" in html
    assert "<style" not in html


def test_the_policy_allows_no_inline_script_and_no_eval() -> None:
    sources = {source for values in POLICY.values() for source in values}
    assert not sources & {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*"}
    configured = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert configured == POLICY


def test_the_api_docs_page_loads_swagger_ui_from_static_files() -> None:
    html = Client().get("/api/v1/docs").content.decode()
    assert f'src="{static("ninja/swagger-ui-bundle.js")}"' in html
    assert f'src="{static("ninja/swagger-ui-init.js")}"' in html
    assert f'href="{static("ninja/swagger-ui.css")}"' in html
    assert "cdn" not in html.lower()


def test_no_template_holds_code_the_policy_refuses() -> None:
    templates = _our_templates()
    assert "base.html" in templates
    assert "insights/board.html" in templates
    found = {name: _inline_code(path) for name, path in templates.items()}
    known = {name: KNOWN_INLINE.get(name, []) for name in found}
    new = {name: sorted(set(kinds) - set(known[name])) for name, kinds in found.items()}
    new = {name: kinds for name, kinds in new.items() if kinds}
    assert new == {}, "Move these into static files (docs/architecture.md)"
    fixed = [name for name in KNOWN_INLINE if not found.get(name)]
    assert fixed == [], "No inline code left there: remove them from KNOWN_INLINE"


@pytest.mark.parametrize(
    ("snippet", "kind"),
    [
        ("<script>alert(1)</script>", "<script>"),
        ('<script type="module">x()</script>', "<script>"),
        ('<button type="button" onclick="go()">Go</button>', "on* attribute"),
        ('<body onload="go()">', "on* attribute"),
        ("<style>p { color: red }</style>", "<style>"),
        ('<p class="x" style="color: red">', "style attribute"),
        ('<a href="javascript:go()">', "javascript: URL"),
        ('<form hx-on::after-request="go()">', "hx-on attribute"),
        ("<div hx-vals='js:{a: go()}'>", "js: in hx-vals"),
    ],
)
def test_the_template_reader_finds_each_kind_of_inline_code(
    tmp_path: Path, snippet: str, kind: str
) -> None:
    template = tmp_path / "page.html"
    template.write_text('{% extends "base.html" %}{% block content %}' + snippet + "{% endblock %}")
    assert _inline_code(template) == [kind]


def test_the_template_reader_lets_static_scripts_and_template_code_pass(tmp_path: Path) -> None:
    template = tmp_path / "page.html"
    template.write_text(
        "{% load static %}<script src=\"{% static 'print.js' %}\" defer></script>"
        '<span id="fit"{% if entered > budget %} hidden{% endif %}>one = {{ one }}</span>'
        '<button type="button" data-print>Print</button><p>Write to: {{ email }}</p>'
    )
    assert _inline_code(template) == []
