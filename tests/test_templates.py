"""Template hygiene the template engine does not check itself."""

from __future__ import annotations

import re
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


# Forms with a Find box (or any other button sending the form elsewhere: formmethod,
# formaction) before their save button: Enter in a field submits a form with its first
# submit button, so such a form starts with a hidden copy of its primary button (as
# loop/propose.html does) and Enter saves, never searches (traction/static/find_boxes.js makes
# Enter in the Find box itself press Find).
INCLUDE = re.compile(r'\{%\s*include\s+"([^"]+)"')
SECONDARY = re.compile(r"\bformmethod=|\bformaction=|class=\"field picker-search\"")
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
BUTTON = re.compile(r"<button\b([^>]*)>(.*?)</button>", re.S)
DEFAULT_ATTRS = ('type="submit"', 'class="visually-hidden"', 'tabindex="-1"', 'aria-hidden="true"')
# Forms whose first button is their Find on purpose, and why.
ENTER_FINDS = {
    # Closing a debrief is final: Enter in any box finds, never closes (docs/debrief.md).
    "debrief/templates/debrief/pack/close.html",
}


def template_name(path: Path) -> str:
    """The name a template is included by ("includes/find_member.html")."""
    parts = path.parts
    return "/".join(parts[len(parts) - 1 - parts[::-1].index("templates") + 1 :])


def find_parts(templates: dict[str, str]) -> set[str]:
    """The templates, outside any form, that put a Find box (or another secondary submit
    button) into the form including them, directly or through another such template."""
    parts = {
        name for name, text in templates.items() if "<form" not in text and SECONDARY.search(text)
    }
    while True:
        more = {
            name
            for name, text in templates.items()
            if "<form" not in text and parts & set(INCLUDE.findall(text))
        } - parts
        if not more:
            return parts
        parts |= more


def attribute(tag: str, name: str) -> str | None:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return found.group(1) if found else None


def default_button_problems(text: str, parts: set[str]) -> list[str]:
    """Why a template's forms would let Enter in a field search instead of save."""
    problems = []
    outside = FORM.sub("", text)
    if parts & set(INCLUDE.findall(outside)):
        problems.append("a Find box included outside a <form> of the same template")
    for tag, body in FORM.findall(text):
        secondary = SECONDARY.search(body)
        included = [m for m in INCLUDE.finditer(body) if m.group(1) in parts]
        starts = [m.start() for m in included] + ([secondary.start()] if secondary else [])
        if not starts or (attribute(tag, "method") or "get").lower() != "post":
            continue  # no Find box; or a GET form, whose Find and Filter send the same search
        buttons = BUTTON.findall(body)
        primary = [(a, t) for a, t in buttons if "primary" in (attribute(a, "class") or "")]
        first = BUTTON.search(body)
        if not primary:
            problems.append(f"form {tag.strip()!r}: no primary button")
        elif first is None or first.start() > min(starts):
            problems.append(f"form {tag.strip()!r}: its Find comes before any default button")
        elif not all(a in first.group(1) for a in DEFAULT_ATTRS):
            problems.append(f"form {tag.strip()!r}: its first button is not a hidden default one")
        elif first.group(2) != primary[0][1] or any(
            attribute(first.group(1), a) != attribute(primary[0][0], a) for a in ("name", "value")
        ):
            problems.append(f"form {tag.strip()!r}: its default button differs from its primary")
    return problems


ALL_TEMPLATES = {template_name(p): p.read_text() for p in TEMPLATES}
FIND_PARTS = find_parts(ALL_TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_enter_in_a_form_with_a_find_box_saves(template: Path) -> None:
    if str(template.relative_to(ROOT / "traction")) in ENTER_FINDS:
        pytest.skip("Enter finds here on purpose")
    if template_name(template) in FIND_PARTS:
        pytest.skip("a Find box itself, checked in the forms including it")
    assert default_button_problems(template.read_text(), FIND_PARTS) == []


def test_the_check_catches_a_find_before_the_save() -> None:
    assert {
        "includes/find_member.html",
        "includes/find_box.html",
        "includes/find_program.html",
        "loop/_picker_search.html",
        "loop/_find_box.html",
    } <= FIND_PARTS
    find = '{% include "includes/find_member.html" with name="owner" %}'
    save = '<button type="submit" class="button primary">Add</button>'
    hidden = '<button type="submit" class="visually-hidden" tabindex="-1" aria-hidden="true">'
    form = '<form method="post">{% csrf_token %}'
    assert default_button_problems(f"{form}{find}{save}</form>", FIND_PARTS) != []
    assert default_button_problems(f"{form}{hidden}Save</button>{find}{save}</form>", FIND_PARTS)
    assert default_button_problems(f"{form}{find}</form>{save}", FIND_PARTS) != []
    assert default_button_problems(f"{find}{form}{save}</form>", FIND_PARTS) != []
    inline = '<button type="submit" class="button" formmethod="get">Find</button>'
    assert default_button_problems(f"{form}{inline}{save}</form>", FIND_PARTS) != []
    assert (
        default_button_problems(f"{form}{hidden}Add</button>{find}{save}</form>", FIND_PARTS) == []
    )
    assert default_button_problems(f'<form method="get">{find}{save}</form>', FIND_PARTS) == []
