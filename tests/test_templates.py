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
