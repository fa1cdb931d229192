"""Template hygiene the template engine does not check itself."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "traction").rglob("templates/**/*.html"))


def unclosed_comment_lines(text: str) -> list[int]:
    """Lines opening a {# comment #} they do not close: Django's short comments are one line
    long, so the rest is shown to the user as text."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line.count("{#") > line.count("#}")]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_short_comments_stay_on_one_line(template: Path) -> None:
    assert unclosed_comment_lines(template.read_text()) == [], (
        "a {# … #} comment spans lines and would be rendered; use {% comment %}"
    )


def test_the_check_catches_a_comment_over_two_lines() -> None:
    assert unclosed_comment_lines("<p>\n{# a note\n   more #}\n</p>") == [2]
    assert unclosed_comment_lines("{# one line #}\n{% comment %}\nx\n{% endcomment %}") == []


EMAIL_TEXTS = sorted((ROOT / "traction").rglob("templates/**/email/*.txt"))


def escapes_html(text: str) -> bool:
    """Whether a plain-text template would escape what it shows: Django escapes every
    template unless told not to, and a mail program shows "Q&amp;A" and "O&#x27;Brien" as
    written."""
    body = text.strip()
    while body.startswith("{% load "):
        body = body[body.index("%}") + 2 :]
    return not (body.startswith("{% autoescape off %}") and body.endswith("{% endautoescape %}"))


@pytest.mark.parametrize("template", EMAIL_TEXTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_plain_text_emails_are_not_html_escaped(template: Path) -> None:
    assert not escapes_html(template.read_text()), (
        "a plain-text email would show &amp; and &#x27; for & and ': wrap it in "
        "{% autoescape off %} … {% endautoescape %}"
    )


def test_the_check_catches_an_escaped_email() -> None:
    assert escapes_html("Hello {{ name }},\n")
    assert not escapes_html(
        "{% load tz %}{% autoescape off %}Hello {{ name }},\n{% endautoescape %}"
    )
    assert len(EMAIL_TEXTS) > 10
